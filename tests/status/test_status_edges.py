"""StatusService edges: Uptime Kuma verdicts (degraded causes, fallback), configuration errors, odd health answers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from companion import CircuitBreakerFactory, ClientSettings, PlexClient, StatusService
from companion.results import mark
from companion.status import _describe
from companion.timeutil import iso_utc

WAIT = 10.0
#: real polls are compared to this: high enough that a busy machine never turns "up" into "degraded"
NEVER_SLOW_MS = 60_000


@pytest.fixture
def plex(plex_mock):
    settings = ClientSettings(connect_timeout_s=0.5, read_timeout_s=0.5, retry_attempts=2, retry_initial_backoff_s=0.01,
                              retry_max_backoff_s=0.02, fail_max=5, reset_timeout_s=30, cache_ttl_s=0)
    client = PlexClient(plex_mock.url, "mock-token", settings=settings, breakers=CircuitBreakerFactory())
    yield client
    client.close()


@pytest.fixture
def live_kuma(kuma, kuma_client_factory):
    """A logged-in UptimeKumaClient that already has the Plex heartbeat."""
    client = kuma_client_factory(kuma.url).connect()
    assert client.wait_for(lambda: client.monitor_status("Plex") == "up", WAIT), client.event_counts
    return client


class FakePlex:
    """A Plex-like client whose health call is scripted."""

    def __init__(self, answer=None, error: Exception | None = None) -> None:
        self.answer, self.error = answer, error

    def test_connection(self):
        if self.error is not None:
            raise self.error
        return self.answer


class BrokenBreakers:
    def all_metrics(self):
        raise RuntimeError("metrics store unavailable")


# -- pure helpers --------------------------------------------------------------------------------
def test_iso_utc_reads_a_naive_time_as_utc_and_converts_other_zones():
    assert iso_utc(datetime(2024, 12, 16, 21, 13, 58)) == "2024-12-16T21:13:58.000Z"
    plus_two = timezone(timedelta(hours=2))
    assert iso_utc(datetime(2024, 12, 16, 23, 13, 58, 123456, tzinfo=plus_two)) == "2024-12-16T21:13:58.123Z"


@pytest.mark.parametrize(("result", "expected"), [
    ({"name": "Mock Plex", "version": "1.40"}, "Mock Plex version 1.40"),
    ({"friendlyName": "Den"}, "Den"),
    ({"version": "1.2.3"}, "version 1.2.3"),
    ({}, ""),
    (["not", "a", "mapping"], ""),
    (None, ""),
])
def test_describe_names_the_server_and_version_when_known(result, expected):
    assert _describe(result) == expected


# -- Uptime Kuma as the source ---------------------------------------------------------------------
@pytest.mark.parametrize("kuma_status", ["pending", "maintenance"])
def test_kuma_pending_or_maintenance_is_degraded(kuma, live_kuma, plex, kuma_status):
    service = StatusService(plex=plex, uptime_kuma=live_kuma)
    kuma.set_monitor_status("Plex", kuma_status, msg="checking")
    assert live_kuma.wait_for(lambda: live_kuma.monitor_status("Plex") == kuma_status, WAIT)
    status = service.get_status("plex")
    assert (status["status"], status["source"]) == ("degraded", "uptime-kuma")
    assert status["message"] == f"Uptime Kuma monitor 'Plex' is {kuma_status.upper()}: checking"
    assert status["response_time_ms"] is None  # non-UP beats have no ping


def test_kuma_up_with_a_slow_ping_is_degraded(kuma, live_kuma, plex):
    service = StatusService(plex=plex, uptime_kuma=live_kuma, slow_threshold_ms=1000)
    kuma.set_monitor_status("Plex", "up", msg="200 - OK", ping=1500)
    assert live_kuma.wait_for(lambda: live_kuma.latest_heartbeat(1)["ping"] == 1500, WAIT)
    status = service.get_status("plex")
    assert (status["status"], status["source"], status["response_time_ms"]) == ("degraded", "uptime-kuma", 1500.0)
    assert status["message"].endswith("slow: 1500 ms > 1000 ms")


@pytest.mark.parametrize("state", ["open", "half-open"])
def test_kuma_up_while_our_breaker_is_not_closed_is_degraded(live_kuma, plex, fakes, state):
    service = StatusService(plex=plex, uptime_kuma=live_kuma, breakers=fakes.Breakers({"plex": {"state": state}}))
    status = service.get_status("plex")
    assert (status["status"], status["source"]) == ("degraded", "uptime-kuma")
    assert status["message"].startswith("Uptime Kuma monitor 'Plex' is UP")
    assert status["message"].endswith(f"; circuit breaker is {state}")


def test_kuma_up_with_a_closed_breaker_and_a_fast_ping_is_up(kuma, live_kuma, plex, fakes):
    service = StatusService(plex=plex, uptime_kuma=live_kuma, breakers=fakes.Breakers({"plex": {"state": "closed"}}))
    kuma.set_monitor_status("Plex", "up", ping=12)
    assert live_kuma.wait_for(lambda: live_kuma.latest_heartbeat(1)["ping"] == 12, WAIT)
    status = service.get_status("plex")
    assert (status["status"], status["response_time_ms"]) == ("up", 12.0)
    assert "slow" not in status["message"] and "breaker" not in status["message"]


@pytest.mark.parametrize("monitor", ["Jellyfin", 99])
def test_an_unknown_monitor_falls_back_to_polling(kuma, live_kuma, plex, plex_mock, monitor):
    kuma.set_monitor_status("Plex", "down")  # would be the verdict if the mapping were used
    assert live_kuma.wait_for(lambda: live_kuma.monitor_status("Plex") == "down", WAIT)
    status = StatusService(plex=plex, uptime_kuma=live_kuma, monitor_names={"plex": monitor},
                           slow_threshold_ms=NEVER_SLOW_MS).get_status("plex")
    assert (status["status"], status["source"]) == ("up", "poll")
    assert plex_mock.journal.count("GET", "/") == 1


def test_a_monitor_by_id_is_used_like_a_name(kuma, live_kuma, plex):
    kuma.set_monitor_status(2, "down", msg="mapped by id")
    assert live_kuma.wait_for(lambda: live_kuma.monitor_status(2) == "down", WAIT)
    status = StatusService(plex=plex, uptime_kuma=live_kuma, monitor_names={"plex": 2}).get_status("plex")
    assert (status["status"], status["source"]) == ("down", "uptime-kuma")
    assert status["message"] == "Uptime Kuma monitor 'Overseerr' is DOWN: mapped by id"


def test_a_service_mapped_to_no_monitor_is_always_polled(live_kuma, plex, plex_mock):
    service = StatusService(plex=plex, uptime_kuma=live_kuma, monitor_names={"plex": None})
    assert service.get_status("plex")["source"] == "poll"
    assert plex_mock.journal.count("GET", "/") == 1


def test_kuma_connected_but_not_logged_in_reports_itself_down(kuma, live_kuma, plex, plex_mock):
    kuma.socket_faults.reject_logins = True
    kuma.drop_connections()
    assert live_kuma.wait_for(lambda: live_kuma.login_failures >= 1 and live_kuma.is_connected, WAIT), \
        live_kuma.counters()
    statuses = {s["name"]: s for s in StatusService(plex=plex, uptime_kuma=live_kuma).get_all_statuses()}
    assert statuses["uptime-kuma"]["status"] == "down"
    assert statuses["uptime-kuma"]["message"] == f"connected but not logged in: {live_kuma.login_error}"
    assert live_kuma.login_error  # the server's reason is named
    assert statuses["plex"]["source"] == "poll"


# -- configuration -----------------------------------------------------------------------------------
def test_a_service_without_a_client_is_a_clear_error(plex):
    service = StatusService(plex=plex)
    with pytest.raises(KeyError, match="service 'overseerr' has no client configured"):
        service.get_status("overseerr")
    with pytest.raises(KeyError, match="Uptime Kuma has no client configured"):
        service.get_status("uptime-kuma")
    assert service.services == ["plex"]


def test_last_statuses_are_a_copy_of_the_last_full_check(plex, clock):
    service = StatusService(plex=plex, clock=clock, slow_threshold_ms=NEVER_SLOW_MS)
    assert service.last_statuses == []
    returned = service.get_all_statuses()
    remembered = service.last_statuses
    assert remembered == returned and remembered[0]["last_check"] == "2025-01-15T12:00:00.000Z"
    remembered[0]["status"] = "changed"
    returned[0]["status"] = "changed too"
    assert service.last_statuses[0]["status"] == "up"


# -- polling odd answers --------------------------------------------------------------------------------
def test_an_unexpected_exception_is_down_with_its_reason(clock):
    service = StatusService(plex=FakePlex(error=RuntimeError("socket exploded")), clock=clock)
    status = service.get_status("plex")
    assert (status["status"], status["source"], status["response_time_ms"]) == ("down", "poll", 0.0)
    assert status["message"] == "plex health check failed: RuntimeError: socket exploded"


def test_a_stale_health_answer_is_degraded(clock):
    service = StatusService(plex=FakePlex(answer=mark({"name": "Mock Plex"}, stale=True)), clock=clock)
    status = service.get_status("plex")
    assert status["status"] == "degraded" and status["message"] == "plex degraded: served stale cached data"


def test_a_fresh_answer_without_a_name_is_up_without_details(clock):
    service = StatusService(plex=FakePlex(answer=True), clock=clock)
    status = service.get_status("plex")
    assert (status["status"], status["message"]) == ("up", "plex responded in 0 ms")


def test_breaker_metrics_that_fail_are_ignored(plex):
    status = StatusService(plex=plex, breakers=BrokenBreakers(), slow_threshold_ms=NEVER_SLOW_MS).get_status("plex")
    assert status["status"] == "up" and "breaker" not in status["message"]


def test_polling_while_our_breaker_is_half_open_is_degraded(plex, fakes):
    service = StatusService(plex=plex, breakers=fakes.Breakers({"plex": {"state": "half-open"}}),
                            slow_threshold_ms=NEVER_SLOW_MS)
    status = service.get_status("plex")
    assert (status["status"], status["source"]) == ("degraded", "poll")
    assert status["message"] == "plex degraded: circuit breaker is half-open"
