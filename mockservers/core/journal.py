"""A bounded, thread-safe record of the requests a mock served.

Secrets are redacted when an entry is recorded (:mod:`.redaction`: by value
and by name, over each whole text *before* it is cut), so nothing that reads
the journal (tests, keywords, the admin API, reports) can leak them. Entry
times come from the mock's clock.

Bounded twice. Each entry keeps at most :data:`PATH_LIMIT` characters of the
path, :data:`QUERY_PARAMS_LIMIT` query parameters and :data:`HEADERS_LIMIT`
headers (names cut to :data:`NAME_LIMIT`, values to :data:`VALUE_LIMIT`) and
:data:`BODY_LIMIT` characters of the body; its ``truncated`` lists what was
cut (``path``, ``query``, ``headers``, ``header X-Name``, ``body``). And the
journal keeps at most ``maxlen`` entries *and* ``max_bytes`` bytes of them
(:attr:`RequestJournal.size_bytes`: the texts kept plus a fixed cost per entry
and per header or parameter), dropping the oldest first.
"""

from __future__ import annotations

import difflib
import fnmatch
import itertools
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl

from .redaction import REDACTED, Redactor

__all__ = ["JournalEntry", "RequestJournal", "REDACTED", "redact_text", "BODY_LIMIT", "PATH_LIMIT",
           "QUERY_PARAMS_LIMIT", "HEADERS_LIMIT", "NAME_LIMIT", "VALUE_LIMIT", "DEFAULT_MAX_BYTES"]

#: what is kept of a body the journal must not record
OPAQUE_BODY = "(body not journaled)"
#: how many characters of a (redacted) body an entry keeps
BODY_LIMIT = 2048
#: how many characters of the path an entry keeps
PATH_LIMIT = 2048
#: how many query parameters and headers an entry keeps
QUERY_PARAMS_LIMIT = 64
HEADERS_LIMIT = 100
#: how many characters of each header or parameter name, and of each value, an entry keeps
NAME_LIMIT = 256
VALUE_LIMIT = 1024
#: the most bytes a journal keeps by default (its entries' :func:`entry_size`, summed)
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
#: what an entry and each of its headers/parameters cost besides their texts (the objects that hold them)
ENTRY_COST = 512
FIELD_COST = 64
#: bodies up to this many bytes are kept raw until the journal is read; larger ones are redacted and cut at once
RAW_BODY_LIMIT = 16 * 1024
#: a raw query string up to this many bytes is kept until the journal is read; a longer one is handled at once
RAW_QUERY_LIMIT = 2048


def redact_text(text: str) -> str:
    """Replace the values of secret-looking fields (JSON, escaped JSON, form) in ``text``."""
    return Redactor().text(text)


@dataclass(frozen=True)
class JournalEntry:
    """One served request."""

    id: int
    time: float
    method: str
    path: str
    query: dict[str, str]
    status: int  # 0 when the connection was reset or abandoned without an answer
    duration_ms: float
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    fault: str | None = None  # what the fault plan did, e.g. "route #2: status 503"
    #: what this entry cut to stay bounded: "path", "query", "headers", "header X-Name", "body"
    truncated: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        out = asdict(self)
        out["truncated"] = list(self.truncated)
        return out

    @property
    def size(self) -> int:
        """What the journal counts for this entry (:func:`entry_size`)."""
        return entry_size(len(self.path), self.query.items(), self.headers.items(), len(self.body))

    def describe(self) -> str:
        """One line: ``GET /library/sections?x=1 -> 503 (route #1: status 503) 2.1 ms``."""
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        fault = f" ({self.fault})" if self.fault else ""
        return f"{self.method} {self.path}{'?' + query if query else ''} -> {self.status}{fault} {self.duration_ms:.1f} ms"


def entry_size(path_length: int, query: Iterable[tuple[Any, Any]], headers: Iterable[tuple[Any, Any]],
               body_length: int) -> int:
    """The bytes an entry counts in its journal: its texts, plus :data:`ENTRY_COST` and :data:`FIELD_COST`
    per query parameter or header (raw ``bytes`` pairs or built ``str`` ones alike)."""
    pairs = [*query, *headers]
    return _entry_cost(path_length, sum(len(name) + len(value) for name, value in pairs), len(pairs), body_length)


def _entry_cost(path_length: int, field_bytes: int, fields: int, body_length: int) -> int:
    """:func:`entry_size` from the lengths already known (the raw path of every request has them)."""
    return ENTRY_COST + path_length + field_bytes + FIELD_COST * fields + body_length


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit]


