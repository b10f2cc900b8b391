"""``UptimeKumaMock``: Uptime Kuma 1.23 (Socket.IO and HTTP) on the shared :class:`MockServer` mechanism."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable, Iterable, Mapping

import socketio
from flask import request

from mockservers.core import validation as check
from mockservers.core.admin import AdminApi, AdminError, json_body
from mockservers.core.clock import ScheduledCall
from mockservers.core.server import MockServer
from mockservers.credentials import DEFAULT_CREDENTIALS

from .data import INTERVAL_S, MAX_MSG, STATUS_NAMES, UP, MonitorStore, parse_status
from .http import create_http_app, status_page_config
from .polling import LongPollWaiter
from .pump import SocketFaults
from .sockets import KumaSockets

__all__ = ["UptimeKumaMock"]

SOCKET_IO_PREFIX = "/socket.io"
#: the largest heartbeat ping accepted (ms): one day
MAX_PING_MS = 86_400_000.0


class UptimeKumaMock(MockServer):
    """An Uptime Kuma 1.23 stand-in that real Uptime Kuma clients (e.g. ``uptime_kuma_api``) can talk to.

    One port serves Socket.IO (``/socket.io/``, polling and websocket) and the
    HTTP routes (``/api/status-page/{slug}``, ``/api/status-page/heartbeat/{slug}``,
    ``/metrics``, ``/api/badge/{id}/status``). The HTTP fault plan applies to
    the HTTP routes only; :attr:`socket_faults` steers the Socket.IO side.

    Default data: monitors 1 ``Plex``, 2 ``Overseerr``, 3 ``Tautulli`` (http),
    all UP with five heartbeats each. Every ``heartbeat_interval_s`` seconds
    of the mock's clock (60 s, Uptime Kuma's default; ``None``: never) each
    monitor gets a heartbeat repeating its current status, pushed to every
    logged-in client, as a real server checking its monitors does; a test
    advances ``clock`` (:class:`~mockservers.core.clock.VirtualClock`) to let
    intervals pass, and heartbeat times, minted JWTs' ``iat`` and Socket.IO
    event delays follow the same clock. ``ping_interval_s`` is the
    Engine.IO ping interval (25 s like Uptime Kuma); a long-polling client that
    loses its own close packet (a python-engineio client race) only notices at
    the next ping, so tests may shorten it. ``service_urls`` points default
    monitors at the services really started (``{"Plex": plex.url}``); by
    default they check the CLI's default ports.

    Admin routes (besides the common ones), under ``/__admin/uptime-kuma/``:
    ``GET/POST monitors``, ``POST monitors/<id or name>/status``,
    ``GET/PUT/PATCH/DELETE socket-faults``, ``POST drop-connections``, ``GET clients``.
    """

    service_name = "uptime-kuma"
    fault_exempt_prefixes = ("/__admin", SOCKET_IO_PREFIX)
    #: Socket.IO packets carry the login password and bare JWTs the JSON redaction cannot all recognise
    opaque_body_prefixes = (SOCKET_IO_PREFIX,)

    def __init__(self, *, username: str = DEFAULT_CREDENTIALS.uptime_kuma_username,
                 password: str = DEFAULT_CREDENTIALS.uptime_kuma_password, status_page_slug: str = "default",
                 host: str = "127.0.0.1", port: int = 0, ping_interval_s: float = 25.0,
                 heartbeat_interval_s: float | None = INTERVAL_S, service_urls: Mapping[str, str] | None = None,
                 **kw: Any) -> None:
        super().__init__(host=host, port=port, **kw)
        self.username = username
        self._password = password
        self._initial_password = password
        self.status_page_slug = status_page_slug
        self.heartbeat_interval_s = None if heartbeat_interval_s is None else check.duration_s(
            heartbeat_interval_s, "heartbeat_interval_s", minimum=0.0)
        self._next_beat: ScheduledCall | None = None
        self.store = MonitorStore(self.clock.now, service_urls, interval_s=self.heartbeat_interval_s or INTERVAL_S)
        self.socket_faults = SocketFaults()
        self.sockets = KumaSockets(self.store, self.socket_faults, self._credentials,
                                   lambda: status_page_config(self.status_page_slug),
                                   ping_interval_s=ping_interval_s, clock=self.clock)
        #: holds the long-polls of the current start (:meth:`wrap_service`)
        self.poll_waiter: LongPollWaiter | None = None

    def __repr__(self) -> str:
        where = self.url if self._port else "not started"
        return f"UptimeKumaMock(url={where!r}, username={self.username!r}, password='*****')"

    # -- MockServer hooks ----------------------------------------------------------------
    def create_app(self) -> Callable:
        http_app = create_http_app(self.store, lambda: self.status_page_slug, self._credentials)
        return socketio.WSGIApp(self.sockets.sio, http_app, socketio_path="socket.io")

    def wrap_service(self, app: Callable) -> Callable:
        """Long-polling ``GET`` requests wait on the event loop until there is something to send, not in a worker
        thread each (:class:`~.polling.LongPollWaiter`)."""
        eio = self.sockets.sio.eio
        self.poll_waiter = LongPollWaiter(app, lambda: eio.sockets, lambda: eio.ping_interval + eio.ping_timeout,
                                          prefix=SOCKET_IO_PREFIX)
        return self.poll_waiter

    @property
    def polls_waiting(self) -> int:
        """Socket.IO long-polls held now, waiting for something to send (they hold no thread)."""
        return 0 if self.poll_waiter is None else self.poll_waiter.waiting

    def on_take_down(self) -> None:
        """Cut every Socket.IO connection, as a crashed server would: clients see a transport error."""
        self.sockets.drop_all(graceful=False)

    def start(self) -> "UptimeKumaMock":
        """Start serving; the periodic heartbeats start with it."""
        super().start()
        self._schedule_beat(self.clock.monotonic())
        return self

    def stop(self) -> None:
        """Stop serving, the periodic heartbeats, the Socket.IO clients and the event sender."""
        if self._next_beat is not None:
            self._next_beat.cancel()
            self._next_beat = None
        super().stop()
        self.sockets.close()

    def secret_values(self) -> Iterable[str]:
        """The password (current and initial) and every minted JWT (the redactor finds their encoded forms, such as
        ``user:password`` in Basic auth, itself)."""
        return [self._password, self._initial_password, *self.sockets.minted_tokens()]

    # -- periodic heartbeats -----------------------------------------------------------------
    #: at most this many missed intervals are caught up at once (older beats would fall out of the history anyway)
    MAX_CATCH_UP = 100

    def _schedule_beat(self, last_due: float) -> None:
        interval = self.heartbeat_interval_s
        if interval is None or not self._started:
            return
        now = self.clock.monotonic()
        due = last_due + interval
        if now - due > interval * self.MAX_CATCH_UP:  # far behind: skip to the last intervals that still matter
            due = now - interval * self.MAX_CATCH_UP
        self._next_beat = self.clock.call_later(due - now, lambda: self._beat(due))

    def _beat(self, due: float) -> None:
        """One interval passed: every monitor repeats its status (at the moment it was due), unless taken down."""
        if not self._started:
            return
        if self.is_running():
            moment = self.clock.now() - timedelta(seconds=max(0.0, self.clock.monotonic() - due))
            with self.store.lock:
                for monitor_id in self.store.ids():
                    latest = self.store.latest(monitor_id)
                    if latest is None:
                        continue
                    row = self.store.add_beat(monitor_id, latest["status"], latest["msg"], latest["ping"],
                                              moment=moment)
                    self.sockets.broadcast_heartbeat(row)
        self._schedule_beat(due)

    def reset_state(self) -> None:
        """Default monitors and heartbeats, password and socket faults; logged-in clients get the fresh state."""
        self.socket_faults.clear()
        self._password = self._initial_password
        with self.store.lock:
            self.store.load_defaults()
            self.sockets.broadcast_state()

    # -- Python control API ------------------------------------------------------------------
    @property
    def password(self) -> str:
        """The one valid password (for ``login`` and ``/metrics``)."""
        return self._password

    @password.setter
    def password(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise ValueError("password must be a non-empty string")
        self._password = value

    @property
    def monitors(self) -> dict[int, dict[str, Any]]:
        """Copies of the monitors (all Uptime Kuma fields), by id."""
        return self.store.monitors()

    @property
    def connected_clients(self) -> int:
        """Socket.IO clients connected now (logged in or not)."""
        return self.sockets.connected_clients

    @property
    def logged_in_clients(self) -> int:
        """Socket.IO clients connected and logged in now."""
        return self.sockets.logged_in_clients

    def monitor_status(self, monitor: int | str) -> str:
        """``up`` / ``down`` / ``pending`` / ``maintenance`` from the monitor's newest heartbeat."""
        latest = self.store.latest(self.store.resolve(monitor))
        return STATUS_NAMES[latest["status"]] if latest else "pending"

    def heartbeats(self, monitor: int | str) -> list[dict[str, Any]]:
        """The monitor's heartbeat rows, oldest first."""
        return self.store.beats(self.store.resolve(monitor))

    def set_monitor_status(self, monitor: int | str, status: str | int, msg: str = "",
                           ping: float | None = None) -> dict[str, Any]:
        """Append a heartbeat with ``status`` and push ``heartbeat`` to every logged-in client.

        ``monitor`` is an id or a name (case-insensitive); ``status`` is
        up/down/pending/maintenance or 0-3. The beat is important when the
        status changed. Without ``ping`` an UP beat reuses the monitor's last
        ping (others have none). Returns the heartbeat row; ValueError on an
        unknown monitor or status.
        """
        monitor_id = self.store.resolve(monitor)
        code = parse_status(status)
        check.text(msg, "msg", max_length=MAX_MSG, allow_empty=True)
        if ping is not None:
            ping = check.finite_number(ping, "ping", minimum=0.0, maximum=MAX_PING_MS)
        with self.store.lock:
            if ping is None and code == UP:
                ping = next((row["ping"] for row in reversed(self.store.beats(monitor_id))
                             if row["ping"] is not None), 10.0)
            row = self.store.add_beat(monitor_id, code, msg, None if ping is None else float(ping))
            self.sockets.broadcast_heartbeat(row)
        return row

    def add_monitor(self, name: str, type: str = "http", url: str | None = None,  # noqa: A002 - Uptime Kuma's name
                    status: str | int = "up") -> int:
        """Add a monitor with a first heartbeat; logged-in clients get a fresh ``monitorList``. Returns its id."""
        code = parse_status(status)
        with self.store.lock:
            monitor_id, row = self.store.add_monitor(name, type, url, code)
            self.sockets.broadcast_monitor_list()
            self.sockets.broadcast_heartbeat(row)
        return monitor_id

    def drop_connections(self) -> int:
        """Disconnect every Socket.IO client (server-initiated, "io server disconnect"); returns how many."""
        return self.sockets.drop_all()

    # -- helpers --------------------------------------------------------------------------
    def _credentials(self) -> tuple[str, str]:
        return self.username, self._password

    def _summary(self, monitor_id: int) -> dict[str, Any]:
        monitor = self.store.get(monitor_id) or {}
        latest = self.store.latest(monitor_id)
        return {"id": monitor_id, "name": monitor.get("name"), "type": monitor.get("type"), "url": monitor.get("url"),
                "status": STATUS_NAMES[latest["status"]] if latest else None, "latest_heartbeat": latest}

    # -- admin API ------------------------------------------------------------------------
    def register_admin(self, admin: AdminApi) -> None:
        prefix = "/uptime-kuma"

        @admin.route(prefix + "/monitors")
        def list_monitors():
            return {"monitors": [self._summary(mid) for mid in self.store.ids()]}

        @admin.route(prefix + "/monitors", methods=["POST"])
        def post_monitor():
            body = json_body()
            unknown = sorted(set(body) - {"name", "type", "url", "status"})
            if unknown:
                raise AdminError(f"unknown field(s) {', '.join(unknown)}: expected name, type?, url?, status?")
            if "name" not in body:
                raise AdminError("name is required: the new monitor's name")
            try:
                monitor_id = self.add_monitor(body["name"], type=body.get("type", "http"), url=body.get("url"),
                                              status=body.get("status", "up"))
            except ValueError as exc:
                raise AdminError(str(exc)) from None
            return self._summary(monitor_id), 201

        @admin.route(prefix + "/monitors/<monitor>/status", methods=["POST"])
        def post_status(monitor: str):
            body = json_body()
            try:
                monitor_id = self.store.resolve(monitor)
            except ValueError as exc:
                raise AdminError(str(exc), status=404) from None
            if "status" not in body:
                raise AdminError("status is required: one of up, down, pending, maintenance (or 0-3)")
            try:
                row = self.set_monitor_status(monitor_id, body["status"], msg=body.get("msg", ""),
                                              ping=body.get("ping"))
            except ValueError as exc:
                raise AdminError(str(exc)) from None
            return {"heartbeat": row, "monitor": self._summary(monitor_id)}

        @admin.route(prefix + "/socket-faults")
        def get_socket_faults():
            return self.socket_faults.to_dict()

        @admin.route(prefix + "/socket-faults", methods=["PUT", "PATCH"])
        def put_socket_faults():
            try:
                self.socket_faults.apply(json_body(), replace=request.method == "PUT")
            except ValueError as exc:
                raise AdminError(str(exc)) from None
            return self.socket_faults.to_dict()

        @admin.route(prefix + "/socket-faults", methods=["DELETE"])
        def clear_socket_faults():
            self.socket_faults.clear()
            return self.socket_faults.to_dict()

        @admin.route(prefix + "/drop-connections", methods=["POST"])
        def drop_connections():
            return {"dropped": self.drop_connections()}

        @admin.route(prefix + "/clients")
        def clients():
            return {"connected": self.connected_clients, "logged_in": self.logged_in_clients}
