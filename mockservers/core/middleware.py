"""The one ASGI middleware that applies a fault plan and journals requests.

Every service's app sits behind it, so every fault works the same way on
Plex, Overseerr and Uptime Kuma. It needs only the fault plan and the
journal; the admin API is a layer *outside* it (see
:meth:`mockservers.core.admin.AdminApi.wrap`), so admin requests never reach
it. Each :class:`~mockservers.core.faults.FaultKind` has one handler here.

It runs on the server's event loop: delays, jitter, hangs and dribbling are
``asyncio`` waits in real time (they are network behaviour), so a waiting
request occupies no thread and holds no lock. They end early when the plan
says so (:meth:`FaultMiddleware.release`): cleared faults (clear, replace,
reset) let the request go on at once with the real answer (the journal's
fault ends with ``faults cleared``); a stop or take-down cuts it (``server
stopping``, status 0). Connection faults act on the request's
transport, which the server's HTTP protocol puts in the scope
(:data:`TRANSPORT`): a reset is ``SO_LINGER`` 0 then ``abort()`` (the client
reads a TCP RST), a truncated answer closes the transport mid-body.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import time
from typing import Any, Awaitable, Callable

from .faults import EMPTY_BODY_STATUSES, NO_BODY_STATUSES, PASS, Action, Decision, FaultKind, FaultPlan
from .journal import RequestJournal
from .validation import BODY, replay_body

__all__ = ["FaultMiddleware", "TRANSPORT", "BODY", "LIFTED", "STOPPING"]

#: scope key: the asyncio transport of the request's connection (set by the server's HTTP protocol)
TRANSPORT = "mockservers.transport"
#: why a fault's wait ended early: the faults were cleared (the request goes on), or the server stops (cut)
LIFTED = "faults cleared"
STOPPING = "server stopping"

_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 408: "Request Timeout",
            409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout"}

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Handler = Callable[[Action, Scope, Receive, Send, "_Recorder"], Awaitable[None]]


class _Answer:
    """The status, headers and body an app produced (for faults that rewrite answers)."""

    def __init__(self) -> None:
        self.status = 200
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status, self.headers = message["status"], list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    def header(self, name: str) -> str:
        wanted = name.lower().encode("latin-1")
        return next((v.decode("latin-1") for k, v in self.headers if k.lower() == wanted), "")

    def headers_with_length(self, length: int) -> list[tuple[bytes, bytes]]:
        kept = [(k, v) for k, v in self.headers if k.lower() not in (b"content-length", b"transfer-encoding")]
        return kept + [(b"content-length", str(length).encode("latin-1"))]


class FaultMiddleware:
    """Apply ``faults`` to each request to the ASGI ``app`` and record it in ``journal``.

    ``exempt_prefixes``: paths that skip the global delay and failure rate
    (outages and route faults aimed at them still apply).
    """

    def __init__(self, app: Callable, faults: FaultPlan, journal: RequestJournal,
                 exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.faults = faults
        self.journal = journal
        self.exempt_prefixes = tuple(exempt_prefixes)
        self._handlers: dict[FaultKind, Handler] = {
            FaultKind.PASS: self._pass,
            FaultKind.DELAY: self._delay,
            FaultKind.STATUS: self._status_answer,
            FaultKind.RESET: self._reset_connection,
            FaultKind.HANG: self._hang_then_drop,
            FaultKind.TRUNCATE: self._truncated,
            FaultKind.MALFORMED: self._malformed_answer,
            FaultKind.DRIBBLE: self._dribbled,
        }
        missing = set(FaultKind) - set(self._handlers)
        assert not missing, f"no handler for fault kind(s) {missing}"  # noqa: S101 - a programming error
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: dict[asyncio.Future, int] = {}  # each wait in progress -> the plan generation it serves
        faults.add_release_listener(self.release)

    @property
    def waiting(self) -> int:
        """How many requests wait in a delay, a hang or a dribble pause now."""
        return len(self._waiting)

    def release(self, stopping: bool) -> None:
        """End waits now; callable from any thread. ``stopping``: every wait, and the requests are cut;
        otherwise the faults were cleared: the waits of requests decided before go on with the real answer."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        why, before = (STOPPING, None) if stopping else (LIFTED, self.faults.generation)
        try:
            loop.call_soon_threadsafe(self._wake_all, why, before)
        except RuntimeError:  # the loop closed meanwhile
            pass

    def _wake_all(self, why: str, before: int | None) -> None:
        for waiting, generation in list(self._waiting.items()):
            if not waiting.done() and (before is None or generation < before):
                waiting.set_result(why)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"] or "/"
        started = time.perf_counter()
        exempt = bool(self.exempt_prefixes) and path.startswith(self.exempt_prefixes)
        decision = self.faults.decide(scope["method"], path, exempt)
        recorder = _Recorder(self.journal, scope, path, started, decision)
        action = decision.action
        if decision.delay_s:
            ended = await self._wait(decision.delay_s, decision.generation)
            if ended == STOPPING:
                await recorder.abandoned(scope, receive, STOPPING)
                return
            if ended == LIFTED:
                recorder.note(LIFTED)
                action = PASS
        await self._handlers[action.kind](action, scope, receive, send, recorder)

    def admit_websocket(self, path: str, query_string: bytes, headers: list[tuple[bytes, bytes]]) -> bool:
        """Decide a websocket upgrade request (``GET``) and journal it: True to let it through (status 101).

        Any fault other than a pass (an outage, a route fault, a failure) refuses
        it: the caller resets the connection, journaled with status 0.
        """
        exempt = bool(self.exempt_prefixes) and path.startswith(self.exempt_prefixes)
        decision = self.faults.decide("GET", path, exempt)
        allowed = decision.action.kind in (FaultKind.PASS, FaultKind.DELAY)
        recorder = _Recorder(self.journal, {"method": "GET", "query_string": query_string, "headers": headers},
                             path, time.perf_counter(), decision)
        recorder.status = 101 if allowed else 0
        recorder.finished(None if allowed else "websocket refused")
        return allowed

    # -- one handler per fault kind -----------------------------------------------------------
    async def _pass(self, action: Action, scope: Scope, receive: Receive, send: Send, recorder: "_Recorder") -> None:
        """The real answer."""
        await self.app(scope, receive, recorder.sender(send))
        recorder.finished()

    async def _delay(self, action: Action, scope: Scope, receive: Receive, send: Send,
                     recorder: "_Recorder") -> None:
        """Wait ``delay_ms`` (real time), then the real answer (at once when the faults are cleared meanwhile)."""
        ended = await self._wait(action.delay_ms / 1000.0, recorder.decision.generation)
        if ended == STOPPING:
            await recorder.abandoned(scope, receive, STOPPING)
            return
        if ended == LIFTED:
            recorder.note(LIFTED)
        await self._pass(action, scope, receive, send, recorder)

    async def _status_answer(self, action: Action, scope: Scope, receive: Receive, send: Send,
                             recorder: "_Recorder") -> None:
        """The action's status, headers and body (a JSON error body unless one is given; none for 204 and 304,
        an empty one for 205)."""
        status = action.status or 503
        if status in NO_BODY_STATUSES:  # no body and no Content-Length: the next answer follows at once
            payload, headers = b"", {}
        elif status in EMPTY_BODY_STATUSES:
            payload, headers = b"", {"Content-Length": "0"}
        else:
            if action.body is not None:
                payload = action.body.encode()
                content_type = "text/plain; charset=utf-8"
            else:
                payload = json.dumps({"error": _REASONS.get(status, "Injected fault"), "status": status,
                                      "injected": True}).encode()
                content_type = "application/json"
            headers = {"Content-Type": content_type, "Content-Length": str(len(payload))}
        headers.update(action.headers)
        await recorder.answer(send, status, [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                             for k, v in headers.items()], payload)

    async def _reset_connection(self, action: Action, scope: Scope, receive: Receive, send: Send,
                                recorder: "_Recorder") -> None:
        """A TCP reset before any answer."""
        await recorder.abandoned(scope, receive, "reset")

    async def _hang_then_drop(self, action: Action, scope: Scope, receive: Receive, send: Send,
                              recorder: "_Recorder") -> None:
        """No answer until the client gives up, the server stops, or ``hang_max_s`` (real time); the real answer
        at once when the faults are cleared meanwhile."""
        if await self._hang(receive, recorder.decision.generation) == LIFTED:
            recorder.note(LIFTED)
            await self._pass(action, scope, replay_body(scope.get(BODY, b""), receive), send, recorder)
            return
        await recorder.abandoned(scope, receive, "hang")

    async def _truncated(self, action: Action, scope: Scope, receive: Receive, send: Send,
                         recorder: "_Recorder") -> None:
        """Promise the whole body, send half of it; the connection then closes."""
        answer = await self._real_answer(scope, receive)
        original = b"".join(answer.chunks)
        recorder.status = answer.status
        recorder.finished()
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": answer.headers_with_length(max(len(original), 2))})
        await send({"type": "http.response.body", "body": original[: len(original) // 2], "more_body": True})
        await _close(scope, receive, abort=False)

    async def _malformed_answer(self, action: Action, scope: Scope, receive: Receive, send: Send,
                                recorder: "_Recorder") -> None:
        """The real status with its JSON/XML body cut mid-token."""
        answer = await self._real_answer(scope, receive)
        original = b"".join(answer.chunks)
        broken = self._malformed(original, answer.header("Content-Type"))
        await recorder.answer(send, answer.status, answer.headers_with_length(len(broken)), broken)

    async def _dribbled(self, action: Action, scope: Scope, receive: Receive, send: Send,
                        recorder: "_Recorder") -> None:
        """The real body, ``chunk_size`` bytes every ``chunk_delay_ms`` (real time); the rest at once when the
        faults are cleared meanwhile."""
        answer = await self._real_answer(scope, receive)
        body = b"".join(answer.chunks)
        recorder.status = answer.status
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": answer.headers_with_length(len(body))})
        step, index = action.chunk_size, 0
        while index < len(body):
            ended = None if not index else await self._wait(action.chunk_delay_ms / 1000.0,
                                                            recorder.decision.generation)
            if ended == STOPPING:
                recorder.finished(STOPPING)
                await _close(scope, receive, abort=True)
                return
            if ended == LIFTED:
                recorder.note(LIFTED)
                step = len(body)  # the rest in one piece
            last = index + step >= len(body)
            if last:
                recorder.finished()
            await send({"type": "http.response.body", "body": body[index:index + step], "more_body": not last})
            index += step
        if not body:
            recorder.finished()
            await send({"type": "http.response.body", "body": b""})

    # -- helpers -------------------------------------------------------------------------------
    async def _real_answer(self, scope: Scope, receive: Receive) -> _Answer:
        answer = _Answer()
        await self.app(scope, receive, answer.send)
        return answer

    @staticmethod
    def _malformed(original: bytes, content_type: str) -> bytes:
        cut = original[: max(1, len(original) // 2)]
        if "json" in content_type:
            return cut.rstrip(b"}]") + b',"\x00broken'
        if "xml" in content_type or original.lstrip().startswith(b"<"):
            return cut + b'<<broken attr="'
        return b"\x00\xffnot the expected body"

    async def _wait(self, seconds: float, generation: int) -> str | None:
        """Wait ``seconds`` of real time without a thread (one loop timer) for a request the plan's
        ``generation`` decided: ``None`` when the time passed, :data:`LIFTED` when the faults were cleared
        (also before the wait began), :data:`STOPPING` when the server stops."""
        loop = self._loop = asyncio.get_running_loop()
        if self.faults.generation != generation:
            return LIFTED
        waiting = loop.create_future()
        timer = loop.call_later(seconds, lambda: waiting.done() or waiting.set_result(None))
        self._waiting[waiting] = generation
        try:
            return await waiting
        finally:
            timer.cancel()
            self._waiting.pop(waiting, None)

    async def _hang(self, receive: Receive, generation: int) -> str | None:
        """Answer nothing until the client closes, ``hang_max_s`` passes (``None``), the faults are cleared
        (:data:`LIFTED`) or the server stops (:data:`STOPPING`)."""
        gone = asyncio.ensure_future(_disconnected(receive))
        released = asyncio.ensure_future(self._wait(self.faults.hang_max_s, generation))
        try:
            await asyncio.wait((gone, released), return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            released.cancel()
        return released.result() if released.done() and not released.cancelled() else None


async def _disconnected(receive: Receive) -> None:
    """Return when the client has closed the connection."""
    while (await receive())["type"] != "http.disconnect":
        pass


def reset_transport(transport: asyncio.BaseTransport) -> None:
    """Drop the connection with a real TCP reset: linger 0, then abort, so the peer gets RST, not FIN."""
    sock = transport.get_extra_info("socket")
    try:
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    transport.abort()


async def _close(scope: Scope, receive: Receive, *, abort: bool) -> None:
    """Close the request's connection (``abort``: with a TCP reset) and wait until the server has seen it."""
    transport = scope.get(TRANSPORT)
    if transport is None:
        return
    if abort:
        reset_transport(transport)
    else:
        transport.close()
    try:
        await asyncio.wait_for(_disconnected(receive), timeout=5.0)
    except (asyncio.TimeoutError, RuntimeError):
        pass


class _Recorder:
    """Journals one request once its answer is complete (or abandoned)."""

    def __init__(self, journal: RequestJournal, scope: Scope, path: str, started: float, decision: Decision) -> None:
        self.journal, self.scope, self.path = journal, scope, path
        self.started, self.decision = started, decision
        self.status = 0
        self.recorded = False
        self.notes: list[str] = []
        #: the journal's epoch when the request came in: a request still in flight when it is cleared is not kept
        self.epoch = journal.epoch

    def sender(self, send: Send) -> Send:
        """``send`` that notes the status and journals *before* the last body chunk goes out,
        so a client that has its answer always finds the request in the journal."""

        held: list[dict[str, Any]] = []  # the newest body chunk waits for the next (the client may have all bytes)

        async def sending(message: dict[str, Any]) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                self.status = message["status"]
            elif kind == "http.response.body":
                if message.get("more_body", False):
                    if held:
                        await send(held.pop())
                    held.append(message)
                    return
                self.finished()
                if held:
                    await send(held.pop())
            await send(message)

        return sending

    async def answer(self, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """Send a whole answer made here."""
        self.status = status
        self.finished()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def abandoned(self, scope: Scope, receive: Receive, what: str) -> None:
        """Journal it with status 0, then reset the connection."""
        self.status = 0
        self.finished(what)
        await _close(scope, receive, abort=True)

    def note(self, what: str) -> None:
        """Add ``what`` to the fault text the journal keeps (e.g. :data:`LIFTED`)."""
        self.notes.append(what)

    def finished(self, what: str | None = None) -> None:
        """Journal the request (once)."""
        if self.recorded:
            return
        self.recorded = True
        decision = self.decision
        fault = None
        if decision.source:
            fault = f"{decision.source}: {decision.action.describe()}"
        elif what:
            fault = what
        if decision.delay_s:
            fault = (fault + ", " if fault else "") + f"delay {decision.delay_s * 1000:.0f} ms"
        for note in self.notes:
            fault = (fault + "; " if fault else "") + note
        scope = self.scope
        self.journal.record_raw(scope["method"], self.path, scope.get("query_string", b""), self.status,
                                (time.perf_counter() - self.started) * 1000.0, scope["headers"],
                                scope.get(BODY, b""), fault, epoch=self.epoch)
