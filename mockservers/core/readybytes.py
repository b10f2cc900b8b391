"""Ready bytes: an answer rendered once is served from memory until the mock's data changes.

One general mechanism for every mock:

- each data store owns a :class:`DataVersion`, a counter that every change of
  state bumps *after* the change is applied (:func:`changes_data` marks the
  mutating methods; setters of credentials bump it too);
- :class:`ReadyBytes`, an ASGI layer just in front of the service's app, keys
  every ``GET`` answer by ``(version, path, raw query string, the request
  headers the service declares as changing its answers)`` and serves a
  ``200`` it rendered before from memory while that key holds.

Why no answer from before a state change can be served: a request reads the
version *before* the app renders, and the version is bumped only *after* a
change is applied, so a rendering stored under version ``v`` reflects at least
the state of ``v``; every later request reads a newer version and misses.
The declared headers (``Accept``, the credential header, ...) are part of the
key by value, and a credential change bumps the version, so an answer made
for a token that was valid is never served once it is not. Only ``200``
answers without ``Set-Cookie`` are kept; errors (401, 404, 400) are rendered
every time. The query string is used as sent (no reordering: ``a=1&a=2`` and
``a=2&a=1`` are different questions). Faults, auth and the journal are
layers *outside* this one (see :mod:`.server`): they apply to every request.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from typing import Any, Awaitable, Callable

__all__ = ["DataVersion", "ReadyBytes", "changes_data", "MAX_ENTRIES", "MAX_BYTES", "MAX_BODY"]

#: at most this many ready answers per mock; when full, the oldest half is dropped
MAX_ENTRIES = 2048
#: at most this many bytes of ready answers per mock; when over, the oldest half is dropped
MAX_BYTES = 32 * 1024 * 1024
#: answers larger than this (bytes) are not kept
MAX_BODY = 4 * 1024 * 1024

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class DataVersion:
    """A counter a data store bumps on every change of state (thread-safe)."""

    def __init__(self) -> None:
        self._value = 0
        self._lock = threading.Lock()

    @property
    def value(self) -> int:
        """The current version."""
        return self._value

    def bump(self) -> int:
        """Note a change of state (call it after the change is applied); returns the new version."""
        with self._lock:
            self._value += 1
            return self._value


def changes_data(method: Callable) -> Callable:
    """Decorator for a data store's mutating method: bump ``self.version`` after it returns or raises."""

    @functools.wraps(method)
    def changing(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        finally:
            self.version.bump()

    return changing


class ReadyBytes:
    """ASGI layer serving rendered ``GET`` answers of ``app`` from memory (see the module doc).

    ``version`` returns the current data version; ``vary`` names the request
    headers (lower case) that change an answer. ``hits`` and ``misses`` count
    lookups (for tests and benchmarks).
    """

    def __init__(self, app: Callable, version: Callable[[], int], vary: tuple[str, ...] = ()) -> None:
        self.app = app
        self.version = version
        self.vary = tuple(name.lower().encode("latin-1") for name in vary)
        self._answers: dict[tuple, tuple[int, list[tuple[bytes, bytes]], bytes]] = {}
        self._bytes = 0
        self._version: Any = None
        #: keys being rendered now: a request for the same key waits for that rendering instead of repeating it
        self._rendering: dict[tuple, asyncio.Future] = {}
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        """Forget every ready answer."""
        self._answers = {}
        self._bytes = 0

    def key(self, scope: Scope, version: int) -> tuple:
        """Everything that can change the answer to this request."""
        wanted = self.vary
        values = [b""] * len(wanted)
        if wanted:
            for name, value in scope["headers"]:
                if name in wanted:
                    index = wanted.index(name)
                    values[index] = values[index] + b"," + value if values[index] else value
        return (version, scope["path"], scope.get("query_string", b""), *values)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        version = self.version()
        if version != self._version:  # the data changed: no kept answer can match again
            self._version = version
            self.clear()
        key = self.key(scope, version)
        rendering = self._rendering.get(key)
        if rendering is not None:
            await asyncio.shield(rendering)
        ready = self._answers.get(key)
        if ready is not None:
            self.hits += 1
            status, headers, body = ready
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        self.misses += 1
        if rendering is None:
            rendering = self._rendering[key] = asyncio.get_running_loop().create_future()
            try:
                await self._render(key, scope, receive, send)
            finally:
                del self._rendering[key]
                rendering.set_result(None)
        else:  # the other rendering was not kept (e.g. a 401): render this one too
            await self._render(key, scope, receive, send)

    async def _render(self, key: tuple, scope: Scope, receive: Receive, send: Send) -> None:
        """Let the app answer, keeping a copy of a keepable answer under ``key``."""
        captured: dict[str, Any] = {"chunks": []}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                captured["status"], captured["headers"] = message["status"], list(message.get("headers", ()))
            elif message["type"] == "http.response.body":
                captured["chunks"].append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._keep(key, captured)  # before the client can have it all and ask again
            await send(message)

        await self.app(scope, receive, capture)

    def _keep(self, key: tuple, captured: dict[str, Any]) -> None:
        if captured.get("status") != 200:
            return
        headers = captured["headers"]
        if any(name.lower() == b"set-cookie" for name, _ in headers):
            return
        body = b"".join(captured["chunks"])
        if len(body) > MAX_BODY:
            return
        # the app may have streamed without a length: the ready answer always carries one
        headers = [(n, v) for n, v in headers if n.lower() not in (b"content-length", b"transfer-encoding")]
        headers.append((b"content-length", str(len(body)).encode("latin-1")))
        answers = self._answers
        if len(answers) >= MAX_ENTRIES or self._bytes + len(body) > MAX_BYTES:
            answers = dict(list(answers.items())[len(answers) // 2:])
            self._bytes = sum(len(kept[2]) for kept in answers.values())
        answers[key] = (200, headers, body)
        self._bytes += len(body)
        self._answers = answers
