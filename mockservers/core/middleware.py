"""The one WSGI middleware that applies a server's fault plan and journals requests.

Every service's app sits behind it, so every fault works the same way on
Plex, Overseerr and Uptime Kuma. ``/__admin`` requests are never faulted or
journaled.
"""

from __future__ import annotations

import io
import json
import select
import socket
import struct
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator
from urllib.parse import parse_qsl

from .admin import ADMIN_PREFIX
from .faults import Action, Decision

if TYPE_CHECKING:  # pragma: no cover
    from .server import MockServer

__all__ = ["FaultMiddleware", "ABANDONED"]

#: environ key set when the middleware dropped the connection on purpose
ABANDONED = "mockservers.abandoned"

_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 408: "Request Timeout",
            409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout"}


def _status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, 'Injected Fault')}"


class _Captured:
    """The status, headers and body an app produced (for faults that rewrite answers)."""

    def __init__(self) -> None:
        self.status = "200 OK"
        self.headers: list[tuple[str, str]] = []

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
        self.status, self.headers = status, list(headers)
        return lambda data: None

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")


class FaultMiddleware:
    """Apply ``server.faults`` to each request and record it in ``server.journal``."""

    def __init__(self, app: Callable, server: "MockServer") -> None:
        self.app = app
        self.server = server

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            return self.app(environ, start_response)
        started = time.perf_counter()
        exempt = path.startswith(self.server.fault_exempt_prefixes)
        decision = self.server.faults.decide(environ.get("REQUEST_METHOD", "GET"), path, exempt)
        body = self._request_body(environ)
        recorder = _Recorder(self.server, environ, path, body, started, decision)
        if decision.delay_s and self._wait(decision.delay_s):
            return recorder.abandoned(environ, "server stopping")
        action = decision.action
        if action.kind == "delay" and self._wait(action.delay_ms / 1000.0):
            return recorder.abandoned(environ, "server stopping")
        if action.kind in ("pass", "delay"):
            return recorder.wrap(self.app(environ, recorder.start_response(start_response)))
        if action.kind == "status":
            return recorder.wrap(self._status_answer(action, start_response, recorder))
        if action.kind == "reset":
            return recorder.abandoned(environ, "reset")
        if action.kind == "hang":
            self._hang(environ)
            return recorder.abandoned(environ, "hang")
        return recorder.wrap(self._rewritten_answer(action, environ, start_response, recorder))

    # -- answers ---------------------------------------------------------------------
    @staticmethod
    def _status_answer(action: Action, start_response: Callable, recorder: "_Recorder") -> list[bytes]:
        status = action.status or 503
        if action.body is not None:
            payload = action.body.encode()
            content_type = "text/plain; charset=utf-8"
        else:
            payload = json.dumps({"error": _REASONS.get(status, "Injected fault"), "status": status,
                                  "injected": True}).encode()
            content_type = "application/json"
        headers = {"Content-Type": content_type, "Content-Length": str(len(payload))}
        headers.update(action.headers)
        recorder.start_response(start_response)(_status_line(status), list(headers.items()))
        return [payload]

    def _rewritten_answer(self, action: Action, environ: dict, start_response: Callable,
                          recorder: "_Recorder") -> Iterator[bytes]:
        captured = _Captured()
        result = self.app(environ, captured.start_response)
        try:
            original = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = [(k, v) for k, v in captured.headers if k.lower() != "content-length"]
        send = recorder.start_response(start_response)
        if action.kind == "truncate":
            # promise the whole body, send half of it, then the connection closes
            send(captured.status, headers + [("Content-Length", str(max(len(original), 2)))])
            return iter([original[: len(original) // 2]])
        if action.kind == "malformed":
            broken = self._malformed(original, captured.header("Content-Type"))
            send(captured.status, headers + [("Content-Length", str(len(broken)))])
            return iter([broken])
        # dribble: the real body, a few bytes at a time
        send(captured.status, headers + [("Content-Length", str(len(original)))])
        return self._dribble(original, action)

    @staticmethod
    def _malformed(original: bytes, content_type: str) -> bytes:
        cut = original[: max(1, len(original) // 2)]
        if "json" in content_type:
            return cut.rstrip(b"}]") + b',"\x00broken'
        if "xml" in content_type or original.lstrip().startswith(b"<"):
            return cut + b'<<broken attr="'
        return b"\x00\xffnot the expected body"

    def _dribble(self, body: bytes, action: Action) -> Iterator[bytes]:
        step = action.chunk_size
        for index in range(0, len(body), step):
            if index and self._wait(action.chunk_delay_ms / 1000.0):
                return
            yield body[index:index + step]

    # -- connection faults -----------------------------------------------------------------
    def _wait(self, seconds: float) -> bool:
        """Wait ``seconds``; True when the server is stopping (the wait ended early)."""
        return self.server.faults.hang_event.wait(seconds)

    def _hang(self, environ: dict) -> None:
        """Answer nothing until the client closes, the server stops, or ``hang_max_s``."""
        sock = environ.get("werkzeug.socket")
        release = self.server.faults.hang_event
        deadline = time.monotonic() + self.server.faults.hang_max_s
        while time.monotonic() < deadline and not release.is_set():
            if sock is None:
                release.wait(0.05)
                continue
            try:
                readable, _, _ = select.select([sock], [], [], 0.05)
                if readable and sock.recv(1, socket.MSG_PEEK) == b"":
                    return  # the client gave up
            except (OSError, ValueError):
                return

    @staticmethod
    def _reset(environ: dict) -> None:
        sock = environ.get("werkzeug.socket")
        if sock is None:
            return
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # linger 0: the peer gets RST, not FIN
        except OSError:
            pass

    @staticmethod
    def _request_body(environ: dict) -> str:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= 0:
            return ""
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(raw)
        return raw.decode("utf-8", "replace")


class _Recorder:
    """Journals one request once its answer is complete (or abandoned)."""

    def __init__(self, server: "MockServer", environ: dict, path: str, body: str, started: float,
                 decision: Decision) -> None:
        self.server, self.environ, self.path, self.body = server, environ, path, body
        self.started, self.decision = started, decision
        self.status = 0

    def start_response(self, start_response: Callable) -> Callable:
        def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
            self.status = int(status.split(None, 1)[0])
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return capture

    def wrap(self, result: Iterable[bytes]) -> Iterator[bytes]:
        """Pass the body through, journaling *before* its last chunk is sent, so a
        client that has its answer always finds the request in the journal."""
        recorded = False
        try:
            held: bytes | None = None
            for chunk in result:
                if held is not None:
                    yield held
                held = chunk
            self._record()
            recorded = True
            if held is not None:
                yield held
        finally:
            if hasattr(result, "close"):
                result.close()
            if not recorded:
                self._record("client went away")

    def abandoned(self, environ: dict, what: str) -> list[bytes]:
        """Reset the connection, journal it with status 0, and tell the server it dropped."""
        self.status = 0
        FaultMiddleware._reset(environ)
        environ[ABANDONED] = True
        self._record(what)
        raise ConnectionAbortedError(f"fault injected: {what}")

    def _record(self, what: str | None = None) -> None:
        environ = self.environ
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        fault = None
        if self.decision.source:
            fault = f"{self.decision.source}: {self.decision.action.describe()}"
        elif what:
            fault = what
        if self.decision.delay_s:
            fault = (fault + ", " if fault else "") + f"delay {self.decision.delay_s * 1000:.0f} ms"
        self.server.journal.record(
            method=environ.get("REQUEST_METHOD", "GET"), path=self.path,
            query=dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)),
            status=self.status, duration_ms=(time.perf_counter() - self.started) * 1000.0,
            headers=headers, body=self.body, fault=fault)
