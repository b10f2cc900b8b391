"""``MemoryStore``: the state of one process (``memory://``, the default) and every worker's fallback."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict, deque
from typing import Any, Callable, TypeVar

from .base import DEFAULT_CACHE_MAX_BYTES, DEFAULT_INBOX_MAX_BYTES, DEFAULT_INBOX_MAXLEN, StateStore
from .records import BreakerRecord, CacheEntry, dumps, refuses

__all__ = ["MemoryStore"]

T = TypeVar("T")


class _Namespace:
    """One namespace's cache: entries as JSON text, least recently used first, with their total size."""

    def __init__(self) -> None:
        self.entries: OrderedDict[str, str] = OrderedDict()
        self.bytes = 0

    def put(self, key: str, text: str) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.bytes -= len(old.encode())
        self.entries[key] = text
        self.bytes += len(text.encode())

    def trim(self, max_entries: int, max_bytes: int) -> None:
        while self.entries and (len(self.entries) > max_entries or self.bytes > max_bytes):
            _, text = self.entries.popitem(last=False)
            self.bytes -= len(text.encode())


class MemoryStore(StateStore):
    """Everything in this process's memory, behind one lock; values kept as JSON text (copies in and out)."""

    shared = False
    url = "memory://"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._breakers: dict[str, BreakerRecord] = {}
        self._caches: dict[str, _Namespace] = {}
        self._inbox: deque[str] = deque()
        self._inbox_bytes = 0
        self._next_id = 1

    # -- breakers ------------------------------------------------------------------------
    def load_breaker(self, name: str) -> BreakerRecord | None:
        with self._lock:
            record = self._breakers.get(name)
            return None if record is None else record.copy()

    def update_breaker(self, name: str, change: Callable[[BreakerRecord], T]) -> T:
        with self._lock:
            record = self._breakers.get(name)
            record = BreakerRecord() if record is None else record.copy()
            result = change(record)
            self._breakers[name] = record
            return result

    def put_breaker(self, name: str, record: BreakerRecord) -> None:
        with self._lock:
            self._breakers[name] = record.copy()

    def admit_read(self, name: str, opened_after: float) -> tuple[BreakerRecord | None, bool]:
        with self._lock:
            record = self._breakers.get(name)
            if record is None:
                return None, False
            refused = refuses(record, opened_after)
            if refused:
                record.rejected += 1
            return record.copy(), refused

    def breaker_names(self) -> list[str]:
        with self._lock:
            return sorted(self._breakers)

    # -- caches ---------------------------------------------------------------------------
    def cache_get(self, namespace: str, key: str) -> CacheEntry | None:
        with self._lock:
            space = self._caches.get(namespace)
            if space is None or key not in space.entries:
                return None
            space.entries.move_to_end(key)
            text = space.entries[key]
        return CacheEntry.from_json(text)

    def cache_put(self, namespace: str, key: str, entry: CacheEntry, *, max_entries: int,
                  max_bytes: int = DEFAULT_CACHE_MAX_BYTES) -> None:
        text = entry.to_json()
        with self._lock:
            space = self._caches.setdefault(namespace, _Namespace())
            space.put(key, text)
            space.trim(max_entries, max_bytes)

    def cache_note_stale(self, namespace: str, key: str, reason: str, at: float) -> None:
        with self._lock:
            space = self._caches.get(namespace)
            if space is None or key not in space.entries:
                return
            entry = CacheEntry.from_json(space.entries[key])
            entry.stale_reason, entry.stale_at = reason, at
            space.put(key, entry.to_json())

    def cache_clear(self, namespace: str) -> None:
        with self._lock:
            self._caches.pop(namespace, None)

    def cache_len(self, namespace: str) -> int:
        with self._lock:
            space = self._caches.get(namespace)
            return 0 if space is None else len(space.entries)

    def cache_items(self, namespace: str) -> list[tuple[str, CacheEntry]]:
        """Every ``(key, entry)`` of ``namespace``, least recently used first (what a merge copies)."""
        with self._lock:
            space = self._caches.get(namespace)
            pairs = [] if space is None else list(space.entries.items())
        return [(key, CacheEntry.from_json(text)) for key, text in pairs]

    # -- webhook inbox ----------------------------------------------------------------------
    def inbox_append(self, record: dict[str, Any], *, maxlen: int = DEFAULT_INBOX_MAXLEN,
                     max_bytes: int = DEFAULT_INBOX_MAX_BYTES) -> dict[str, Any]:
        with self._lock:
            stored = {**record, "id": self._next_id}
            self._next_id += 1
            text = dumps(stored)
            self._inbox.append(text)
            self._inbox_bytes += len(text.encode())
            while self._inbox and (len(self._inbox) > maxlen or self._inbox_bytes > max_bytes):
                self._inbox_bytes -= len(self._inbox.popleft().encode())
        return json.loads(text)

    def inbox_list(self) -> list[dict[str, Any]]:
        with self._lock:
            texts = list(self._inbox)
        return [json.loads(text) for text in texts]

    def inbox_replace(self, records: list[dict[str, Any]]) -> None:
        """Hold exactly ``records`` (a copy of what the shared store listed), ids kept."""
        with self._lock:
            self._inbox = deque(dumps(record) for record in records)
            self._inbox_bytes = sum(len(text.encode()) for text in self._inbox)
            self._next_id = max([self._next_id, *(int(r.get("id", 0)) + 1 for r in records)])

    def inbox_clear(self) -> None:
        with self._lock:
            self._inbox.clear()
            self._inbox_bytes = 0

    def clear(self) -> None:
        with self._lock:
            self._breakers.clear()
            self._caches.clear()
            self.inbox_clear()
