"""StatusService against real mocks: polling verdicts, degraded causes, Uptime Kuma as source and fallback."""

from __future__ import annotations

import pytest

from companion import CircuitBreakerFactory, ClientSettings, OverseerrClient, PlexClient, StatusService

WAIT = 10.0


def settings(**overrides) -> ClientSettings:
    options = dict(connect_timeout_s=0.5, read_timeout_s=0.5, retry_attempts=3, retry_initial_backoff_s=0.01,
                   retry_max_backoff_s=0.02, fail_max=2, reset_timeout_s=30, cache_ttl_s=0)
    options.update(overrides)
    return ClientSettings(**options)


@pytest.fixture
def breakers() -> CircuitBreakerFactory:
    return CircuitBreakerFactory()


@pytest.fixture
def plex(plex_mock, breakers):
    client = PlexClient(plex_mock.url, "mock-token", settings=settings(), breakers=breakers)
    yield client
    client.close()


@pytest.fixture
def overseerr(overseerr_mock, breakers):
    client = OverseerrClient(overseerr_mock.url, "mock-api-key", settings=settings(), breakers=breakers)
    yield client
    client.close()


def by_name(statuses):
    return {s["name"]: s for s in statuses}


def test_polling_reports_each_service_up_with_the_seed_fields(plex, overseerr, breakers):
    statuses = StatusService(plex=plex, overseerr=overseerr, breakers=breakers).get_all_statuses()
    assert [s["name"] for s in statuses] == ["plex", "overseerr"]
    for status in statuses:
        assert set(status) == {"name", "status", "response_time_ms", "last_check", "source", "message"}
        assert (status["status"], status["source"]) == ("up", "poll")
        assert status["response_time_ms"] >= 0 and status["last_check"].endswith("Z")


def test_an_unreachable_service_is_down_with_the_reason(plex, overseerr, overseerr_mock, breakers):
    overseerr_mock.take_down()
    statuses = by_name(StatusService(plex=plex, overseerr=overseerr, breakers=breakers).get_all_statuses())
    assert statuses["plex"]["status"] == "up"
    assert statuses["overseerr"]["status"] == "down"
    assert "connection refused" in statuses["overseerr"]["message"]


def test_slow_answers_are_degraded(plex, plex_mock, breakers):
    plex_mock.faults.set_delay(150)
    status = StatusService(plex=plex, breakers=breakers, slow_threshold_ms=100).get_status("plex")
    assert status["status"] == "degraded" and "slow" in status["message"]
    assert status["response_time_ms"] >= 150


def test_an_answer_that_needed_retries_is_degraded(plex, plex_mock, breakers):
    plex_mock.faults.add_route_fault("/", 503, times=1)
    status = StatusService(plex=plex, breakers=breakers).get_status("plex")
    assert status["status"] == "degraded" and "after 2 attempts" in status["message"]


def test_an_open_breaker_is_down_and_sends_nothing(plex, plex_mock, breakers):
    plex_mock.take_down()
    service = StatusService(plex=plex, breakers=breakers)
    service.get_status("plex")
    service.get_status("plex")
    assert breakers.get("plex").state == "open"
    plex_mock.bring_up()
    plex_mock.journal.clear()
    status = service.get_status("plex")
    assert status["status"] == "down" and "Circuit breaker is OPEN" in status["message"]
    assert plex_mock.journal.count() == 0


def test_unknown_service_is_a_clear_error(plex):
    with pytest.raises(KeyError, match="unknown service 'sonarr'"):
        StatusService(plex=plex).get_status("sonarr")


def test_uptime_kuma_is_the_source_while_live(plex, overseerr, breakers, kuma, kuma_client_factory):
    client = kuma_client_factory(kuma.url).connect()
    # the pushes that follow the login first (as `Connect To Uptime Kuma` does): until Plex's heartbeat is there the
    # status service would poll Plex, here with the client's state lock held
    assert client.wait_for(lambda: client.latest_heartbeat("Plex") is not None, WAIT)
    kuma.set_monitor_status("Plex", "down", msg="connect ECONNREFUSED")
    service = StatusService(plex=plex, overseerr=overseerr, uptime_kuma=client, breakers=breakers)
    assert client.wait_for(lambda: service.get_status("plex")["status"] == "down", WAIT)
    statuses = by_name(service.get_all_statuses())
    assert statuses["plex"]["source"] == "uptime-kuma" and "ECONNREFUSED" in statuses["plex"]["message"]
    assert (statuses["overseerr"]["status"], statuses["overseerr"]["source"]) == ("up", "uptime-kuma")
    assert statuses["uptime-kuma"]["status"] == "up"


def test_polling_takes_over_when_uptime_kuma_is_disabled(plex, overseerr, breakers, kuma, kuma_client_factory):
    client = kuma_client_factory(kuma.url).connect()
    kuma.set_monitor_status("Plex", "down")
    service = StatusService(plex=plex, overseerr=overseerr, uptime_kuma=client, breakers=breakers,
                            use_uptime_kuma=False)
    statuses = by_name(service.get_all_statuses())
    assert set(statuses) == {"plex", "overseerr"}
    assert (statuses["plex"]["status"], statuses["plex"]["source"]) == ("up", "poll")


def test_polling_takes_over_when_uptime_kuma_is_unreachable(plex, breakers, kuma, kuma_client_factory):
    client = kuma_client_factory(kuma.url).connect()
    kuma.take_down()
    assert client.wait_for(lambda: not client.is_live, WAIT)
    statuses = by_name(StatusService(plex=plex, uptime_kuma=client, breakers=breakers).get_all_statuses())
    assert (statuses["plex"]["status"], statuses["plex"]["source"]) == ("up", "poll")
    assert statuses["uptime-kuma"]["status"] == "down"
