"""The one WSGI middleware that applies a fault plan and journals requests.

Every service's app sits behind it, so every fault works the same way on
Plex, Overseerr and Uptime Kuma. It needs only the fault plan and the
journal; the admin API is a layer *outside* it (see
:meth:`mockservers.core.admin.AdminApi.wrap`), so admin requests never reach
it. Each :class:`~mockservers.core.faults.FaultKind` has one handler here.

Delays, jitter, hangs and dribbling wait in real time (they are network
behaviour); they end early when the plan releases its hangs (stop, clear).
"""

from __future__ import annotations

import json
import select
import socket
import struct
import time
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import parse_qsl

from .faults import Action, Decision, FaultKind, FaultPlan
from .journal import RequestJournal
from .validation import read_body

__all__ = ["FaultMiddleware", "ABANDONED"]

#: environ key set when the middleware dropped the connection on purpose
ABANDONED = "mockservers.abandoned"

_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 408: "Request Timeout",
            409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout"}

Handler = Callable[[Action, dict, Callable, "_Recorder"], Iterable[bytes]]


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
    """Apply ``faults`` to each request to ``app`` and record it in ``journal``.

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

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        started = time.perf_counter()
        exempt = bool(self.exempt_prefixes) and path.startswith(self.exempt_prefixes)
        decision = self.faults.decide(environ.get("REQUEST_METHOD", "GET"), path, exempt)
        body = read_body(environ).decode("utf-8", "replace")
        recorder = _Recorder(self.journal, environ, path, body, started, decision)
        if decision.delay_s and self._wait(decision.delay_s):
            return recorder.abandoned(environ, "server stopping")
        action = decision.action
        return self._handlers[action.kind](action, environ, start_response, recorder)

    # -- one handler per fault kind -----------------------------------------------------------
    def _pass(self, action: Action, environ: dict, start_response: Callable, recorder: "_Recorder") -> Iterable[bytes]:
        """The real answer."""
        return recorder.wrap(self.app(environ, recorder.start_response(start_response)))

    def _delay(self, action: Action, environ: dict, start_response: Callable,
               recorder: "_Recorder") -> Iterable[bytes]:
        """Wait ``delay_ms`` (real time), then the real answer."""
        if self._wait(action.delay_ms / 1000.0):
            return recorder.abandoned(environ, "server stopping")
        return self._pass(action, environ, start_response, recorder)

    def _status_answer(self, action: Action, environ: dict, start_response: Callable,
                       recorder: "_Recorder") -> Iterable[bytes]:
        """The action's status, headers and body (a JSON error body unless one is given)."""
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
        return recorder.wrap([payload])

    def _reset_connection(self, action: Action, environ: dict, start_response: Callable,
                          recorder: "_Recorder") -> Iterable[bytes]:
        """A TCP reset before any answer."""
        return recorder.abandoned(environ, "reset")

    def _hang_then_drop(self, action: Action, environ: dict, start_response: Callable,
                        recorder: "_Recorder") -> Iterable[bytes]:
        """No answer until the client gives up, the server stops, or ``hang_max_s`` (real time)."""
        self._hang(environ)
        return recorder.abandoned(environ, "hang")

    def _truncated(self, action: Action, environ: dict, start_response: Callable,
                   recorder: "_Recorder") -> Iterable[bytes]:
        """Promise the whole body, send half of it; the connection then closes."""
        captured, original = self._real_answer(environ)
        send = recorder.start_response(start_response)
        send(captured.status, self._headers_without_length(captured)
             + [("Content-Length", str(max(len(original), 2)))])
        return recorder.wrap(iter([original[: len(original) // 2]]))

    def _malformed_answer(self, action: Action, environ: dict, start_response: Callable,
                          recorder: "_Recorder") -> Iterable[bytes]:
        """The real status with its JSON/XML body cut mid-token."""
        captured, original = self._real_answer(environ)
        broken = self._malformed(original, captured.header("Content-Type"))
        recorder.start_response(start_response)(captured.status, self._headers_without_length(captured)
                                                + [("Content-Length", str(len(broken)))])
        return recorder.wrap(iter([broken]))

    def _dribbled(self, action: Action, environ: dict, start_response: Callable,
                  recorder: "_Recorder") -> Iterable[bytes]:
        """The real body, ``chunk_size`` bytes every ``chunk_delay_ms`` (real time)."""
        captured, original = self._real_answer(environ)
        recorder.start_response(start_response)(captured.status, self._headers_without_length(captured)
                                                + [("Content-Length", str(len(original)))])
        return recorder.wrap(self._dribble(original, action))

    # -- helpers -------------------------------------------------------------------------------
    def _real_answer(self, environ: dict) -> tuple[_Captured, bytes]:
        captured = _Captured()
        result = self.app(environ, captured.start_response)
        try:
            original = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        return captured, original

    @staticmethod
    def _headers_without_length(captured: _Captured) -> list[tuple[str, str]]:
        return [(k, v) for k, v in captured.headers if k.lower() != "content-length"]

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
        """Wait ``seconds`` of real time; True when the plan released its hangs (the wait ended early)."""
        return self.faults.hang_event.wait(seconds)

    def _hang(self, environ: dict) -> None:
        """Answer nothing until the client closes, the server stops, or ``hang_max_s``."""
        sock = environ.get("werkzeug.socket")
        release = self.faults.hang_event
        deadline = time.monotonic() + self.faults.hang_max_s
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


class _Recorder:
    """Journals one request once its answer is complete (or abandoned)."""

    def __init__(self, journal: RequestJournal, environ: dict, path: str, body: str, started: float,
                 decision: Decision) -> None:
        self.journal, self.environ, self.path, self.body = journal, environ, path, body
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
        self.journal.record(
            method=environ.get("REQUEST_METHOD", "GET"), path=self.path,
            query=dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)),
            status=self.status, duration_ms=(time.perf_counter() - self.started) * 1000.0,
            headers=headers, body=self.body, fault=fault)
