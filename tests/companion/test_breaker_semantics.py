"""The breaker semantics, pinned case by case (see ``companion.breakers``' module doc).

A 4xx (and any error that says nothing about the service's health) is *ignored*:
neither success nor failure. Time is a virtual clock: production-size reset
timeouts pass by ``advance``.
"""

from __future__ import annotations

import pathlib
import threading
from datetime import datetime, timedelta, timezone

import pytest

from companion import (AuthenticationError, CircuitBreakerFactory, CircuitOpenError, RequestRejectedError,
                       ServiceUnavailableError)
from mockservers.core.clock import VirtualClock

RESET_S = 30.0


def unavailable():
    raise ServiceUnavailableError("plex", "op", "HTTP 503 from GET /", status=503)


def unauthorized():
    raise AuthenticationError("plex", "op", "credentials rejected (HTTP 401 from GET /)", status=401)


def not_found():
    raise RequestRejectedError("plex", "op", "HTTP 404 from GET /x", status=404)


def ok():
    return "ok"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


class StillWallClock(VirtualClock):
    """A VirtualClock whose wall-clock part stands still: only ``advance`` moves it (exact remaining times)."""

    def __init__(self) -> None:
        super().__init__()
        self._wall_monotonic, self._wall_time = VirtualClock.monotonic(self), VirtualClock.time(self)

    def monotonic(self) -> float:
        return self._wall_monotonic + self.advanced_s

    def time(self) -> float:
        return self._wall_time + self.advanced_s

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), timezone.utc)


@pytest.fixture
def breaker(clock):
    return CircuitBreakerFactory(clock=clock).create("plex", fail_max=3, reset_timeout=RESET_S)


def outcome(breaker, func):
    """Run one call; return its result or the type of its error."""
    try:
        return breaker.call("op", func)
    except Exception as exc:  # noqa: BLE001 - the test looks at which error it was
        return type(exc)


def open_it(breaker):
    for _ in range(breaker.fail_max):
        outcome(breaker, unavailable)
    assert breaker.state == "open"


def half_open(breaker, clock):
    open_it(breaker)
    clock.advance(RESET_S)
    assert breaker.state == "half-open"


# -- closed -------------------------------------------------------------------------------
@pytest.mark.parametrize("ignored", [unauthorized, not_found], ids=["401", "404"])
def test_a_4xx_leaves_the_consecutive_failure_count_unchanged(breaker, ignored):
    outcome(breaker, unavailable)
    outcome(breaker, unavailable)
    assert outcome(breaker, ignored) in (AuthenticationError, RequestRejectedError)
    metrics = breaker.metrics()
    assert (metrics["state"], metrics["consecutive_failures"], metrics["ignored"]) == ("closed", 2, 1)
    outcome(breaker, unavailable)  # the third *failure* opens it: the 4xx in between changed nothing
    metrics = breaker.metrics()
    assert (metrics["state"], metrics["failures"], metrics["successes"], metrics["ignored"]) == ("open", 3, 0, 1)


def test_a_success_resets_the_consecutive_failure_count(breaker):
    for func in (unavailable, unavailable, ok, unavailable):
        outcome(breaker, func)
    metrics = breaker.metrics()
    assert (metrics["state"], metrics["consecutive_failures"], metrics["successes"]) == ("closed", 1, 1)


def test_an_error_that_is_not_about_the_service_is_ignored_too(breaker):
    outcome(breaker, unavailable)
    outcome(breaker, unavailable)
    with pytest.raises(KeyError):
        breaker.call("op", lambda: {}["bug"])
    assert breaker.metrics()["consecutive_failures"] == 2 and breaker.metrics()["ignored"] == 1


def test_the_caller_gets_its_own_error_with_its_own_traceback(breaker):
    with pytest.raises(ServiceUnavailableError) as caught:
        breaker.call("op", unavailable)
    assert caught.value.__context__ is None
    frames = []
    tb = caught.value.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert frames[-1] == "unavailable" and "replay" not in frames


