"""Circuit breakers on pybreaker: one per service, held in a :class:`CircuitBreakerFactory`.

Only failures that say "the service is not healthy" trip a breaker
(:class:`ServiceUnavailableError`, which includes timeouts, and
:class:`BadResponseError`); authentication failures and other 4xx are the
caller's problem and leave it alone. The breaker is opened by the
``fail_max``-th consecutive failure; that call still raises its own error, the
following ones raise :class:`CircuitOpenError` without touching the network.

pybreaker moves open -> half-open only when a call arrives after
``reset_timeout``; :attr:`ServiceBreaker.state` reports the *effective* state
(open with the timeout elapsed = ``half-open``, a probe is allowed).
pybreaker serialises calls through one breaker (it holds a lock around the
call) and counts consecutive failures only.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any, Callable, TypeVar

import pybreaker

from .errors import BadResponseError, CircuitOpenError, ServiceUnavailableError
from .timeutil import iso_utc, utc_now

__all__ = ["CircuitBreakerFactory", "ServiceBreaker", "CLOSED", "OPEN", "HALF_OPEN", "trips_breaker"]

CLOSED, OPEN, HALF_OPEN = pybreaker.STATE_CLOSED, pybreaker.STATE_OPEN, pybreaker.STATE_HALF_OPEN
T = TypeVar("T")


def trips_breaker(error: BaseException) -> bool:
    """Does this failure count against the service's health?"""
    return isinstance(error, (ServiceUnavailableError, BadResponseError)) and not isinstance(error, CircuitOpenError)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso_utc(moment)


def _check_options(name: str, fail_max: int, reset_timeout: float, success_threshold: int) -> None:
    if fail_max < 1 or success_threshold < 1 or reset_timeout <= 0:
        raise ValueError(f"breaker {name!r}: fail_max and success_threshold must be >= 1 and reset_timeout > 0, "
                         f"got fail_max={fail_max!r}, reset_timeout={reset_timeout!r}, "
                         f"success_threshold={success_threshold!r}")


class _Metrics(pybreaker.CircuitBreakerListener):
    """Counts what pybreaker reports; the listener is the only writer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.failures = 0
            self.successes = 0
            self.rejected = 0
            self.last_failure: dict[str, str | None] | None = None

    def failure(self, cb: pybreaker.CircuitBreaker, exc: BaseException) -> None:
        with self.lock:
            self.failures += 1
            self.last_failure = {"time": iso_utc(utc_now()), "error": str(exc)}

    def success(self, cb: pybreaker.CircuitBreaker) -> None:
        with self.lock:
            self.successes += 1

    def count_rejected(self) -> None:
        with self.lock:
            self.rejected += 1


class ServiceBreaker:
    """One service's circuit breaker: run calls through :meth:`call`, read :meth:`metrics`."""

    def __init__(self, name: str, *, fail_max: int = 5, reset_timeout: float = 30.0,
                 success_threshold: int = 1) -> None:
        _check_options(name, fail_max, reset_timeout, success_threshold)
        self.name = name
        self._metrics = _Metrics()
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max, reset_timeout=reset_timeout, success_threshold=success_threshold,
            exclude=[lambda error: not trips_breaker(error)], listeners=[self._metrics], name=name,
            throw_new_error_on_trip=False)

    # -- calls -------------------------------------------------------------------------
    def call(self, operation: str, func: Callable[[], T]) -> T:
        """Run ``func`` as one logical call; fail fast with :class:`CircuitOpenError` while open."""
        try:
            return self._breaker.call(func)
        except pybreaker.CircuitBreakerError:
            self._metrics.count_rejected()
            raise CircuitOpenError(self.name, operation, self.retry_after_s()) from None

    def configure(self, *, fail_max: int | None = None, reset_timeout: float | None = None,
                  success_threshold: int | None = None) -> None:
        """Change the thresholds in place (None keeps a value); state and counters stay."""
        fail_max = self.fail_max if fail_max is None else fail_max
        reset_timeout = self.reset_timeout if reset_timeout is None else reset_timeout
        success_threshold = self.success_threshold if success_threshold is None else success_threshold
        _check_options(self.name, fail_max, reset_timeout, success_threshold)
        self._breaker.fail_max = fail_max
        self._breaker.reset_timeout = reset_timeout
        self._breaker.success_threshold = success_threshold

    def reset(self) -> None:
        """Closed, counters zeroed."""
        self._breaker.close()
        self._metrics.reset()

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
        """When the breaker last opened, while it is not closed (pybreaker keeps it in its storage only)."""
        if self._breaker.current_state == CLOSED:
            return None
        return self._breaker._state_storage.opened_at

    def _next_probe_at(self) -> datetime | None:
        if self._breaker.current_state != OPEN:
            return None
        opened_at = self._opened_at()
        return opened_at + timedelta(seconds=self.reset_timeout) if opened_at else None

    def retry_after_s(self) -> float | None:
        """Seconds until an open breaker lets a probe through (0 when it would now), None when not open."""
        probe_at = self._next_probe_at()
        if probe_at is None:
            return None
        return max(0.0, (probe_at - utc_now()).total_seconds())

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open`` (open with the reset timeout elapsed counts as half-open)."""
        raw = self._breaker.current_state
        if raw == OPEN and self.retry_after_s() == 0:
            return HALF_OPEN
        return raw

    def metrics(self) -> dict[str, Any]:
        """State and counters; see :meth:`CircuitBreakerFactory.all_metrics`."""
        m = self._metrics
        with m.lock:
            counters = {"failures": m.failures, "successes": m.successes, "rejected": m.rejected,
                        "last_failure": dict(m.last_failure) if m.last_failure else None}
        return {"name": self.name, "state": self.state, **counters, "opened_at": _iso(self._opened_at()),
                "consecutive_failures": self._breaker.fail_counter,
                "next_probe_at": _iso(self._next_probe_at()),
                "fail_max": self.fail_max, "reset_timeout_s": self.reset_timeout,
                "success_threshold": self.success_threshold}

    def __repr__(self) -> str:
        return f"<ServiceBreaker {self.name} {self.state}>"


class CircuitBreakerFactory:
    """The registry of breakers, one per service name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._breakers: dict[str, ServiceBreaker] = {}

    def create(self, name: str, fail_max: int = 5, reset_timeout: float = 30.0,
               success_threshold: int = 1) -> ServiceBreaker:
        """A new breaker; a name already registered is an error."""
        with self._lock:
            if name in self._breakers:
                raise ValueError(f"a circuit breaker named {name!r} already exists")
            breaker = ServiceBreaker(name, fail_max=fail_max, reset_timeout=reset_timeout,
                                     success_threshold=success_threshold)
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
        """``{name: {name, state, failures, consecutive_failures, successes, rejected, last_failure
        {time, error} | None, opened_at, next_probe_at, fail_max, reset_timeout_s, success_threshold}}``."""
        with self._lock:
            breakers = list(self._breakers.values())
        return {breaker.name: breaker.metrics() for breaker in breakers}
