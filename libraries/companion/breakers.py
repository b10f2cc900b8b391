"""Circuit breakers on pybreaker: one per service, held in a :class:`CircuitBreakerFactory`.

What an outcome does (the semantics the tests in ``tests/companion`` pin):

=======================  ====================================  ==================================
outcome of a call        closed                                half-open (a probe)
=======================  ====================================  ==================================
success                  consecutive failures back to 0        counts toward ``success_threshold``;
                                                               closes the breaker when reached
failure (unavailable,    consecutive failures + 1; the         re-opens the breaker (a new
timeout, 5xx, bad        ``fail_max``-th opens the breaker     reset timeout starts)
response)
*ignored*: 401/403,      nothing: the count stays as it was    nothing: the breaker stays half-open,
other 4xx, any other     (two 503s, a 401, a 503 open it       the probe slot is freed and the next
error (a bug)            with ``fail_max`` 3)                  call probes
=======================  ====================================  ==================================

"Ignored" is resilience4j's ``ignoreExceptions``: neither success nor failure.
(pybreaker's own ``exclude`` would count such an error as a *success*, resetting
the count and closing a half-open breaker; it is not used.) Metrics count each
kind separately: ``successes``, ``failures``, ``ignored``, and ``rejected``
(calls refused with :class:`CircuitOpenError`, no network traffic).

Open: every call fails fast with :class:`CircuitOpenError` until
``reset_timeout`` has passed on the breaker's clock; then the breaker is
*half-open* and admits as many concurrent probes as successes are still needed
to close it (``success_threshold`` minus the successes so far; with the default
1, exactly one probe), however many callers arrive at once; the others fail
fast. pybreaker moves open -> half-open only when a call arrives, so
:attr:`ServiceBreaker.state` reports the *effective* state (open with the
timeout elapsed reads ``half-open``).

Concurrency: the call itself runs outside any lock, so calls through one
breaker run in parallel. The bookkeeping stays in pybreaker - its state storage
(state, counters, ``opened_at``), its state machine and its listeners: a short
lock admits the call, and its outcome is then handed to pybreaker's
``CircuitBreaker.call`` (which re-raises or returns it). An outcome that arrives
after the breaker changed state since the call was admitted (other callers'
failures opened it, or it was reset) belongs to a state that is gone: it is
counted as ``outdated`` and changes nothing.

Time: the storage is a :class:`ClockStorage` (a ``CircuitMemoryStorage`` whose
``opened_at`` follows a :class:`~companion.clock.Clock`), so a virtual clock
moved by 30 s lets a breaker with a 30 s reset timeout probe at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, TypeVar

import pybreaker

from .clock import SYSTEM_CLOCK, Clock
from .errors import BadResponseError, CircuitOpenError, ServiceUnavailableError
from .timeutil import iso_utc

__all__ = ["CircuitBreakerFactory", "ServiceBreaker", "ClockStorage", "CLOSED", "OPEN", "HALF_OPEN",
           "trips_breaker"]

CLOSED, OPEN, HALF_OPEN = pybreaker.STATE_CLOSED, pybreaker.STATE_OPEN, pybreaker.STATE_HALF_OPEN
T = TypeVar("T")


def trips_breaker(error: BaseException) -> bool:
    """Does this failure count against the service's health? (Everything else is ignored.)"""
    return isinstance(error, (ServiceUnavailableError, BadResponseError)) and not isinstance(error, CircuitOpenError)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso_utc(moment)


def _check_options(name: str, fail_max: int, reset_timeout: float, success_threshold: int) -> None:
    if fail_max < 1 or success_threshold < 1 or not reset_timeout > 0:
        raise ValueError(f"breaker {name!r}: fail_max and success_threshold must be >= 1 and reset_timeout > 0, "
                         f"got fail_max={fail_max!r}, reset_timeout={reset_timeout!r}, "
                         f"success_threshold={success_threshold!r}")


class ClockStorage(pybreaker.CircuitMemoryStorage):
    """pybreaker's in-memory storage, with ``opened_at`` read from a clock.

    pybreaker sets ``opened_at = datetime.now(UTC)`` when it opens and, when a
    call arrives, compares ``datetime.now(UTC)`` with ``opened_at + reset_timeout``.
    This storage records the moment on ``clock`` instead and reports it in the
    wall-clock frame pybreaker compares in: earlier by however far ``clock`` has
    moved since, so pybreaker's own check agrees with :meth:`open_for_s`.
    """

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__(CLOSED)
        self.clock = clock
        self._opened_on_clock: datetime | None = None
        self._opened_monotonic: float | None = None

    @property
    def opened_at(self) -> datetime | None:
        elapsed = self.open_for_s()
        return None if elapsed is None else datetime.now(timezone.utc) - timedelta(seconds=elapsed)

    @opened_at.setter
    def opened_at(self, _wall_clock_moment: datetime) -> None:
        self._opened_on_clock = self.clock.now()
        self._opened_monotonic = self.clock.monotonic()

    @property
    def opened_on_clock(self) -> datetime | None:
        """When the breaker last opened, on the clock (what metrics report)."""
        return self._opened_on_clock

    def open_for_s(self) -> float | None:
        """Seconds of the clock since the breaker last opened (None if it never did)."""
        if self._opened_monotonic is None:
            return None
        return max(0.0, self.clock.monotonic() - self._opened_monotonic)


