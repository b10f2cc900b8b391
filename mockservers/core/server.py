"""The one mock-server mechanism shared by every mocked service.

A :class:`MockServer` serves a WSGI app from a threaded werkzeug server in a
background thread, on ``127.0.0.1`` and a free port unless told otherwise.
The layers, outermost first::

    EdgeGuard (body/query size limits) -> AdminApi (/__admin/...) -> FaultMiddleware -> the service's app

Imports go one way: this module uses the admin API, the middleware, the
fault plan and the journal; none of them imports it.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from typing import Any, Callable, Iterable

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import validation as check
from .admin import AdminApi
from .clock import ScheduledCall, VirtualClock
from .faults import FaultPlan
from .journal import RequestJournal
from .middleware import ABANDONED, FaultMiddleware
from .validation import CLOSE_CONNECTION, EdgeGuard

__all__ = ["MockServer", "MockServerError"]

log = logging.getLogger("mockservers")


#: how often the serving loop checks for stop(): bounds the stop time (idle cost: one wake-up per interval)
SHUTDOWN_POLL_S = 0.01


class MockServerError(RuntimeError):
    """A mock server was used in a way its state does not allow."""


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not print an access line per request.

    The request journal is the record of what was served; stdout stays clean.
    """

    def log_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        pass

    def log_error(self, *args: Any) -> None:  # noqa: D102
        pass

    def run_wsgi(self) -> None:
        """Serve one request; stop reading from a connection a fault dropped or a websocket took over.

        After a websocket ends, the client's last frames (its close frame) must
        not be parsed as a new HTTP request: the connection is closed instead.
        A websocket sends many small frames, so Nagle's delay is turned off.
        """
        websocket = self.headers.get("Upgrade", "").lower() == "websocket"
        if websocket:
            try:
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        super().run_wsgi()
        environ = getattr(self, "environ", {})
        if websocket or environ.get(ABANDONED) or environ.get(CLOSE_CONNECTION):
            self.close_connection = True

    def handle(self) -> None:
        """Serve the connection; a client that went away is not an error."""
        try:
            super().handle()
        except (ConnectionError, OSError, ValueError):
            pass


class MockServer:
    """Base class of every mock: lifecycle, fault plan, journal and admin API.

    Subclasses set :attr:`service_name` and implement :meth:`create_app`;
    they may override :meth:`register_admin` (extra ``/__admin/`` routes),
    :meth:`reset_state` (back to the initial data),
    :meth:`on_take_down` (e.g. drop open websocket connections) and
    :meth:`secret_values` (what the journal must never show).

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

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, journal_size: int = 1000,
                 clock: VirtualClock | None = None) -> None:
        self.host = host
        #: the time every part of this mock reads (shared with the test's clients when a test passes one in)
        self.clock = clock if clock is not None else VirtualClock()
        self._requested_port = port
        self._port: int | None = None
        self.faults = FaultPlan(clock=self.clock.monotonic)
        self.journal = RequestJournal(maxlen=journal_size, secret_names=self.secret_names,
                                      opaque_body_prefixes=self.opaque_body_prefixes,
                                      secret_values=self.secret_values, clock=self.clock.time)
        self.admin = AdminApi(self)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()
        self._started = False
        self._bring_up_call: ScheduledCall | None = None
        #: why the last timed bring-up failed (e.g. the port was taken meanwhile), else None
        self.bring_up_error: str | None = None
        self.health_token = ""
        self.started_at: float | None = None
        self._wsgi_app: Callable | None = None

    # -- to override ---------------------------------------------------------------
    def create_app(self) -> Callable:
        """Return the service's WSGI app (a Flask app or a Socket.IO WSGIApp)."""
        raise NotImplementedError

    def register_admin(self, admin: AdminApi) -> None:
        """Add service-specific admin routes with ``admin.route(...)``."""

    def reset_state(self) -> None:
        """Return the service's data to its initial state (part of :meth:`reset`)."""

    def on_take_down(self) -> None:
        """Called after the listening socket closed: drop long-lived connections."""

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
            if self._wsgi_app is None:
                self.register_admin(self.admin)
                app = self.create_app()
                faulted = FaultMiddleware(app, self.faults, self.journal, self.fault_exempt_prefixes)
                self._wsgi_app = EdgeGuard(self.admin.wrap(faulted))
            self.health_token = secrets.token_hex(8)
            self.started_at = self.clock.time()
            self.faults.mark_started()
            self._listen(self._requested_port, retry_s=0.0)
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

    def is_running(self) -> bool:
        """True while started and listening (False when taken down); waits for a bring-up in progress."""
        with self._lock:
            return self._started and self._server is not None

    def is_taken_down(self) -> bool:
        """True between :meth:`take_down` and the bring-up (the port refuses connections)."""
        with self._lock:
            return self._started and self._server is None

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
            if self._server is None:
                self._listen(self.port)

    def reset(self) -> None:
        """As new: no faults, an empty journal, the service's initial data (admin ``POST /__admin/reset``)."""
        self.faults.clear()
        self.journal.clear()
        self.reset_state()

    def __enter__(self) -> "MockServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals -----------------------------------------------------------------
    def _timed_bring_up(self) -> None:
        with self._lock:
            self._bring_up_call = None
            if self._started and self._server is None:
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
        try:
            # werkzeug is handed the bound socket: its own bind would sys.exit() on "address in use"
            server = make_server(self.host, port, self._wsgi_app, threaded=True, request_handler=_QuietHandler,
                                 fd=listener.fileno())
        finally:
            listener.close()  # werkzeug holds its own duplicate of the socket
        server.daemon_threads = True
        self._server = server
        self._port = server.socket.getsockname()[1]
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S},
                                  name=f"{self.service_name}-mock:{self._port}", daemon=True)
        self._thread = thread
        thread.start()

    def _close_listener(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

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
    except OSError:
        listener.close()
        raise
    return listener
