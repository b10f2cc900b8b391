"""The plain-HTTP routes of the Uptime Kuma mock: status page, its heartbeats, ``/metrics`` and badges.

Shapes follow Uptime Kuma 1.23: ``GET /api/status-page/{slug}``,
``GET /api/status-page/heartbeat/{slug}``, Prometheus ``GET /metrics`` behind
HTTP Basic auth, ``GET /api/badge/{id}/status`` as SVG.
"""

from __future__ import annotations

import hmac
from typing import Any, Callable
from xml.sax.saxutils import escape

from flask import Flask, Response, jsonify, request

from .data import DOWN, MAINTENANCE, PENDING, UP, MonitorStore

__all__ = ["create_http_app", "status_page_config"]

_BADGE_LABELS = {UP: ("Up", "#4c1"), DOWN: ("Down", "#e05d44"), PENDING: ("Pending", "#dfb317"),
                 MAINTENANCE: ("Maintenance", "#1747f5")}


def status_page_config(slug: str) -> dict[str, Any]:
    """The status page's ``config`` (also its ``statusPageList`` entry, with ``id``)."""
    return {"id": 1, "slug": slug, "title": "Media Services", "description": None, "icon": "/icon.svg",
            "theme": "auto", "published": True, "showTags": False, "domainNameList": [], "customCSS": "",
            "footerText": None, "showPoweredBy": True, "googleAnalyticsId": None, "showCertificateExpiry": False}


def create_http_app(store: MonitorStore, slug: Callable[[], str],
                    credentials: Callable[[], tuple[str, str]]) -> Flask:
    """The Flask app for the HTTP routes; ``slug`` and ``credentials`` are read per request."""
    app = Flask("uptime-kuma-mock")
    app.json.sort_keys = False

    def not_found() -> tuple[Response, int]:
        return jsonify({"status": "fail", "msg": "Status Page Not Found"}), 404

    @app.get("/api/status-page/<page>")
    def status_page(page: str):
        if page != slug():
            return not_found()
        monitors = store.monitors()
        group = {"id": 1, "name": "Services", "weight": 1,
                 "monitorList": [{"id": mid, "name": mon["name"], "sendUrl": 0, "type": mon["type"]}
                                 for mid, mon in sorted(monitors.items())]}
        config = status_page_config(page)
        config.pop("id")
        return jsonify({"config": config, "incident": None, "publicGroupList": [group], "maintenanceList": []})

    @app.get("/api/status-page/heartbeat/<page>")
    def status_page_heartbeats(page: str):
        if page != slug():
            return not_found()
        heartbeats: dict[str, list[dict[str, Any]]] = {}
        uptimes: dict[str, float] = {}
        with store.lock:
            for mid in store.ids():
                heartbeats[str(mid)] = [{"status": row["status"], "time": row["time"], "msg": row["msg"],
                                         "ping": row["ping"]} for row in store.beats(mid)]
                uptimes[f"{mid}_24"] = store.uptime(mid, 24)
        return jsonify({"heartbeatList": heartbeats, "uptimeList": uptimes})

    @app.get("/metrics")
    def metrics():
        auth = request.authorization
        username, password = credentials()
        good = (auth is not None and auth.type == "basic" and auth.username is not None and auth.password is not None
                and hmac.compare_digest(auth.username.encode(), username.encode())
                & hmac.compare_digest(auth.password.encode(), password.encode()))
        if not good:
            return Response("Unauthorized", 401, {"WWW-Authenticate": 'Basic realm="Uptime Kuma"'},
                            mimetype="text/plain")
        return Response(render_metrics(store), mimetype="text/plain; version=0.0.4")

    @app.get("/api/badge/<int:monitor_id>/status")
    def badge(monitor_id: int):
        latest = store.latest(monitor_id) if store.get(monitor_id) is not None else None
        label, color = _BADGE_LABELS.get(latest["status"], ("N/A", "#9f9f9f")) if latest else ("N/A", "#9f9f9f")
        return Response(_badge_svg("Status", label, color), mimetype="image/svg+xml",
                        headers={"Cache-Control": "no-cache"})

    return app


def render_metrics(store: MonitorStore) -> str:
    """Prometheus text: ``monitor_status`` and ``monitor_response_time`` per monitor."""
    lines_status = ["# HELP monitor_status Monitor Status (1 = UP, 0= DOWN, 2= PENDING, 3= MAINTENANCE)",
                    "# TYPE monitor_status gauge"]
    lines_time = ["# HELP monitor_response_time Monitor Response Time (ms)", "# TYPE monitor_response_time gauge"]
    with store.lock:
        for mid, monitor in sorted(store.monitors().items()):
            latest = store.latest(mid)
            labels = _labels(monitor)
            status = latest["status"] if latest else PENDING
            ping = latest["ping"] if latest and latest["ping"] is not None else -1
            lines_status.append(f"monitor_status{{{labels}}} {status}")
            lines_time.append(f"monitor_response_time{{{labels}}} {_number(ping)}")
    return "\n".join(lines_status + lines_time) + "\n"


def _labels(monitor: dict[str, Any]) -> str:
    values = {"monitor_name": monitor["name"], "monitor_type": monitor["type"], "monitor_url": monitor["url"],
              "monitor_hostname": monitor["hostname"], "monitor_port": monitor["port"]}
    return ",".join(f'{key}="{_label_value(value)}"' for key, value in values.items())


def _label_value(value: Any) -> str:
    text = "null" if value is None else str(value)  # Uptime Kuma interpolates null as "null"
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _badge_svg(label: str, message: str, color: str) -> str:
    left, right = 7 * len(label) + 10, 7 * len(message) + 10
    width = left + right
    label, message = escape(label), escape(message)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
            f'aria-label="{label}: {message}"><title>{label}: {message}</title>'
            f'<rect width="{left}" height="20" fill="#555"/><rect x="{left}" width="{right}" height="20" '
            f'fill="{color}"/><g fill="#fff" text-anchor="middle" font-family="Verdana,sans-serif" font-size="11">'
            f'<text x="{left / 2}" y="14">{label}</text><text x="{left + right / 2}" y="14">{message}</text></g></svg>')
