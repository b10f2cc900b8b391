"""``ReadCache``: a TTL cache for reads that also remembers the last good value for stale fallback."""

from __future__ import annotations

import copy
import threading
from typing import Any, Callable, Hashable

from cachetools import LRUCache, TTLCache

from .clock import SYSTEM_CLOCK

__all__ = ["ReadCache", "MISSING"]

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
