"""The one mock-server mechanism shared by every mocked service.

A :class:`MockServer` serves its service from uvicorn's HTTP protocol
(httptools parser, HTTP/1.1 keep-alive) on an asyncio event loop (uvloop when
installed) in a background thread, on ``127.0.0.1`` and a free port unless
told otherwise. The layers, outermost first, all ASGI on that loop::

    EdgeGuard (body/query size limits) -> AdminApi (/__admin/..., Flask via a2wsgi)
        -> FaultMiddleware (faults, journal) -> ReadyBytes (answers rendered once)
        -> the service's own ASGI layers (:meth:`MockServer.wrap_service`)
        -> the service's WSGI app (Flask / Socket.IO) via a2wsgi's thread pool

Injected delays, hangs and dribbling are ``asyncio`` waits: they hold no
thread. Clearing the faults lets them go on at once with the real answer;
only :meth:`MockServer.stop` and :meth:`MockServer.take_down` cut them. A websocket upgrade (Uptime Kuma's Socket.IO) is handed over, with
its socket, to the service's WSGI app in a thread of its own, as a threaded
WSGI server would (:class:`_MockHttpProtocol`).

Imports go one way: this module uses the admin API, the middleware, the
fault plan and the journal; none of them imports it.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import os
import secrets
import socket
import sys
import threading
import time
from typing import Any, Callable, Iterable
from urllib.parse import unquote

from a2wsgi import WSGIMiddleware
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from . import validation as check
from .admin import AdminApi
from .clock import ScheduledCall, VirtualClock
from .faults import FaultPlan
from .journal import DEFAULT_MAX_BYTES as JOURNAL_BYTES
from .journal import RequestJournal
from .middleware import TRANSPORT, FaultMiddleware, reset_transport
from .readybytes import DataVersion, ReadyBytes
from .validation import MAX_HEADER_BYTES, MAX_HEADER_COUNT, MAX_URL_BYTES, EdgeGuard

try:  # uvloop is faster; plain asyncio where it is not available (Windows)
    import uvloop
    _new_loop: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
except ImportError:  # pragma: no cover - depends on the platform
    _new_loop = asyncio.new_event_loop

__all__ = ["MockServer", "MockServerError", "SHUTDOWN_POLL_S", "SERVICE_WORKERS"]

log = logging.getLogger("mockservers")
# uvicorn's protocol logs a warning per garbage request; the journal is the record, stderr stays clean
logging.getLogger("uvicorn.error").addHandler(logging.NullHandler())

#: how often stop() re-checks whether open connections have finished (real seconds)
SHUTDOWN_POLL_S = 0.002
#: how long stop() lets requests in progress finish before it cuts their connections (real seconds)
STOP_GRACE_S = 0.5
#: threads that run the service's WSGI app (cache misses, Socket.IO long-polls) per mock
SERVICE_WORKERS = 32
#: threads that run the admin API per mock
ADMIN_WORKERS = 4
#: seconds an idle keep-alive connection stays open (long, so a client's pooled connection is rarely
#: closed under it just as it sends; take_down() and stop() close idle connections at once)
KEEP_ALIVE_S = 60


_HEAD_REASONS = {414: "URI Too Long", 431: "Request Header Fields Too Large"}
#: how long a connection whose head was refused is kept open to read (and drop) what the client still sends
REFUSAL_LINGER_S = 2.0


class MockServerError(RuntimeError):
    """A mock server was used in a way its state does not allow."""


class _HeadTooLarge(Exception):
    """A request head over a limit (raised from a parser callback; the protocol answers it)."""


class _Head:
    """One request head while it is parsed: the reads it has taken bytes from."""

    __slots__ = ("first", "reads")

    def __init__(self, first: int) -> None:
        self.first = first  # bytes of the read it began in (some of them may be another request's)
        self.reads = 0  # bytes of the reads that fell entirely inside it (all head, not yet parsed)


class _MockHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools HTTP/1.1 protocol, plus what every mock needs.

    - The request's transport goes into the ASGI scope (``TRANSPORT``), so the
      fault middleware can reset (``SO_LINGER`` 0 + ``abort()``) or close it.
    - An answer's status line and headers go out with its first body bytes in
      one write (:class:`_HeadWithBody`).
    - A websocket upgrade is handed over to :attr:`websocket_app` (a WSGI app)
      in a thread, with a duplicate of the socket as ``werkzeug.socket`` (what
      ``simple-websocket``, python-engineio's threading driver, reads), after
      :attr:`admit` (the fault plan and the journal) let it through.
    - Limits on the request head, as a real server has them (httptools has
      none, and keeps a header value whole until it ends): a target over
      :data:`~.validation.MAX_URL_BYTES` is a 414; more than
      :data:`~.validation.MAX_HEADER_COUNT` header fields or more than
      :data:`~.validation.MAX_HEADER_BYTES` of names and values a 431 (JSON
      ``{"error", "status"}``; what the client still sends is read and dropped
      for :data:`REFUSAL_LINGER_S`, up to :data:`~.validation.DRAIN_LIMIT_BYTES`,
      then the connection closes). They are checked once per head when it is
      complete, and after every read that leaves a head unfinished; such a
      head is also measured by the reads that fell inside it (over
      ``MAX_URL_BYTES + MAX_HEADER_BYTES`` is a 431), so at most one read
      more than the limits is ever held. Nothing is checked per header field:
      the parser's callbacks are the hot path of every request.
    """

    websocket_app: Callable | None = None
    admit: Callable[[str, bytes, list], bool] | None = None
    _head: _Head | None = None
    _read_bytes = 0  # the length of the read being parsed
    _refusal: tuple[int, str] | None = None
    _discarded: int | None = None  # bytes read and dropped since a refusal (None: not refused)

    def _should_upgrade_to_ws(self) -> bool:
        return self.websocket_app is not None

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope[TRANSPORT] = self.transport  # type: ignore[literal-required]
        self._head = _Head(self._read_bytes)

    def on_headers_complete(self) -> None:
        head, self._head = self._head, None
        if head is not None:  # the head is at most the bytes of the reads it took bytes from
            at_most = head.first + head.reads + self._read_bytes
            if at_most > MAX_HEADER_BYTES or len(self.url) > MAX_URL_BYTES or len(self.headers) > MAX_HEADER_COUNT:
                self._refuse_over_limits(at_most)
        previous = self.cycle
        super().on_headers_complete()
        if self.cycle is not previous:  # a request to answer (not a websocket upgrade): its cycle writes through
            self.cycle.transport = _HeadWithBody(self.transport, self.loop)  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._discarded is not None:  # refused: what the client still sends is read and dropped
            self._discarded += len(data)
            if self._discarded > check.DRAIN_LIMIT_BYTES:
                self.transport.abort()
            return
        head = self._head  # a head begun in an earlier read, still unfinished
        self._read_bytes = len(data)
        super().data_received(data)
        if head is not None and head is self._head and self._refusal is None:  # and still unfinished
            head.reads += len(data)
            try:
                self._refuse_over_limits(head.first + head.reads)
                if head.reads > MAX_URL_BYTES + MAX_HEADER_BYTES:
                    self._refuse(431, f"request head is over {MAX_URL_BYTES + MAX_HEADER_BYTES} "
                                      f"bytes: at most {MAX_HEADER_BYTES} bytes of header names and "
                                      f"values are accepted")
            except _HeadTooLarge:
                self.send_400_response("")

    def _refuse_over_limits(self, bytes_at_most: int) -> None:
        """Refuse the head being parsed if it is over a limit; ``bytes_at_most`` bounds its size (the sizes
        of its header fields are only added up when it is over :data:`~.validation.MAX_HEADER_BYTES`)."""
        if len(self.url) > MAX_URL_BYTES:
            self._refuse(414, f"request target is over {MAX_URL_BYTES} bytes: at most "
                              f"{MAX_URL_BYTES} are accepted")
        if len(self.headers) > MAX_HEADER_COUNT:
            self._refuse(431, f"request has over {MAX_HEADER_COUNT} header fields: at most "
                              f"{MAX_HEADER_COUNT} are accepted")
        if bytes_at_most > MAX_HEADER_BYTES and \
                sum(map(len, itertools.chain.from_iterable(self.headers))) > MAX_HEADER_BYTES:
            self._refuse(431, f"request header fields are over {MAX_HEADER_BYTES} bytes: at most "
                              f"{MAX_HEADER_BYTES} bytes of names and values are accepted")

    def _refuse(self, status: int, message: str) -> None:
        """Refuse the request whose head is being parsed (raised from a parser callback, the parser stops
        and :meth:`send_400_response` answers with this status)."""
        self._refusal = (status, message)
        raise _HeadTooLarge(message)

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request it cannot parse; a head over a limit gets its own status instead."""
        refusal, self._refusal = self._refusal, None
        if refusal is None:
            super().send_400_response(msg)
            return
        self._head = None
        if self.cycle is not None and not self.cycle.response_complete:  # an answer is still being sent
            self.transport.abort()
            return
        status, message = refusal
        payload = check.strict_json({"error": message, "status": status}).encode()
        self.transport.write(b"".join([
            f"HTTP/1.1 {status} {_HEAD_REASONS[status]}\r\n".encode("latin-1"),
            b"content-type: application/json\r\n",
            f"content-length: {len(payload)}\r\n".encode("latin-1"),
            b"connection: close\r\n\r\n", payload]))
        # a lingering close, as real servers do: the client may still be sending the rest of its head; closing
        # with unread bytes would reset the connection before it reads the answer
        self._discarded = 0
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(REFUSAL_LINGER_S, self.transport.close)

    def handle_websocket_upgrade(self) -> None:
        self.connections.discard(self)
        transport = self.transport
        raw_path, _, query = self.url.partition(b"?")
        path = unquote(raw_path.decode("latin-1"))
        headers = list(self.scope["headers"])
        if self.admit is not None and not self.admit(path, query, headers):
            reset_transport(transport)
            return
        try:
            handed = _duplicate(transport.get_extra_info("socket"))
        except (OSError, AttributeError, TypeError):
            transport.abort()
            return
        handed.setblocking(True)
        transport.pause_reading()
        transport.close()  # the duplicate keeps the connection open
        environ = _websocket_environ(path, query, headers, self.server, self.client, handed)
        thread = threading.Thread(target=_serve_websocket, args=(self.websocket_app, environ, handed),
                                  name=f"websocket:{self.client}", daemon=True)
        thread.start()


class _HeadWithBody:
    """A connection's transport as one answer's response cycle (uvicorn's) sees it: the cycle's first write
    (the status line and headers) is held until its next write (the first body bytes) and both go out in one
    ``writelines``: one system call and one TCP send per answer instead of two, so the client is not woken
    for a head without its body. Held at most until the end of the event loop's current step: an answer whose
    body comes later (a delay, dribbling, a WSGI route still running) sends its head then, as before. Every
    other attribute is the transport's own."""

    __slots__ = ("_transport", "_loop", "_head", "_written")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._head: bytes | None = None
        self._written = False
        self._loop = loop

    def write(self, data: bytes) -> None:
        if not self._written:
            self._written = True
            self._head = data
            self._loop.call_soon(self.flush)
        elif self._head is not None:
            head, self._head = self._head, None
            self._transport.writelines((head, data))
        else:
            self._transport.write(data)

    def flush(self) -> None:
        """Write a held head now (nothing when none is held or the connection is closing)."""
        if self._head is not None:
            head, self._head = self._head, None
            if not self._transport.is_closing():
                self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _duplicate(sock: Any) -> socket.socket:
    """A socket object of its own on the same connection as the transport's ``sock``."""
    try:
        duplicate = sock.dup()  # asyncio's TransportSocket (any platform)
        if isinstance(duplicate, socket.socket):
            return duplicate
    except (OSError, AttributeError, TypeError, NotImplementedError):
        pass
    return socket.socket(sock.family, sock.type, sock.proto, fileno=os.dup(sock.fileno()))  # uvloop's socket


def _websocket_environ(path: str, query: bytes, headers: list[tuple[bytes, bytes]], server: Any, client: Any,
                       sock: socket.socket) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": query.decode("latin-1"),
        "SERVER_NAME": server[0] if server else "127.0.0.1", "SERVER_PORT": str(server[1]) if server else "0",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": client[0] if client else "",
        "REMOTE_PORT": str(client[1]) if client else "", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
        "wsgi.multiprocess": False, "wsgi.run_once": False, "werkzeug.socket": sock,
    }
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[name] = value
        else:
            key = "HTTP_" + name
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def _serve_websocket(app: Callable, environ: dict[str, Any], sock: socket.socket) -> None:
    """Run the WSGI app on a websocket connection until it ends, then close the socket."""
    try:
        result = app(environ, lambda status, headers, exc_info=None: (lambda data: None))
        try:
            for _ in result:
                pass
        finally:
            if hasattr(result, "close"):
                result.close()
    except Exception:  # noqa: BLE001 - a client that went away mid-websocket is not an error
        log.debug("websocket ended with an error", exc_info=True)
    finally:
        try:
            sock.close()
        except OSError:
            pass


