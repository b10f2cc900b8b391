"""The monitors and heartbeats of the Uptime Kuma mock, in Uptime Kuma 1.23's shapes.

:class:`MonitorStore` is the one thread-safe owner of the state: the Socket.IO
pushes, the HTTP routes and the Python control API all read it from here.
Heartbeat rows look like rows of the real ``heartbeat`` table
(``{id, monitor_id, status, msg, time, ping, important, duration, down_count}``,
``important`` as 0/1 like SQLite sends it); times are UTC strings
``YYYY-MM-DD HH:MM:SS.mmm``.
"""

from __future__ import annotations

import copy
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

from mockservers import MONITOR_NAMES, SERVICES
from mockservers.core import validation as check

__all__ = ["DOWN", "UP", "PENDING", "MAINTENANCE", "STATUS_CODES", "STATUS_NAMES", "MonitorStore",
           "parse_status", "as_monitor_id", "format_time", "parse_time", "live_heartbeat", "DEFAULT_MONITORS",
           "DEFAULT_SERVICE_URLS"]

DOWN, UP, PENDING, MAINTENANCE = 0, 1, 2, 3
STATUS_CODES: dict[str, int] = {"down": DOWN, "up": UP, "pending": PENDING, "maintenance": MAINTENANCE}
STATUS_NAMES: dict[int, str] = {code: name for name, code in STATUS_CODES.items()}
MONITOR_TYPES = ("group", "http", "port", "ping", "keyword", "json-query", "grpc-keyword", "dns", "docker",
                 "real-browser", "push", "steam", "gamedig", "mqtt", "kafka-producer", "sqlserver", "postgres",
                 "mysql", "mongodb", "radius", "redis", "tailscale-ping")

#: the longest monitor name, URL and heartbeat message accepted
MAX_NAME = 150
MAX_URL = 2048
MAX_MSG = 1024
#: heartbeats kept per monitor (the real server sends the newest 100 in ``heartbeatList``)
HISTORY_LIMIT = 100
#: the most monitors a mock holds: with the limits above, a monitor holds at most about 130 KB
#: (100 heartbeats of a 1024-character message), so the store at most about 26 MB
MAX_MONITORS = 200
INTERVAL_S = 60

#: the default monitors: (name, health path checked, pings of the default history, oldest first)
DEFAULT_MONITORS: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("Plex", "/identity", (12, 14, 11, 13, 12)),
    ("Overseerr", "/api/v1/status", (21, 19, 23, 20, 22)),
    ("Tautulli", "/status", (31, 33, 30, 32, 34)),
)
#: where each default monitor's service is, unless the mock is told otherwise: the CLI's default ports
#: for the mocked services, Tautulli's usual port for the one that is not mocked
DEFAULT_SERVICE_URLS: dict[str, str] = {
    **{monitor: f"http://127.0.0.1:{SERVICES[service][1]}" for service, monitor in MONITOR_NAMES.items()},
    "Tautulli": "http://127.0.0.1:8181",
}


def parse_status(status: str | int) -> int:
    """``"up"`` / ``"down"`` / ``"pending"`` / ``"maintenance"`` (any case) or 0-3 → the status code.

    Raises :class:`ValueError` naming the valid values.
    """
    if isinstance(status, str):
        text = status.strip().lower()
        if text in STATUS_CODES:
            return STATUS_CODES[text]
        if text.isascii() and text.isdigit() and len(text) == 1 and int(text) in STATUS_NAMES:
            return int(text)
    elif isinstance(status, int) and not isinstance(status, bool) and status in STATUS_NAMES:
        return status
    raise ValueError(f"unknown monitor status {status!r}: expected one of up, down, pending, maintenance "
                     "(or 0-3: 0 DOWN, 1 UP, 2 PENDING, 3 MAINTENANCE)")


def as_monitor_id(value: Any) -> int | None:
    """A monitor id sent as a number or a string of digits (the web UI sends both); None otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= check.INT64_MAX else None
    if isinstance(value, str):
        try:
            return check.digits(value, "monitor id")
        except check.ValidationError:
            return None
    return None


_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def format_time(moment: datetime) -> str:
    """UTC ``YYYY-MM-DD HH:MM:SS.mmm``, the format of Uptime Kuma 1.23's heartbeat times."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime(_TIME_FORMAT) + f".{utc.microsecond // 1000:03d}"


def parse_time(text: str) -> datetime:
    """The UTC moment of a :func:`format_time` string."""
    return datetime.strptime(text, _TIME_FORMAT + ".%f").replace(tzinfo=timezone.utc)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _number(value: float) -> int | float:
    """``60.0`` -> ``60`` (Uptime Kuma sends whole seconds as integers)."""
    return int(value) if float(value).is_integer() else value


