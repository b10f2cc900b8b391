"""``ReadCache``: a TTL cache for reads that also remembers the last good value for stale fallback;
``StaleSince``: since when a client's reads have been answered from that fallback, and why."""

from __future__ import annotations

import copy
import threading
from typing import Any, Callable, Hashable

from cachetools import LRUCache, TTLCache

from .clock import SYSTEM_CLOCK, Clock
from .timeutil import iso_utc

__all__ = ["ReadCache", "StaleSince", "MISSING"]

MISSING = object()


class ReadCache:
    """Fresh values for ``ttl_s`` seconds; the last good value of each key kept (LRU-bounded) beyond that.

    Values are deep-copied in and out, so a caller can never change what is cached.
    ``timer`` is the TTL's time source (cachetools' ``TTLCache(timer=)``): a
    client passes its clock's ``monotonic``.
    """

    def __init__(self, ttl_s: float, max_entries: int = 1024,
                 timer: Callable[[], float] = SYSTEM_CLOCK.monotonic) -> None:
        self._lock = threading.Lock()
        self._fresh: TTLCache = TTLCache(maxsize=max_entries, ttl=ttl_s, timer=timer) if ttl_s > 0 else None
        self._last_good: LRUCache = LRUCache(maxsize=max_entries)

    def get_fresh(self, key: Hashable) -> Any:
        """The value stored less than ``ttl_s`` ago, else :data:`MISSING`."""
        if self._fresh is None:
            return MISSING
        with self._lock:
            value = self._fresh.get(key, MISSING)
        return MISSING if value is MISSING else copy.deepcopy(value)

    def get_stale(self, key: Hashable) -> Any:
        """The last good value whatever its age, else :data:`MISSING`."""
        with self._lock:
            value = self._last_good.get(key, MISSING)
        return MISSING if value is MISSING else copy.deepcopy(value)

    def put(self, key: Hashable, value: Any) -> None:
        stored = copy.deepcopy(value)
        with self._lock:
            if self._fresh is not None:
                self._fresh[key] = stored
            self._last_good[key] = stored

    def clear(self) -> None:
        with self._lock:
            if self._fresh is not None:
                self._fresh.clear()
            self._last_good.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._last_good)


class StaleSince:
    """One client's run of stale answers: since when its reads have come from the cache, why, how many.

    A read answered stale (:meth:`served_stale`) starts the run, or extends it;
    the next answer that came from the service itself (:meth:`served_fresh`)
    ends it. A read answered from the fresh cache within its TTL says nothing
    about the service and leaves the run as it is. Thread-safe.
    """

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._since: str | None = None
        self._reason: str | None = None
        self._answers = 0

    def served_stale(self, reason: str) -> None:
        """A read was answered from the cache because of ``reason`` (the failure's message)."""
        with self._lock:
            if self._since is None:
                self._since = iso_utc(self._clock.now())
            self._reason = reason
            self._answers += 1

    def served_fresh(self) -> None:
        """The service itself answered: the run (if any) is over."""
        with self._lock:
            self._since, self._reason, self._answers = None, None, 0

    def current(self) -> dict[str, Any] | None:
        """``{"since": ISO 8601 UTC of the first stale answer, "reason": the latest one's, "answers": n}``,
        or None while reads are answered fresh."""
        with self._lock:
            if self._since is None:
                return None
            return {"since": self._since, "reason": self._reason, "answers": self._answers}
