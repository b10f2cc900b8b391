"""``RedisStore``: the state store in a Redis (or Valkey) server, shared by every worker that opens the same URL.

Every command has a short timeout (``timeout_s``, for connecting and for
each answer) and is never retried by the client library: a Redis that is
slow, paused or gone costs a caller at most about ``timeout_s`` per command,
then :class:`~.base.StoreUnavailable` (what :class:`~.fallback.FallbackStore`
turns into "use this worker's memory").

Keys (``prefix`` default ``companion:``):

==================================  ==========================================================
``breaker:<name>``                  hash: the :class:`~.records.BreakerRecord` fields as JSON (an
                                    admission reads it and counts a refusal in one script)
``breaker:<name>:lock``             the lock an update holds (redis-py's ``Lock``: ``SET NX PX``
                                    with a token, released by a script; it expires by itself)
``breakers``                        set of breaker names
``cache:<ns>``                      hash: key -> :class:`~.records.CacheEntry` JSON
``cache:<ns>:lru`` / ``:bytes``     sorted set of keys by last use / total bytes of entries
``cache:<ns>:stale``                hash: key -> ``{"reason", "at"}`` of its last stale serving
``inbox`` / ``inbox:bytes`` /       list of notification records (JSON) / their bytes / the
``inbox:id``                        last id given
``seq``                             a counter giving the least-recently-used order
==================================  ==========================================================

Cache puts and inbox appends run as Lua scripts: the entry, its size and the
eviction of the oldest happen at once, whoever else writes.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Iterator, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.exceptions import LockError
from redis.retry import Retry

from .base import DEFAULT_CACHE_MAX_BYTES, DEFAULT_INBOX_MAX_BYTES, DEFAULT_INBOX_MAXLEN, StateStore, StoreUnavailable
from .records import BreakerRecord, CacheEntry, dumps

__all__ = ["RedisStore", "redact_url", "DEFAULT_TIMEOUT_S"]

T = TypeVar("T")
log = logging.getLogger("companion.state")

#: how long one Redis command may take before the store counts as unavailable (connect and answer)
DEFAULT_TIMEOUT_S = 0.2
#: how long a breaker's update lock lives (at least) if its holder dies holding it; never less than 4 timeouts
#: (a holder reads, changes and writes: each command at most one timeout)
LOCK_TTL_S = 2.0

# the record's fields are JSON text: an open breaker's state is '"open"', opened_at a number or 'null'
_ADMIT_READ = """
local state = redis.call('HGET', KEYS[1], 'state')
local opened = tonumber(redis.call('HGET', KEYS[1], 'opened_at') or 'x')
local refused = 0
if state == '"open"' and opened and opened > tonumber(ARGV[1]) then
  redis.call('HINCRBY', KEYS[1], 'rejected', 1)
  refused = 1
end
return {refused, redis.call('HGETALL', KEYS[1])}
"""

_CACHE_GET = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return nil end
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
return {value, redis.call('HGET', KEYS[4], ARGV[1])}
"""

_CACHE_PUT = """
local total = tonumber(redis.call('GET', KEYS[3]) or '0')
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then total = total - string.len(old) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HDEL', KEYS[5], ARGV[1])
total = total + string.len(ARGV[2])
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), ARGV[1])
local count = redis.call('HLEN', KEYS[1])
while count > tonumber(ARGV[3]) or total > tonumber(ARGV[4]) do
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not oldest then break end
  local text = redis.call('HGET', KEYS[1], oldest)
  if text then total = total - string.len(text) end
  redis.call('HDEL', KEYS[1], oldest)
  redis.call('HDEL', KEYS[5], oldest)
  redis.call('ZREM', KEYS[2], oldest)
  count = count - 1
end
redis.call('SET', KEYS[3], total)
"""

_CACHE_NOTE_STALE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
"""

# the record arrives as '{"id":0,...}': the script puts the id it gives in place of the 0
_INBOX_APPEND = """
local id = redis.call('INCR', KEYS[3])
local text = '{"id":' .. id .. ',' .. string.sub(ARGV[1], 9)
redis.call('RPUSH', KEYS[1], text)
local total = redis.call('INCRBY', KEYS[2], string.len(text))
local count = redis.call('LLEN', KEYS[1])
while count > tonumber(ARGV[2]) or total > tonumber(ARGV[3]) do
  local gone = redis.call('LPOP', KEYS[1])
  if not gone then break end
  total = redis.call('INCRBY', KEYS[2], -string.len(gone))
  count = count - 1
