"""A bounded, thread-safe record of the requests a mock served.

Secrets are redacted when an entry is recorded (:mod:`.redaction`: by value
and by name, over the whole body *before* it is cut to :data:`BODY_LIMIT`
characters), so nothing that reads the journal (tests, keywords, the admin
API, reports) can leak them. Entry times come from the mock's clock.
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

__all__ = ["JournalEntry", "RequestJournal", "REDACTED", "redact_text", "BODY_LIMIT"]

#: what is kept of a body the journal must not record
OPAQUE_BODY = "(body not journaled)"
#: how many characters of a (redacted) body an entry keeps
BODY_LIMIT = 2048
#: bodies up to this many bytes are kept raw until the journal is read; larger ones are redacted and cut at once
RAW_BODY_LIMIT = 16 * 1024


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

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)

    def describe(self) -> str:
        """One line: ``GET /library/sections?x=1 -> 503 (route #1: status 503) 2.1 ms``."""
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        fault = f" ({self.fault})" if self.fault else ""
        return f"{self.method} {self.path}{'?' + query if query else ''} -> {self.status}{fault} {self.duration_ms:.1f} ms"


class _Recorded:
    """A request as the server saw it, kept raw until someone reads the journal (then redacted once).

    Recording is the hot path of every request: it stores references only (no
    copies, no parsing, no redaction). The secret values in use *when it was
    recorded* are kept with it, so a secret replaced later is still redacted.
    """

    __slots__ = ("fields", "secrets", "entry")

    def __init__(self, fields: tuple, secrets: tuple[str, ...]) -> None:
        self.fields = fields
        self.secrets = secrets
        self.entry: JournalEntry | None = None


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

    ``path`` filters are globs (``/library/sections/*/all``); ``method`` is
    case-insensitive. ``secret_names`` add to the redacted names,
    ``secret_values`` returns the mock's current secret values; ``clock``
    returns the epoch seconds stamped on entries (the mock's clock).
    """

    def __init__(self, maxlen: int = 1000, secret_names: Iterable[str] = (),
                 opaque_body_prefixes: tuple[str, ...] = (),
                 secret_values: Callable[[], Iterable[str]] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if maxlen < 1:
            raise ValueError(f"journal size must be at least 1, got {maxlen}")
        self._entries: deque[JournalEntry] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
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
        return self._entries.maxlen or 0

    def record(self, *, method: str, path: str, query: dict[str, str], status: int, duration_ms: float,
               headers: dict[str, str], body: str = "", fault: str | None = None) -> JournalEntry:
        """Add an entry, redacting secrets in path, headers, query, body and fault (an opaque path's body is not kept).

        The whole body is redacted first, then cut to :data:`BODY_LIMIT` characters.
        """
        if body and self._opaque_body_prefixes and path.startswith(self._opaque_body_prefixes):
            body = OPAQUE_BODY
        redact = self.redactor
        entry = JournalEntry(
            id=next(self._ids), time=self.clock(), method=method.upper(), path=redact.by_value(path),
            query=redact.mapping(query), status=status, duration_ms=round(duration_ms, 3),
            headers=redact.mapping(headers), body=redact.text(body)[:BODY_LIMIT],
            fault=None if fault is None else redact.by_value(fault))
        with self._changed:
            self._entries.append(entry)
            self.total_recorded += 1
            self._changed.notify_all()
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
        kept: bytes | str = body
        if len(body) > RAW_BODY_LIMIT:  # a large body is redacted and cut now, not kept whole
            kept = self._body_text(path, body.decode("utf-8", "replace"), self.redactor.with_values(secrets))
        pending = _Recorded((next(self._ids), self.clock(), method, path, query_string, status, duration_ms,
                             raw_headers, kept, fault), secrets)
        with self._changed:
            self._entries.append(pending)  # type: ignore[arg-type]
            self.total_recorded += 1
            self._changed.notify_all()

    def _built(self, item: "JournalEntry | _Recorded") -> JournalEntry:
        if isinstance(item, JournalEntry):
            return item
        if item.entry is None:
            entry_id, moment, method, path, query_string, status, duration_ms, raw_headers, body, fault = item.fields
            redact = self.redactor.with_values(item.secrets)
            text = body if isinstance(body, str) else self._body_text(path, body.decode("utf-8", "replace"), redact)
            query = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
            item.entry = JournalEntry(
                id=entry_id, time=moment, method=method.upper(), path=redact.by_value(path),
                query=redact.mapping(query), status=status, duration_ms=round(duration_ms, 3),
                headers=redact.mapping(_header_dict(raw_headers)), body=text,
                fault=None if fault is None else redact.by_value(fault))
        return item.entry

    def _body_text(self, path: str, text: str, redact: Redactor) -> str:
        """What an entry keeps of a body: nothing under an opaque prefix, else redacted whole, then cut."""
        if text and self._opaque_body_prefixes and path.startswith(self._opaque_body_prefixes):
            return OPAQUE_BODY
        return redact.text(text)[:BODY_LIMIT]

    def _snapshot(self) -> list[JournalEntry]:
        with self._lock:
            return [self._built(item) for item in self._entries]

    def entries(self, method: str | None = None, path: str | None = None,
                status: int | None = None) -> list[JournalEntry]:
        """Entries matching every filter given, oldest first."""
        snapshot = self._snapshot()
        return [e for e in snapshot if self._matches(e, method, path, status)]

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
                self._changed.wait(remaining)
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