class _Bookkeeping(pybreaker.CircuitBreakerListener):
    """Counts what pybreaker reports (the listener is the only writer of these) and numbers its states."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.state_number = 0  # + 1 at every state change pybreaker reports
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.failures = 0
            self.successes = 0
            self.rejected = 0
            self.ignored = 0
            self.outdated = 0
            self.last_failure: dict[str, str | None] | None = None

    def failure(self, cb: pybreaker.CircuitBreaker, exc: BaseException) -> None:
        with self.lock:
            self.failures += 1
            self.last_failure = {"time": iso_utc(self.clock.now()), "error": str(exc)}

    def success(self, cb: pybreaker.CircuitBreaker) -> None:
        with self.lock:
            self.successes += 1

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        with self.lock:
            self.state_number += 1

    def count(self, counter: str) -> None:
        with self.lock:
            setattr(self, counter, getattr(self, counter) + 1)


@dataclass(frozen=True)
class _Admission:
    """A call let through: in which breaker state (its number) and whether as a half-open probe."""

    state_number: int
    probe: bool


class ServiceBreaker:
    """One service's circuit breaker: run calls through :meth:`call`, read :meth:`metrics` (see the module doc)."""

    def __init__(self, name: str, *, fail_max: int = 5, reset_timeout: float = 30.0,
                 success_threshold: int = 1, clock: Clock = SYSTEM_CLOCK) -> None:
        _check_options(name, fail_max, reset_timeout, success_threshold)
        self.name = name
        self.clock = clock
        self._storage = ClockStorage(clock)
        self._books = _Bookkeeping(clock)
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max, reset_timeout=reset_timeout, success_threshold=success_threshold,
            listeners=[self._books], state_storage=self._storage, name=name, throw_new_error_on_trip=False)
        self._lock = threading.Lock()  # admission and settling; never held during a call
        self._probes_in_flight = 0
        self._probes_state_number = -1

    # -- calls -------------------------------------------------------------------------
    def call(self, operation: str, func: Callable[[], T]) -> T:
        """Run ``func`` as one logical call (outside any lock); fail fast with :class:`CircuitOpenError`."""
        admission = self._admit(operation)
        try:
            result = func()
        except BaseException as error:
            self._settle(admission, error)
            raise
        self._settle(admission, None)
        return result

    def _admit(self, operation: str) -> _Admission:
        with self._lock:
            state = self._breaker.current_state
            if state == OPEN:
                wait = self._retry_after_s()
                if wait > 0:
                    return self._reject(operation, wait, "")
                self._breaker.half_open()  # pybreaker's own transition: listeners hear it
                state = HALF_OPEN
            number = self._books.state_number
            if state != HALF_OPEN:
                return _Admission(number, probe=False)
            if self._probes_state_number != number:
                self._probes_state_number, self._probes_in_flight = number, 0
            if self._probes_in_flight >= self._probe_slots():
                return self._reject(operation, None, f"half-open, {self._probes_in_flight} probe(s) in flight")
            self._probes_in_flight += 1
            return _Admission(number, probe=True)

    def _reject(self, operation: str, retry_after_s: float | None, why: str) -> Any:
        self._books.count("rejected")
        raise CircuitOpenError(self.name, operation, retry_after_s, why=why)

    def _probe_slots(self) -> int:
        return max(1, self._breaker.success_threshold - self._breaker.success_counter)

    def _settle(self, admission: _Admission, error: BaseException | None) -> None:
        with self._lock:
            current = self._books.state_number == admission.state_number
            if admission.probe and self._probes_state_number == admission.state_number:
                self._probes_in_flight -= 1
            if error is not None and not trips_breaker(error):
                self._books.count("ignored")
            elif not current:
                self._books.count("outdated")
            else:
                self._record(error)

    def _record(self, error: BaseException | None) -> None:
        """Hand the outcome to pybreaker's state machine (counters, transitions, listeners)."""
        if error is None:
            self._breaker.call(lambda: None)
            return
        traceback, context = error.__traceback__, error.__context__

        def replay() -> None:
            raise error

        try:
            self._breaker.call(replay)
        except BaseException as raised:  # noqa: BLE001 - pybreaker re-raises the replayed error
            if raised is not error:
                raise
        finally:
            error.__traceback__, error.__context__ = traceback, context

    def configure(self, *, fail_max: int | None = None, reset_timeout: float | None = None,
                  success_threshold: int | None = None) -> None:
        """Change the thresholds in place (None keeps a value); state and counters stay."""
        fail_max = self.fail_max if fail_max is None else fail_max
        reset_timeout = self.reset_timeout if reset_timeout is None else reset_timeout
        success_threshold = self.success_threshold if success_threshold is None else success_threshold
        _check_options(self.name, fail_max, reset_timeout, success_threshold)
        with self._lock:
            self._breaker.fail_max = fail_max
            self._breaker.reset_timeout = reset_timeout
            self._breaker.success_threshold = success_threshold

    def reset(self) -> None:
        """Closed, counters zeroed; outcomes of calls still running are then outdated."""
        with self._lock:
            self._breaker.close()
            self._books.reset()

    # -- state -------------------------------------------------------------------------
    @property
    def fail_max(self) -> int:
        return self._breaker.fail_max

    @property
    def reset_timeout(self) -> float:
        return self._breaker.reset_timeout

    @property
    def success_threshold(self) -> int:
        return self._breaker.success_threshold

    def _opened_at(self) -> datetime | None:
        """When the breaker last opened (on its clock), while it is not closed."""
        if self._breaker.current_state == CLOSED:
            return None
        return self._storage.opened_on_clock

    def _retry_after_s(self) -> float:
        elapsed = self._storage.open_for_s()
        return 0.0 if elapsed is None else max(0.0, self.reset_timeout - elapsed)

    def retry_after_s(self) -> float | None:
        """Seconds until an open breaker lets a probe through (0 when it would now), None when not open."""
        if self._breaker.current_state != OPEN:
            return None
        return self._retry_after_s()

    def _next_probe_at(self) -> datetime | None:
        opened = self._opened_at()
        if opened is None or self._breaker.current_state != OPEN:
            return None
        return opened + timedelta(seconds=self.reset_timeout)

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open`` (open with the reset timeout elapsed counts as half-open)."""
        raw = self._breaker.current_state
        if raw == OPEN and self._retry_after_s() == 0:
            return HALF_OPEN
        return raw

    @property
    def probes_in_flight(self) -> int:
        """Half-open probes admitted and still running."""
        with self._lock:
            number = self._books.state_number
            return self._probes_in_flight if self._probes_state_number == number else 0

    def metrics(self) -> dict[str, Any]:
        """State and counters; see :meth:`CircuitBreakerFactory.all_metrics`."""
        b = self._books
        with b.lock:
            counters = {"failures": b.failures, "successes": b.successes, "rejected": b.rejected,
                        "ignored": b.ignored, "outdated": b.outdated,
                        "last_failure": dict(b.last_failure) if b.last_failure else None}
        return {"name": self.name, "state": self.state, **counters, "opened_at": _iso(self._opened_at()),
                "consecutive_failures": self._breaker.fail_counter,
                "next_probe_at": _iso(self._next_probe_at()), "probes_in_flight": self.probes_in_flight,
                "fail_max": self.fail_max, "reset_timeout_s": self.reset_timeout,
                "success_threshold": self.success_threshold}

    def __repr__(self) -> str:
        return f"<ServiceBreaker {self.name} {self.state}>"


class CircuitBreakerFactory:
    """The registry of breakers, one per service name; every breaker reads time from ``clock``."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._breakers: dict[str, ServiceBreaker] = {}

    def create(self, name: str, fail_max: int = 5, reset_timeout: float = 30.0,
               success_threshold: int = 1) -> ServiceBreaker:
        """A new breaker; a name already registered is an error."""
        with self._lock:
            if name in self._breakers:
                raise ValueError(f"a circuit breaker named {name!r} already exists")
            breaker = ServiceBreaker(name, fail_max=fail_max, reset_timeout=reset_timeout,
                                     success_threshold=success_threshold, clock=self.clock)
            self._breakers[name] = breaker
            return breaker

    def get(self, name: str) -> ServiceBreaker:
        with self._lock:
            try:
                return self._breakers[name]
            except KeyError:
                known = ", ".join(sorted(self._breakers)) or "none"
                raise KeyError(f"no circuit breaker named {name!r}; known: {known}") from None

    def get_or_create(self, name: str, **options: Any) -> ServiceBreaker:
        """The registered breaker (its settings unchanged: see :meth:`configure`), or a new one with ``options``."""
        with self._lock:
            if name in self._breakers:
                return self._breakers[name]
        try:
            return self.create(name, **options)
        except ValueError:
            return self.get(name)

    def configure(self, name: str, **options: Any) -> ServiceBreaker:
        """Change a registered breaker's ``fail_max`` / ``reset_timeout`` / ``success_threshold``."""
        breaker = self.get(name)
        breaker.configure(**options)
        return breaker

    @property
    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._breakers)

    def reset_all(self) -> None:
        """Every breaker closed with zeroed counters."""
        with self._lock:
            breakers = list(self._breakers.values())
        for breaker in breakers:
            breaker.reset()

    def all_metrics(self) -> dict[str, dict[str, Any]]:
        """``{name: {name, state, failures, successes, rejected, ignored, outdated, last_failure {time, error} |
        None, opened_at, consecutive_failures, next_probe_at, probes_in_flight, fail_max, reset_timeout_s,
        success_threshold}}``."""
        with self._lock:
            breakers = list(self._breakers.values())
        return {breaker.name: breaker.metrics() for breaker in breakers}
