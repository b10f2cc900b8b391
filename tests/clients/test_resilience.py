"""The shared transport's resilience, driven through PlexClient against fault-injected mocks.

Breaker transitions, fail-fast without network, stale fallback, retries against seeded
faults, and the typed error of every connection fault. No fixed sleeps: time-dependent
steps poll with a deadline.
"""

from __future__ import annotations

import time

import pytest

from atest_support.waiting import wait_until
from companion import (AuthenticationError, BadResponseError, CircuitOpenError, RequestRejectedError, ServiceTimeoutError,
                          ServiceUnavailableError)

SECTIONS = "/library/sections"


def fail(client, times: int) -> None:
    for _ in range(times):
        with pytest.raises(ServiceUnavailableError):
            client.get_libraries()


def wait_until_half_open(client, timeout: float = 5.0) -> None:
    wait_until(lambda: client.breaker.state, lambda state: state == "half-open", what="plex breaker",
               expected="half-open", timeout=timeout, interval=0.02)


# -- circuit breaker -----------------------------------------------------------------------
def test_breaker_opens_after_exactly_fail_max_logical_calls(make_plex, plex_mock):
    client = make_plex(fail_max=3, cache_ttl_s=0)
    plex_mock.faults.add_route_fault(SECTIONS, 503)
    fail(client, 2)
    assert client.breaker.state == "closed"
    fail(client, 1)
    assert client.breaker.state == "open"
    metrics = client.breaker.metrics()
    assert metrics["failures"] == 3 and metrics["consecutive_failures"] == 3
    assert "HTTP 503" in metrics["last_failure"]["error"] and metrics["opened_at"]
    assert plex_mock.journal.count("GET", SECTIONS) == 9  # 3 logical calls x 3 attempts each


def test_open_breaker_fails_fast_without_touching_the_network(make_plex, plex_mock):
    client = make_plex(fail_max=2, reset_timeout_s=30, cache_ttl_s=0)
    plex_mock.take_down()
    fail(client, 2)
    plex_mock.bring_up()
    plex_mock.journal.clear()
    with pytest.raises(CircuitOpenError) as caught:
        client.get_libraries()
    assert "Circuit breaker is OPEN" in str(caught.value) and "plex" in str(caught.value)
    assert caught.value.retry_after_s > 25
    assert plex_mock.journal.count() == 0
    assert client.breaker.metrics()["rejected"] == 1


def test_half_open_after_the_reset_timeout_then_closed_by_a_success(make_plex, plex_mock):
    client = make_plex(fail_max=1, reset_timeout_s=0.2, cache_ttl_s=0)
    plex_mock.faults.add_route_fault(SECTIONS, 503, times=3)
    fail(client, 1)
    assert client.breaker.state == "open"
    wait_until_half_open(client)
    assert client.breaker.metrics()["next_probe_at"] is not None
    assert client.get_libraries()[0]["title"] == "Movies"
    assert client.breaker.state == "closed"


def test_success_threshold_needs_that_many_successful_probes(make_plex, plex_mock):
    client = make_plex(fail_max=1, reset_timeout_s=0.2, success_threshold=2, cache_ttl_s=0)
    plex_mock.faults.add_route_fault(SECTIONS, 503, times=3)
    fail(client, 1)
    wait_until_half_open(client)
    client.get_libraries()
    assert client.breaker.state == "half-open"
    client.get_libraries()
    assert client.breaker.state == "closed"


def test_a_failed_probe_reopens_the_breaker(make_plex, plex_mock):
    client = make_plex(fail_max=1, reset_timeout_s=0.2, cache_ttl_s=0, retry_attempts=1)
    plex_mock.faults.add_route_fault(SECTIONS, 503, times=2)
    fail(client, 1)
    wait_until_half_open(client)
    fail(client, 1)
    assert client.breaker.state == "open"
    assert plex_mock.journal.count("GET", SECTIONS) == 2


def test_reset_all_closes_every_breaker_and_zeroes_counters(make_plex, plex_mock, breakers):
    client = make_plex(fail_max=1, cache_ttl_s=0)
    plex_mock.take_down()
    fail(client, 1)
    breakers.reset_all()
    metrics = breakers.all_metrics()["plex"]
    assert (metrics["state"], metrics["failures"], metrics["rejected"], metrics["last_failure"]) == ("closed", 0, 0, None)


def test_client_errors_never_trip_the_breaker(make_plex, plex_mock):
    client = make_plex(fail_max=1)
    for _ in range(3):
        with pytest.raises(RequestRejectedError):
            client.get_library_items(42)
    assert client.breaker.state == "closed" and client.breaker.metrics()["ignored"] == 3
    assert plex_mock.journal.count("GET", "/library/sections/42/all") == 3  # 4xx is not retried either


def test_a_401_between_503s_is_ignored_by_the_breaker(make_plex, plex_mock):
    client = make_plex(fail_max=3, cache_ttl_s=0, retry_attempts=1)
    plex_mock.faults.add_route_fault(SECTIONS, sequence=[503, 503, 401, 503])
    fail(client, 2)
    with pytest.raises(AuthenticationError):
        client.get_libraries()
    assert client.breaker.metrics()["consecutive_failures"] == 2
    fail(client, 1)
    assert client.breaker.state == "open"