class _Serving:
    """One started server: its event loop thread, its listener and its open connections."""

    def __init__(self, name: str, app: Callable, protocol: type[_MockHttpProtocol]) -> None:
        self.config = Config(app=app, http=protocol, ws="none", lifespan="off", interface="asgi3",
                             log_config=None, access_log=False, proxy_headers=False, server_header=False,
                             date_header=False, timeout_keep_alive=KEEP_ALIVE_S)
        self.config.load()
        self.state = ServerState()
        self.loop = _new_loop()
        self.listener: asyncio.AbstractServer | None = None
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), name=name, daemon=True)
        self.thread.start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(ready.set)
        try:
            self.loop.run_forever()
            pending = [task for task in asyncio.all_tasks(self.loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        finally:
            self.loop.close()

    def _protocol(self) -> asyncio.Protocol:
        protocol = self.config.http_protocol_class(config=self.config, server_state=self.state, app_state={},
                                                   _loop=self.loop)
        return protocol

    def call(self, coroutine: Any, timeout: float = 10.0) -> Any:
        """Run ``coroutine`` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def listen(self, sock: socket.socket) -> None:
        self.listener = await self.loop.create_server(self._protocol, sock=sock, backlog=128)

    async def close_listener(self) -> None:
        """Stop accepting; idle keep-alive connections close now, busy ones after their answer."""
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        for connection in list(self.state.connections):
            connection.shutdown()

    async def drain(self, grace_s: float) -> None:
        """Wait up to ``grace_s`` for open connections to finish, then cut the rest."""
        deadline = self.loop.time() + grace_s
        while self.state.connections and self.loop.time() < deadline:
            await asyncio.sleep(SHUTDOWN_POLL_S)
        for connection in list(self.state.connections):
            connection.transport.abort()

    def close(self) -> None:
        """Stop the loop and join its thread."""
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def _finish_wsgi_calls(executors: Iterable[Any], timeout_s: float) -> None:
    """Shut down a2wsgi's thread pools, waiting up to ``timeout_s`` for the WSGI calls still running.

    A call outlives its connection when the client went away mid-answer; it must hand its last bytes to a
    loop that still runs (into a closed loop they would be an unawaited coroutine). ``shutdown`` has no
    timeout, so a helper thread waits on it: a call that is stuck still cannot hold up the stop.
    """
    def shut_down() -> None:
        for executor in executors:
            executor.shutdown(wait=True, cancel_futures=True)

    waiter = threading.Thread(target=shut_down, name="wsgi-pools-shutdown", daemon=True)
    waiter.start()
    waiter.join(timeout_s)


class MockServer:
    """Base class of every mock: lifecycle, fault plan, journal and admin API.

    Subclasses set :attr:`service_name` and implement :meth:`create_app`;
    they may override :meth:`register_admin` (extra ``/__admin/`` routes),
    :meth:`reset_state` (back to the initial data),
    :meth:`on_take_down` (e.g. drop open websocket connections),
    :meth:`secret_values` (what the journal must never show) and
    :meth:`data_version` with :attr:`answer_headers` (serve repeated ``GET``
    answers as ready bytes: the data store bumps its
    :class:`~.readybytes.DataVersion` on every change, and a change the store
    cannot see, such as a new credential, calls :meth:`data_changed`).

    Time: every time read goes through :attr:`clock` (a fresh
    :class:`VirtualClock` unless one is passed in): outage windows, flapping,
    ``take_down(duration=...)``, journal timestamps. Delays, jitter, hangs and
    dribbling stay real network time.

    Usage::

        with PlexMock() as plex:          # port 0: a free port
            requests.get(plex.url + "/identity", ...)
            plex.faults.add_route_fault("/library/sections", 503, times=2)
    """

    service_name = "mock"
    #: names whose values the journal never records, besides :data:`~.redaction.SECRET_NAMES`
    secret_names: tuple[str, ...] = ()
    #: path prefixes that skip the global delay and failure rate (outages and explicit route faults still apply)
    fault_exempt_prefixes: tuple[str, ...] = ()
    #: path prefixes whose request bodies the journal never keeps (e.g. Socket.IO packets carrying a password)
    opaque_body_prefixes: tuple[str, ...] = ()
    #: request headers that change a ``GET`` answer (besides path and query): part of the ready-bytes key
    answer_headers: tuple[str, ...] = ()

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, journal_size: int = 1000,
                 journal_bytes: int = JOURNAL_BYTES, clock: VirtualClock | None = None) -> None:
        self.host = host
        #: the time every part of this mock reads (shared with the test's clients when a test passes one in)
        self.clock = clock if clock is not None else VirtualClock()
        self._requested_port = port
        self._port: int | None = None
        self.faults = FaultPlan(clock=self.clock.monotonic)
        self.journal = RequestJournal(maxlen=journal_size, secret_names=self.secret_names,
                                      opaque_body_prefixes=self.opaque_body_prefixes,
                                      secret_values=self.secret_values, clock=self.clock.time,
                                      max_bytes=journal_bytes)
        self.admin = AdminApi(self)
        self._serving: _Serving | None = None
        self._listening = False
        #: bumped by every admin request that may change state (admin data edits, reset, token changes)
        self.changes = DataVersion()
        #: the ready-bytes layer of the current start (None when the service keeps no data version)
        self.ready_bytes: ReadyBytes | None = None
        self._faulted: FaultMiddleware | None = None
        self._executors: tuple[Any, ...] = ()
        self._lock = threading.RLock()
        self._started = False
        self._bring_up_call: ScheduledCall | None = None
        #: why the last timed bring-up failed (e.g. the port was taken meanwhile), else None
        self.bring_up_error: str | None = None
        self.health_token = ""
        self.started_at: float | None = None
        self._apps: tuple[Callable, Callable] | None = None

    # -- to override ---------------------------------------------------------------
    def create_app(self) -> Callable:
        """Return the service's WSGI app (a Flask app or a Socket.IO WSGIApp)."""
        raise NotImplementedError

    def data_version(self) -> int | None:
        """The version of the service's data (a :class:`~.readybytes.DataVersion` bumped on every change),
        or ``None`` (the default): then no answer is served as ready bytes."""
        return None

    def register_admin(self, admin: AdminApi) -> None:
        """Add service-specific admin routes with ``admin.route(...)``."""

    def wrap_service(self, app: Callable) -> Callable:
        """Put ASGI layers between the fault middleware and the service's WSGI app (``app``, run in the
        thread pool); the default adds none. Uptime Kuma holds its long-polls here without a thread."""
        return app

    def reset_state(self) -> None:
        """Return the service's data to its initial state (part of :meth:`reset`)."""

    def on_take_down(self) -> None:
        """Called after the listening socket closed: drop long-lived connections."""

    def data_changed(self) -> None:
        """Note a change of state the data version cannot see: every ready answer expires."""
        self.changes.bump()

    def secret_values(self) -> Iterable[str]:
        """The secret values in use now (tokens, keys, passwords, minted JWTs): the journal replaces
        them wherever they appear. Subclasses add theirs."""
        return ()

    # -- lifecycle -----------------------------------------------------------------
    @property
    def port(self) -> int:
        """The port the server listens on (known once started)."""
        if self._port is None:
            raise MockServerError(f"{self.service_name} mock has not been started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:40123``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> "MockServer":
        """Bind (port 0 = a free port), then serve in a background thread."""
        with self._lock:
            if self._started:
                raise MockServerError(f"{self.service_name} mock is already running on port {self._port}")
            if self._apps is None:
                self.register_admin(self.admin)
                self._apps = (self.create_app(), self.admin.app)
            self.health_token = secrets.token_hex(8)
            self.started_at = self.clock.time()
            self.faults.mark_started()
            self._serving = self._new_serving()
            try:
                self._listen(self._requested_port, retry_s=0.0)
            except BaseException:
                self._end_serving()
                raise
            self._started = True
        return self

    def stop(self) -> None:
        """Stop serving and join the thread. Stopping a stopped server is a no-op."""
        with self._lock:
            self._cancel_bring_up()
            self._started = False
            self.faults.release_hangs()
            self._close_listener()
            self.on_take_down()
            self._end_serving()

    @property
    def requests_waiting(self) -> int:
        """How many requests wait in an injected delay, hang or dribble pause now."""
        return 0 if self._faulted is None else self._faulted.waiting

    def is_running(self) -> bool:
        """True while started and listening (False when taken down); waits for a bring-up in progress."""
        with self._lock:
            return self._started and self._listening

    def is_taken_down(self) -> bool:
        """True between :meth:`take_down` and the bring-up (the port refuses connections)."""
        with self._lock:
            return self._started and not self._listening

    def take_down(self, duration: float | None = None) -> None:
        """Close the listening socket: callers get *connection refused*.

        State (data, journal, faults) is kept. With ``duration`` seconds of the
        mock's clock (above 0, at most one day) the server comes back by itself
        on the same port: when that much real time passed, or as soon as a test
        advances the clock past it (before ``clock.advance`` returns).
        ``ValueError`` for a bad duration, before anything changes.
        """
        if duration is not None:
            duration = check.duration_s(duration, "duration")
        with self._lock:
            if not self._started:
                raise MockServerError(f"{self.service_name} mock is not started")
            self._cancel_bring_up()
            self._close_listener()
            self.faults.release_hangs()
            self.on_take_down()
            if duration is not None:
                self._bring_up_call = self.clock.call_later(duration, self._timed_bring_up)

    def bring_up(self) -> None:
        """Listen again on the same port after :meth:`take_down`."""
        with self._lock:
            if not self._started:
                raise MockServerError(f"{self.service_name} mock is not started")
            self._cancel_bring_up()
            if not self._listening:
                self._listen(self.port)

    def reset(self) -> None:
        """As new: no faults, an empty journal, the service's initial data (admin ``POST /__admin/reset``).

        Requests waiting in a fault then get the real answer from the initial
        data (they are not journaled: they came in before the reset).
        """
        self.journal.clear()
        self.reset_state()
        self.data_changed()
        self.faults.clear()

    def __enter__(self) -> "MockServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals -----------------------------------------------------------------
    @property
    def _thread(self) -> threading.Thread | None:
        """The thread running the event loop that serves this mock (None when stopped)."""
        return None if self._serving is None else self._serving.thread

    def _timed_bring_up(self) -> None:
        with self._lock:
            self._bring_up_call = None
            if self._started and not self._listening:
                try:
                    self._listen(self.port)
                    self.bring_up_error = None
                except OSError as exc:  # the port was taken meanwhile: say so, never kill the clock's thread
                    self.bring_up_error = f"could not listen on port {self.port} again: {exc}"
                    log.warning("%s mock: %s", self.service_name, self.bring_up_error)

    def _cancel_bring_up(self) -> None:
        if self._bring_up_call is not None:
            self._bring_up_call.cancel()
            self._bring_up_call = None

    def _new_serving(self) -> _Serving:
        """The ASGI stack (see the module doc) on a fresh event loop thread."""
        service_app, admin_app = self._apps
        threaded = WSGIMiddleware(service_app, workers=SERVICE_WORKERS)
        admin = WSGIMiddleware(admin_app, workers=ADMIN_WORKERS)
        self._executors = (threaded.executor, admin.executor)
        service = self.wrap_service(threaded)
        answers: Callable = service
        self.ready_bytes = None
        if self.data_version() is not None:
            changes = self.changes
            self.ready_bytes = answers = ReadyBytes(service, lambda: (self.data_version(), changes.value),
                                                    self.answer_headers)
        faulted = FaultMiddleware(answers, self.faults, self.journal, self.fault_exempt_prefixes)
        self._faulted = faulted
        app = EdgeGuard(self.admin.wrap(faulted, admin))
        protocol = type("MockHttpProtocol", (_MockHttpProtocol,),
                        {"websocket_app": staticmethod(service_app), "admit": staticmethod(faulted.admit_websocket)})
        return _Serving(f"{self.service_name}-mock", app, protocol)

    def _end_serving(self) -> None:
        serving, self._serving = self._serving, None
        if serving is None:
            return
        serving.call(serving.drain(STOP_GRACE_S))
        _finish_wsgi_calls(self._executors, STOP_GRACE_S)
        serving.close()
        if self._faulted is not None:
            self.faults.remove_release_listener(self._faulted.release)

    def _listen(self, port: int, retry_s: float = 5.0) -> None:
        """Serve on ``port``; re-binding the port we just closed may be retried for ``retry_s``."""
        deadline = time.monotonic() + retry_s
        while True:
            try:
                listener = _bind(self.host, port)
                break
            except OSError:
                # re-binding the same port right after close can race the kernel
                if port == 0 or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self._port = listener.getsockname()[1]
        self._serving.call(self._serving.listen(listener))
        self._listening = True

    def _close_listener(self) -> None:
        if not self._listening or self._serving is None:
            self._listening = False
            return
        self._listening = False
        self._serving.call(self._serving.close_listener())

    def describe(self) -> dict[str, Any]:
        """Health description served by ``/__admin/health``.

        ``running`` is true while the port accepts connections; ``taken_down``
        says the port was closed on purpose (``back_in_s``: when a timed
        bring-up is due, by the mock's clock); ``faults_active`` whether any
        fault is set. A mock is fully back when ``running`` and not
        ``faults_active``.
        """
        call = self._bring_up_call
        back_in = None if call is None else round(max(0.0, call.due - self.clock.monotonic()), 3)
        return {
            "service": self.service_name,
            "running": self.is_running(),
            "taken_down": self.is_taken_down(),
            "back_in_s": back_in,
            "bring_up_error": self.bring_up_error,
            "faults_active": self.faults.active,
            "url": self.url if self._port else None,
            "token": self.health_token,
            "started_at": self.started_at,
        }


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0 = a free one); OSError if the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
        listener.setblocking(False)
    except OSError:
        listener.close()
        raise
    return listener
