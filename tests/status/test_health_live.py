"""The health page's content and its live updates: what a card says, when the feed pushes, how streams end."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from companion import CircuitBreakerFactory, PlexClient
from companion.dashboard import EVENTS_PATH, SIGN_IN_PATH, Accounts, LiveFeed, StatusChecker, health_view
from companion.dashboard.live import TooManyStreams
from companion.dashboard.view import clock_time, current_statuses, service_card
from companion.errors import ServiceUnavailableError
from companion.settings import ClientSettings
from companion.status import StatusService
from mockservers.core.clock import VirtualClock


def events_of(stream, count: int) -> list[str]:
    """The next ``count`` event texts of a :class:`Stream`."""
    return [next(stream) for _ in range(count)]


def data_of(event: str) -> dict:
    line = next(part for part in event.splitlines() if part.startswith("data: "))
    return json.loads(line.removeprefix("data: "))


# -- what a card says ----------------------------------------------------------------------------------------
def test_an_open_breaker_counts_down_in_whole_seconds_to_its_next_probe(fakes, clock):
    metrics = {"state": "open", "failures": 3, "rejected": 2, "next_probe_at": "2025-01-15T12:00:29.200Z",
               "last_failure": {"time": "2025-01-15T11:59:59.200Z", "error": "connection refused"}}
    card = service_card(fakes.status("plex", "down"), metrics, None, clock.now())
    assert (card["breaker"], card["breakerNote"], card["probeIn"]) == ("open", "next probe in", 30)
    assert (card["failures"], card["rejected"]) == ("3", "2")
    assert card["lastFailure"] == "11:59:59 UTC: connection refused"
    clock.advance(seconds=29.5)
    assert service_card(fakes.status("plex", "down"), metrics, None, clock.now())["probeIn"] == 0


@pytest.mark.parametrize(("state", "note"), [("closed", "calls pass"), ("half-open", "probe allowed now"),
                                             ("stuck", "")])
def test_a_breaker_that_is_not_open_shows_no_countdown(fakes, clock, state, note):
    card = service_card(fakes.status("plex", "up"), {"state": state, "failures": True}, None, clock.now())
    assert card["breaker"] == (state if state != "stuck" else "unknown")
    assert (card["breakerNote"], card["probeIn"], card["failures"]) == (note, None, "\u2014")


def test_a_service_without_a_breaker_hides_the_breaker_rows(fakes, clock):
    card = service_card({"name": "uptime-kuma", "status": "weird", "response_time_ms": float("nan")}, None, None,
                        clock.now())
    assert (card["hasBreaker"], card["status"], card["responseTime"], card["title"]) == (
        False, "unknown", "", "Uptime Kuma")


def test_stale_answers_say_since_when_and_why(fakes, clock):
    record = {"since": "2025-01-15T11:58:01.000Z", "reason": "connection refused", "answers": 4}
    card = service_card(fakes.status("plex", "up"), None, record, clock.now())
    assert (card["stale"], card["answers"], card["staleReason"]) == (
        True, "served from cache since 11:58:01 UTC", "connection refused")


@pytest.mark.parametrize(("value", "shown"), [("2025-01-15T08:09:10.123Z", "08:09:10 UTC"), ("", "\u2014"),
                                              (None, "\u2014"), ("yesterday", "yesterday"),
                                              ("2025-01-15T08:09:10", "2025-01-15T08:09:10")])
def test_times_are_shown_in_utc_to_the_second(value, shown):
    assert clock_time(value) == shown


def test_the_view_reads_latest_verdicts_and_checks_only_what_nobody_checked_yet(fakes):
    class Keeping(fakes.StatusService):
        services = ["plex", "overseerr"]
        checked: list = []

        @property
        def last_statuses(self):
            return [fakes.status("plex", "down")]

        def get_status(self, name):
            self.checked.append(name)
            return fakes.status(name, "up")

    keeping = Keeping()
    assert [e["name"] for e in current_statuses(keeping, check_unknown=False)] == ["plex"]
    assert [e["status"] for e in current_statuses(keeping, check_unknown=True)] == ["down", "up"]
    assert keeping.checked == ["overseerr"]
    plain = fakes.StatusService([fakes.status("plex", "up")])  # keeps no verdicts: asked for all, or nothing
    assert current_statuses(plain, check_unknown=False) == []
    assert len(current_statuses(plain, check_unknown=True)) == 1
    assert health_view(None, None)["services"] == []


# -- stale answers, from the client to the page ----------------------------------------------------------------
def test_a_clients_run_of_stale_answers_starts_with_the_first_and_ends_with_a_fresh_answer(plex_mock):
    clock = VirtualClock()
    settings = ClientSettings(retry_attempts=1, cache_ttl_s=60, retry_seed=1)
    plex = PlexClient(plex_mock.url, "mock-token", settings=settings, clock=clock)
    status = StatusService(plex=plex, clock=clock, use_uptime_kuma=False)
    try:
        plex.get_libraries()
        assert plex.serving_stale_since is None and status.stale_answers() == {}
        clock.advance(61)
        plex_mock.take_down()
        first = clock.now()
        plex.get_libraries()
        clock.advance(5)
        plex.get_libraries()
        record = status.stale_answers()["plex"]
        assert record["answers"] == 2 and "connection refused" in record["reason"]
        assert record["since"].startswith(first.strftime("%Y-%m-%dT%H:%M:%S"))
        plex_mock.bring_up()
        plex.get_libraries()  # the service answers again: the run is over
        assert plex.serving_stale_since is None
        plex_mock.take_down()
        clock.advance(61)
        plex.get_libraries()
        assert plex.serving_stale_since is not None
        plex.clear_cache()  # nothing is left to serve
        assert plex.serving_stale_since is None
    finally:
        plex.close()


def test_the_status_service_keeps_the_latest_verdict_of_every_service(plex_mock):
    clock = VirtualClock()
    plex = PlexClient(plex_mock.url, "mock-token", settings=ClientSettings(retry_attempts=1), clock=clock)
    status = StatusService(plex=plex, clock=clock, use_uptime_kuma=False)
    try:
        assert status.last_statuses == []
        status.get_status("plex")
        assert [e["status"] for e in status.last_statuses] == ["up"]
        plex_mock.take_down()
        status.get_all_statuses()
        assert [e["status"] for e in status.last_statuses] == ["down"]
    finally:
        plex.close()


# -- the feed ------------------------------------------------------------------------------------------------
class Content:
    """A changeable content for a feed."""

    def __init__(self) -> None:
        self.value = {"summary": {}, "services": [{"name": "plex", "status": "up"}]}
        self.reads = 0

    def __call__(self) -> dict:
        self.reads += 1
        return json.loads(json.dumps(self.value))


def test_a_stream_starts_with_the_retry_delay_and_the_current_content_then_sends_each_change():
    content = Content()
    feed = LiveFeed(content, interval_s=0.01)
    stream = feed.open_stream()
    try:
        retry, first = events_of(stream, 2)
        assert retry == "retry: 1000\n\n"
        assert first.startswith("id: 1\nevent: health\n")
        assert data_of(first)["services"][0]["status"] == "up" and "asOf" in data_of(first)
        content.value["services"][0]["status"] = "down"
        second = next(stream)  # the watcher thread notices within its interval
        assert second.startswith("id: 2\n") and data_of(second)["services"][0]["status"] == "down"
        assert feed.streams == 1 and feed.version == 2
    finally:
        stream.close()
    assert feed.streams == 0


def test_nothing_changed_sends_only_keep_alive_comments():
    feed = LiveFeed(Content(), interval_s=0.01, keepalive_s=0.05)
    stream = feed.open_stream()
    events_of(stream, 2)
    assert next(stream) == ": keep-alive\n\n"
    stream.close()
    stream.close()  # twice is fine
    assert feed.streams == 0


def test_a_stream_ends_after_its_lifetime_when_no_longer_alive_or_when_all_are_disconnected():
    feed = LiveFeed(Content(), interval_s=0.01, keepalive_s=0.3, max_stream_s=0.1)
    stream = feed.open_stream()
    assert len(list(stream)) == 2  # retry + content, then it ends by itself
    alive = [True]
    stream = feed.open_stream(alive=lambda: alive[0])
    events_of(stream, 2)
    alive[0] = False
    assert list(stream) == []
    feed.max_stream_s = 60
    stream = feed.open_stream()
    events_of(stream, 2)
    threading.Timer(0.05, feed.disconnect_all).start()
    assert list(stream) == []
    assert feed.streams == 0
    again = feed.open_stream()  # later pages may connect again
    assert len(events_of(again, 2)) == 2
    again.close()


def test_at_most_max_streams_are_open_at_once():
    feed = LiveFeed(Content(), interval_s=0.01, max_streams=2)
    streams = [feed.open_stream(), feed.open_stream()]
    with pytest.raises(TooManyStreams, match="2 health pages are connected; at most 2"):
        feed.open_stream()
    streams[0].close()
    feed.open_stream().close()
    streams[1].close()


def test_the_watcher_runs_only_while_pages_are_connected_and_survives_a_failing_read():
    content = Content()
    feed = LiveFeed(content, interval_s=0.01)
    time.sleep(0.05)
    assert content.reads == 0
    stream = feed.open_stream()
    events_of(stream, 2)

    def broken() -> dict:
        raise RuntimeError("the store is gone")

    feed.read = broken
    time.sleep(0.05)
    feed.read = content
    content.value["services"][0]["status"] = "degraded"
    assert data_of(next(stream))["services"][0]["status"] == "degraded"
    stream.close()
    reads = content.reads
    time.sleep(0.1)
    assert content.reads <= reads + 1  # the watcher has stopped


def test_a_failing_first_read_refuses_the_stream_and_leaves_no_count():
    def broken() -> dict:
        raise RuntimeError("no")

    feed = LiveFeed(broken, interval_s=0.01)
    with pytest.raises(RuntimeError):
        feed.open_stream()
    assert feed.streams == 0


def test_the_checker_checks_on_the_clock_while_pages_are_connected():
    clock = VirtualClock()
    calls = []

    def check() -> None:
        calls.append(clock.monotonic())
        if len(calls) == 1:
            raise RuntimeError("a failed check does not end the checks")

    checker = StatusChecker(check, 15, clock)
    feed = LiveFeed(Content(), interval_s=0.01, checker=checker)
    stream = feed.open_stream()
    assert checker.running
    clock.advance(15)
    deadline = time.monotonic() + 5
    while len(calls) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    clock.advance(15)
    while checker.checks < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(calls) == 2 and checker.checks == 1
    stream.close()
    assert not checker.running
    with pytest.raises(ValueError, match="must be > 0 seconds"):
        StatusChecker(check, 0)


# -- over HTTP ---------------------------------------------------------------------------------------------
def test_a_breaker_opening_reaches_a_connected_page_within_one_interval(make_dashboard, fakes, clock):
    import re

    class Keeping(fakes.StatusService):
        @property
        def last_statuses(self):
            return self.get_all_statuses()

    breakers = CircuitBreakerFactory(clock=clock)
    breaker = breakers.create("plex", fail_max=1, reset_timeout=30)
    server = make_dashboard(Keeping([fakes.status("plex", "up")]), breakers, clock=clock,
                            accounts=Accounts.from_passwords({"ann": ("pw", "admin")}))
    session = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(server.url + SIGN_IN_PATH, timeout=10).text)
    session.post(server.url + SIGN_IN_PATH, data={"username": "ann", "password": "pw", "csrf_token": token.group(1)},
                 timeout=10)
    session.get(server.url + "/admin/health", timeout=10)
    with session.get(server.url + EVENTS_PATH, stream=True, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Cache-Control"] == "no-store"
        lines = response.iter_lines(decode_unicode=True)
        first = next(line for line in lines if line.startswith("data: "))
        assert json.loads(first[6:])["services"][0]["breaker"] == "closed"
        with pytest.raises(ServiceUnavailableError):
            breaker.call("test", lambda: (_ for _ in ()).throw(ServiceUnavailableError("plex", "test", "down")))
        opened = json.loads(next(line for line in lines if line.startswith("data: "))[6:])
        assert (opened["services"][0]["breaker"], opened["services"][0]["probeIn"]) == ("open", 30)
        assert opened["summary"]["circuitBreakersOpen"] == 1
        clock.advance(seconds=30)  # time passes: the effective state is half-open, no call needed
        half = json.loads(next(line for line in lines if line.startswith("data: "))[6:])
        assert half["services"][0]["breaker"] == "half-open"