def new_monitor(monitor_id: int, name: str, type_: str, url: str | None,
                interval_s: float = INTERVAL_S) -> dict[str, Any]:
    """A monitor with every field Uptime Kuma 1.23's ``Monitor.toJSON()`` sends."""
    return {
        "id": monitor_id, "name": name, "description": None, "pathName": name, "parent": None,
        "childrenIDs": [], "url": url, "method": "GET", "hostname": None, "port": None,
        "maxretries": 0, "weight": 2000, "active": True, "forceInactive": False, "type": type_,
        "timeout": 48, "interval": _number(interval_s), "retryInterval": _number(interval_s), "resendInterval": 0,
        "keyword": None, "invertKeyword": False, "expiryNotification": False, "ignoreTls": False,
        "upsideDown": False, "packetSize": 56, "maxredirects": 10, "accepted_statuscodes": ["200-299"],
        "dns_resolve_type": "A", "dns_resolve_server": "1.1.1.1", "dns_last_result": None,
        "docker_container": None, "docker_host": None, "proxyId": None, "notificationIDList": {},
        "tags": [], "maintenance": False, "mqttTopic": None, "mqttSuccessMessage": None,
        "databaseQuery": None, "authMethod": None, "grpcUrl": None, "grpcProtobuf": None,
        "grpcMethod": None, "grpcServiceName": None, "grpcEnableTls": False, "radiusCalledStationId": None,
        "radiusCallingStationId": None, "game": None, "gamedigGivenPortOnly": True, "httpBodyEncoding": "json",
        "jsonPath": None, "expectedValue": None, "kafkaProducerTopic": None, "kafkaProducerBrokers": [],
        "kafkaProducerSsl": False, "kafkaProducerAllowAutoTopicCreation": False, "kafkaProducerMessage": None,
        "screenshot": None, "includeSensitiveData": True, "headers": None, "body": None, "grpcBody": None,
        "grpcMetadata": None, "basic_auth_user": None, "basic_auth_pass": None, "oauth_client_id": None,
        "oauth_client_secret": None, "oauth_token_url": None, "oauth_scopes": None, "oauth_auth_method": None,
        "pushToken": None, "databaseConnectionString": None, "radiusUsername": None, "radiusPassword": None,
        "radiusSecret": None, "mqttUsername": None, "mqttPassword": None, "authWorkstation": None,
        "authDomain": None, "tlsCa": None, "tlsCert": None, "tlsKey": None, "kafkaProducerSaslOptions": None,
    }


