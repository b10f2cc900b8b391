"""The service-health dashboard and the Overseerr webhook receiver, as one Flask app.

Routes:

* ``GET /health`` - no authentication: ``{"status": "ok"}``.
* ``GET /api/v1/admin/service-health/dashboard`` - ``Authorization: Bearer <JWT>``
  (HS256, ``jwt_secret``), ``role`` claim ``admin``. 401 without a token or
  with a malformed / wrongly signed / expired one, 403 for another role.
* ``POST /api/v1/webhooks/overseerr`` - ``Authorization`` must equal
  ``webhook_secret`` (compared in constant time); the body must be an
  Overseerr notification (see :func:`~.webhooks.validate_notification`).
  202 on accept, 400 naming the problem, 401 on a wrong secret.
* ``GET`` / ``DELETE /api/v1/webhooks/overseerr`` - read / clear what was
  accepted (same secret).

Every error is JSON ``{"success": false, "error": "<what was wrong>"}``; no
message ever echoes a token or a secret.
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime
from typing import Any, Mapping

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from ..clock import SYSTEM_CLOCK, Clock
from ..timeutil import iso_utc
from .tokens import ADMIN_ROLE, TokenError, verify_token
from .webhooks import WebhookInbox, WebhookValidationError, validate_notification

__all__ = ["create_dashboard_app", "build_dashboard", "summarize", "DASHBOARD_PATH", "WEBHOOK_PATH",
           "INBOX_EXTENSION"]

DASHBOARD_PATH = "/api/v1/admin/service-health/dashboard"
WEBHOOK_PATH = "/api/v1/webhooks/overseerr"
#: key of the :class:`WebhookInbox` in ``app.extensions``
INBOX_EXTENSION = "companion.webhook_inbox"

log = logging.getLogger("companion.dashboard")


def _fail(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    response = jsonify({"success": False, "error": message})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def summarize(services: list[Mapping[str, Any]], breaker_metrics: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """The dashboard summary.

    ``circuitBreakersOpen`` counts every registered breaker whose *effective*
    state is ``open`` - half-open breakers (reset timeout elapsed, awaiting a
    probe) are not counted: they already let a call through.
    """
    return {
        "totalServices": len(services),
        "servicesUp": sum(1 for s in services if s.get("status") == "up"),
        "servicesDown": sum(1 for s in services if s.get("status") == "down"),
        "servicesDegraded": sum(1 for s in services if s.get("status") == "degraded"),
        "circuitBreakersOpen": sum(1 for m in breaker_metrics.values()
                                   if isinstance(m, Mapping) and m.get("state") == "open"),
    }


def build_dashboard(status_service: Any, breakers: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """The dashboard ``data`` object: ``timestamp``, ``services`` (with ``circuitBreaker``), ``summary``."""
    statuses = list(status_service.get_all_statuses())
    metrics: dict[str, Any] = dict(breakers.all_metrics()) if breakers is not None else {}
    breaker_names: Mapping[str, str] = getattr(status_service, "breaker_names", None) or {}
    services = []
    for entry in statuses:
        item = dict(entry)
        breaker = breaker_names.get(item.get("name"), item.get("name"))
        item["circuitBreaker"] = metrics.get(breaker)
        services.append(item)
    return {"timestamp": iso_utc(now or SYSTEM_CLOCK.now()), "services": services, "summary": summarize(services, metrics)}


def create_dashboard_app(status_service: Any, breakers: Any, *, jwt_secret: str, webhook_secret: str | None,
                         clock: Clock = SYSTEM_CLOCK, inbox: WebhookInbox | None = None) -> Flask:
    """Build the Flask app.

    ``status_service`` needs ``get_all_statuses()`` (and may map service names to
    breaker names in ``breaker_names``); ``breakers`` needs ``all_metrics()`` or
    is None. ``clock`` (a :class:`~companion.clock.Clock`) gives the current
    time for timestamps and token expiry. ``webhook_secret=None`` accepts webhooks without an
    ``Authorization`` header (Overseerr's header is optional). The inbox is
    ``app.extensions["companion.webhook_inbox"]``.
    """
    if not jwt_secret:
        raise ValueError("jwt_secret must not be empty")
    now = clock.now
    app = Flask("companion.dashboard")
    app.json.sort_keys = False
    app.extensions[INBOX_EXTENSION] = inbox if inbox is not None else WebhookInbox(clock=clock)

    def webhook_auth_error() -> Response | None:
        if webhook_secret is None:
            return None
        supplied = request.headers.get("Authorization")
        if supplied is None:
            return _fail(401, "missing Authorization header")
        if not hmac.compare_digest(supplied.encode("utf-8"), webhook_secret.encode("utf-8")):
            return _fail(401, "invalid webhook secret in Authorization header")
        return None

    @app.get("/health")
    def health():
        return jsonify({"status": "ok"})

    @app.get(DASHBOARD_PATH)
    def dashboard():
        try:
            claims = verify_token(request.headers.get("Authorization"), jwt_secret, required_role=ADMIN_ROLE,
                                  now=now())
        except TokenError as exc:
            headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if exc.status == 401 else {}
            return _fail(exc.status, exc.message, headers)
        log.debug("dashboard read by %r", claims.get("sub"))
        try:
            data = build_dashboard(status_service, breakers, now=now())
        except Exception as exc:  # noqa: BLE001 - the dashboard answers JSON, never an HTML 500
            log.exception("building the service-health dashboard failed")
            return _fail(500, f"could not build the dashboard: {type(exc).__name__}: {exc}")
        return jsonify({"success": True, "data": data})

    @app.post(WEBHOOK_PATH)
    def receive_webhook():
        refused = webhook_auth_error()
        if refused is not None:
            return refused
        if not request.get_data(cache=True):
            return _fail(400, "empty body: expected an Overseerr notification (JSON object)")
        payload = request.get_json(force=True, silent=True)
        if payload is None:
            return _fail(400, "body is not valid JSON")
        try:
            notification = validate_notification(payload)
        except WebhookValidationError as exc:
            return _fail(400, f"invalid Overseerr notification: {exc}")
        record = app.extensions[INBOX_EXTENSION].record(notification)
        return jsonify({"success": True, "data": {"id": record["id"],
                                                  "notification_type": record["notification_type"],
                                                  "received_at": record["received_at"]}}), 202

    @app.get(WEBHOOK_PATH)
    def list_webhooks():
        refused = webhook_auth_error()
        if refused is not None:
            return refused
        records = app.extensions[INBOX_EXTENSION].received(request.args.get("type") or None)
        return jsonify({"success": True, "data": {"count": len(records), "notifications": records}})

    @app.delete(WEBHOOK_PATH)
    def clear_webhooks():
        refused = webhook_auth_error()
        if refused is not None:
            return refused
        app.extensions[INBOX_EXTENSION].clear()
        return jsonify({"success": True, "data": {"count": 0}})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _fail(exc.code or 500, exc.description or exc.name)

    return app
