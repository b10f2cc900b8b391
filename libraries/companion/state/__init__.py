"""The state store: breaker state, the fallback cache and the webhook inbox, where every worker sees them.

One setting chooses it, ``state_url`` (:func:`open_store`):

* ``memory://`` (the default): this process's memory (:class:`MemoryStore`), today's behaviour;
* ``redis://[:password@]host:port/db``: a Redis (or Valkey) server shared by every worker that
  opens the same URL, with each worker's memory as its fallback while Redis does not answer
  (:class:`FallbackStore` over :class:`RedisStore`; the rules: :mod:`companion.state.fallback`,
  :mod:`companion.state.merge`).

Who uses it: ``CircuitBreakerFactory(store=...)`` (breaker state, probe admission across
workers), the clients' ``ReadCache`` (through the factory's store) and ``WebhookInbox(store=...)``;
``StatusService(state_store=...)`` reports a shared store as a service of its own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..clock import SYSTEM_CLOCK, Clock
from .base import StateStore, StoreUnavailable
from .fallback import ATTACHED, DETACHED, FallbackStore
from .memory import MemoryStore
from .merge import merge_breaker
from .records import BreakerRecord, CacheEntry
from .redis_store import DEFAULT_TIMEOUT_S, RedisStore, redact_url

__all__ = ["ATTACHED", "BreakerRecord", "CacheEntry", "DEFAULT_TIMEOUT_S", "DETACHED", "FallbackStore",
           "MemoryStore", "RedisStore", "StateStore", "StoreUnavailable", "merge_breaker", "open_store",
           "redact_url", "STATE_STORE_SERVICE"]

#: the name the status service and the dashboard list a shared state store under
STATE_STORE_SERVICE = "state-store"


def open_store(state_url: str = "memory://", *, clock: Clock = SYSTEM_CLOCK, timeout_s: float = DEFAULT_TIMEOUT_S,
               reconnect_initial_s: float = 1.0, reconnect_max_s: float = 30.0,
               prefix: str = "companion:") -> StateStore:
    """The store ``state_url`` names: ``memory://`` or ``redis://host:port/db`` (``rediss://`` for TLS).

    ``timeout_s`` bounds every Redis command (connect and answer); the reconnect backoff runs on
    ``clock``. Nothing is sent to Redis here: an unreachable Redis shows on first use. ``ValueError``
    (naming the URL without its password) for any other scheme.
    """
    scheme = urlsplit(state_url).scheme.lower() if isinstance(state_url, str) else ""
    if scheme == "memory":
        return MemoryStore()
    if scheme in ("redis", "rediss"):
        primary = RedisStore(state_url, timeout_s=timeout_s, prefix=prefix)
        return FallbackStore(primary, clock=clock, reconnect_initial_s=reconnect_initial_s,
                             reconnect_max_s=reconnect_max_s)
    shown = redact_url(state_url) if isinstance(state_url, str) else repr(state_url)
    raise ValueError(f"state_url must be memory:// or redis://host:port/db, got {shown!r}")
