"""The status service: one up / down / degraded verdict per integrated service.

Two sources, chosen per service at every call:

* ``uptime-kuma`` - when enabled and the :class:`UptimeKumaClient` is live
  (connected and logged in) and has a heartbeat for the service's monitor
  (matched by name, case-insensitively, or by an explicit name/id mapping);
* ``poll`` - otherwise (disabled, not connected, login rejected, monitor
  unknown or without heartbeat): the service's own health call is timed
  (``plex.test_connection()``, ``overseerr.get_status()``; for plex.tv, always
  polled, the sign-in's ``check_account()``: the account read with the token kept).

Verdicts (see :meth:`StatusService.get_all_statuses`):

=============  =========================================================================
``up``         reachable, fast enough, breaker closed, fresh data
``degraded``   slower than ``slow_threshold_ms``; stale (cached) data served; breaker
               half-open, or open while data is still served; Uptime Kuma PENDING or
               MAINTENANCE; Uptime Kuma UP while our own breaker is open / half-open
``down``       the health call failed (unreachable, timeout, bad answer, rejected
               credentials, breaker open with nothing cached); Uptime Kuma DOWN
=============  =========================================================================
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Mapping

from .clock import SYSTEM_CLOCK, Clock
from .errors import IntegrationError
from .monitors import STATUS_NAMES, parse_kuma_time
from .timeutil import iso_utc

__all__ = ["StatusService", "SOURCE_UPTIME_KUMA", "SOURCE_POLL", "UP", "DOWN", "DEGRADED",
           "DEFAULT_MONITOR_NAMES", "HEALTH_CALLS"]

UP, DOWN, DEGRADED = "up", "down", "degraded"
SOURCE_UPTIME_KUMA, SOURCE_POLL = "uptime-kuma", "poll"
UPTIME_KUMA = "uptime-kuma"

#: service name -> the Uptime Kuma monitor (name or id) reporting on it
DEFAULT_MONITOR_NAMES: dict[str, str | int] = {"plex": "Plex", "overseerr": "Overseerr"}
#: service name -> the client method that checks its health (plex.tv's "client" is the sign-in)
HEALTH_CALLS: dict[str, str] = {"plex": "test_connection", "plextv": "check_account", "overseerr": "get_status"}
#: Uptime Kuma monitor status -> our verdict
KUMA_VERDICTS: dict[str, str] = {"up": UP, "down": DOWN, "pending": DEGRADED, "maintenance": DEGRADED}


def _is_stale(result: Any, client: Any) -> bool:
    """Did the call answer from the cache rather than from the service?

    Client results (:class:`~companion.results.Data` / ``DataList``) carry
    ``stale``; the clients also expose ``last_call_stale`` for their last call.
    """
    return getattr(result, "stale", False) is True or getattr(client, "last_call_stale", False) is True


def _describe(result: Any) -> str:
    if isinstance(result, Mapping):
        version = result.get("version")
        name = result.get("name") or result.get("friendlyName")
        parts = [str(p) for p in (name, f"version {version}" if version else None) if p]
        return " ".join(parts)
    return ""


class StatusService:
    """Answers "is each service up?" from Uptime Kuma's live view or by polling.

    Parameters: the clients (``plex``, ``overseerr``, ``uptime_kuma``; None =
    not configured, not reported), ``plextv`` (a ``companion.signin.PlexSignIn``: plex.tv
    is reported as its own service, through the sign-in's account check; not signed in
    or a refused token is ``down`` saying "sign in again"), ``breakers`` (a ``CircuitBreakerFactory``,
    read through ``all_metrics()``), ``use_uptime_kuma`` (False = always poll),
    ``slow_threshold_ms`` (slower = degraded), ``clock`` (a
    :class:`~companion.clock.Clock`: ``now()`` for ``last_check``, ``monotonic()``
    for response times - retry waits on a virtual clock count as time passed),
    ``monitor_names`` (service -> monitor name or id; default ``Plex`` /
    ``Overseerr``), ``breaker_names`` (service -> breaker name; default the
    service name), ``outbox`` (a :class:`~companion.outbox.RequestOutbox` whose state
    :meth:`get_outbox_status` reports; None = no outbox).
    """

    def __init__(self, *, plex: Any = None, overseerr: Any = None, uptime_kuma: Any = None, breakers: Any = None,
                 plextv: Any = None,
                 use_uptime_kuma: bool = True, slow_threshold_ms: float = 1000,
                 clock: Clock = SYSTEM_CLOCK, monitor_names: Mapping[str, str | int] | None = None,
                 breaker_names: Mapping[str, str] | None = None, outbox: Any = None) -> None:
        self.clients: dict[str, Any] = {"plex": plex, "plextv": plextv, "overseerr": overseerr}
        self.outbox = outbox
        self.uptime_kuma = uptime_kuma
        self.breakers = breakers
        self.use_uptime_kuma = use_uptime_kuma
        self.slow_threshold_ms = float(slow_threshold_ms)
        self.clock = clock
        self.monitor_names: dict[str, str | int] = {**DEFAULT_MONITOR_NAMES, **(monitor_names or {})}
        self.breaker_names: dict[str, str] = {name: name for name in HEALTH_CALLS}
        self.breaker_names.update(breaker_names or {})
        self._lock = threading.Lock()
        self._latest: dict[str, dict[str, Any]] = {}

    # -- public API ------------------------------------------------------------------
    @property
    def services(self) -> list[str]:
        """The services reported, in order: configured clients, then ``uptime-kuma`` when in use."""
        names = [name for name, client in self.clients.items() if client is not None]
        if self.uptime_kuma is not None and self.use_uptime_kuma:
            names.append(UPTIME_KUMA)
        return names

    @property
    def kuma_live(self) -> bool:
        """True when Uptime Kuma is enabled and its client is connected and logged in."""
        return bool(self.use_uptime_kuma and self.uptime_kuma is not None and self.uptime_kuma.is_live)

    def get_all_statuses(self) -> list[dict[str, Any]]:
        """One status per service: ``name``, ``status`` (up|down|degraded), ``response_time_ms``,
        ``last_check`` (ISO 8601 UTC), ``source`` (uptime-kuma|poll), ``message``."""
        return [self.get_status(name) for name in self.services]

    def get_status(self, service: str) -> dict[str, Any]:
        """The status of one service (``plex``, ``plextv``, ``overseerr`` or ``uptime-kuma``); kept as its latest
        verdict."""
        entry = self._check(service)
        with self._lock:
            self._latest[service] = dict(entry)
        return entry

    def _check(self, service: str) -> dict[str, Any]:
        if service == UPTIME_KUMA:
            return self._kuma_self_status()
        if service not in self.clients:
            raise KeyError(f"unknown service {service!r}: expected one of {', '.join(self.services)}")
        if self.clients[service] is None:
            raise KeyError(f"service {service!r} has no client configured")
        if self.kuma_live:
            status = self._from_uptime_kuma(service)
            if status is not None:
                return status
        return self._poll(service)

    def get_outbox_status(self) -> dict[str, Any] | None:
        """The request outbox: ``queued``, ``inDoubt``, ``oldestAgeS``, ``lastDeliveryError``, ``counts``,
        ``store``, ``worker``, ``delivering``; ``{available: False, error}`` when its database cannot be read;
        None without an outbox."""
        if self.outbox is None:
            return None
        try:
            return {"available": True, **self.outbox.status()}
        except Exception as exc:  # noqa: BLE001 - the store's own error says which database and why
            return {"available": False, "error": f"{type(exc).__name__}: {exc}"}

    @property
    def last_statuses(self) -> list[dict[str, Any]]:
        """The latest verdict of every service reported (from :meth:`get_all_statuses` or :meth:`get_status`),
        in :attr:`services` order; a service not checked yet is left out. Reads state only: no check runs."""
        with self._lock:
            latest = dict(self._latest)
        return [dict(latest[name]) for name in self.services if name in latest]

    def stale_answers(self) -> dict[str, dict[str, Any]]:
        """Per service whose reads are answered stale from the cache right now: ``{"since", "reason",
        "answers"}`` (the client's ``serving_stale_since``). Reads state only: no check runs."""
        answers = {}
        for name, client in self.clients.items():
            current = getattr(client, "serving_stale_since", None) if client is not None else None
            if isinstance(current, Mapping):
                answers[name] = dict(current)
        return answers

    # -- sources -----------------------------------------------------------------------
    def _entry(self, name: str, status: str, response_time_ms: float | None, last_check: datetime,
               source: str, message: str) -> dict[str, Any]:
        return {
            "name": name,
            "status": status,
            "response_time_ms": None if response_time_ms is None else round(float(response_time_ms), 1),
            "last_check": iso_utc(last_check),
            "source": source,
            "message": message,
        }

    def _breaker_state(self, service: str) -> str | None:
        if self.breakers is None:
            return None
        try:
            metrics = self.breakers.all_metrics().get(self.breaker_names.get(service, service))
        except Exception:  # noqa: BLE001 - metrics are advisory here
            return None
        return metrics.get("state") if isinstance(metrics, Mapping) else None

    def _from_uptime_kuma(self, service: str) -> dict[str, Any] | None:
        """The verdict from Uptime Kuma's monitor, or None to fall back to polling."""
        kuma = self.uptime_kuma
        monitor_ref = self.monitor_names.get(service)
        if monitor_ref is None:
            return None
        monitor = kuma.find_monitor(monitor_ref)
        if monitor is None:
            return None
        # the verdict and its details come from one heartbeat, so a monitor list pushed meanwhile cannot split them
        beat = kuma.latest_heartbeat(monitor["id"])
        if beat is None:
            return None
        kuma_status = STATUS_NAMES.get(beat.get("status"), "unknown")
        checked = parse_kuma_time(beat.get("time")) or self.clock.now()
        ping = beat.get("ping")
        ping_ms = float(ping) if isinstance(ping, (int, float)) and not isinstance(ping, bool) else None
        label = f"Uptime Kuma monitor {monitor.get('name')!r} is {kuma_status.upper()}"
        msg = str(beat.get("msg") or "").strip()
        message = f"{label}: {msg}" if msg else label
        status = KUMA_VERDICTS.get(kuma_status, DEGRADED)
        if status == UP:
            breaker = self._breaker_state(service)
            if ping_ms is not None and ping_ms > self.slow_threshold_ms:
                status = DEGRADED
                message += f"; slow: {ping_ms:.0f} ms > {self.slow_threshold_ms:.0f} ms"
            if breaker in ("open", "half-open"):
                status = DEGRADED
                message += f"; circuit breaker is {breaker}"
        return self._entry(service, status, ping_ms, checked, SOURCE_UPTIME_KUMA, message)

    def _poll(self, service: str) -> dict[str, Any]:
        client = self.clients[service]
        call = getattr(client, HEALTH_CALLS[service])
        started = self.clock.monotonic()
        try:
            result = call()
        except IntegrationError as exc:  # includes CircuitOpenError: the message says the breaker is open
            elapsed_ms = (self.clock.monotonic() - started) * 1000
            return self._entry(service, DOWN, elapsed_ms, self.clock.now(), SOURCE_POLL, str(exc))
        except Exception as exc:  # noqa: BLE001 - an unexpected failure still means "down", with its reason
            elapsed_ms = (self.clock.monotonic() - started) * 1000
            return self._entry(service, DOWN, elapsed_ms, self.clock.now(), SOURCE_POLL,
                               f"{service} health check failed: {type(exc).__name__}: {exc}")
        elapsed_ms = (self.clock.monotonic() - started) * 1000
        problems: list[str] = []
        if _is_stale(result, client):
            reason = getattr(result, "stale_reason", None) or getattr(client, "last_call_stale_reason", None)
            problems.append("served stale cached data" + (f" because {reason}" if reason else ""))
        attempts = getattr(client, "last_call_attempts", 1)
        if isinstance(attempts, int) and attempts > 1:
            problems.append(f"partial failure: answered after {attempts} attempts")
        if elapsed_ms > self.slow_threshold_ms:
            problems.append(f"slow: {elapsed_ms:.0f} ms > {self.slow_threshold_ms:.0f} ms")
        breaker = self._breaker_state(service)
        if breaker in ("open", "half-open"):
            problems.append(f"circuit breaker is {breaker}")
        what = _describe(result)
        if problems:
            return self._entry(service, DEGRADED, elapsed_ms, self.clock.now(), SOURCE_POLL,
                               f"{service} degraded: {'; '.join(problems)}")
        return self._entry(service, UP, elapsed_ms, self.clock.now(), SOURCE_POLL,
                           f"{service} responded in {elapsed_ms:.0f} ms" + (f" ({what})" if what else ""))

    def _kuma_self_status(self) -> dict[str, Any]:
        kuma = self.uptime_kuma
        if kuma is None:
            raise KeyError("Uptime Kuma has no client configured")
        now = self.clock.now()
        if kuma.is_live:
            count = len(kuma.monitors)
            return self._entry(UPTIME_KUMA, UP, None, now, SOURCE_UPTIME_KUMA,
                               f"connected and logged in; {count} monitor{'s' if count != 1 else ''}")
        if getattr(kuma, "is_connected", False):
            reason = getattr(kuma, "login_error", None) or "login pending"
            return self._entry(UPTIME_KUMA, DOWN, None, now, SOURCE_UPTIME_KUMA,
                               f"connected but not logged in: {reason}")
        reason = getattr(kuma, "last_disconnect_reason", None)
        return self._entry(UPTIME_KUMA, DOWN, None, now, SOURCE_UPTIME_KUMA,
                           "not connected" + (f" ({reason})" if reason else ""))