def _bounded(mapping: dict[str, str], count: int, what: str, cut: list[str], each: str | None) -> dict[str, str]:
    """At most ``count`` items of ``mapping``, names and values cut to their limits; ``cut`` notes what was."""
    items = list(mapping.items())
    if len(items) > count:
        cut.append(what)
        items = items[:count]
    out: dict[str, str] = {}
    for name, value in items:
        if len(name) > NAME_LIMIT or len(value) > VALUE_LIMIT:
            note = f"{each} {_cut(name, 64)}" if each else what
            if note not in cut:
                cut.append(note)
        out[_cut(name, NAME_LIMIT)] = _cut(value, VALUE_LIMIT)
    return out


class _Recorded:
    """A request as the server saw it, kept raw until someone reads the journal (then redacted once).

    Recording is the hot path of every request: it stores references only (no
    copies, no parsing, no redaction). The secret values in use *when it was
    recorded* are kept with it, so a secret replaced later is still redacted.
    Once built, the raw fields are let go. ``size``: what it counts in the journal.
    """

    __slots__ = ("fields", "secrets", "entry", "size")

    def __init__(self, fields: tuple | None, secrets: tuple[str, ...], size: int) -> None:
        self.fields = fields
        self.secrets = secrets
        self.entry: JournalEntry | None = None
        self.size = size


#: no header name or value this long is over its limit (the quick check of every request)
_SHORTER_FIELD_LIMIT = min(NAME_LIMIT, VALUE_LIMIT)


