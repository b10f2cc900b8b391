"""What the health page shows: one card per service, and the summary, as display values.

The page's HTML (rendered by Jinja, autoescaped) and its live updates (the same
values as JSON, set by the page's script with ``textContent``) both come from
:func:`health_view`, so the two can never disagree on wording or on what a
state means.

A card is built from the status service's entry for a service, whatever its
name (a new service appears by itself), the service's circuit breaker in the
registry (its *effective* state: ``half-open`` once the reset timeout has
passed, even before pybreaker has seen a call) and, while the service's reads
are answered from the cache, since when.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Mapping

from ..clock import SYSTEM_CLOCK, Clock
from .summary import summarize

__all__ = ["health_view", "current_statuses", "service_title", "SERVICE_TITLES", "SOURCE_LABELS", "VERDICTS"]

#: how the page names the services it knows; any other name is shown as written
SERVICE_TITLES = {"plex": "Plex", "plex.tv": "plex.tv", "plex-tv": "plex.tv", "overseerr": "Overseerr",
                  "uptime-kuma": "Uptime Kuma", "state-store": "State store", "outbox": "Outbox"}
#: the source of a verdict as the page names it
SOURCE_LABELS = {"uptime-kuma": "Uptime Kuma", "poll": "polling"}
VERDICTS = ("up", "down", "degraded")
BREAKER_STATES = ("closed", "open", "half-open")
NO_VALUE = "\u2014"  # an em dash where a value is unknown


def service_title(name: str) -> str:
    """``Plex`` for ``plex``; an unknown service keeps its own name."""
    return SERVICE_TITLES.get(name, name)


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def clock_time(value: Any) -> str:
    """``12:00:31 UTC`` for an ISO 8601 moment, the text itself when it is not one, a dash when empty."""
    moment = _moment(value)
    if moment is None:
        return str(value) if value else NO_VALUE
    return moment.strftime("%H:%M:%S UTC")


def _count(metrics: Mapping[str, Any], key: str) -> str:
    value = metrics.get(key)
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else NO_VALUE


def _breaker(metrics: Any, now: datetime) -> dict[str, Any]:
    """The breaker part of a card: effective state, countdown to the next probe, failures, rejections."""
    if not isinstance(metrics, Mapping):
        return {"hasBreaker": False, "breaker": "none", "breakerNote": "", "probeIn": None, "failures": "",
                "rejected": "", "lastFailure": ""}
    state = metrics.get("state") if metrics.get("state") in BREAKER_STATES else "unknown"
    probe_in = None
    note = {"closed": "calls pass", "half-open": "probe allowed now", "open": "failing fast"}.get(state, "")
    next_probe = _moment(metrics.get("next_probe_at"))
    if state == "open" and next_probe is not None:
        probe_in = max(0, math.ceil((next_probe - now).total_seconds()))
        note = "next probe in"
    last = metrics.get("last_failure")
    last_failure = ""
    if isinstance(last, Mapping) and last.get("error"):
        last_failure = f"{clock_time(last.get('time'))}: {last.get('error')}"
    return {"hasBreaker": True, "breaker": state, "breakerNote": note, "probeIn": probe_in, "failures": _count(metrics, "failures"),
            "rejected": _count(metrics, "rejected"), "lastFailure": last_failure}


def _stale(record: Any) -> dict[str, Any]:
    if not isinstance(record, Mapping) or not record.get("since"):
        return {"stale": False, "answers": "fresh from the service", "staleReason": ""}
    return {"stale": True, "answers": f"served from cache since {clock_time(record.get('since'))}",
            "staleReason": str(record.get("reason") or "")}


def service_card(entry: Mapping[str, Any], metrics: Any, stale: Any, now: datetime) -> dict[str, Any]:
    """One card's display values (every value a string, a bool, a whole number or None)."""
    name = str(entry.get("name", ""))
    status = entry.get("status") if entry.get("status") in VERDICTS else "unknown"
    response_time = entry.get("response_time_ms")
    source = entry.get("source")
    return {
        "name": name,
        "title": service_title(name),
        "status": status,
        "reason": str(entry.get("message") or ""),
        "source": SOURCE_LABELS.get(source, str(source or NO_VALUE)),
        "checked": clock_time(entry.get("last_check")),
        "responseTime": (f"{response_time:.0f} ms" if isinstance(response_time, (int, float))
                         and not isinstance(response_time, bool) and math.isfinite(response_time) else ""),
        **_breaker(metrics, now),
        **_stale(stale),
    }


def current_statuses(status_service: Any, *, check_unknown: bool) -> list[dict[str, Any]]:
    """The latest verdict of every service, without checking again what is already known.

    A status service that keeps its verdicts (``last_statuses``) is read; with
    ``check_unknown`` a service that has no verdict yet is checked now
    (``get_status``). One that keeps none is asked for all (``get_all_statuses``)
    when ``check_unknown``, else gives nothing.
    """
    latest = getattr(status_service, "last_statuses", None)
    if latest is None:
        return list(status_service.get_all_statuses()) if check_unknown else []
    if not check_unknown:
        return list(latest)
    known = {entry.get("name"): entry for entry in latest}
    services = getattr(status_service, "services", None) or list(known)
    return [known[name] if name in known else status_service.get_status(name) for name in services]


def health_view(status_service: Any, breakers: Any, *, clock: Clock = SYSTEM_CLOCK,
                check_unknown: bool = False) -> dict[str, Any]:
    """The page's content: ``{"summary": {...counts as the JSON dashboard...}, "services": [card, ...]}``.

    Reads the latest verdicts (see :func:`current_statuses`), the breaker
    registry (``all_metrics()``) and the status service's ``stale_answers()``
    when it has them. Every value is plain data, safe to send as JSON; the
    HTML side escapes it.
    """
    statuses = current_statuses(status_service, check_unknown=check_unknown) if status_service is not None else []
    metrics: dict[str, Any] = dict(breakers.all_metrics()) if breakers is not None else {}
    breaker_names: Mapping[str, str] = getattr(status_service, "breaker_names", None) or {}
    stale_answers = getattr(status_service, "stale_answers", None)
    stale: Mapping[str, Any] = stale_answers() if callable(stale_answers) else {}
    now = clock.now()
    cards = [service_card(entry, metrics.get(breaker_names.get(entry.get("name"), entry.get("name"))),
                          stale.get(entry.get("name")), now) for entry in statuses]
    return {"summary": summarize(statuses, metrics), "services": cards}
