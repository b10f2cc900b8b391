"""``FallbackStore``: Redis shared by every worker, this worker's memory when Redis fails (what ``redis://`` builds).

* **Attached** (Redis answers): every operation goes to Redis; what comes back
  is also copied into this worker's memory (a :class:`~.memory.MemoryStore`),
  so the worker always holds the state it last saw.
* **Detached**: the first operation that fails (refused, reset, or no answer
  within the Redis timeout) detaches the worker: that operation and every
  later one use its memory at once, without touching Redis, so no caller waits
  on Redis longer than one timeout. :meth:`health` reports the store
  *degraded*, saying since when and why.
* **Reconnecting**: once the backoff has passed on the clock (1 s, doubling up
  to 30 s), the next operation (or :meth:`health`) pings Redis; if it answers,
  what changed here while detached is merged in (:mod:`.merge`) and the
  worker is attached again.

A write that timed out may still be applied: a paused or frozen Redis runs what it
had received when it wakes. The merge then sends it again, so a counter may end one
too high or a notification be listed twice; reads are unaffected, and breaker states
follow the merge rules whatever arrived first.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, TypeVar

from ..clock import SYSTEM_CLOCK, Clock
from ..timeutil import iso_utc
from .base import DEFAULT_CACHE_MAX_BYTES, DEFAULT_INBOX_MAX_BYTES, DEFAULT_INBOX_MAXLEN, StateStore, StoreUnavailable
from .memory import MemoryStore
from .merge import merge_breaker, newer_entry
from .records import BreakerRecord, CacheEntry
from .redis_store import RedisStore

__all__ = ["FallbackStore", "ATTACHED", "DETACHED"]

T = TypeVar("T")
log = logging.getLogger("companion.state")

ATTACHED, DETACHED = "attached", "detached"
_DEFAULT_BOUNDS = (1024, DEFAULT_CACHE_MAX_BYTES)
#: merge rounds at most per reconnect attempt (each sends what changed here during the one before)
_MERGE_ROUNDS = 5


class _Changes:
    """What this worker changed in its memory while detached (what a merge sends to Redis)."""

    def __init__(self) -> None:
        self.breakers: dict[str, BreakerRecord | None] = {}  # name -> the record before the first change here
        self.cache_keys: set[tuple[str, str]] = set()
        self.cleared_caches: set[str] = set()
        self.inbox: list[dict[str, Any]] = []
        self.inbox_cleared = False

    def __bool__(self) -> bool:
        return bool(self.breakers or self.cache_keys or self.cleared_caches or self.inbox or self.inbox_cleared)


class FallbackStore(StateStore):
    """``primary`` (a :class:`RedisStore`) with this worker's memory as the fallback (see the module doc).

    ``listeners`` are called as ``listener(event, detail)`` with ``event`` ``"detached"`` (detail: the
    error) or ``"attached"`` (detail: what was merged), outside any lock.
    """

    shared = True

    def __init__(self, primary: RedisStore, *, clock: Clock = SYSTEM_CLOCK, reconnect_initial_s: float = 1.0,
                 reconnect_max_s: float = 30.0) -> None:
        if not 0 < reconnect_initial_s <= reconnect_max_s:
            raise ValueError(f"reconnect backoff must be 0 < initial <= max, got {reconnect_initial_s!r}, "
                             f"{reconnect_max_s!r}")
        self.primary = primary
        self.local = MemoryStore()
        self.url = primary.url
        self.clock = clock
        self.reconnect_initial_s, self.reconnect_max_s = float(reconnect_initial_s), float(reconnect_max_s)
        self.listeners: list[Callable[[str, str], None]] = []
        self._lock = threading.Lock()
        self._mode = ATTACHED
        self._error = ""
        self._since: Any = None
        self._backoff_s = self.reconnect_initial_s
        self._next_attempt = 0.0
        self._reconnecting = False
        self._changes = _Changes()
        self._bounds: dict[str, tuple[int, int]] = {}

    # -- attached / detached --------------------------------------------------------------
    @property
    def mode(self) -> str:
        """``attached`` (using Redis) or ``detached`` (using this worker's memory)."""
        return self._mode

    def _detach(self, error: StoreUnavailable) -> None:
        with self._lock:
            if self._mode == DETACHED:
                return
            self._mode, self._error, self._since = DETACHED, str(error), self.clock.now()
            self._backoff_s = self.reconnect_initial_s
            self._next_attempt = self.clock.monotonic() + self._backoff_s
        log.warning("state store %s unreachable (%s): this worker uses its own memory until it is back",
                    self.url, error)
        self._tell("detached", str(error))

    def _use_redis(self) -> bool:
        """True when the operation should go to Redis (attached, or reattached by a reconnect due now)."""
        if self._mode == ATTACHED:
            return True
        with self._lock:
            if self._reconnecting or self.clock.monotonic() < self._next_attempt:
                return False
            self._reconnecting = True
        try:
            return self._reconnect()
        finally:
            with self._lock:
                self._reconnecting = False

    def _reconnect(self) -> bool:
        merged: list[str] = []
        try:
            self.primary.ping()
            for _ in range(_MERGE_ROUNDS):  # changes made here while merging are merged in the next round
                with self._lock:
                    changes, self._changes = self._changes, _Changes()
                    if not changes:  # nothing left: attached in the same breath, so no change slips between
                        self._mode, self._error, self._since = ATTACHED, "", None
                        self._backoff_s = self.reconnect_initial_s
                        break
                merged.append(self._merge(changes))
        except StoreUnavailable as error:
            self._retry_later(str(error))
            return False
        if self._mode != ATTACHED:  # still changing after every round: the next attempt goes on
            self._retry_later("changes kept arriving while merging")
            return False
        summary = "; ".join(part for part in merged if part) or "nothing to merge"
        log.info("state store %s reachable again: %s", self.url, summary)
        self._tell("attached", summary)
        return True

    def _retry_later(self, error: str) -> None:
        with self._lock:
            self._error = error
            self._backoff_s = min(self._backoff_s * 2, self.reconnect_max_s)
            self._next_attempt = self.clock.monotonic() + self._backoff_s

    def _merge(self, changes: _Changes) -> str:
        """Send what changed here to Redis (the rules of :mod:`.merge`).

        Each item leaves ``changes`` once merged; when Redis fails midway the rest is kept for the next try.
        """
        done = {"breakers": len(changes.breakers), "entries": len(changes.cache_keys), "inbox": len(changes.inbox)}
        try:
            for name, base in list(changes.breakers.items()):
                local = self.local.load_breaker(name) or BreakerRecord()
                if self.primary.load_breaker(name) is None:  # Redis lost it (restarted): this worker's record
                    restored = local.copy()
                    restored.generation += 1
                    self.primary.put_breaker(name, restored)
                else:
                    self.primary.update_breaker(name, lambda remote, mine=local, b=base: merge_breaker(remote, mine, b))
                del changes.breakers[name]
                self.local.put_breaker(name, self.primary.load_breaker(name) or local)
            for namespace in list(changes.cleared_caches):
                self.primary.cache_clear(namespace)
                changes.cleared_caches.discard(namespace)
            for namespace, key in list(changes.cache_keys):
                entry = self.local.cache_get(namespace, key)
                if entry is not None and newer_entry(entry, self.primary.cache_get(namespace, key)):
                    max_entries, max_bytes = self._bounds.get(namespace, _DEFAULT_BOUNDS)
                    self.primary.cache_put(namespace, key, entry, max_entries=max_entries, max_bytes=max_bytes)
                changes.cache_keys.discard((namespace, key))
            if changes.inbox_cleared:
                self.primary.inbox_clear()
                changes.inbox_cleared = False
            while changes.inbox:
                self.primary.inbox_append(changes.inbox[0])
                changes.inbox.pop(0)
            self.local.inbox_replace(self.primary.inbox_list())
        except StoreUnavailable:
            with self._lock:
                self._changes = _merged_back(changes, self._changes)
            raise
        return (f"{done['breakers']} breaker(s), {done['entries']} cache entr(y/ies), "
                f"{done['inbox']} notification(s) merged")

    def _tell(self, event: str, detail: str) -> None:
        for listener in list(self.listeners):
            try:
                listener(event, detail)
            except Exception:  # noqa: BLE001 - a listener never breaks the store
                log.exception("state store listener failed")

    def _run(self, remote: Callable[[], T], local: Callable[[], T]) -> T:
        """``remote()`` while attached (detaching if it fails), else ``local()``."""
        if self._use_redis():
            try:
                return remote()
            except StoreUnavailable as error:
                self._detach(error)
        return local()

    def _changed_breaker(self, name: str) -> None:
        with self._lock:
            if name not in self._changes.breakers:
                self._changes.breakers[name] = self.local.load_breaker(name)

    # -- breakers ------------------------------------------------------------------------
    def load_breaker(self, name: str) -> BreakerRecord | None:
        def remote() -> BreakerRecord | None:
            record = self.primary.load_breaker(name)
            if record is not None:
                self.local.put_breaker(name, record)
            return record

        return self._run(remote, lambda: self.local.load_breaker(name))

    def update_breaker(self, name: str, change: Callable[[BreakerRecord], T]) -> T:
        def remote() -> T:
            done: list[BreakerRecord] = []

            def changing(record: BreakerRecord) -> T:
                result = change(record)
                done.append(record)
                return result

            try:
                result = self.primary.update_breaker(name, changing)
            except StoreUnavailable as error:
                if not hasattr(error, "record"):
                    raise
                self._detach(error)  # the change ran but did not reach Redis: it is this worker's now
                self._changed_breaker(name)
                self.local.put_breaker(name, error.record)  # type: ignore[attr-defined]
                return error.result  # type: ignore[attr-defined]
            self.local.put_breaker(name, done[-1])
            return result

        def local() -> T:
            self._changed_breaker(name)
            return self.local.update_breaker(name, change)

        return self._run(remote, local)

    def put_breaker(self, name: str, record: BreakerRecord) -> None:
        def local() -> None:
            self._changed_breaker(name)
            self.local.put_breaker(name, record)

        self._run(lambda: (self.primary.put_breaker(name, record), self.local.put_breaker(name, record))[0], local)

    def admit_read(self, name: str, opened_after: float) -> tuple[BreakerRecord | None, bool]:
        def remote() -> tuple[BreakerRecord | None, bool]:
            record, refused = self.primary.admit_read(name, opened_after)
            if record is not None:
                self.local.put_breaker(name, record)
            return record, refused

        def local() -> tuple[BreakerRecord | None, bool]:
            before = self.local.load_breaker(name)
            record, refused = self.local.admit_read(name, opened_after)
            if refused:
                with self._lock:
                    self._changes.breakers.setdefault(name, before)
            return record, refused

        return self._run(remote, local)

    def breaker_names(self) -> list[str]:
        return self._run(self.primary.breaker_names, self.local.breaker_names)

    # -- caches ---------------------------------------------------------------------------
    def _mirror(self, namespace: str, key: str, entry: CacheEntry) -> None:
        max_entries, max_bytes = self._bounds.get(namespace, _DEFAULT_BOUNDS)
        self.local.cache_put(namespace, key, entry, max_entries=max_entries, max_bytes=max_bytes)
        if entry.stale_reason is not None and entry.stale_at is not None:
            self.local.cache_note_stale(namespace, key, entry.stale_reason, entry.stale_at)

    def cache_get(self, namespace: str, key: str) -> CacheEntry | None:
        def remote() -> CacheEntry | None:
            entry = self.primary.cache_get(namespace, key)
            if entry is not None:
                self._mirror(namespace, key, entry)
            return entry

        return self._run(remote, lambda: self.local.cache_get(namespace, key))

    def cache_put(self, namespace: str, key: str, entry: CacheEntry, *, max_entries: int,
                  max_bytes: int = DEFAULT_CACHE_MAX_BYTES) -> None:
        self._bounds[namespace] = (max_entries, max_bytes)

        def remote() -> None:
            self.primary.cache_put(namespace, key, entry, max_entries=max_entries, max_bytes=max_bytes)
            self._mirror(namespace, key, entry)

        def local() -> None:
            with self._lock:
                self._changes.cache_keys.add((namespace, key))
            self._mirror(namespace, key, entry)

        self._run(remote, local)

    def cache_note_stale(self, namespace: str, key: str, reason: str, at: float) -> None:
        def remote() -> None:
            self.primary.cache_note_stale(namespace, key, reason, at)
            self.local.cache_note_stale(namespace, key, reason, at)

        def local() -> None:
            with self._lock:
                self._changes.cache_keys.add((namespace, key))
            self.local.cache_note_stale(namespace, key, reason, at)

        self._run(remote, local)

    def cache_clear(self, namespace: str) -> None:
        def local() -> None:
            with self._lock:
                self._changes.cleared_caches.add(namespace)
                self._changes.cache_keys = {pair for pair in self._changes.cache_keys if pair[0] != namespace}
            self.local.cache_clear(namespace)

        self._run(lambda: (self.primary.cache_clear(namespace), self.local.cache_clear(namespace))[0], local)

    def cache_len(self, namespace: str) -> int:
        return self._run(lambda: self.primary.cache_len(namespace), lambda: self.local.cache_len(namespace))

    # -- webhook inbox ----------------------------------------------------------------------
    def inbox_append(self, record: dict[str, Any], *, maxlen: int = DEFAULT_INBOX_MAXLEN,
                     max_bytes: int = DEFAULT_INBOX_MAX_BYTES) -> dict[str, Any]:
        def remote() -> dict[str, Any]:
            stored = self.primary.inbox_append(record, maxlen=maxlen, max_bytes=max_bytes)
            self.local.inbox_append(stored, maxlen=maxlen, max_bytes=max_bytes)
            return stored

        def local() -> dict[str, Any]:
            stored = self.local.inbox_append(record, maxlen=maxlen, max_bytes=max_bytes)
            with self._lock:
                self._changes.inbox.append(record)
            return stored

        return self._run(remote, local)

    def inbox_list(self) -> list[dict[str, Any]]:
        def remote() -> list[dict[str, Any]]:
            records = self.primary.inbox_list()
            self.local.inbox_replace(records)
            return records

        return self._run(remote, self.local.inbox_list)

    def inbox_clear(self) -> None:
        def local() -> None:
            with self._lock:
                self._changes.inbox, self._changes.inbox_cleared = [], True
            self.local.inbox_clear()

        self._run(lambda: (self.primary.inbox_clear(), self.local.inbox_clear())[0], local)

    # -- the store itself -------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """``up`` while Redis answers (one PING, or the reconnect when due); ``degraded`` while this worker uses
        its own memory."""
        self._run(self.primary.ping, lambda: None)
        with self._lock:
            if self._mode == ATTACHED:
                return {"status": "up", "message": f"state shared in {self.url}"}
            wait_s = max(0.0, self._next_attempt - self.clock.monotonic())
            return {"status": "degraded", "since": iso_utc(self._since), "error": self._error,
                    "message": f"state store {self.url} unreachable since {iso_utc(self._since)} ({self._error}): "
                               f"this worker serves from its own memory; next reconnect attempt in {wait_s:.1f} s"}

    def clear(self) -> None:
        self.local.clear()
        with self._lock:
            self._changes = _Changes()
        try:
            self.primary.clear()
        except StoreUnavailable as error:
            self._detach(error)

    def close(self) -> None:
        self.primary.close()


def _merged_back(failed: _Changes, newer: _Changes) -> _Changes:
    """The changes a failed merge did not finish, together with those made meanwhile (kept for the next try)."""
    newer.breakers = {**newer.breakers, **failed.breakers}  # the older base: what this worker had before
    newer.cache_keys |= failed.cache_keys
    newer.cleared_caches |= failed.cleared_caches
    newer.inbox = failed.inbox + newer.inbox
    newer.inbox_cleared = newer.inbox_cleared or failed.inbox_cleared
    return newer