def _within_field_limits(raw_headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether every header name is at most :data:`NAME_LIMIT` bytes and every value :data:`VALUE_LIMIT`."""
    return all(len(name) <= NAME_LIMIT and len(value) <= VALUE_LIMIT for name, value in raw_headers)


def _header_dict(raw_headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """ASGI header pairs as the journal shows them: ``X-Plex-Token``-style names, repeated ones joined by ``,``."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw_headers:
        name = raw_name.decode("latin-1").title()
        if name == "Content-Length":
            continue
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


class RequestJournal:
    """Bounded (oldest dropped first), thread-safe request journal.

    At most ``maxlen`` entries and ``max_bytes`` bytes (:attr:`size_bytes`;
    each entry bounded too, see the module doc). ``path`` filters are globs
    (``/library/sections/*/all``); ``method`` is case-insensitive.
    ``secret_names`` add to the redacted names, ``secret_values`` returns the
    mock's current secret values; ``clock`` returns the epoch seconds stamped
    on entries (the mock's clock).
    """

    def __init__(self, maxlen: int = 1000, secret_names: Iterable[str] = (),
                 opaque_body_prefixes: tuple[str, ...] = (),
                 secret_values: Callable[[], Iterable[str]] | None = None,
                 clock: Callable[[], float] = time.time, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if maxlen < 1:
            raise ValueError(f"journal size must be at least 1, got {maxlen}")
        if max_bytes < ENTRY_COST:
            raise ValueError(f"journal max_bytes must be at least {ENTRY_COST}, got {max_bytes}")
        self._maxlen = maxlen
        self.max_bytes = max_bytes
        #: the bytes the kept entries count (:func:`entry_size`), at most :attr:`max_bytes`
        self.size_bytes = 0
        #: entries dropped to stay within :attr:`maxlen` and :attr:`max_bytes` since the last clear
        self.dropped = 0
        self._entries: deque[_Recorded] = deque()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._waiting = 0  # threads in wait_for (changed under the lock)
        self._ids = itertools.count(1)
        self.redactor = Redactor(secret_names, secret_values)
        #: the callable stamping entries (epoch seconds of the mock's clock): readers place entries on that clock
        self.clock = clock
        self._opaque_body_prefixes = tuple(opaque_body_prefixes)
        self.total_recorded = 0
        #: bumped by :meth:`clear`: a request that came in before (still in flight then) is not recorded
        self.epoch = 0

    @property
    def maxlen(self) -> int:
        """How many entries are kept."""
        return self._maxlen

    def record(self, *, method: str, path: str, query: dict[str, str], status: int, duration_ms: float,
               headers: dict[str, str], body: str = "", fault: str | None = None) -> JournalEntry:
        """Add an entry, redacting secrets in path, headers, query, body and fault (an opaque path's body is not kept).

        Each text is redacted whole first, then cut to its limit (see the module doc).
        """
        entry = self._entry(next(self._ids), self.clock(), method, path, query, status, duration_ms, headers,
                            body, fault, self.redactor)
        self._append(_Recorded(None, (), entry.size), entry)
        return entry

    def record_raw(self, method: str, path: str, query_string: bytes, status: int, duration_ms: float,
                   raw_headers: list[tuple[bytes, bytes]], body: bytes, fault: str | None,
                   epoch: int | None = None) -> None:
        """Add an entry from what the server has at hand (ASGI header pairs, the raw query and body).

        Cheap: the entry is built and redacted (as :meth:`record` does) the
        first time the journal is read, with the secret values in use now.
        ``epoch``: the journal's :attr:`epoch` when the request came in; a
        request that was in flight when the journal was cleared is not recorded.
        """
        if epoch is not None and epoch != self.epoch:
            return
        secrets = self.redactor.current_values()
        entry_id, moment = next(self._ids), self.clock()
        # the lengths of the header names and values, found in C: this runs for every request
        lengths = list(map(len, itertools.chain.from_iterable(raw_headers)))
        within = (len(body) <= RAW_BODY_LIMIT and len(query_string) <= RAW_QUERY_LIMIT and len(path) <= PATH_LIMIT
                  and len(raw_headers) <= HEADERS_LIMIT
                  and (not lengths or max(lengths) <= _SHORTER_FIELD_LIMIT or _within_field_limits(raw_headers)))
        if not within:  # something to cut: redacted whole and cut now, never kept whole
            entry = self._entry(entry_id, moment, method, path, query_string, status, duration_ms,
                                _header_dict(raw_headers), body, fault, self.redactor.with_values(secrets))
            self._append(_Recorded(None, (), entry.size), entry)
            return
        size = _entry_cost(len(path), sum(lengths), len(raw_headers), len(body)) + len(query_string)
        self._append(_Recorded((entry_id, moment, method, path, query_string, status, duration_ms, raw_headers,
                                body, fault), secrets, size))

    def _append(self, item: _Recorded, entry: JournalEntry | None = None) -> None:
        """Keep ``item`` (built as ``entry`` when given), dropping the oldest to stay within both bounds.

        Runs for every request: one oldest entry goes when the count is full (the common case once a mock
        has served ``maxlen`` requests), a loop only when the bytes are over.
        """
        item.entry = entry
        entries = self._entries
        with self._lock:  # the condition's own lock: holding it is holding the condition
            if len(entries) >= self._maxlen:
                self.size_bytes -= entries.popleft().size
                self.dropped += 1
            entries.append(item)
            self.size_bytes += item.size
            while self.size_bytes > self.max_bytes and len(entries) > 1:
                self.size_bytes -= entries.popleft().size
                self.dropped += 1
            self.total_recorded += 1
            if self._waiting:  # notifying costs even with no one waiting
                self._changed.notify_all()

    def _entry(self, entry_id: int, moment: float, method: str, path: str, query: bytes | dict[str, str],
               status: int, duration_ms: float, headers: dict[str, str], body: bytes | str, fault: str | None,
               redact: Redactor) -> JournalEntry:
        """An entry of what a request had: every text redacted whole first, then cut to its limit."""
        cut: list[str] = []
        shown_path = redact.by_value(path)
        if len(shown_path) > PATH_LIMIT:
            cut.append("path")
            shown_path = shown_path[:PATH_LIMIT]
        if isinstance(query, bytes):
            query = dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True))
        shown_query = _bounded(redact.mapping(query), QUERY_PARAMS_LIMIT, "query", cut, None)
        shown_headers = _bounded(redact.mapping(headers), HEADERS_LIMIT, "headers", cut, "header")
        text = body if isinstance(body, str) else body.decode("utf-8", "replace")
        if text and self._opaque_body_prefixes and path.startswith(self._opaque_body_prefixes):
            text = OPAQUE_BODY
        else:
            text = redact.text(text)
            if len(text) > BODY_LIMIT:
                cut.append("body")
                text = text[:BODY_LIMIT]
        return JournalEntry(id=entry_id, time=moment, method=method.upper(), path=shown_path, query=shown_query,
                            status=status, duration_ms=round(duration_ms, 3), headers=shown_headers, body=text,
                            fault=None if fault is None else redact.by_value(fault), truncated=tuple(cut))

    def _built(self, item: _Recorded) -> JournalEntry:
        if item.entry is None:
            entry_id, moment, method, path, query_string, status, duration_ms, raw_headers, body, fault = item.fields
            item.entry = self._entry(entry_id, moment, method, path, query_string, status, duration_ms,
                                     _header_dict(raw_headers), body, fault, self.redactor.with_values(item.secrets))
            item.fields, item.secrets = None, ()  # the raw references are let go
        return item.entry

    def _snapshot(self) -> list[JournalEntry]:
        with self._lock:
            return [self._built(item) for item in self._entries]

    def entries(self, method: str | None = None, path: str | None = None,
                status: int | None = None, limit: int | None = None) -> list[JournalEntry]:
        """Entries matching every filter given, oldest first; with ``limit``, only the newest ``limit`` of them
        (the older ones are not even read)."""
        if not limit:
            snapshot = self._snapshot()
            return [e for e in snapshot if self._matches(e, method, path, status)]
        newest: list[JournalEntry] = []
        with self._lock:
            for item in reversed(self._entries):
                entry = self._built(item)
                if self._matches(entry, method, path, status):
                    newest.append(entry)
                    if len(newest) == limit:
                        break
        newest.reverse()
        return newest

    def count(self, method: str | None = None, path: str | None = None, status: int | None = None) -> int:
        """How many kept entries match."""
        return len(self.entries(method, path, status))

    def last(self) -> JournalEntry | None:
        """The newest entry, if any."""
        with self._lock:
            return self._built(self._entries[-1]) if self._entries else None

    def clear(self) -> None:
        """Forget every entry; requests in flight now are not recorded when they finish."""
        with self._lock:
            self._entries.clear()
            self.size_bytes = 0
            self.dropped = 0
            self.epoch += 1

    def closest(self, method: str | None, path: str | None, limit: int = 3) -> list[JournalEntry]:
        """The recorded requests most like ``method path`` (best first)."""
        target = f"{(method or '').upper()} {path or ''}"
        scored = [(difflib.SequenceMatcher(None, target, f"{e.method} {e.path}").ratio(), e.id, e)
                  for e in self.entries()]
        scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [e for _, _, e in scored[:limit]]

    def assert_received(self, method: str | None = None, path: str | None = None, *, count: int | None = None,
                        at_least: int | None = None, status: int | None = None) -> list[JournalEntry]:
        """Check what was received; on failure raise AssertionError naming the closest requests.

        With neither ``count`` nor ``at_least``, at least one match is expected.
        """
        matched = self.entries(method, path, status)
        wanted = f"{(method or 'ANY').upper()} {path or '*'}" + (f" with status {status}" if status else "")
        if count is not None and len(matched) != count:
            problem = f"expected {count} request(s) {wanted}, got {len(matched)}"
        elif count is None and len(matched) < (1 if at_least is None else at_least):
            problem = f"expected at least {1 if at_least is None else at_least} request(s) {wanted}, got {len(matched)}"
        else:
            return matched
        raise AssertionError(f"{problem}. {self.describe_closest(method, path)}")

    def describe_closest(self, method: str | None, path: str | None, limit: int = 3) -> str:
        """Text listing the closest recorded requests (for failure messages)."""
        closest = self.closest(method, path, limit)
        if not closest:
            return "No requests were recorded."
        lines = "\n".join(f"  {e.describe()}" for e in closest)
        return f"Closest recorded requests ({self.count()} recorded):\n{lines}"

    def wait_for(self, method: str | None = None, path: str | None = None, *, count: int = 1,
                 status: int | None = None, timeout: float = 5.0) -> list[JournalEntry]:
        """Block until ``count`` matching requests were recorded, or AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                matched = [e for e in map(self._built, self._entries) if self._matches(e, method, path, status)]
                if len(matched) >= count:
                    return matched
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._waiting += 1
                try:
                    self._changed.wait(remaining)
                finally:
                    self._waiting -= 1
        raise AssertionError(
            f"expected {count} request(s) {(method or 'ANY').upper()} {path or '*'} within {timeout:g} s, "
            f"got {len(matched)}. {self.describe_closest(method, path)}")

    # -- internals ---------------------------------------------------------------------
    @staticmethod
    def _matches(entry: JournalEntry, method: str | None, path: str | None, status: int | None) -> bool:
        if method and entry.method != method.upper():
            return False
        if path and not (entry.path == path or fnmatch.fnmatchcase(entry.path, path)):
            return False
        return status is None or entry.status == status
