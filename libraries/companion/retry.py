"""Retry on tenacity: exponential backoff with seeded jitter, honouring ``Retry-After``.

Only failures that may pass by themselves are retried: connection errors,
timeouts, 502/503/504 and 429. A request that may have reached the server is
retried only when it is idempotent (the transport decides and marks the error).
"""

from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_after_delay
from tenacity.wait import wait_base

from .errors import CircuitOpenError, ServiceTimeoutError, ServiceUnavailableError
from .settings import ClientSettings

__all__ = ["RETRYABLE_STATUSES", "is_retryable", "RetryPolicy"]

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


class _BackoffWait(wait_base):
    """``initial * 2**n`` capped at ``maximum``, full jitter from a seeded RNG; ``Retry-After`` wins when longer."""

    def __init__(self, initial: float, maximum: float, rng: random.Random, budget: float) -> None:
        self.initial, self.maximum, self.rng, self.budget = initial, maximum, rng, budget

    def __call__(self, retry_state: RetryCallState) -> float:
        exponential = min(self.maximum, self.initial * 2 ** (retry_state.attempt_number - 1))
        wait = exponential / 2 + self.rng.uniform(0, exponential / 2)
        error = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = getattr(error, "retry_after_s", None)
        if isinstance(retry_after, (int, float)) and retry_after > wait:
            wait = float(retry_after)
        return min(wait, self.budget)


class RetryPolicy:
    """Runs a callable with the retries ``settings`` allow; counts the attempts of the last run."""

    def __init__(self, settings: ClientSettings, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self._rng = random.Random(settings.retry_seed)
        self._sleep = sleep
        self.last_attempts = 0

    def run(self, func: Callable[[], T]) -> T:
        """``func()`` until it succeeds, fails for good, or attempts/time run out; the last error is raised."""
        s = self.settings
        self.last_attempts = 0

        def attempt() -> T:
            self.last_attempts += 1
            return func()

        if s.retry_attempts == 1:
            return attempt()
        retrying = Retrying(
            stop=stop_after_attempt(s.retry_attempts) | stop_after_delay(s.retry_max_total_s),
            wait=_BackoffWait(s.retry_initial_backoff_s, s.retry_max_backoff_s, self._rng, s.retry_max_total_s),
            retry=retry_if_exception(is_retryable), reraise=True, sleep=self._sleep)
        return retrying(attempt)
