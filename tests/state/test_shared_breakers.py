"""Two workers, one breaker: two ``CircuitBreakerFactory``s on one store (each with its own pybreaker).

"memory": both on one ``MemoryStore`` (two sets of breakers in one process); "redis": each worker
its own connection to a real Redis, as two processes would have. The clock is virtual, the
settings production-size (30 s reset timeout).
"""

from __future__ import annotations

import threading

import pytest

from companion import CircuitBreakerFactory, CircuitOpenError, RequestRejectedError, ServiceUnavailableError
from companion.state import MemoryStore

RESET_S = 30.0


def unavailable():
    raise ServiceUnavailableError("plex", "op", "HTTP 503 from GET /", status=503)


def ok():
    return "ok"


@pytest.fixture(params=["memory", "redis"])
def workers(request, redis_store, clock):
    """Worker A's and worker B's ``plex`` breaker, sharing one store."""
    if request.param == "memory":
        shared = MemoryStore()
        stores = (shared, shared)
    else:
        stores = (redis_store(), redis_store())
    return tuple(CircuitBreakerFactory(clock=clock, store=store).create("plex", fail_max=3, reset_timeout=RESET_S)
                 for store in stores)


def outcome(breaker, func):
    try:
        return breaker.call("op", func)
    except Exception as exc:  # noqa: BLE001 - the test looks at which error it was
        return type(exc)


def test_a_breaker_opened_through_worker_a_fails_fast_in_worker_b_without_calling(workers):
    a, b = workers
    for _ in range(3):
        outcome(a, unavailable)
    calls = []
    assert outcome(b, lambda: calls.append(1)) is CircuitOpenError
    assert calls == []  # nothing reached the service from B
    metrics = b.metrics()
    assert (metrics["state"], metrics["failures"], metrics["rejected"]) == ("open", 3, 1)
    assert metrics["last_failure"]["error"] == "plex op failed: HTTP 503 from GET /"


def test_failures_in_both_workers_count_toward_one_fail_max(workers):
    a, b = workers
    outcome(a, unavailable)
    outcome(b, unavailable)
    assert a.state == "closed"
    outcome(a, unavailable)
    assert (a.state, b.state, b.metrics()["consecutive_failures"]) == ("open", "open", 3)


def test_a_success_in_one_worker_resets_the_consecutive_failures_of_both(workers):
    a, b = workers
    outcome(a, unavailable)
    outcome(a, unavailable)
    assert outcome(b, ok) == "ok"
    outcome(a, unavailable)
    assert (a.state, a.metrics()["consecutive_failures"]) == ("closed", 1)


def test_a_4xx_in_one_worker_is_ignored_by_both(workers):
    a, b = workers
    outcome(a, unavailable)
    outcome(a, unavailable)
    outcome(b, lambda: (_ for _ in ()).throw(RequestRejectedError("plex", "op", "HTTP 404", status=404)))
    assert (a.metrics()["consecutive_failures"], a.metrics()["ignored"]) == (2, 1)


def test_after_the_reset_timeout_exactly_one_probe_runs_across_both_workers(workers, clock):
    a, b = workers
    for _ in range(3):
        outcome(a, unavailable)
    clock.advance(RESET_S)
    started, release = threading.Event(), threading.Event()
    probes = []

    def probe():
        probes.append(1)
        started.set()
        release.wait(5)
        return "ok"

    prober = threading.Thread(target=lambda: outcome(a, probe))
    prober.start()
    assert started.wait(5)
    assert [outcome(worker, probe) for worker in (b, a, b)] == [CircuitOpenError] * 3
    assert (b.metrics()["probes_in_flight"], b.state) == (1, "half-open")
    release.set()
    prober.join(5)
    assert probes == [1] and (a.state, b.state) == ("closed", "closed")
    assert outcome(b, ok) == "ok"


def test_a_failed_probe_in_one_worker_reopens_for_both_with_a_new_timeout(workers, clock):
    a, b = workers
    for _ in range(3):
        outcome(a, unavailable)
    clock.advance(RESET_S)
    assert outcome(b, unavailable) is ServiceUnavailableError  # B's call is the probe, and it fails
    assert a.state == "open" and 29 < a.retry_after_s() <= 30
    clock.advance(RESET_S)
    assert outcome(a, ok) == "ok" and b.state == "closed"


def test_success_threshold_two_admits_two_probes_across_workers(redis_store, clock):
    a, b = (CircuitBreakerFactory(clock=clock, store=redis_store()).create(
        "plex", fail_max=1, reset_timeout=RESET_S, success_threshold=2) for _ in range(2))
    outcome(a, unavailable)
    clock.advance(RESET_S)
    assert outcome(a, ok) == "ok" and b.state == "half-open"  # one success of two
    assert outcome(b, ok) == "ok" and a.state == "closed"


def test_an_outcome_admitted_before_another_worker_opened_the_breaker_is_outdated(workers):
    a, b = workers
    started, release = threading.Event(), threading.Event()

    def slow_success():
        started.set()
        release.wait(5)
        return "late"

    results = []
    caller = threading.Thread(target=lambda: results.append(outcome(a, slow_success)))
    caller.start()
    assert started.wait(5)
    for _ in range(3):
        outcome(b, unavailable)
    release.set()
    caller.join(5)
    metrics = b.metrics()
    assert results == ["late"] and (metrics["state"], metrics["outdated"], metrics["successes"]) == ("open", 1, 0)


def test_a_reset_in_one_worker_closes_the_breaker_for_both(workers):
    a, b = workers
    for _ in range(3):
        outcome(a, unavailable)
    b.reset()
    assert a.metrics()["state"] == "closed" and a.metrics()["failures"] == 0 and outcome(a, ok) == "ok"


def test_a_probe_whose_worker_died_frees_its_slot_after_its_lease(workers, clock):
    a, b = workers
    for _ in range(3):
        outcome(a, unavailable)
    clock.advance(RESET_S)
    # worker A admits a probe and dies before its outcome: the slot stays taken ...
    a._admit("op")  # noqa: SLF001 - the admission of a call whose worker then dies
    assert outcome(b, ok) is CircuitOpenError
    clock.advance(a.probe_lease_s)  # ... until its lease runs out
    assert outcome(b, ok) == "ok" and a.state == "closed"


def test_a_state_set_by_another_worker_is_noticed_here_and_told_to_this_worker_listeners(workers, clock):
    a, b = workers
    heard = []

    class Listener:
        def __getattr__(self, name):
            return lambda *args: None

        def state_change(self, cb, old, new):
            heard.append((old.name, new.name))

    b.add_listener(Listener())
    for _ in range(3):
        outcome(a, unavailable)
    clock.advance(RESET_S)
    assert outcome(b, ok) == "ok"  # B's probe: its pybreaker first notices that A opened the breaker
    assert heard == [("closed", "open"), ("open", "half-open"), ("half-open", "closed")]
    assert b.metrics()["failures"] == 3  # noticing counted nothing twice
