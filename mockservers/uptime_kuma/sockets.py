"""The Socket.IO side of the Uptime Kuma mock: Uptime Kuma 1.23's events over python-socketio.

On connect the server pushes ``info`` (no version). ``login`` / ``loginByToken``
are answered by their ack *first*; then the after-login pushes follow, in the
real server's order: ``monitorList``, ``info`` (with version),
``maintenanceList``, ``notificationList``, ``proxyList``, ``dockerHostList``,
``apiKeyList``, ``statusPageList``, every monitor's ``heartbeatList``, every
monitor's ``importantHeartbeatList``, then per monitor ``avgPing`` and
``uptime`` for 24 and 720 hours. A status change pushes ``heartbeat`` (and
the monitor's stats) to every logged-in client.
"""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
import threading
from collections import deque
from typing import Any, Callable

import jwt

from mockservers.core import validation as check
from mockservers.core.clock import VirtualClock

from .data import MonitorStore, as_monitor_id, live_heartbeat
from .engine import AckOrderedServer
from .pump import EventPump, SocketFaults

__all__ = ["KumaSockets", "VERSION", "NOT_LOGGED_IN", "BAD_LOGIN"]

log = logging.getLogger("mockservers.uptime_kuma")

VERSION = "1.23.16"
NOT_LOGGED_IN = "You are not logged in."
BAD_LOGIN = "Incorrect username or password."
INVALID_TOKEN = "Invalid token."
#: the longest ``getMonitorBeats`` period accepted, in hours (ten years)
MAX_PERIOD_HOURS = 87_600
#: how many minted JWTs are remembered (for redaction by value)
MINTED_KEPT = 1000


