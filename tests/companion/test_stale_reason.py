"""A stale answer says why it is stale: the failure that made the client fall back, in the result,
its repr/str, the client's last call and the log line."""

from __future__ import annotations

import logging

import pytest

from companion import CircuitBreakerFactory, ClientSettings, PlexClient, StatusService
from companion.results import Data, DataList, mark
from mockservers.core.clock import VirtualClock

SETTINGS = ClientSettings(connect_timeout_s=0.5, read_timeout_s=0.5, retry_attempts=2, retry_seed=1, cache_ttl_s=60,
                          fail_max=2)


@pytest.fixture
def clock():
    return VirtualClock()


@pytest.fixture
def plex(plex_mock, clock, request):
    client = PlexClient(plex_mock.url, "mock-token", settings=SETTINGS, clock=clock,
                        breakers=CircuitBreakerFactory(clock=clock))
    request.addfinalizer(client.close)
    return client


def test_a_refused_connection_is_the_reason_in_the_result_its_repr_the_client_and_the_log(plex, plex_mock, clock,
                                                                                          caplog):
    caplog.set_level(logging.WARNING, logger="companion.transport")
    fresh = plex.get_libraries()
    assert fresh.stale_reason is None and repr(fresh) == repr(list(fresh))
    plex_mock.take_down()
    clock.advance(60)
    stale = plex.get_libraries()
    expected = f"plex get_libraries failed: connection refused by {plex_mock.url} for GET /library/sections"
    assert stale.stale is True and stale.stale_reason == expected
    assert repr(stale) == f"{list(stale)!r} (stale: {expected})" and str(stale) == repr(stale)
    assert plex.last_call_stale_reason == expected
    assert caplog.messages[-1] == f"plex get_libraries served stale from the cache: {expected}"
    plex_mock.bring_up()


def test_with_the_breaker_open_the_reason_names_the_breaker_and_its_last_failure(plex, plex_mock, clock):
    page = plex.get_library_items(1, limit=5)
    plex_mock.faults.add_route_fault("/library/sections/*", 503)
    clock.advance(60)
    for _ in range(2):
        plex.get_library_items(1, limit=5)
    assert plex.breaker.state == "open"
    stale = plex.get_library_items(1, limit=5)
    assert stale == page and stale.stale is True
    assert stale.stale_reason.startswith("plex get_library_items failed: Circuit breaker is OPEN for plex")
    assert "(last failure: plex get_library_items failed: HTTP 503 from GET /library/sections/1/all" in (
        stale.stale_reason)


def test_the_next_fresh_call_forgets_the_reason(plex, plex_mock, clock):
    plex.get_libraries()
    plex_mock.faults.add_route_fault("/library/sections", 503, times=2)
    clock.advance(60)
    assert plex.get_libraries().stale_reason is not None
    assert plex.get_libraries().stale_reason is None and plex.last_call_stale_reason is None


def test_the_status_service_says_why_the_data_is_stale(plex, plex_mock):
    class StaleHealth:
        last_call_stale = True

        def test_connection(self):
            return mark({"name": "Mock Plex"}, stale=True, reason="plex test_connection failed: HTTP 503 from GET /")

    status = StatusService(plex=StaleHealth()).get_status("plex")
    assert status["status"] == "degraded"
    assert "served stale cached data because plex test_connection failed: HTTP 503 from GET /" in status["message"]


def test_mark_keeps_a_reason_only_on_stale_results():
    assert mark({"a": 1}, stale=False, reason="ignored").stale_reason is None
    assert isinstance(mark([], stale=True, reason="x"), DataList) and isinstance(mark({}, stale=False), Data)
    assert repr(mark({"a": 1}, stale=True)) == "{'a': 1} (stale: served from the cache)"
