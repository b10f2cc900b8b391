"""``ClientSettings``: the timeouts, retry, cache and breaker knobs every client shares."""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["ClientSettings"]

#: settings that count something and must be at least 1 (timeouts must be > 0, the rest >= 0)
_COUNTS = frozenset({"retry_attempts", "cache_max_entries", "fail_max", "success_threshold"})


@dataclass(frozen=True)
class ClientSettings:
    """Resilience settings of one client; the defaults suit production, tests pass small ones.

    Times are seconds. ``retry_attempts`` counts every attempt (1 = no retry);
    ``retry_max_total_s`` bounds the time spent retrying one logical call;
    ``retry_seed`` makes the backoff jitter reproducible. ``fail_max``,
    ``reset_timeout_s`` and ``success_threshold`` configure the service's circuit
    breaker when the client creates it.
    """

    connect_timeout_s: float = 3.05
    read_timeout_s: float = 10.0
    retry_attempts: int = 3
    retry_initial_backoff_s: float = 0.2
    retry_max_backoff_s: float = 2.0
    retry_max_total_s: float = 15.0
    retry_seed: int | None = None
    cache_ttl_s: float = 60.0
    cache_max_entries: int = 1024
    fail_max: int = 5
    reset_timeout_s: float = 30.0
    success_threshold: int = 1

    def __post_init__(self) -> None:
        for field in fields(self):
            name, value = field.name, getattr(self, field.name)
            if name == "retry_seed":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"ClientSettings.{name} must be a number, got {value!r}")
            if name in _COUNTS:
                valid, expected = value >= 1, ">= 1"
            elif name.endswith("timeout_s"):
                valid, expected = value > 0, "> 0"
            else:
                valid, expected = value >= 0, ">= 0"
            if not valid:
                raise ValueError(f"ClientSettings.{name} must be {expected}, got {value!r}")
        if self.retry_max_backoff_s < self.retry_initial_backoff_s:
            raise ValueError("ClientSettings.retry_max_backoff_s must be >= retry_initial_backoff_s, "
                             f"got {self.retry_max_backoff_s!r} < {self.retry_initial_backoff_s!r}")

    @property
    def timeout(self) -> tuple[float, float]:
        """``(connect, read)`` as ``requests`` takes it."""
        return (self.connect_timeout_s, self.read_timeout_s)
