"""The keyword libraries feed ResilienceTimeline with no change to how suites are written: it finds
MockServices' mocks and MediaClients' breakers, MediaClients' calls are observed, ServiceHealth records
status results and the Uptime Kuma client's events."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from MediaClients import MediaClients
from MockServices import MockServices
from ResilienceTimeline import ResilienceTimeline
from ResilienceTimeline import context as timeline_context
from ServiceHealth.story import StatusRecorder, uptime_kuma_event
from atest_support.clock import process_clock


@pytest.fixture(autouse=True)
def no_timeline_left_running():
    timeline_context._ACTIVE = None
    yield
    timeline_context._ACTIVE = None


@pytest.fixture
def libraries(robot_vars):
    """MockServices, MediaClients and ResilienceTimeline as one suite has them; all closed afterwards."""
    mocks = MockServices()
    clients = MediaClients(retry_backoff=timedelta(milliseconds=1), retry_max_backoff=timedelta(milliseconds=5))
    timeline = ResilienceTimeline()
    robot_vars.libraries.update(MockServices=mocks, MediaClients=clients)
    yield mocks, clients, timeline
    timeline.close()
    clients.close()
    mocks.close()


def after(timeline: ResilienceTimeline, owner: str) -> None:
    """What Robot tells the library's listener after a keyword of ``owner``."""
    timeline.end_library_keyword(None, None, SimpleNamespace(owner=owner))


def test_mock_services_exposes_the_running_mocks(libraries):
    mocks, _, _ = libraries
    assert mocks.mocks == {}
    mocks.start_mock_service("plex")
    assert list(mocks.mocks) == ["plex"] and mocks.mocks["plex"].is_running()
    mocks.mocks.clear()  # a copy: the library's own registry is untouched
    assert list(mocks.mocks) == ["plex"]


def test_the_timeline_joins_the_suites_mocks_breakers_and_client_calls(libraries):
    mocks, clients, timeline = libraries
    url = mocks.start_mock_service("plex")
    timeline.start_test(SimpleNamespace(name="wired"), None)
    assert timeline.timeline.clock is process_clock()
    clients.create_plex_client(url, reset_timeout=timedelta(seconds=30))
    after(timeline, "MediaClients")
    clients.get_plex_libraries()
    process_clock().advance(60)  # the cache TTL: the next read goes out (and is answered stale once it fails)
    mocks.add_route_fault("plex", "/*", "503")
    after(timeline, "MockServices")
    clients.plex_call_should_fail_with("ServiceUnavailableError", "test connection", times=3)
    clients.get_plex_libraries()
    clients.plex_call_should_fail_with("CircuitOpenError", "test connection")
    after(timeline, "MediaClients")
    story = timeline.timeline
    assert len(story.events("request", "plex")) == 1 + 3 * 3
    assert [e.get("label") for e in story.events("fault", "plex")] == ["/*: 503"]
    assert [(e.get("from_state"), e.get("to_state")) for e in story.events("breaker", "plex")] == [("closed", "open")]
    assert [e.get("stale") for e in story.events("answer", "plex")] == [False, True]
    rejected = story.events("rejected", "plex")
    assert [(e.get("operation"), e.get("count")) for e in rejected] == [("get_libraries", 1), ("test_connection", 1)]
    assert sum(e.get("count") for e in rejected) == clients.breakers.get("plex").metrics()["rejected"]
    timeline.no_request_should_have_reached_while_open("Plex")
    timeline.every_answer_while_open_should_have_been_stale("Plex")
    timeline.breaker_should_have_opened_after("Plex", 3, 9)


def test_rejections_of_calls_made_elsewhere_are_counted_from_the_breaker(libraries):
    mocks, clients, timeline = libraries
    url = mocks.start_mock_service("plex")
    timeline.start_test(SimpleNamespace(name="status polls"), None)
    clients.create_plex_client(url, reset_timeout=timedelta(seconds=30))
    after(timeline, "MediaClients")
    mocks.take_mock_service_down("plex")
    clients.plex_call_should_fail_with("ServiceUnavailableError", times=3)
    after(timeline, "MediaClients")
    for _ in range(2):  # as a status service polling through the same client would, without observe
        with pytest.raises(Exception, match="Circuit breaker is OPEN"):
            clients.plex.test_connection()
    after(timeline, "ServiceHealth")
    assert [e.get("count") for e in timeline.timeline.events("rejected", "plex")] == [2]


def test_without_a_running_timeline_the_calls_just_run(libraries):
    mocks, clients, _ = libraries
    clients.create_plex_client(mocks.start_mock_service("plex"))
    assert len(clients.get_plex_libraries()) == 2


def test_status_results_are_recorded_when_they_change(libraries):
    _, _, timeline = libraries
    recorder = StatusRecorder()
    recorder.seen([{"name": "plex", "status": "up", "source": "poll", "message": "fine"}])  # no timeline: nothing
    timeline.start_test(SimpleNamespace(name="statuses"), None)
    up = {"name": "plex", "status": "up", "source": "uptime-kuma", "message": "monitor UP"}
    down = {"name": "plex", "status": "down", "source": "poll", "message": "refused"}
    for entries in ([up], [up], [down], [down, {**up, "name": "overseerr"}], [up]):
        recorder.seen(entries)
    recorded = [(e.service, e.get("status"), e.get("source")) for e in timeline.timeline.events("status")]
    assert recorded == [("plex", "up", "uptime-kuma"), ("plex", "down", "poll"), ("overseerr", "up", "uptime-kuma"),
                        ("plex", "up", "uptime-kuma")]
    timeline.start_test(SimpleNamespace(name="next"), None)  # a new test starts over
    recorder.seen([up])
    assert len(timeline.timeline.events("status")) == 1


def test_uptime_kuma_client_events_are_recorded_on_its_lane(libraries):
    _, _, timeline = libraries
    uptime_kuma_event("connect", "before any test")  # no timeline yet: nothing happens
    timeline.start_test(SimpleNamespace(name="kuma"), None)
    for event, detail in (("connect", "http://kuma"), ("login", "as '*****'"), ("push", "heartbeatList"),
                          ("push", "heartbeat monitor 1 down"), ("push", "monitorList"), ("disconnect", "server")):
        uptime_kuma_event(event, detail)
    seen = [(e.get("event"), e.get("detail"), e.get("side")) for e in timeline.timeline.events("socket", "uptime-kuma")]
    assert seen == [("connect", "http://kuma", "client"), ("login", "as '*****'", "client"),
                    ("push", "heartbeat monitor 1 down", "client"), ("push", "monitorList", "client"),
                    ("disconnect", "server", "client")]
