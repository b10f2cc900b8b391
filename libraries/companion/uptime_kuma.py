"""Uptime Kuma client: a live Socket.IO view of the monitors and their heartbeats.

Uptime Kuma 1.23 has no REST API for monitor state; its web UI keeps a
Socket.IO connection open, logs in with ``login`` and then receives the
monitor list, the recent heartbeats and a live ``heartbeat`` event on every
status change. :class:`UptimeKumaClient` does the same and keeps the latest
state in memory, thread-safely, so that the status service can read it
without any network call.

Reconnection: after any drop that :meth:`UptimeKumaClient.close` did not
cause (a transport error, a ping timeout, a server-initiated disconnect - which
python-socketio itself would not retry) the client's one reconnect loop tries
again and again, waiting :class:`~companion.retry.EqualJitterBackoff` delays
(``reconnect_initial_backoff_s`` doubling up to ``reconnect_max_backoff_s``,
equal jitter seeded by ``retry_seed``: the same backoff as the HTTP retries),
each through ``clock.wait`` so that a virtual clock can let them pass; after
every (re)connection it logs in again. python-socketio's own reconnection (with
its unseeded jitter) is switched off.

Observing: ``on_event(event, detail)``, when given, is told what happens to the
connection as it happens: ``connect``, ``reconnect``, ``login``,
``login-rejected``, ``disconnect`` (detail: the reason) and every ``push`` from
the server (detail: the event's name, and for a ``heartbeat`` the monitor and
its status). It runs on the client's Socket.IO threads, must return quickly and
never breaks the client (its errors are logged and ignored).

Passwords never appear in logs, reprs or error messages.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
from datetime import datetime
from typing import Any, Callable, Mapping

import socketio
from socketio import exceptions as sio_exceptions

from .clock import SYSTEM_CLOCK, Clock
from .errors import AuthenticationError, ServiceTimeoutError, ServiceUnavailableError, redact_text
from .monitors import STATUS_NAMES, MonitorStatus, parse_kuma_time
from .retry import EqualJitterBackoff
from .settings import ClientSettings

__all__ = ["UptimeKumaClient", "MonitorStatus", "STATUS_NAMES", "parse_kuma_time"]

SERVICE = "uptime-kuma"

log = logging.getLogger("companion.uptime_kuma")


def _push_detail(name: str, args: tuple) -> str:
    """A push in a few words: its name, and for a heartbeat the monitor id and its status."""
    data = args[0] if args else None
    if name == "heartbeat" and isinstance(data, Mapping):
        status = STATUS_NAMES.get(_as_int(data.get("status")), "unknown")
        return f"heartbeat monitor {data.get('monitorID', data.get('monitor_id'))} {status}"
    return name


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class UptimeKumaClient:
    """Connects to Uptime Kuma over Socket.IO, logs in, keeps monitors and heartbeats.

    ``settings`` (a :class:`~companion.settings.ClientSettings`, production
    defaults when None): ``connect_timeout_s`` bounds the connection,
    ``read_timeout_s`` the Engine.IO requests and the wait for the login
    answer; ``reconnect_initial_backoff_s`` / ``reconnect_max_backoff_s`` /
    ``retry_seed`` shape the reconnect backoff. ``clock`` is where reconnect
    waits pass and event times are read. ``reconnect_backoff=(initial, max)``
    and ``connect_timeout`` are shorthands that override those settings.
    ``on_event(event, detail)`` hears connects, logins, drops and pushes (see
    the module doc).

    Usage::

        client = UptimeKumaClient(kuma.url, "admin", "admin")
        client.connect()                       # raises AuthenticationError / ServiceUnavailableError
        client.wait_for(lambda: client.monitor_status("Plex") == "down", timeout=5)
        client.close()
    """

    def __init__(self, url: str, username: str, password: str, *, settings: ClientSettings | None = None,
                 clock: Clock = SYSTEM_CLOCK, transports: list[str] | None = None,
                 reconnect_backoff: tuple[float, float] | None = None, connect_timeout: float | None = None,
                 on_event: Callable[[str, str], None] | None = None) -> None:
        settings = settings or ClientSettings()
        if reconnect_backoff is not None:
            initial, maximum = (float(reconnect_backoff[0]), float(reconnect_backoff[1]))
            if not (0 < initial <= maximum):
                raise ValueError(f"reconnect_backoff must be (initial > 0, max >= initial), "
                                 f"got {reconnect_backoff!r}")
            settings = dataclasses.replace(settings, reconnect_initial_backoff_s=initial,
                                           reconnect_max_backoff_s=maximum)
        if connect_timeout is not None:
            if not connect_timeout > 0:
                raise ValueError(f"connect_timeout must be > 0, got {connect_timeout!r}")
            settings = dataclasses.replace(settings, connect_timeout_s=float(connect_timeout),
                                           read_timeout_s=float(connect_timeout))
        self.url = url.rstrip("/")
        self.username = username
        self._password = password
        self.settings = settings
        self.clock = clock
        self.connect_timeout = settings.connect_timeout_s
        self.login_timeout = settings.read_timeout_s
        self.reconnect_backoff = (settings.reconnect_initial_backoff_s, settings.reconnect_max_backoff_s)
        self.backoff = EqualJitterBackoff(*self.reconnect_backoff, seed=settings.retry_seed)
        self.transports = transports
        self.on_event = on_event
        self._cond = threading.Condition(threading.RLock())
        self._ops_lock = threading.Lock()  # serialises connect / close / supervisor reconnects
        self._closed = threading.Event()
        self._closed.set()  # not started yet
        # state, guarded by self._cond
        self._connected = False
        self._logged_in = False
        self._login_error: str | None = None
        self._ever_connected = False
        self._monitors: dict[int, dict[str, Any]] = {}
        self._heartbeats: dict[int, dict[str, Any]] = {}
        self._important: dict[int, list[dict[str, Any]]] = {}
        self._avg_ping: dict[int, float | None] = {}
        self._uptime: dict[tuple[int, int], float] = {}
        self._info: dict[str, Any] = {}
        self._event_counts: dict[str, int] = {}
        self._last_event_at: datetime | None = None
        self._last_disconnect_reason: str | None = None
        self.reconnects = 0
        self.logins = 0
        self.login_failures = 0
        self.disconnects = 0
        self._supervisor: threading.Thread | None = None  # the reconnect thread while it runs
        self._reconnect_wanted = False
        self._disconnected_at = 0.0
        self._sio = self._make_sio()

    # -- public API ------------------------------------------------------------------
    def connect(self) -> "UptimeKumaClient":
        """Connect and log in; return once logged in.

        Raises :class:`ServiceUnavailableError` when the server cannot be
        reached, :class:`AuthenticationError` when it rejects the login and
        :class:`ServiceTimeoutError` when no login answer arrives in
        ``connect_timeout``. On any failure the client is left closed.
        """
        with self._ops_lock:
            if self._sio.connected:
                raise RuntimeError(f"Uptime Kuma client for {self.url} is already connected")
            self._closed.clear()
            with self._cond:
                self._login_error = None
                self._ever_connected = False
            try:
                self._sio_connect()
            except (sio_exceptions.ConnectionError, ValueError) as exc:
                self._closed.set()
                raise ServiceUnavailableError(SERVICE, "connect", self._redact(
                    f"cannot connect to Uptime Kuma at {self.url}: {exc}")) from None
        with self._cond:
            answered = self._cond.wait_for(lambda: self._logged_in or self._login_error is not None
                                           or not self._connected, self.login_timeout)
            logged_in, error = self._logged_in, self._login_error
        if logged_in:
            return self
        self.close()
        if error is not None:
            raise AuthenticationError(SERVICE, "login",
                                      f"Uptime Kuma rejected the login of user {self._shown_user}: {error}")
        if not answered:
            raise ServiceTimeoutError(SERVICE, "login",
                                      f"no answer to the login of user {self._shown_user} from {self.url} "
                                      f"in {self.login_timeout:g} s")
        raise ServiceUnavailableError(SERVICE, "login", f"Uptime Kuma at {self.url} closed the connection during login")

    def close(self) -> None:
        """Disconnect and stop reconnecting. Safe to call more than once."""
        self._closed.set()
        with self._ops_lock:
            try:
                self._sio.shutdown()
            except Exception:  # noqa: BLE001 - closing must not fail
                log.debug("error while shutting the Socket.IO client down", exc_info=True)
        supervisor = self._supervisor
        if supervisor is not None and supervisor is not threading.current_thread():
            supervisor.join(timeout=self.connect_timeout + self.login_timeout + 1)
        with self._cond:
            self._connected = False
            self._logged_in = False
            self._cond.notify_all()

    def __enter__(self) -> "UptimeKumaClient":
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_live(self) -> bool:
        """True while the socket is connected AND the session is logged in."""
        with self._cond:
            return self._connected and self._logged_in and not self._closed.is_set()

    @property
    def is_connected(self) -> bool:
        """True while the Socket.IO connection is up (logged in or not)."""
        with self._cond:
            return self._connected

    @property
    def is_logged_in(self) -> bool:
        """True once the current connection's login was accepted."""
        with self._cond:
            return self._logged_in

    @property
    def login_error(self) -> str | None:
        """The server's message for the last rejected login (None after a good one)."""
        with self._cond:
            return self._login_error

    @property
    def last_disconnect_reason(self) -> str | None:
        """Why the connection last dropped (python-socketio's reason string)."""
        with self._cond:
            return self._last_disconnect_reason

    @property
    def monitors(self) -> dict[int, dict[str, Any]]:
        """The latest monitor list: monitor id -> monitor (copies)."""
        with self._cond:
            return {mid: dict(mon) for mid, mon in self._monitors.items()}

    @property
    def info(self) -> dict[str, Any]:
        """The latest ``info`` push (``version`` once logged in)."""
        with self._cond:
            return dict(self._info)

    @property
    def event_counts(self) -> dict[str, int]:
        """How many of each server event arrived (for diagnostics)."""
        with self._cond:
            return dict(self._event_counts)

    @property
    def last_event_at(self) -> datetime | None:
        """UTC time of the last event received from the server."""
        with self._cond:
            return self._last_event_at

    def find_monitor(self, name_or_id: str | int) -> dict[str, Any] | None:
        """The monitor with this id, or whose name matches case-insensitively; None if unknown."""
        with self._cond:
            return self._find_monitor(name_or_id)

    def monitor_id(self, name_or_id: str | int) -> int:
        """Resolve a monitor name (case-insensitive) or id to the id; KeyError if unknown."""
        with self._cond:
            monitor = self._find_monitor(name_or_id)
            if monitor is None:
                known = ", ".join(f"{mid} {mon.get('name')!r}" for mid, mon in sorted(self._monitors.items()))
                raise KeyError(f"no Uptime Kuma monitor {name_or_id!r}; known monitors: {known or 'none'}")
            return int(monitor["id"])

    def latest_heartbeat(self, monitor_id: str | int) -> dict[str, Any] | None:
        """The newest heartbeat of a monitor (id or name): ``{monitorID, status, time, msg, ping, ...}``.

        None when no heartbeat has arrived for it yet; KeyError when a name is unknown.
        """
        with self._cond:
            beat = self._heartbeats.get(self._resolve_id(monitor_id))
            return dict(beat) if beat is not None else None

    def monitor_status(self, name_or_id: str | int) -> str | None:
        """``up`` / ``down`` / ``pending`` / ``maintenance`` from the newest heartbeat.

        None while no heartbeat is known; KeyError when the monitor is unknown.
        """
        with self._cond:
            mid = self.monitor_id(name_or_id)
            beat = self._heartbeats.get(mid)
            if beat is None:
                return None
            return STATUS_NAMES.get(_as_int(beat.get("status")), "unknown")

    def important_heartbeats(self, monitor_id: str | int) -> list[dict[str, Any]]:
        """The important heartbeats (status changes) of a monitor, newest first."""
        with self._cond:
            return [dict(row) for row in self._important.get(self._resolve_id(monitor_id), [])]

    def avg_ping(self, monitor_id: int) -> float | None:
        """The latest ``avgPing`` for a monitor (ms), if pushed."""
        with self._cond:
            return self._avg_ping.get(int(monitor_id))

    def uptime(self, monitor_id: int, hours: int = 24) -> float | None:
        """The latest ``uptime`` ratio for a monitor over ``hours`` (24 or 720), if pushed."""
        with self._cond:
            return self._uptime.get((int(monitor_id), int(hours)))

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Block until ``predicate()`` is truthy or ``timeout`` seconds pass; return its last value.

        The predicate runs with the client's state lock held (re-entrant, so it
        may call this client's getters) and is re-evaluated on every state
        change: no polling, no sleeps. A predicate raising ``KeyError`` /
        ``LookupError`` (e.g. a monitor not pushed yet) counts as false.
        """
        def safe() -> Any:
            try:
                return predicate()
            except LookupError:
                return False

        with self._cond:
            return self._cond.wait_for(safe, timeout)

    def wait_until_live(self, timeout: float = 5.0) -> bool:
        """Block until connected and logged in; True if it happened in time."""
        return bool(self.wait_for(lambda: self.is_live, timeout))

    def counters(self) -> dict[str, int]:
        """``reconnects``, ``logins``, ``login_failures``, ``disconnects``."""
        with self._cond:
            return {"reconnects": self.reconnects, "logins": self.logins,
                    "login_failures": self.login_failures, "disconnects": self.disconnects}

    def __repr__(self) -> str:
        return (f"UptimeKumaClient(url={self.url!r}, username={self._shown_user}, password='*****', "
                f"live={self.is_live})")

    def _redact(self, text: str) -> str:
        """``text`` without the password's value (a server may echo it)."""
        return redact_text(text, (self._password,))

    @property
    def _shown_user(self) -> str:
        """The username as messages show it (masked if it is the password's value too)."""
        return self._redact(repr(self.username))

    # -- Socket.IO wiring --------------------------------------------------------------
    def _make_sio(self) -> socketio.Client:
        # reconnection off: every drop goes through this client's one (seeded, clock-driven) reconnect loop
        sio = socketio.Client(reconnection=False, logger=False, engineio_logger=False, handle_sigint=False,
                              request_timeout=self.login_timeout)
        sio.on("connect", self._on_connect)
        sio.on("disconnect", self._on_disconnect)
        pushes = {"monitorList": self._on_monitor_list, "heartbeatList": self._on_heartbeat_list,
                  "importantHeartbeatList": self._on_important_heartbeat_list, "heartbeat": self._on_heartbeat,
                  "avgPing": self._on_avg_ping, "uptime": self._on_uptime, "info": self._on_info}
        for name, handler in pushes.items():
            sio.on(name, self._reported_push(name, handler))
        sio.on("*", self._on_other)
        return sio

    def _report(self, event: str, detail: str) -> None:
        """Tell ``on_event`` (if any); its failures never reach the client's threads."""
        if self.on_event is None:
            return
        try:
            self.on_event(event, self._redact(detail))
        except Exception:  # noqa: BLE001 - an observer must not break the client
            log.debug("on_event(%r) failed", event, exc_info=True)

    def _reported_push(self, name: str, handler: Callable[..., None]) -> Callable[..., None]:
        """``handler`` for the server event ``name``, followed by a ``push`` report."""
        def handle(*args: Any) -> None:
            handler(*args)
            if self.on_event is not None:
                self._report("push", _push_detail(name, args))

        return handle

    def _sio_connect(self) -> None:
        """One connection attempt (no library retries): ``connect()`` and the reconnect loop both use it."""
        self._sio.connect(self.url, transports=self.transports, wait=True, wait_timeout=self.connect_timeout,
                          retry=False)

    def _count(self, event: str) -> None:
        # caller holds the lock
        self._event_counts[event] = self._event_counts.get(event, 0) + 1
        self._last_event_at = self.clock.now()

    def _on_connect(self) -> None:
        with self._cond:
            again = self._ever_connected
            if again:
                self.reconnects += 1
            self._ever_connected = True
            self._connected = True
            self._logged_in = False
            self._cond.notify_all()
        self._report("reconnect" if again else "connect", self.url)
        log.info("connected to Uptime Kuma at %s; logging in as %s", self.url, self._shown_user)
        try:
            # never block here: this runs on the client's read loop, which delivers the ack
            self._sio.emit("login", {"username": self.username, "password": self._password, "token": ""},
                           callback=self._on_login_ack)
        except sio_exceptions.SocketIOError as exc:
            log.warning("could not send the login to Uptime Kuma at %s: %s", self.url, self._redact(str(exc)))

    def _on_login_ack(self, response: Any = None, *_: Any) -> None:
        ok = isinstance(response, Mapping) and bool(response.get("ok"))
        with self._cond:
            if ok:
                self._logged_in = True
                self._login_error = None
                self.logins += 1
            else:
                self._logged_in = False
                msg = response.get("msg") if isinstance(response, Mapping) else None
                self._login_error = self._redact(str(msg or f"login not accepted (answer: {type(response).__name__})"))
                self.login_failures += 1
            self._cond.notify_all()
        if ok:
            log.info("logged in to Uptime Kuma at %s as %s", self.url, self._shown_user)
            self._report("login", f"as {self._shown_user}")
        else:
            log.warning("Uptime Kuma at %s rejected the login of %s: %s", self.url, self._shown_user, self._login_error)
            self._report("login-rejected", str(self._login_error))

    def _on_disconnect(self, reason: Any = None) -> None:
        with self._cond:
            self._connected = False
            self._logged_in = False
            self._last_disconnect_reason = str(reason) if reason is not None else None
            self.disconnects += 1
            self._disconnected_at = self.clock.monotonic()  # the first reconnect delay counts from here
            self._cond.notify_all()
        log.info("disconnected from Uptime Kuma at %s (%s)", self.url, reason)
        self._report("disconnect", "closed by the client" if self._closed.is_set() else str(reason))
        if self._closed.is_set():  # close() sets it before it disconnects
            return
        self._start_supervisor()

    def _start_supervisor(self) -> None:
        """Ask for a reconnect; start the reconnect thread unless one is running (it will see the request)."""
        with self._cond:
            self._reconnect_wanted = True
            if self._supervisor is not None:
                return
            self._supervisor = threading.Thread(target=self._reconnect_loop, daemon=True,
                                                name=f"uptime-kuma-reconnect:{self.url}")
            self._supervisor.start()

    def _reconnect_loop(self) -> None:
        while True:
            with self._cond:
                if not self._reconnect_wanted or self._closed.is_set():
                    self._supervisor = None
                    return
                self._reconnect_wanted = False
                since = self._disconnected_at
            self._reconnect_until_connected(since)

    def _await_engine_closed(self) -> None:
        """python-socketio runs the disconnect handler before it closes the Engine.IO connection; a connect
        before that fails. Wait for it (real time, milliseconds; at most ``connect_timeout``)."""
        deadline = SYSTEM_CLOCK.monotonic() + self.connect_timeout
        while getattr(self._sio.eio, "state", "disconnected") != "disconnected":
            if self._closed.wait(0.005) or SYSTEM_CLOCK.monotonic() > deadline:
                return

    def _reconnect_until_connected(self, since: float) -> None:
        """Wait the backoff's next delay on the clock (close() ends the wait), try once, repeat until connected.

        Each delay counts from ``since`` (the disconnect, then the end of the failed attempt), so a virtual
        clock moved before this thread began waiting still counts.
        """
        for attempt in itertools.count(1):
            remaining = since + self.backoff.delay(attempt) - self.clock.monotonic()
            if self.clock.wait(self._closed, max(0.0, remaining)):
                return
            self._await_engine_closed()
            with self._ops_lock:
                if self._closed.is_set() or self._sio.connected:
                    return
                try:
                    self._sio_connect()
                except (sio_exceptions.ConnectionError, ValueError) as exc:
                    log.info("reconnect to Uptime Kuma at %s failed (attempt %d): %s", self.url, attempt,
                             self._redact(str(exc)))
                    since = self.clock.monotonic()
                    continue
                return

    # -- server events -------------------------------------------------------------------
    def _on_monitor_list(self, data: Any = None, *_: Any) -> None:
        with self._cond:
            self._count("monitorList")
            if isinstance(data, Mapping):
                monitors: dict[int, dict[str, Any]] = {}
                for key, monitor in data.items():
                    if not isinstance(monitor, Mapping):
                        continue
                    mid = _as_int(monitor.get("id", key))
                    if mid is not None:
                        monitors[mid] = dict(monitor, id=mid)
                self._monitors = monitors
            self._cond.notify_all()

    def _on_heartbeat_list(self, monitor_id: Any = None, rows: Any = None, overwrite: Any = False, *_: Any) -> None:
        with self._cond:
            self._count("heartbeatList")
            mid = _as_int(monitor_id)
            if mid is not None and isinstance(rows, list) and rows:
                newest = rows[-1]  # rows come oldest -> newest
                if isinstance(newest, Mapping):
                    self._heartbeats[mid] = self._normalise_beat(mid, newest)
            self._cond.notify_all()

    def _on_important_heartbeat_list(self, monitor_id: Any = None, rows: Any = None, overwrite: Any = False,
                                     *_: Any) -> None:
        with self._cond:
            self._count("importantHeartbeatList")
            mid = _as_int(monitor_id)
            if mid is not None and isinstance(rows, list):
                beats = [self._normalise_beat(mid, row) for row in rows if isinstance(row, Mapping)]
                self._important[mid] = beats if overwrite else beats + self._important.get(mid, [])
            self._cond.notify_all()

    def _on_heartbeat(self, data: Any = None, *_: Any) -> None:
        with self._cond:
            self._count("heartbeat")
            if isinstance(data, Mapping):
                mid = _as_int(data.get("monitorID", data.get("monitor_id")))
                if mid is not None:
                    beat = self._normalise_beat(mid, data)
                    self._heartbeats[mid] = beat
                    if beat.get("important"):
                        self._important.setdefault(mid, []).insert(0, beat)
            self._cond.notify_all()

    def _on_avg_ping(self, monitor_id: Any = None, ping: Any = None, *_: Any) -> None:
        with self._cond:
            self._count("avgPing")
            mid = _as_int(monitor_id)
            if mid is not None:
                self._avg_ping[mid] = ping
            self._cond.notify_all()

    def _on_uptime(self, monitor_id: Any = None, hours: Any = None, ratio: Any = None, *_: Any) -> None:
        with self._cond:
            self._count("uptime")
            mid, period = _as_int(monitor_id), _as_int(hours)
            if mid is not None and period is not None:
                self._uptime[(mid, period)] = ratio
            self._cond.notify_all()

    def _on_info(self, data: Any = None, *_: Any) -> None:
        with self._cond:
            self._count("info")
            if isinstance(data, Mapping):
                self._info.update(data)
            self._cond.notify_all()

    def _on_other(self, event: str, *args: Any) -> None:
        with self._cond:
            self._count(event)
            self._cond.notify_all()
        if self.on_event is not None:
            self._report("push", str(event))

    @staticmethod
    def _normalise_beat(monitor_id: int, row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "monitorID": monitor_id,
            "status": _as_int(row.get("status")),
            "time": row.get("time"),
            "msg": row.get("msg", ""),
            "ping": row.get("ping"),
            "important": bool(row.get("important", False)),
            "duration": row.get("duration"),
        }

    # -- helpers ---------------------------------------------------------------------------
    def _resolve_id(self, monitor_id: str | int) -> int:
        # caller holds the lock; a number is taken as an id as is, a name must be known (KeyError)
        mid = _as_int(monitor_id)
        return mid if mid is not None else self.monitor_id(monitor_id)

    def _find_monitor(self, name_or_id: str | int) -> dict[str, Any] | None:
        # caller holds the lock
        if isinstance(name_or_id, int) or (isinstance(name_or_id, str) and name_or_id.strip().isdigit()):
            monitor = self._monitors.get(int(name_or_id))
            if monitor is not None:
                return dict(monitor)
            if isinstance(name_or_id, int):
                return None
        wanted = str(name_or_id).strip().casefold()
        for mid in sorted(self._monitors):
            if str(self._monitors[mid].get("name", "")).strip().casefold() == wanted:
                return dict(self._monitors[mid])
        return None
