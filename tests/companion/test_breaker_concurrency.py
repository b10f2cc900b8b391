"""Calls through one breaker run concurrently; half-open admits exactly the probes the settings allow.

No wall-clock assertion: a barrier inside the call proves that the calls are in
flight at the same time (serialised calls would break it).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from companion import CircuitBreakerFactory, CircuitOpenError, ServiceUnavailableError
from mockservers.core.clock import VirtualClock

CALLERS = 8
WAIT = 10.0


def run_together(func, callers=CALLERS):
    """``func()`` from ``callers`` threads released at the same moment; each result or error type."""
    start = threading.Barrier(callers, timeout=WAIT)

    def one():
        start.wait()
        try:
            return func()
        except Exception as exc:  # noqa: BLE001 - the test counts outcomes
            return exc

    with ThreadPoolExecutor(callers) as pool:
        return list(pool.map(lambda _: one(), range(callers)))


def test_eight_calls_through_one_breaker_are_in_flight_at_once():
    breaker = CircuitBreakerFactory().create("plex", fail_max=3)
    in_flight = threading.Barrier(CALLERS, timeout=WAIT)  # passes only when all 8 are inside the call together

    def call():
        in_flight.wait()
        return "ok"

    assert run_together(lambda: breaker.call("op", call)) == ["ok"] * CALLERS
    assert breaker.metrics()["successes"] == CALLERS


@pytest.mark.parametrize("success_threshold", [1, 3])
def test_half_open_admits_exactly_the_probes_still_needed_however_many_callers_arrive(success_threshold):
    clock = VirtualClock()
    breaker = CircuitBreakerFactory(clock=clock).create("plex", fail_max=1, reset_timeout=30,
                                                        success_threshold=success_threshold)
    with pytest.raises(ServiceUnavailableError):
        breaker.call("op", lambda: (_ for _ in ()).throw(ServiceUnavailableError("plex", "op", "down")))
    clock.advance(30)
    assert breaker.state == "half-open"
    release = threading.Event()
    probes = []

    def probe():
        probes.append(1)
        assert release.wait(WAIT)
        return "probe ok"

    outcomes = []
    worker = threading.Thread(target=lambda: outcomes.extend(run_together(lambda: breaker.call("op", probe))))
    worker.start()
    # the probes stay inside the call until released: every other caller must have been refused by then
    refused_expected = CALLERS - success_threshold
    deadline = time.monotonic() + WAIT
    while breaker.metrics()["rejected"] < refused_expected and time.monotonic() < deadline:
        time.sleep(0.002)
    assert breaker.metrics()["probes_in_flight"] == success_threshold
    release.set()
    worker.join(WAIT)
    refused = [o for o in outcomes if isinstance(o, CircuitOpenError)]
    assert len(probes) == success_threshold and outcomes.count("probe ok") == success_threshold
    assert len(refused) == refused_expected
    assert f"half-open, {success_threshold} probe(s) in flight" in str(refused[0])
    assert breaker.state == "closed"


def test_concurrent_failures_open_the_breaker_once_and_the_rest_are_outdated():
    breaker = CircuitBreakerFactory().create("plex", fail_max=3, reset_timeout=30)
    in_flight = threading.Barrier(CALLERS, timeout=WAIT)

    def fail():
        in_flight.wait()
        raise ServiceUnavailableError("plex", "op", "HTTP 503", status=503)

    outcomes = run_together(lambda: breaker.call("op", fail))
    assert all(isinstance(o, ServiceUnavailableError) and not isinstance(o, CircuitOpenError) for o in outcomes)
    metrics = breaker.metrics()
    assert (metrics["state"], metrics["failures"], metrics["outdated"]) == ("open", 3, CALLERS - 3)
