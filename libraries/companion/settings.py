"""``ClientSettings``: the one source of every client's timeouts, retry, cache, breaker and reconnect knobs.

The defaults are the production settings (times in seconds):

=============================  ==========  =================================================================
setting                        default     what it bounds
=============================  ==========  =================================================================
``connect_timeout_s``          3.05        TCP connect (HTTP) / Socket.IO connection (Uptime Kuma)
``read_timeout_s``             10          each HTTP read; the Uptime Kuma login answer
``retry_attempts``             3           attempts of one logical call, the first included (1 = no retry)
``retry_initial_backoff_s``    0.2         backoff before the first retry; doubles per retry ...
``retry_max_backoff_s``        2           ... up to this; each wait is *equal jitter* (half fixed, half random)
``retry_max_total_s``          15          time one logical call may spend in retry waits and attempts
``retry_seed``                 None        seed of every backoff jitter (retries and reconnects); None = OS entropy
``cache_ttl_s``                60          how long a read is answered from the cache without a request
``cache_max_entries``          1024        fresh and last-good entries kept per client (LRU)
``fail_max``                   5           consecutive failed logical calls that open the breaker
``reset_timeout_s``            30          how long an open breaker fails fast before it lets a probe through
``success_threshold``          1           successful probes that close a half-open breaker (= probes admitted)
``reconnect_initial_backoff_s`` 1          Uptime Kuma: wait before the first reconnect; doubles per attempt ...
``reconnect_max_backoff_s``    30          ... up to this (equal jitter, seeded by ``retry_seed``)
=============================  ==========  =================================================================

Tests build their settings on top of these (``dataclasses.replace`` or keyword
arguments), with a seed; with a virtual clock they can keep the production
durations and still run in milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

__all__ = ["ClientSettings"]

#: settings that count something and must be whole numbers of at least 1
_COUNTS = frozenset({"retry_attempts", "cache_max_entries", "fail_max", "success_threshold"})
#: settings that must be > 0 (the other times may be 0)
_POSITIVE = frozenset({"connect_timeout_s", "read_timeout_s", "reset_timeout_s", "reconnect_initial_backoff_s"})
#: no time setting may exceed a day: a larger value is a unit mistake
MAX_SECONDS = 24 * 3600.0
#: counts are bounded too (a breaker that needs a million failures never opens)
MAX_COUNT = 1_000_000


@dataclass(frozen=True)
class ClientSettings:
    """Resilience settings of one client; the defaults are production's (see the module doc for the table)."""

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
    reconnect_initial_backoff_s: float = 1.0
    reconnect_max_backoff_s: float = 30.0

    def __post_init__(self) -> None:
        for field in fields(self):
            name, value = field.name, getattr(self, field.name)
            if name == "retry_seed":
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                    raise TypeError(f"ClientSettings.retry_seed must be an integer or None, got {value!r}")
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"ClientSettings.{name} must be a number, got {value!r}")
            if name in _COUNTS:
                valid = isinstance(value, int) and 1 <= value <= MAX_COUNT
                expected = f"a whole number from 1 to {MAX_COUNT}"
            elif name in _POSITIVE:
                valid, expected = math.isfinite(value) and 0 < value <= MAX_SECONDS, f"> 0 and <= {MAX_SECONDS:g}"
            else:
                valid, expected = math.isfinite(value) and 0 <= value <= MAX_SECONDS, f">= 0 and <= {MAX_SECONDS:g}"
            if not valid:
                raise ValueError(f"ClientSettings.{name} must be {expected}, got {value!r}")
        for prefix in ("retry", "reconnect"):
            initial, maximum = getattr(self, f"{prefix}_initial_backoff_s"), getattr(self, f"{prefix}_max_backoff_s")
            if maximum < initial:
                raise ValueError(f"ClientSettings.{prefix}_max_backoff_s must be >= {prefix}_initial_backoff_s, "
                                 f"got {maximum!r} < {initial!r}")

    @property
    def timeout(self) -> tuple[float, float]:
        """``(connect, read)`` as ``requests`` takes it."""
        return (self.connect_timeout_s, self.read_timeout_s)
