"""The state store interface: what breakers, caches and the webhook inbox keep where every worker sees it.

Three kinds of state, each keyed by a name:

* **breakers** - one :class:`~.records.BreakerRecord` per service. ``load_breaker``
  reads it without a lock; ``admit_read`` reads it for a call's admission and,
  when the breaker is open and its reset timeout has not passed, adds one to its
  ``rejected`` total in the same step (fail fast is one round trip, no lock);
  ``update_breaker`` changes it atomically across every worker (the change runs
  exactly once, under the store's lock for that breaker).
* **caches** - per namespace (a service), entries ``key -> CacheEntry``,
  bounded by a number of entries and a number of bytes (least recently used
  dropped first).
* **the webhook inbox** - notification records in arrival order, ids given by
  the store, bounded by a count and a number of bytes (oldest dropped first).

Implementations: :class:`~.memory.MemoryStore` (one process; ``memory://``),
:class:`~.redis_store.RedisStore` (a Redis server; raises
:class:`StoreUnavailable` when it does not answer within its timeout) and
:class:`~.fallback.FallbackStore` (Redis with this process's memory as the
fallback: what ``redis://`` builds).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, TypeVar

from .records import BreakerRecord, CacheEntry

__all__ = ["StateStore", "StoreUnavailable", "DEFAULT_CACHE_MAX_BYTES", "DEFAULT_INBOX_MAX_BYTES",
           "DEFAULT_INBOX_MAXLEN"]

T = TypeVar("T")

#: bytes of cached answers kept per namespace (one service) at most
DEFAULT_CACHE_MAX_BYTES = 32 * 1024 * 1024
#: webhook notifications kept at most, and their bytes
DEFAULT_INBOX_MAXLEN = 500
DEFAULT_INBOX_MAX_BYTES = 8 * 1024 * 1024


class StoreUnavailable(Exception):
    """The store did not answer (refused, reset, timed out, or an error): the caller falls back."""


class StateStore(ABC):
    """Where workers keep shared state (see the module doc)."""

    #: True when other processes see what this store keeps (Redis); False for one process's memory
    shared: bool = False
    #: how the store is shown (a URL without its password)
    url: str = "memory://"

    # -- breakers ------------------------------------------------------------------------
    @abstractmethod
    def load_breaker(self, name: str) -> BreakerRecord | None:
        """The breaker's record as it is now (None when no worker wrote one yet)."""

    @abstractmethod
    def update_breaker(self, name: str, change: Callable[[BreakerRecord], T]) -> T:
        """Run ``change(record)`` once, atomically across workers; what it did to ``record`` is kept.

        The record is a new ``BreakerRecord()`` when there was none. Returns what ``change`` returned.
        """

    @abstractmethod
    def put_breaker(self, name: str, record: BreakerRecord) -> None:
        """Replace the breaker's record."""

    @abstractmethod
    def admit_read(self, name: str, opened_after: float) -> tuple[BreakerRecord | None, bool]:
        """The record for a call's admission, and whether the call is refused: it is, when the breaker is
        ``open`` with ``opened_at`` later than ``opened_after`` (now minus the reset timeout); then
        ``rejected`` + 1 in the same step (the record returned counts it)."""

    @abstractmethod
    def breaker_names(self) -> list[str]:
        """Names of every breaker with a record."""

    # -- caches ---------------------------------------------------------------------------
    @abstractmethod
    def cache_get(self, namespace: str, key: str) -> CacheEntry | None:
        """The entry (marked as just used), or None."""

    @abstractmethod
    def cache_put(self, namespace: str, key: str, entry: CacheEntry, *, max_entries: int,
                  max_bytes: int = DEFAULT_CACHE_MAX_BYTES) -> None:
        """Keep ``entry``; then drop least recently used entries while more than ``max_entries`` or ``max_bytes``."""

    @abstractmethod
    def cache_note_stale(self, namespace: str, key: str, reason: str, at: float) -> None:
        """Record that the entry was served stale, why, and when (nothing if it is gone)."""

    @abstractmethod
    def cache_clear(self, namespace: str) -> None:
        """Forget every entry of ``namespace``."""

    @abstractmethod
    def cache_len(self, namespace: str) -> int:
        """How many entries ``namespace`` holds."""

    # -- webhook inbox ----------------------------------------------------------------------
    @abstractmethod
    def inbox_append(self, record: dict[str, Any], *, maxlen: int = DEFAULT_INBOX_MAXLEN,
                     max_bytes: int = DEFAULT_INBOX_MAX_BYTES) -> dict[str, Any]:
        """Keep ``record`` (JSON-compatible) with a new ``id``; drop the oldest beyond the bounds; return it."""

    @abstractmethod
    def inbox_list(self) -> list[dict[str, Any]]:
        """Every record kept, oldest first."""

    @abstractmethod
    def inbox_clear(self) -> None:
        """Forget every record."""

    # -- the store itself -------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """``{"status": "up" | "degraded", "message": ...}``; a store that can fail says why it is degraded."""
        return {"status": "up", "message": f"state kept in {self.url}"}

    def clear(self) -> None:
        """Forget everything this store keeps under its prefix (tests; never called by the app)."""

    def close(self) -> None:
        """Release connections (nothing to do for memory)."""
