"""The one set of test settings every keyword library builds clients with (on ``companion.ClientSettings``).

Durations that pass on the clock are production-size (30 s reset timeout,
60 s cache TTL, retry backoff from 200 ms, Uptime Kuma reconnects from 1 s):
tests let them pass with `Advance Time By` instead of waiting. Only the
network timeouts, which the operating system measures, are test-sized.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import timedelta
from typing import Any

from atest_support.waiting import seconds

__all__ = ["TestSettings"]


@dataclass(frozen=True)
class TestSettings:
    """The knobs a suite turns, in Robot-friendly units (timedelta, int).

    ``as_client_settings()`` turns them into the contract's
    ``companion.ClientSettings`` (seconds as floats); what is not here (the
    Uptime Kuma reconnect backoff, cache size) keeps its production default.
    ``retry_seed`` is fixed so that the backoff jitter repeats on every run.
    """

    __test__ = False  # not a pytest test class

    connect_timeout: timedelta = timedelta(milliseconds=500)
    read_timeout: timedelta = timedelta(seconds=2)
    retry_attempts: int = 3
    retry_backoff: timedelta = timedelta(milliseconds=200)
    retry_max_backoff: timedelta = timedelta(seconds=2)
    retry_max_total: timedelta = timedelta(seconds=15)
    cache_ttl: timedelta = timedelta(seconds=60)
    fail_max: int = 3
    reset_timeout: timedelta = timedelta(seconds=30)
    success_threshold: int = 1
    retry_seed: int = 1

    def with_overrides(self, **overrides: Any) -> "TestSettings":
        """A copy with the non-None ``overrides`` applied (unknown names are an error)."""
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown client setting(s) {sorted(unknown)}: expected some of {sorted(known)}")
        changed = {name: value for name, value in overrides.items() if value is not None}
        for name in ("retry_attempts", "fail_max", "success_threshold"):
            if name in changed and changed[name] < 1:
                raise ValueError(f"{name} must be at least 1, got {changed[name]}")
        return replace(self, **changed)

    def breaker_options(self) -> dict[str, Any]:
        """Arguments for ``CircuitBreakerFactory.create``."""
        return {"fail_max": self.fail_max, "reset_timeout": seconds(self.reset_timeout),
                "success_threshold": self.success_threshold}

    def as_client_settings(self) -> Any:
        """The ``companion.ClientSettings`` these settings stand for."""
        from companion import ClientSettings

        return ClientSettings(
            connect_timeout_s=seconds(self.connect_timeout), read_timeout_s=seconds(self.read_timeout),
            retry_attempts=self.retry_attempts, retry_initial_backoff_s=seconds(self.retry_backoff),
            retry_max_backoff_s=seconds(self.retry_max_backoff), retry_max_total_s=seconds(self.retry_max_total),
            cache_ttl_s=seconds(self.cache_ttl), fail_max=self.fail_max,
            reset_timeout_s=seconds(self.reset_timeout), success_threshold=self.success_threshold,
            retry_seed=self.retry_seed)

    def describe(self) -> str:
        """One line for the log, e.g. ``read timeout 2 s, fail_max 3, ...``."""
        return ", ".join(f"{f.name}={_fmt(getattr(self, f.name))}" for f in fields(self))


def _fmt(value: Any) -> str:
    if isinstance(value, timedelta):
        total = value.total_seconds()
        return f"{total * 1000:g}ms" if total < 1 else f"{total:g}s"
    return str(value)