class MonitorStore:
    """Thread-safe monitors and heartbeat history.

    ``clock`` returns the current UTC time (the mock's ``VirtualClock.now``;
    a fixed clock makes every field deterministic; the default history ends
    "now"). ``service_urls``
    maps a default monitor's name to the base URL it checks (e.g. the Plex mock
    a test started); the others keep :data:`DEFAULT_SERVICE_URLS`.
    """

    def __init__(self, clock: Callable[[], datetime] | None = None,
                 service_urls: Mapping[str, str] | None = None, interval_s: float = INTERVAL_S) -> None:
        self._clock = clock or _utcnow
        #: the monitors' check interval (their ``interval`` field, and the spacing of the default history)
        self.interval_s = interval_s
        self._service_urls = {**DEFAULT_SERVICE_URLS, **(service_urls or {})}
        self.lock = threading.RLock()
        self._monitors: dict[int, dict[str, Any]] = {}
        self._beats: dict[int, list[dict[str, Any]]] = {}
        self._next_beat_id = 1
        self.load_defaults()

    # -- setup -------------------------------------------------------------------------
    def load_defaults(self) -> None:
        """The three default monitors, all UP, each with five beats one interval apart (oldest important)."""
        with self.lock:
            now = self._clock()  # first: should reading the time fail, the monitors stay as they were
            self._monitors.clear()
            self._beats.clear()
            self._next_beat_id = 1
            for index, (name, path, pings) in enumerate(DEFAULT_MONITORS, start=1):
                url = self._service_urls[name].rstrip("/") + path
                self._monitors[index] = new_monitor(index, name, "http", url, self.interval_s)
                self._beats[index] = []
                for age, ping in zip(range(len(pings) - 1, -1, -1), pings):
                    self._append(index, UP, "200 - OK", float(ping), now - timedelta(seconds=age * self.interval_s))

    # -- reading -----------------------------------------------------------------------
    def monitors(self) -> dict[int, dict[str, Any]]:
        """Deep copies of the monitors, by id."""
        with self.lock:
            return copy.deepcopy(self._monitors)

    def monitor_list(self) -> dict[str, dict[str, Any]]:
        """The ``monitorList`` payload: monitors keyed by id as a string."""
        with self.lock:
            return {str(mid): copy.deepcopy(mon) for mid, mon in sorted(self._monitors.items())}

    def ids(self) -> list[int]:
        with self.lock:
            return sorted(self._monitors)

    def get(self, monitor_id: int) -> dict[str, Any] | None:
        with self.lock:
            monitor = self._monitors.get(monitor_id)
            return copy.deepcopy(monitor) if monitor is not None else None

    def resolve(self, monitor: int | str) -> int:
        """Monitor id from an id (int or digits) or a name (case-insensitive); ValueError naming the known ones."""
        with self.lock:
            monitor_id = as_monitor_id(monitor)
            if monitor_id in self._monitors:
                return monitor_id
            if isinstance(monitor, str):
                for mid, mon in sorted(self._monitors.items()):
                    if mon["name"].casefold() == monitor.strip().casefold():
                        return mid
            known = ", ".join(f"{mid} {mon['name']!r}" for mid, mon in sorted(self._monitors.items()))
            raise ValueError(f"unknown monitor {monitor!r}: expected a monitor id or name, one of {known or 'none'}")

    def beats(self, monitor_id: int, hours: float | None = None) -> list[dict[str, Any]]:
        """Heartbeat rows oldest → newest (only the last ``hours`` when given)."""
        with self.lock:
            rows = self._beats.get(monitor_id, [])
            if hours is not None:
                since = format_time(self._clock() - timedelta(hours=hours))
                rows = [row for row in rows if row["time"] >= since]
            return [dict(row) for row in rows]

    def important_beats(self, monitor_id: int) -> list[dict[str, Any]]:
        """Important heartbeat rows, newest first."""
        with self.lock:
            return [dict(row) for row in reversed(self._beats.get(monitor_id, [])) if row["important"]]

    def latest(self, monitor_id: int) -> dict[str, Any] | None:
        with self.lock:
            rows = self._beats.get(monitor_id) or []
            return dict(rows[-1]) if rows else None

    def avg_ping(self, monitor_id: int) -> float | None:
        """Mean ping of the last 24 h's beats that have one (ms, 2 decimals), None without any."""
        pings = [row["ping"] for row in self.beats(monitor_id, 24) if row["ping"] is not None]
        return round(sum(pings) / len(pings), 2) if pings else None

    def uptime(self, monitor_id: int, hours: int) -> float:
        """Share of UP (or MAINTENANCE) beats in the last ``hours``, 0..1 (0 without beats)."""
        rows = self.beats(monitor_id, hours)
        if not rows:
            return 0.0
        good = sum(1 for row in rows if row["status"] in (UP, MAINTENANCE))
        return round(good / len(rows), 4)

    # -- changing -------------------------------------------------------------------------
    def add_monitor(self, name: str, type_: str, url: str | None, status: int) -> tuple[int, dict[str, Any]]:
        """Add a monitor with one (important) heartbeat; returns its id and that row."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"monitor name must be a non-empty string, got {check.shown(name)}")
        check.text(name, "monitor name", max_length=MAX_NAME)
        if not isinstance(type_, str) or type_ not in MONITOR_TYPES:
            raise ValueError(f"unknown monitor type {check.shown(type_)}: expected one of {', '.join(MONITOR_TYPES)}")
        if url is not None:
            check.text(url, "monitor url", max_length=MAX_URL)
        with self.lock:
            if any(mon["name"].casefold() == name.strip().casefold() for mon in self._monitors.values()):
                raise ValueError(f"a monitor named {name.strip()!r} already exists")
            if len(self._monitors) >= MAX_MONITORS:
                raise ValueError(f"the mock holds at most {MAX_MONITORS} monitors, it has {len(self._monitors)}: "
                                 "reset it to start again from the default ones")
            monitor_id = max(self._monitors, default=0) + 1
            self._monitors[monitor_id] = new_monitor(monitor_id, name.strip(), type_, url, self.interval_s)
            self._beats[monitor_id] = []
            row = self._append(monitor_id, status, "", None, self._clock())
            return monitor_id, dict(row)

    def add_beat(self, monitor_id: int, status: int, msg: str, ping: float | None,
                 moment: datetime | None = None) -> dict[str, Any]:
        """Append a heartbeat at ``moment`` (now by default; important when the status changed); returns the row."""
        with self.lock:
            if monitor_id not in self._monitors:
                raise ValueError(f"unknown monitor id {monitor_id}")
            return dict(self._append(monitor_id, status, msg, ping, moment or self._clock()))

    # -- internals -----------------------------------------------------------------------
    def _append(self, monitor_id: int, status: int, msg: str, ping: float | None,
                moment: datetime) -> dict[str, Any]:
        rows = self._beats[monitor_id]
        previous = rows[-1] if rows else None
        important = previous is None or previous["status"] != status
        duration = 0
        if previous is not None:
            duration = max(0, int((moment - parse_time(previous["time"])).total_seconds()))
        down_count = (previous["down_count"] + 1 if previous and previous["status"] == DOWN else 1) \
            if status == DOWN else 0
        row = {"id": self._next_beat_id, "monitor_id": monitor_id, "status": status, "msg": msg,
               "time": format_time(moment), "ping": ping, "important": 1 if important else 0,
               "duration": duration, "down_count": down_count}
        self._next_beat_id += 1
        rows.append(row)
        del rows[:-HISTORY_LIMIT]
        return row


def live_heartbeat(row: dict[str, Any]) -> dict[str, Any]:
    """The live ``heartbeat`` event payload for a row (``Heartbeat.toJSON()`` in 1.23)."""
    return {"monitorID": int(row["monitor_id"]), "status": row["status"], "time": row["time"],
            "msg": row["msg"], "ping": row["ping"], "important": bool(row["important"]),
            "duration": row["duration"]}