def _answering(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an event handler so that any input it cannot handle still gets an ack: ``{"ok": False, "msg": ...}``."""

    @functools.wraps(handler)
    def answer(*args: Any) -> Any:
        try:
            return handler(*args)
        except (ValueError, TypeError, OverflowError) as exc:
            return {"ok": False, "msg": f"bad input: {check.shown(str(exc), 200)}"}
        except Exception as exc:  # noqa: BLE001 - a mock bug: still answer, and log it
            log.exception("uptime-kuma mock: %s failed", handler.__name__)
            return {"ok": False, "msg": f"mock error: {type(exc).__name__}"}

    return answer


class KumaSockets:
    """The Socket.IO server of one mock, with its clients and event pump.

    ``credentials`` returns the current ``(username, password)``; the password
    is compared in constant time and never logged. The Engine.IO ping interval
    and timeout default to Uptime Kuma's (Socket.IO's defaults, 25 s and 20 s;
    real time: they are the transport's). ``clock`` stamps minted JWTs
    (``iat``) and times the event pump's delays. Every event handler answers,
    whatever arguments it gets (bad ones: ``{"ok": false, "msg": ...}``).
    """

    def __init__(self, store: MonitorStore, faults: SocketFaults, credentials: Callable[[], tuple[str, str]],
                 status_page: Callable[[], dict[str, Any]], *, ping_interval_s: float = 25.0,
                 ping_timeout_s: float = 20.0, clock: VirtualClock | None = None) -> None:
        self.clock = clock if clock is not None else VirtualClock()
        self._minted: deque[str] = deque(maxlen=MINTED_KEPT)
        self.store = store
        self.faults = faults
        self._credentials = credentials
        self._status_page = status_page
        self._jwt_secret = secrets.token_hex(32)
        self._lock = threading.Lock()
        self._clients: dict[str, bool] = {}  # sid -> logged in
        self.sio = AckOrderedServer(async_mode="threading", cors_allowed_origins="*", logger=False,
                                     engineio_logger=False, ping_interval=ping_interval_s,
                                     ping_timeout=ping_timeout_s)
        self.pump = EventPump(self.sio.emit, faults, clock=self.clock)
        self._register()

    # -- state -----------------------------------------------------------------------------
    @property
    def connected_clients(self) -> int:
        with self._lock:
            return len(self._clients)

    @property
    def logged_in_clients(self) -> int:
        with self._lock:
            return sum(1 for logged_in in self._clients.values() if logged_in)

    def logged_in_sids(self) -> list[str]:
        with self._lock:
            return [sid for sid, logged_in in self._clients.items() if logged_in]

    def is_logged_in(self, sid: str) -> bool:
        with self._lock:
            return self._clients.get(sid, False)

    def minted_tokens(self) -> list[str]:
        """The JWTs minted at login (the newest :data:`MINTED_KEPT`) and the signing secret: secrets to redact."""
        with self._lock:
            return [*self._minted, self._jwt_secret]

    # -- pushes ------------------------------------------------------------------------------
    @staticmethod
    def info(with_version: bool) -> dict[str, Any]:
        """The ``info`` payload; the version only once logged in, like the real server."""
        payload: dict[str, Any] = {"primaryBaseURL": None, "serverTimezone": "UTC", "serverTimezoneOffset": "+00:00"}
        if with_version:
            payload = {"version": VERSION, "latestVersion": VERSION, **payload}
        return payload

    def send_state(self, sid: str, overwrite: bool = False) -> None:
        """Queue the after-login pushes for ``sid`` from one consistent snapshot of the store."""
        push = self.pump.push
        with self.store.lock:
            ids = self.store.ids()
            push(sid, "monitorList", self.store.monitor_list())
            push(sid, "info", self.info(True))
            push(sid, "maintenanceList", {})
            push(sid, "notificationList", [])
            push(sid, "proxyList", [])
            push(sid, "dockerHostList", [])
            push(sid, "apiKeyList", [])
            page = self._status_page()
            push(sid, "statusPageList", {str(page["id"]): page})
            for mid in ids:
                push(sid, "heartbeatList", mid, self.store.beats(mid), overwrite)
            for mid in ids:
                push(sid, "importantHeartbeatList", mid, self.store.important_beats(mid), overwrite)
            for mid in ids:
                self._push_stats(sid, mid)

    def broadcast_heartbeat(self, row: dict[str, Any]) -> None:
        """Queue ``heartbeat`` and the monitor's stats for every logged-in client (caller holds the store lock)."""
        mid = int(row["monitor_id"])
        for sid in self.logged_in_sids():
            self.pump.push(sid, "heartbeat", live_heartbeat(row))
            self._push_stats(sid, mid)

    def broadcast_monitor_list(self) -> None:
        """Queue a fresh ``monitorList`` for every logged-in client (caller holds the store lock)."""
        for sid in self.logged_in_sids():
            self.pump.push(sid, "monitorList", self.store.monitor_list())

    def broadcast_state(self) -> None:
        """Queue the whole state (heartbeat lists overwriting) for every logged-in client."""
        for sid in self.logged_in_sids():
            self.send_state(sid, overwrite=True)

    def _push_stats(self, sid: str, mid: int) -> None:
        self.pump.push(sid, "avgPing", mid, self.store.avg_ping(mid))
        self.pump.push(sid, "uptime", mid, 24, self.store.uptime(mid, 24))
        self.pump.push(sid, "uptime", mid, 720, self.store.uptime(mid, 720))

    # -- connections ---------------------------------------------------------------------------
    #: seconds a client gets to close its transport after a server-initiated disconnect
    DISCONNECT_GRACE_S = 1.0

    def drop_all(self, graceful: bool = True) -> int:
        """Disconnect every client; returns how many there were.

        ``graceful``: a Socket.IO DISCONNECT packet (the client sees "io server
        disconnect" and closes its transport; a transport still open after
        :attr:`DISCONNECT_GRACE_S` is closed). Otherwise the transports are cut
        at once, as when the server process goes away (clients see a transport
        error and their reconnection logic takes over).
        """
        with self._lock:
            sids = list(self._clients)
            self._clients.clear()
        for sid in sids:
            eio_sid = self._eio_sid(sid)
            if graceful:
                try:
                    self.sio.disconnect(sid)
                except Exception:  # noqa: BLE001 - it went away meanwhile
                    log.debug("socket.io disconnect of %s failed", sid, exc_info=True)
                if eio_sid is not None:
                    timer = threading.Timer(self.DISCONNECT_GRACE_S, self._cut, args=(eio_sid,))
                    timer.daemon = True
                    timer.start()
            elif eio_sid is not None:
                self._cut(eio_sid)
        return len(sids)

    def _eio_sid(self, sid: str) -> str | None:
        try:
            return self.sio.manager.eio_sid_from_sid(sid, "/")
        except Exception:  # noqa: BLE001 - already gone
            return None

    def _cut(self, eio_sid: str) -> None:
        """Close an Engine.IO transport now, without waiting for a polling client to collect anything."""
        eio_socket = self.sio.eio.sockets.get(eio_sid)
        if eio_socket is not None and not eio_socket.closed:
            eio_socket.close(wait=False, abort=True, reason=self.sio.eio.reason.SERVER_DISCONNECT)
        self.sio.eio.sockets.pop(eio_sid, None)

    def close(self) -> None:
        """Cut every client and stop the pump."""
        self.drop_all(graceful=False)
        self.pump.close()

    # -- handlers --------------------------------------------------------------------------------
    def _register(self) -> None:
        sio = self.sio
        sio.on("connect", self._on_connect)
        sio.on("disconnect", self._on_disconnect)
        sio.on("login", _answering(self._on_login))
        sio.on("loginByToken", _answering(self._on_login_by_token))
        sio.on("logout", _answering(self._on_logout))
        sio.on("getMonitor", _answering(self._on_get_monitor))
        sio.on("getMonitorBeats", _answering(self._on_get_monitor_beats))
        sio.on("*", _answering(self._on_other))

    def _on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        with self._lock:
            self._clients[sid] = False
        self.pump.push(sid, "info", self.info(False))

    def _on_disconnect(self, sid: str, *args: Any) -> None:
        with self._lock:
            self._clients.pop(sid, None)

    def _accept(self, sid: str) -> None:
        """After the ack: mark ``sid`` logged in and queue the after-login pushes."""
        def work() -> None:
            with self.store.lock:
                with self._lock:
                    if sid not in self._clients:
                        return  # went away meanwhile
                    self._clients[sid] = True
                self.send_state(sid)

        self.sio.after_ack(work)

    def _on_login(self, sid: str, data: Any = None, *_: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            return {"ok": False, "msg": BAD_LOGIN}
        username, password = self._credentials()
        given_user, given_password = data.get("username"), data.get("password")
        good = (check.is_clean_text(given_user) and check.is_clean_text(given_password)
                and len(given_user) <= 1024 and len(given_password) <= 1024
                and hmac.compare_digest(given_user.encode(), username.encode())
                & hmac.compare_digest(given_password.encode(), password.encode()))
        if not good or self.faults.reject_logins:
            # never what was typed: a password given in the username field would land in the log
            log.info("uptime-kuma mock: rejected login (%s)",
                     "logins are rejected on purpose" if good else "username or password does not match")
            return {"ok": False, "msg": BAD_LOGIN}
        token = jwt.encode({"username": username, "iat": int(self.clock.time())}, self._jwt_secret,
                           algorithm="HS256")
        with self._lock:
            self._minted.append(token)
        self._accept(sid)
        return {"ok": True, "token": token}

    def _on_login_by_token(self, sid: str, token: Any = None, *_: Any) -> dict[str, Any]:
        username, _password = self._credentials()
        try:
            usable = check.is_clean_text(token) and len(token) <= 4096
            claims = jwt.decode(token, self._jwt_secret, algorithms=["HS256"]) if usable else {}
        except jwt.PyJWTError:
            claims = {}
        if claims.get("username") != username or self.faults.reject_logins:
            return {"ok": False, "msg": INVALID_TOKEN}
        self._accept(sid)
        return {"ok": True}

    def _on_logout(self, sid: str, *_: Any) -> None:
        with self._lock:
            if sid in self._clients:
                self._clients[sid] = False

    def _on_get_monitor(self, sid: str, monitor_id: Any = None, *_: Any) -> dict[str, Any]:
        if not self.is_logged_in(sid):
            return {"ok": False, "msg": NOT_LOGGED_IN}
        mid = as_monitor_id(monitor_id)
        monitor = self.store.get(mid) if mid is not None else None
        if monitor is None:
            return {"ok": False, "msg": f"Monitor {check.shown(monitor_id)} not found: expected one of ids "
                                        f"{self.store.ids()}"}
        return {"ok": True, "monitor": monitor}

    def _on_get_monitor_beats(self, sid: str, monitor_id: Any = None, period: Any = None, *_: Any) -> dict[str, Any]:
        if not self.is_logged_in(sid):
            return {"ok": False, "msg": NOT_LOGGED_IN}
        mid = as_monitor_id(monitor_id)
        if mid is None or self.store.get(mid) is None:
            return {"ok": False, "msg": f"Monitor {check.shown(monitor_id)} not found: expected one of ids "
                                        f"{self.store.ids()}"}
        try:
            hours = check.finite_number(period, "period", maximum=MAX_PERIOD_HOURS, exclusive_minimum=True)
        except check.ValidationError as exc:
            return {"ok": False, "msg": str(exc)}
        return {"ok": True, "data": self.store.beats(mid, hours)}

    def _on_other(self, event: str, sid: str, *_: Any) -> dict[str, Any]:
        if not self.is_logged_in(sid):
            return {"ok": False, "msg": NOT_LOGGED_IN}
        return {"ok": False, "msg": f"the Uptime Kuma mock does not implement the {check.shown(event)} event"}