# -- fallback --------------------------------------------------------------------------------
def test_stale_value_is_served_when_the_service_fails(make_plex, plex_mock):
    client = make_plex(cache_ttl_s=0, fail_max=5)
    fresh = client.get_libraries()
    plex_mock.take_down()
    stale = client.get_libraries()
    assert stale == fresh and stale.stale is True and client.last_call_stale is True


def test_stale_value_is_served_while_the_breaker_is_open_without_a_request(make_plex, plex_mock):
    client = make_plex(cache_ttl_s=0, fail_max=1, reset_timeout_s=30)
    client.get_library_items(1, limit=10)
    plex_mock.faults.add_route_fault("/library/sections/*", 503)
    assert client.get_library_items(1, limit=10).stale is True  # this failure opens the breaker
    assert client.breaker.state == "open"
    plex_mock.journal.clear()
    page = client.get_library_items(1, limit=10)
    assert page.stale is True and page["size"] == 10
    assert plex_mock.journal.count() == 0


def test_without_a_cached_value_the_typed_error_is_raised(make_plex, plex_mock):
    client = make_plex(cache_ttl_s=0)
    plex_mock.take_down()
    with pytest.raises(ServiceUnavailableError, match="connection refused"):
        client.get_libraries()


# -- retry -------------------------------------------------------------------------------------
def test_a_503_sequence_is_absorbed_by_retries(make_plex, plex_mock):
    client = make_plex(retry_attempts=3, cache_ttl_s=0)
    plex_mock.faults.add_route_fault(SECTIONS, sequence=[503, 503, 200])
    assert len(client.get_libraries()) == 2
    assert client.last_call_attempts == 3
    assert plex_mock.journal.count("GET", SECTIONS, status=503) == 2
    assert client.breaker.metrics()["failures"] == 0


def test_attempts_are_bounded(make_plex, plex_mock):
    client = make_plex(retry_attempts=4, cache_ttl_s=0, fail_max=10)
    plex_mock.faults.add_route_fault(SECTIONS, 502)
    with pytest.raises(ServiceUnavailableError, match="HTTP 502"):
        client.get_libraries()
    assert plex_mock.journal.count("GET", SECTIONS) == 4


def test_500_is_not_retried(make_plex, plex_mock):
    client = make_plex(retry_attempts=4, cache_ttl_s=0)
    plex_mock.faults.add_route_fault(SECTIONS, 500, times=1)
    with pytest.raises(ServiceUnavailableError, match="HTTP 500"):
        client.get_libraries()
    assert plex_mock.journal.count("GET", SECTIONS) == 1


def test_retry_after_of_a_429_is_honoured(make_plex, plex_mock):
    client = make_plex(retry_attempts=2, cache_ttl_s=0)
    plex_mock.faults.add_route_fault(SECTIONS, {"status": 429, "headers": {"Retry-After": "0.3"}}, times=1)
    started = time.monotonic()
    assert client.get_libraries()
    assert time.monotonic() - started >= 0.3  # waited at least what the server asked
    assert plex_mock.journal.count("GET", SECTIONS, status=429) == 1


def test_seeded_failure_rate_gives_the_same_retries_every_run(make_plex, plex_mock):
    def run() -> list[int]:
        plex_mock.journal.clear()
        plex_mock.faults.set_failure_rate(0.3, 503, seed=7)
        client = make_plex(retry_attempts=5, cache_ttl_s=0, fail_max=50)
        attempts = []
        for offset in range(0, 100, 10):
            assert client.get_library_items(1, offset=offset, limit=10)["size"] == 10
            attempts.append(client.last_call_attempts)
        return attempts

    first, second = run(), run()
    assert first == second
    assert sum(first) > 10  # some requests failed and were retried...
    assert plex_mock.journal.count(status=503) == sum(first) - 10  # ...and every retry answers one 503


# -- typed errors of connection faults ------------------------------------------------------------
@pytest.mark.parametrize("fault, error, text", [
    ("reset", ServiceUnavailableError, "connection reset"),
    ("hang", ServiceTimeoutError, "read timeout"),
    ("truncate", BadResponseError, "truncated body"),
    ("malformed", BadResponseError, "malformed"),
])
def test_each_connection_fault_gives_its_typed_error(make_plex, plex_mock, fault, error, text):
    client = make_plex(retry_attempts=1, read_timeout_s=0.3, cache_ttl_s=0)
    plex_mock.faults.add_route_fault(SECTIONS, fault)
    with pytest.raises(error, match=text) as caught:
        client.get_libraries()
    assert caught.value.service == "plex" and caught.value.operation == "get_libraries"
    assert client.breaker.metrics()["failures"] == 1
    plex_mock.faults.release_hangs()


def test_connection_refused_is_unavailable(make_plex, plex_mock):
    client = make_plex(retry_attempts=2)
    plex_mock.take_down()
    with pytest.raises(ServiceUnavailableError, match="connection refused") as caught:
        client.test_connection()
    assert not isinstance(caught.value, ServiceTimeoutError)