end
return text
"""


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``*****`` (what logs, errors and the dashboard show)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{user}:*****@{host}", parts.path, parts.query, parts.fragment))


class _Unavailable:
    """Turns every Redis or socket error inside a ``with`` into :class:`StoreUnavailable` (never echoing a secret)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> bool:
        if error is not None and isinstance(error, (redis.RedisError, OSError)):
            raise StoreUnavailable(f"{self.url}: {type(error).__name__}: {error}") from None
        return False


class _Changed(StoreUnavailable):
    """The store failed after ``change`` had run: the record it produced and its result, for the fallback."""

    def __init__(self, message: str, record: BreakerRecord, result: Any) -> None:
        super().__init__(message)
        self.record, self.result = record, result


class RedisStore(StateStore):
    """The state store in Redis (see the module doc). ``url``: ``redis://[:password@]host:port/db``."""

    shared = True

    def __init__(self, url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S, prefix: str = "companion:") -> None:
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s!r}")
        self.url = redact_url(url)
        self.timeout_s = float(timeout_s)
        self.lock_ttl_s = max(LOCK_TTL_S, 4 * self.timeout_s)
        self.prefix = prefix
        self._client = redis.Redis.from_url(url, socket_timeout=self.timeout_s,
                                            socket_connect_timeout=self.timeout_s,
                                            retry=Retry(NoBackoff(), 0), health_check_interval=0)
        self._errors = _Unavailable(self.url)
        self._admit_read = self._client.register_script(_ADMIT_READ)
        self._cache_get = self._client.register_script(_CACHE_GET)
        self._cache_put = self._client.register_script(_CACHE_PUT)
        self._cache_note_stale = self._client.register_script(_CACHE_NOTE_STALE)
        self._inbox_append = self._client.register_script(_INBOX_APPEND)

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def ping(self) -> None:
        """One PING: returns, or raises :class:`StoreUnavailable`."""
        with self._errors:
            self._client.ping()

    # -- breakers ------------------------------------------------------------------------
    def load_breaker(self, name: str) -> BreakerRecord | None:
        with self._errors:
            raw = self._client.hgetall(self._key("breaker", name))
        return BreakerRecord.from_fields(raw) if raw else None

    def update_breaker(self, name: str, change: Callable[[BreakerRecord], T]) -> T:
        key = self._key("breaker", name)
        with self._errors:
            lock = self._client.lock(key + ":lock", timeout=self.lock_ttl_s, blocking_timeout=self.timeout_s,
                                     sleep=0.0005)
            if not lock.acquire():
                raise StoreUnavailable(f"{self.url}: breaker {name!r} stayed locked for {self.timeout_s:g} s")
        try:
            with self._errors:
                raw = self._client.hgetall(key)
            record = BreakerRecord.from_fields(raw) if raw else BreakerRecord()
            before = {} if not raw else record.to_fields()
            result = change(record)
            changed = {field: text for field, text in record.to_fields().items() if before.get(field) != text}
            try:
                with self._errors:
                    if changed:
                        pipe = self._client.pipeline(transaction=True)
                        pipe.hset(key, mapping=changed)
                        pipe.sadd(self._key("breakers"), name)
                        pipe.execute()
            except StoreUnavailable as error:
                raise _Changed(str(error), record, result) from None
            return result
        finally:
            self._release(lock)

    def _release(self, lock: Any) -> None:
        try:
            lock.release()
        except (LockError, redis.RedisError, OSError) as error:  # it expires by itself
            log.warning("state store: could not release a breaker lock (%s); it expires in %g s",
                        type(error).__name__, self.lock_ttl_s)

    def put_breaker(self, name: str, record: BreakerRecord) -> None:
        key = self._key("breaker", name)
        with self._errors:
            pipe = self._client.pipeline(transaction=True)
            pipe.delete(key)
            pipe.hset(key, mapping=record.to_fields())
            pipe.sadd(self._key("breakers"), name)
            pipe.execute()

    def admit_read(self, name: str, opened_after: float) -> tuple[BreakerRecord | None, bool]:
        with self._errors:
            refused, flat = self._admit_read(keys=[self._key("breaker", name)], args=[repr(float(opened_after))])
        if not flat:
            return None, False
        return BreakerRecord.from_fields(dict(zip(flat[::2], flat[1::2]))), bool(refused)

    def breaker_names(self) -> list[str]:
        with self._errors:
            names = self._client.smembers(self._key("breakers"))
        return sorted(n.decode() if isinstance(n, bytes) else n for n in names)

    # -- caches ---------------------------------------------------------------------------
    def _cache_keys(self, namespace: str) -> tuple[str, str, str, str]:
        base = self._key("cache", namespace)
        return base, base + ":lru", base + ":bytes", base + ":stale"

    def cache_get(self, namespace: str, key: str) -> CacheEntry | None:
        entries, lru, _, stale = self._cache_keys(namespace)
        with self._errors:
            found = self._cache_get(keys=[entries, lru, self._key("seq"), stale], args=[key])
        if not found:
            return None
        entry = CacheEntry.from_json(found[0])
        if found[1]:
            note = json.loads(found[1])
            entry.stale_reason, entry.stale_at = note["reason"], note["at"]
        return entry

    def cache_put(self, namespace: str, key: str, entry: CacheEntry, *, max_entries: int,
                  max_bytes: int = DEFAULT_CACHE_MAX_BYTES) -> None:
        entries, lru, size, stale = self._cache_keys(namespace)
        value = CacheEntry(entry.value, entry.fetched_at).to_json()
        with self._errors:
            self._cache_put(keys=[entries, lru, size, self._key("seq"), stale],
                            args=[key, value, int(max_entries), int(max_bytes)])
            if entry.stale_reason is not None:
                self._cache_note_stale(keys=[entries, stale],
                                       args=[key, dumps({"reason": entry.stale_reason, "at": entry.stale_at})])

    def cache_note_stale(self, namespace: str, key: str, reason: str, at: float) -> None:
        entries, _, _, stale = self._cache_keys(namespace)
        with self._errors:
            self._cache_note_stale(keys=[entries, stale], args=[key, dumps({"reason": reason, "at": at})])

    def cache_clear(self, namespace: str) -> None:
        with self._errors:
            self._client.delete(*self._cache_keys(namespace))

    def cache_len(self, namespace: str) -> int:
        with self._errors:
            return int(self._client.hlen(self._cache_keys(namespace)[0]))

    # -- webhook inbox ----------------------------------------------------------------------
    def inbox_append(self, record: dict[str, Any], *, maxlen: int = DEFAULT_INBOX_MAXLEN,
                     max_bytes: int = DEFAULT_INBOX_MAX_BYTES) -> dict[str, Any]:
        fields = {key: value for key, value in record.items() if key != "id"}
        text = dumps({"id": 0, **fields})
        with self._errors:
            stored = self._inbox_append(keys=[self._key("inbox"), self._key("inbox", "bytes"),
                                              self._key("inbox", "id")],
                                        args=[text, int(maxlen), int(max_bytes)])
        return json.loads(stored)

    def inbox_list(self) -> list[dict[str, Any]]:
        with self._errors:
            texts = self._client.lrange(self._key("inbox"), 0, -1)
        return [json.loads(text) for text in texts]

    def inbox_clear(self) -> None:
        with self._errors:
            self._client.delete(self._key("inbox"), self._key("inbox", "bytes"))

    # -- the store itself -------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        try:
            self.ping()
        except StoreUnavailable as error:
            return {"status": "down", "message": str(error)}
        return {"status": "up", "message": f"state shared in {self.url}"}

    def _own_keys(self) -> Iterator[Any]:
        return self._client.scan_iter(match=self.prefix.replace("*", r"\*") + "*", count=500)

    def clear(self) -> None:
        with self._errors:
            keys = list(self._own_keys())
            if keys:
                self._client.delete(*keys)

    def close(self) -> None:
        self._client.close()
