"""Retry on tenacity: exponential backoff with seeded *equal jitter*, honouring ``Retry-After``.

Only failures that may pass by themselves are retried: connection errors,
timeouts, 502/503/504 and 429. A request that may have reached the server is
retried only when it is idempotent (the transport decides and marks the error).

The backoff is :class:`EqualJitterBackoff`: tenacity's ``wait_exponential``
(``initial * 2**(n-1)``, capped at ``maximum``) of which half is kept and the
other half drawn uniformly from a seeded RNG - AWS's "equal jitter". (tenacity's
own ``wait_random_exponential`` is "full jitter", ``U(0, exponential)``, from
the unseeded global RNG.) The Uptime Kuma client's reconnect loop uses the same
class. Waits go through ``clock.sleep``, so a virtual clock moves by exactly
what is waited and retries with production backoffs take no real time; the
time budget ``retry_max_total_s`` is measured on the same clock.
"""

from __future__ import annotations

import random
import threading
from typing import Callable, NamedTuple, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exception, wait_exponential

from .clock import SYSTEM_CLOCK, Clock
from .errors import CircuitOpenError, ServiceTimeoutError, ServiceUnavailableError
from .settings import ClientSettings

__all__ = ["RETRYABLE_STATUSES", "is_retryable", "EqualJitterBackoff", "RetryPolicy"]

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
T = TypeVar("T")


def is_retryable(error: BaseException) -> bool:
    """A transient failure that a repeat of a safe request may get past."""
    if isinstance(error, CircuitOpenError) or not isinstance(error, ServiceUnavailableError):
        return False
    if getattr(error, "retry_safe", True) is False:
        return False
    if isinstance(error, ServiceTimeoutError) or error.status is None:
        return True
    return error.status in RETRYABLE_STATUSES


class _Attempt(NamedTuple):
    """The one field of tenacity's ``RetryCallState`` that ``wait_exponential`` reads."""

    attempt_number: int


class EqualJitterBackoff(wait_exponential):
    """A tenacity wait strategy: ``e = min(maximum, initial * 2**(n-1))``, then ``e/2 + U(0, e/2)``.

    ``n`` is the number of the attempt that just failed (1 before the first
    retry). The random half comes from ``random.Random(seed)``: the same seed
    gives the same waits. :meth:`delay` gives the wait for attempt ``n`` outside
    a tenacity loop (the Uptime Kuma reconnect loop).
    """

    def __init__(self, initial: float, maximum: float, seed: int | None = None) -> None:
        super().__init__(multiplier=initial, max=maximum)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def delay(self, attempt_number: int) -> float:
        exponential = super().__call__(_Attempt(attempt_number))  # type: ignore[arg-type]
        with self._lock:
            return exponential / 2 + self._rng.uniform(0, exponential / 2)

    def __call__(self, retry_state: RetryCallState) -> float:
        return self.delay(retry_state.attempt_number)


def _retry_after_s(error: BaseException) -> float:
    value = getattr(error, "retry_after_s", None)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


class RetryPolicy:
    """Runs a callable with the retries ``settings`` allow; :attr:`last_attempts` from tenacity's statistics.

    Each wait is the longer of the backoff and the failure's ``Retry-After``.
    Retrying stops after ``retry_attempts`` attempts, or before a wait that
    would end later than ``retry_max_total_s`` after the first attempt began
    (on ``clock``); the last error is raised.
    """

    def __init__(self, settings: ClientSettings, clock: Clock = SYSTEM_CLOCK) -> None:
        self.settings = settings
        self.clock = clock
        self.backoff = EqualJitterBackoff(settings.retry_initial_backoff_s, settings.retry_max_backoff_s,
                                          settings.retry_seed)
        self._retry_after = wait_exception(_retry_after_s)
        self._local = threading.local()

    @property
    def last_attempts(self) -> int:
        """Attempts made by this thread's last :meth:`run` (tenacity's ``attempt_number``); 0 before any."""
        return getattr(self._local, "attempts", 0)

    def forget_last(self) -> None:
        """This thread's next :attr:`last_attempts` reads 0 until a run happens (a call served from the cache)."""
        self._local.attempts = 0

    def run(self, func: Callable[[], T]) -> T:
        """``func()`` until it succeeds, fails for good, or attempts/time run out; the last error is raised."""
        s = self.settings
        started = self.clock.monotonic()

        def out_of_time(state: RetryCallState) -> bool:
            return self.clock.monotonic() - started + (state.upcoming_sleep or 0.0) > s.retry_max_total_s

        retrying = Retrying(
            stop=stop_after_attempt(s.retry_attempts) | out_of_time,
            wait=lambda state: max(self.backoff(state), self._retry_after(state)),
            retry=retry_if_exception(is_retryable), reraise=True, sleep=self.clock.sleep)
        try:
            return retrying(func)
        finally:
            self._local.attempts = retrying.statistics.get("attempt_number", 0)
