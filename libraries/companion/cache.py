"""``ReadCache``: a TTL cache for reads that also keeps the last good answer for the stale fallback;
``StaleSince``: since when a client's reads have been answered from that fallback, and why.

The cache's entries live in a :mod:`state store <companion.state>`: this client's own memory by
default, or a store shared by every worker (Redis), where any worker serves what any
worker cached, and a restarted companion still has its answers.
"""

from __future__ import annotations

import threading
from typing import Any, Hashable

from .clock import SYSTEM_CLOCK, Clock
from .state import CacheEntry, MemoryStore, StateStore
from .state.base import DEFAULT_CACHE_MAX_BYTES
from .timeutil import iso_utc

__all__ = ["ReadCache", "StaleSince", "MISSING"]

MISSING = object()


class ReadCache:
    """Fresh answers for ``ttl_s`` seconds; the last good answer of each key kept beyond that.

    Each entry holds the answer (as JSON: a caller can never change what is
    cached), when it was fetched (``clock.time()``) and why it was last served
    stale. At most ``max_entries`` entries and ``max_bytes`` bytes of JSON per
    ``namespace``, least recently used dropped first. ``store`` None: a memory
    store of this cache's own.
    """

    def __init__(self, ttl_s: float, max_entries: int = 1024, *, clock: Clock = SYSTEM_CLOCK,
                 store: StateStore | None = None, namespace: str = "cache",
                 max_bytes: int = DEFAULT_CACHE_MAX_BYTES) -> None:
        self.ttl_s = float(ttl_s)
        self.max_entries, self.max_bytes = int(max_entries), int(max_bytes)
        self.clock = clock
        self.store = store if store is not None else MemoryStore()
        self.namespace = namespace

    @staticmethod
    def _key(key: Hashable) -> str:
        return repr(key)

    def entry(self, key: Hashable) -> CacheEntry | None:
        """The whole entry (answer, ``fetched_at``, ``stale_reason``, ``stale_at``), or None."""
        return self.store.cache_get(self.namespace, self._key(key))

    def get_fresh(self, key: Hashable) -> Any:
        """The answer fetched less than ``ttl_s`` ago, else :data:`MISSING`."""
        if self.ttl_s <= 0:
            return MISSING
        entry = self.entry(key)
        if entry is None or self.clock.time() - entry.fetched_at >= self.ttl_s:
            return MISSING
        return entry.value

    def get_stale(self, key: Hashable) -> Any:
        """The last good answer whatever its age, else :data:`MISSING`."""
        entry = self.entry(key)
        return MISSING if entry is None else entry.value

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` (JSON-compatible) as the answer fetched now."""
        self.store.cache_put(self.namespace, self._key(key), CacheEntry(value, self.clock.time()),
                             max_entries=self.max_entries, max_bytes=self.max_bytes)

    def note_stale(self, key: Hashable, reason: str) -> None:
        """Record that the answer was served stale now, and why."""
        self.store.cache_note_stale(self.namespace, self._key(key), reason, self.clock.time())

    def clear(self) -> None:
        self.store.cache_clear(self.namespace)

    def __len__(self) -> int:
        return self.store.cache_len(self.namespace)


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
