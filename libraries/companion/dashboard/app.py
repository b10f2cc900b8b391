"""The service-health dashboard and the Overseerr webhook receiver, as one Flask app.

Routes:

* ``GET /health`` - no authentication: ``{"status": "ok"}``, or what the app's
  ``health()`` callable returns (the companion app adds its instance and worker pid).
* ``GET /api/v1/admin/service-health/dashboard`` - ``Authorization: Bearer <JWT>``
  (HS256, ``jwt_secret``), ``role`` claim ``admin``. 401 without a token or
  with a malformed / wrongly signed / expired one, 403 for another role.
* ``POST /api/v1/webhooks/overseerr`` - ``Authorization`` must equal
  ``webhook_secret`` (compared in constant time); the body must be an
  Overseerr notification (see :func:`~.webhooks.parse_notification`): at
  most :data:`~.webhooks.MAX_BODY_BYTES` (413 beyond), UTF-8, JSON nested at
  most :data:`~.webhooks.MAX_DEPTH` deep, no lone surrogates. 202 on accept,
  400 naming the field, the value and what is allowed, 401 on a wrong secret.
* ``GET`` / ``DELETE /api/v1/webhooks/overseerr`` - read (``?type=`` one of
  the notification types) / clear what was accepted, with the same secret (no
  admin token: the records are what the secret's holder sent). ``GET`` answers
  ``{"success": true, "data": {"count": n, "notifications": [record, ...]}}``,
  oldest first, a record being ``{"id", "received_at", "notification_type",
  "subject", "payload"}``; ``DELETE`` answers ``{"count": 0}`` the same way.

Every error is JSON ``{"success": false, "error": "<what was wrong>"}``; no
message ever echoes a token or a secret. Bad input never gets a 5xx.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any, Callable, Mapping

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from ..clock import SYSTEM_CLOCK, Clock
from ..timeutil import iso_utc
from .live import MAX_STREAMS
from .page import register_page
from .sessions import Accounts
from .summary import summarize
from .tokens import ADMIN_ROLE, MAX_TOKEN_LIFETIME_S, TokenError, verify_token
from .webhooks import (MAX_BODY_BYTES, NOTIFICATION_TYPES, WebhookInbox, WebhookValidationError,
                       parse_notification)

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


def _too_large(length: int | None) -> Response:
    size = f"{length} bytes" if length is not None else f"more than {MAX_BODY_BYTES} bytes"
    return _fail(413, f"request body too large: {size}, at most {MAX_BODY_BYTES} bytes allowed")


def _short(value: str, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(value)} characters)"


def build_dashboard(status_service: Any, breakers: Any, *, clock: Clock = SYSTEM_CLOCK) -> dict[str, Any]:
    """The dashboard ``data`` object: ``timestamp``, ``services`` (with ``circuitBreaker``), ``summary``, and
    ``outbox`` when the status service reports one (``get_outbox_status()``).

    ``timestamp`` is read from ``clock`` once the statuses and breaker metrics are in (checking the services
    may take time): the moment the data describes, never earlier than any status in it.
    """
    statuses = list(status_service.get_all_statuses())
    metrics: dict[str, Any] = dict(breakers.all_metrics()) if breakers is not None else {}
    breaker_names: Mapping[str, str] = getattr(status_service, "breaker_names", None) or {}
    services = []
    for entry in statuses:
        item = dict(entry)
        breaker = breaker_names.get(item.get("name"), item.get("name"))
        item["circuitBreaker"] = metrics.get(breaker)
        services.append(item)
    data = {"timestamp": iso_utc(clock.now()), "services": services, "summary": summarize(services, metrics)}
    outbox = getattr(status_service, "get_outbox_status", lambda: None)()
    if outbox is not None:
        data["outbox"] = outbox
    return data


def create_dashboard_app(status_service: Any, breakers: Any, *, jwt_secret: str, webhook_secret: str | None,
                         clock: Clock = SYSTEM_CLOCK, inbox: WebhookInbox | None = None,
                         max_token_lifetime_s: float = MAX_TOKEN_LIFETIME_S,
                         health: Callable[[], Mapping[str, Any]] | None = None, accounts: Accounts | None = None,
                         secure_cookie: bool = False, check_interval_s: float | None = None,
                         max_streams: int = MAX_STREAMS, outbox: Any = None) -> Flask:
    """Build the Flask app: the JSON dashboard, the webhook receiver and the health page (:mod:`.page`).

    ``status_service`` needs ``get_all_statuses()`` (and may map service names to
    breaker names in ``breaker_names``); ``breakers`` needs ``all_metrics()`` or
    is None. ``clock`` (a :class:`~companion.clock.Clock`) gives the current
    time for timestamps and token expiry. ``webhook_secret=None`` accepts webhooks without an
    ``Authorization`` header (Overseerr's header is optional). The inbox is
    ``app.extensions["companion.webhook_inbox"]``. ``health()`` gives the body of ``GET /health``
    (default ``{"status": "ok"}``; it must not hold secrets: the route needs no authentication).
    ``accounts`` (who may sign in to the page), ``secure_cookie``, ``check_interval_s`` and
    ``max_streams``: see :func:`~.page.register_page`.
    ``outbox`` (a :class:`~companion.outbox.RequestOutbox`): media requests at ``/api/v1/requests``
    (:mod:`.requests`; any valid bearer token).
    """
    if not jwt_secret:
        raise ValueError("jwt_secret must not be empty")
    now = clock.now
    app = Flask("companion.dashboard")
    app.json.sort_keys = False
    # werkzeug reads at most this much of a body (a chunked one too): one byte more than allowed tells "too large"
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES + 1
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
    def health_check():
        return jsonify(dict(health()) if health is not None else {"status": "ok"})

    @app.get(DASHBOARD_PATH)
    def dashboard():
        try:
            claims = verify_token(request.headers.get("Authorization"), jwt_secret, required_role=ADMIN_ROLE,
                                  now=now(), max_lifetime_s=max_token_lifetime_s)
        except TokenError as exc:
            headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if exc.status == 401 else {}
            return _fail(exc.status, exc.message, headers)
        log.debug("dashboard read by %r", claims.get("sub"))
        try:
            data = build_dashboard(status_service, breakers, clock=clock)
        except Exception as exc:  # noqa: BLE001 - the dashboard answers JSON, never an HTML 500
            log.exception("building the service-health dashboard failed")
            return _fail(500, f"could not build the dashboard: {type(exc).__name__}: {exc}")
        return jsonify({"success": True, "data": data})

    if outbox is not None:
        from .requests import add_request_routes

        def any_role() -> Response | None:
            try:
                verify_token(request.headers.get("Authorization"), jwt_secret, required_role=None, now=now(),
                             max_lifetime_s=max_token_lifetime_s)
            except TokenError as exc:
                return _fail(exc.status, exc.message)
            return None

        add_request_routes(app, outbox, any_role, _fail)

    @app.post(WEBHOOK_PATH)
    def receive_webhook():
        refused = webhook_auth_error()
        if refused is not None:
            return refused
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _too_large(request.content_length)
        body = request.get_data(cache=False)
        if len(body) > MAX_BODY_BYTES:
            return _too_large(request.content_length)
        try:
            notification = parse_notification(body)
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
        wanted = request.args.get("type") or None
        if wanted is not None and wanted not in NOTIFICATION_TYPES:
            return _fail(400, f"query parameter 'type' must be one of {', '.join(sorted(NOTIFICATION_TYPES))}; "
                              f"got {_short(wanted)}")
        records = app.extensions[INBOX_EXTENSION].received(wanted)
        return jsonify({"success": True, "data": {"count": len(records), "notifications": records}})

    @app.delete(WEBHOOK_PATH)
    def clear_webhooks():
        refused = webhook_auth_error()
        if refused is not None:
            return refused
        app.extensions[INBOX_EXTENSION].clear()
        return jsonify({"success": True, "data": {"count": 0}})

    register_page(app, status_service, breakers, accounts=accounts, jwt_secret=jwt_secret, clock=clock,
                  secure_cookie=secure_cookie, check_interval_s=check_interval_s, max_streams=max_streams)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 413:
            return _too_large(request.content_length)
        return _fail(exc.code or 500, exc.description or exc.name)

    return app