# -- open ---------------------------------------------------------------------------------
def test_open_fails_fast_until_the_reset_timeout_has_passed_on_the_clock():
    clock = StillWallClock()  # "in 1.00s" exactly, however busy the machine
    breaker = CircuitBreakerFactory(clock=clock).create("plex", fail_max=3, reset_timeout=RESET_S)
    open_it(breaker)
    calls = []
    clock.advance(RESET_S - 1)
    with pytest.raises(CircuitOpenError, match=r"Circuit breaker is OPEN for plex.*next probe allowed in 1\.00s"):
        breaker.call("op", lambda: calls.append(1))
    assert calls == [] and breaker.metrics()["rejected"] == 1 and breaker.retry_after_s() == pytest.approx(1, abs=.01)
    clock.advance(1)
    assert breaker.state == "half-open" and breaker.retry_after_s() == 0


def test_metrics_report_when_it_opened_and_when_it_will_probe_on_the_clock(breaker, clock):
    clock.advance(3600)  # an hour ahead of the wall clock
    open_it(breaker)
    metrics = breaker.metrics()

    def moment(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    assert abs((moment(metrics["opened_at"]) - clock.now()).total_seconds()) < 5
    assert moment(metrics["next_probe_at"]) - moment(metrics["opened_at"]) == timedelta(seconds=RESET_S)
    assert abs((moment(metrics["last_failure"]["time"]) - clock.now()).total_seconds()) < 5


# -- half-open ----------------------------------------------------------------------------
def test_a_successful_probe_closes_the_breaker(breaker, clock):
    half_open(breaker, clock)
    assert outcome(breaker, ok) == "ok"
    assert breaker.state == "closed" and breaker.metrics()["consecutive_failures"] == 0


def test_a_failed_probe_reopens_the_breaker_for_a_new_reset_timeout(breaker, clock):
    half_open(breaker, clock)
    assert outcome(breaker, unavailable) is ServiceUnavailableError
    assert breaker.state == "open" and breaker.retry_after_s() == pytest.approx(RESET_S, abs=0.01)


@pytest.mark.parametrize("ignored", [unauthorized, not_found], ids=["401", "404"])
def test_a_4xx_answering_a_probe_leaves_the_breaker_half_open_and_the_next_call_probes(breaker, clock, ignored):
    half_open(breaker, clock)
    assert outcome(breaker, ignored) in (AuthenticationError, RequestRejectedError)
    metrics = breaker.metrics()
    assert (metrics["state"], metrics["probes_in_flight"], metrics["ignored"], metrics["successes"]) == (
        "half-open", 0, 1, 0)
    assert outcome(breaker, ok) == "ok"  # the freed slot: this call is the probe, and it closes the breaker
    assert breaker.state == "closed"


def test_success_threshold_needs_that_many_successful_probes(clock):
    breaker = CircuitBreakerFactory(clock=clock).create("plex", fail_max=1, reset_timeout=RESET_S,
                                                        success_threshold=2)
    outcome(breaker, unavailable)
    clock.advance(RESET_S)
    outcome(breaker, ok)
    assert breaker.state == "half-open"
    outcome(breaker, ok)
    assert breaker.state == "closed"


def test_reset_closes_and_zeroes_every_counter(breaker):
    open_it(breaker)
    outcome(breaker, ok)
    breaker.reset()
    metrics = breaker.metrics()
    assert (metrics["state"], metrics["failures"], metrics["rejected"], metrics["ignored"],
            metrics["consecutive_failures"], metrics["last_failure"]) == ("closed", 0, 0, 0, 0, None)


# -- concurrency bookkeeping --------------------------------------------------------------
def test_an_outcome_from_before_the_breaker_opened_is_outdated_and_changes_nothing(breaker, clock):
    started, release = threading.Event(), threading.Event()
    results = []

    def slow_success():
        started.set()
        release.wait(5)
        return "late"

    worker = threading.Thread(target=lambda: results.append(outcome(breaker, slow_success)))
    worker.start()
    assert started.wait(5)
    half_open(breaker, clock)  # opened by other callers meanwhile, and its timeout has passed
    release.set()
    worker.join(5)
    assert results == ["late"]  # the caller still gets its answer ...
    metrics = breaker.metrics()
    assert (metrics["state"], metrics["outdated"], metrics["successes"]) == ("half-open", 1, 0)  # ... nothing closed


# -- the breaker speaks pybreaker's public API only ----------------------------------------
def test_the_companion_reads_no_private_attribute_of_pybreaker():
    source = (pathlib.Path(__file__).parents[2] / "libraries" / "companion" / "breakers.py").read_text()
    for private in ("_state_storage", "._lock", "_state.", "_handle_error", "_inc_counter", "._listeners"):
        assert private not in source.replace("self._lock", "").replace("self._books", ""), private
