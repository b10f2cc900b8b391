"""``OverseerrMock``: the mock Overseerr on the shared :class:`MockServer` mechanism."""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask

from mockservers.core import validation as check
from mockservers.core.admin import AdminApi, AdminError, json_body
from mockservers.core.bounded import BoundedHistory
from mockservers.core.server import MockServer
from mockservers.credentials import DEFAULT_CREDENTIALS

from .app import create_app
from .catalogue import CATALOGUE, Catalogue
from .store import RequestError, RequestStore, iso_time
from .webhooks import WebhookDelivery, announce, build_payload, check_notification_type, deliver

__all__ = ["OverseerrMock"]

#: the fields of ``POST /__admin/overseerr/webhooks``
WEBHOOK_FIELDS = ("url", "notification_type", "request_id", "authorization", "timeout", "payload_overrides")
#: the longest a webhook delivery may wait for the receiver (real seconds)
MAX_WEBHOOK_TIMEOUT_S = 60.0
#: the webhook delivery history keeps at most this many deliveries and bytes of them (JSON), oldest dropped first
MAX_DELIVERIES = 200
MAX_DELIVERY_BYTES = 4 * 1024 * 1024


class OverseerrMock(MockServer):
    """An Overseerr (API v1) stand-in: search, requests, details, webhooks.

    ``api_key`` is the one valid ``X-Api-Key`` (never journaled, never in a
    repr). The catalogue is fixed (:mod:`.catalogue`); requests start empty and
    persist until :meth:`reset_state`. ``createdAt``/``updatedAt`` come from the
    mock's clock.

    Admin routes (besides the common ones): ``GET/POST /__admin/overseerr/requests``,
    ``PUT /__admin/overseerr/requests/<id>/status``, ``GET/POST /__admin/overseerr/webhooks``.
    """

    service_name = "overseerr"
    secret_names = tuple(dict.fromkeys((*MockServer.secret_names, "x-api-key", "apikey", "api_key")))
    #: what else changes an Overseerr answer besides path and query: the API key
    answer_headers = ("x-api-key",)

    def __init__(self, *, api_key: str = DEFAULT_CREDENTIALS.overseerr_api_key, host: str = "127.0.0.1", port: int = 0,
                 catalogue: Catalogue | None = None, **kw: Any) -> None:
        super().__init__(host=host, port=port, **kw)
        self._api_key = api_key
        self._initial_api_key = api_key
        self.store = RequestStore(catalogue or CATALOGUE, clock=lambda: iso_time(self.clock.now()))
        #: the webhooks sent, as JSON: at most :data:`MAX_DELIVERIES` and :data:`MAX_DELIVERY_BYTES`
        self.delivery_history = BoundedHistory(MAX_DELIVERIES, MAX_DELIVERY_BYTES)

    def __repr__(self) -> str:
        where = f"port {self._port}" if self._port else "not started"
        return f"<OverseerrMock {where}, {len(self.store.all())} request(s)>"

    # -- MockServer hooks ----------------------------------------------------------
    def create_app(self) -> Flask:
        return create_app(self.store, api_key=lambda: self.api_key)

    def data_version(self) -> int:
        """The request store's version: every ready answer expires when a request is created or changes."""
        return self.store.version.value

    @property
    def api_key(self) -> str:
        """The one valid ``X-Api-Key``; setting it expires every ready answer."""
        return self._api_key

    @api_key.setter
    def api_key(self, value: str) -> None:
        self._api_key = value
        self.data_changed()

    def secret_values(self) -> list[str]:
        """The API key (current and initial): the journal replaces it wherever it appears."""
        return [self.api_key, self._initial_api_key]

    def reset_state(self) -> None:
        """No requests, no webhook deliveries, the constructor's API key (the catalogue never changes)."""
        self.api_key = self._initial_api_key
        self.store.reset()
        self.delivery_history.clear()

    def register_admin(self, admin: AdminApi) -> None:
        @admin.route("/overseerr/requests")
        def get_requests():
            return {"requests": self.requests}

        @admin.route("/overseerr/requests", methods=["POST"])
        def post_request():
            body = json_body()
            try:
                return self.add_request(body.get("mediaType", body.get("media_type")),
                                        body.get("mediaId", body.get("media_id")), status=body.get("status", 1),
                                        seasons=body.get("seasons"), is4k=body.get("is4k", False)), 201
            except RequestError as exc:
                status = 409 if exc.status == 202 else exc.status  # a tv duplicate: nothing was added
                raise AdminError(exc.message, status if status in (404, 409) else 400) from None

        @admin.route("/overseerr/requests/<int:request_id>/status", methods=["PUT"])
        def put_status(request_id: int):
            body = json_body()
            try:
                if "media_status" in body:
                    return self.set_media_status(request_id, body["media_status"])
                return self.set_request_status(request_id, body.get("status"))
            except KeyError as exc:
                raise AdminError(exc.args[0], status=404) from None
            except ValueError as exc:
                raise AdminError(str(exc)) from None

        @admin.route("/overseerr/webhooks")
        def get_webhooks():
            history = self.delivery_history
            return {"deliveries": history.records(), "dropped": history.dropped, "size_bytes": history.size_bytes,
                    "max_deliveries": history.max_count, "max_bytes": history.max_bytes}

        @admin.route("/overseerr/webhooks", methods=["POST"])
        def post_webhook():
            body = json_body()
            unknown = sorted(str(k)[:64] for k in set(body) - set(WEBHOOK_FIELDS))
            if unknown:
                raise AdminError(f"unknown field(s) {', '.join(unknown)}: expected {', '.join(WEBHOOK_FIELDS)}")
            url = body.get("url")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise AdminError(f"url must be an http(s) URL to POST the notification to, got {check.shown(url)}")
            check.text(url, "url", max_length=2048)
            request_id = body.get("request_id")
            if request_id is not None:
                request_id = check.whole_number(request_id, "request_id", minimum=1)
            authorization = body.get("authorization")
            if authorization is not None:
                authorization = check.header_value(authorization, "authorization")
            timeout = check.finite_number(body.get("timeout", 5.0), "timeout", maximum=MAX_WEBHOOK_TIMEOUT_S,
                                          exclusive_minimum=True)
            try:
                delivery = self.send_webhook(url, body.get("notification_type"), request_id=request_id,
                                             authorization=authorization, timeout=float(timeout),
                                             payload_overrides=body.get("payload_overrides"))
            except ValueError as exc:
                raise AdminError(str(exc)) from None
            return {"status_code": delivery.status_code, "payload": delivery.payload, "error": delivery.error}

    # -- Python API for tests and keyword libraries --------------------------------
    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every stored request as ``GET /request/{id}`` shows it, oldest first (copies)."""
        return [self.store.render_request(r) for r in self.store.all()]

    def get_request(self, request_id: int) -> dict[str, Any]:
        """One stored request (``KeyError`` if unknown)."""
        return self.store.render_request(self.store.get(request_id))

    def add_request(self, media_type: str, media_id: int, status: int = 1, seasons: list[int] | str | None = None,
                    is4k: bool = False) -> dict[str, Any]:
        """Store a request as ``POST /request`` would (``status`` 1 PENDING, 2 APPROVED, 3 DECLINED).

        A tv request without ``seasons`` asks for all of them. Raises ``ValueError``
        (a :class:`~.store.RequestError`) for bad input, unknown media or a duplicate.
        """
        if media_type == "tv" and seasons is None:
            seasons = "all"
        return self.store.render_request(self.store.create(media_type, media_id, seasons, is4k, status=status))

    def set_request_status(self, request_id: int, status: int) -> dict[str, Any]:
        """Approve (2), decline (3) or re-open (1) a request; returns it. ``KeyError`` if unknown."""
        return self.store.render_request(self.store.set_status(request_id, status))

    def set_media_status(self, request_id: int, status: int) -> dict[str, Any]:
        """Set the status of a request's media (e.g. 5 AVAILABLE); returns the request."""
        return self.store.render_request(self.store.set_media_status(request_id, status))

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """The webhooks sent since the start or the last reset, oldest first: the newest
        :data:`MAX_DELIVERIES`, at most :data:`MAX_DELIVERY_BYTES` of them (copies)."""
        return [WebhookDelivery(**record) for record in self.delivery_history.records()]

    def send_webhook(self, url: str, notification_type: str, request_id: int | None = None,
                     authorization: str | None = None, timeout: float = 5.0,
                     payload_overrides: dict[str, Any] | None = None) -> WebhookDelivery:
        """POST an Overseerr notification to ``url`` (with ``Authorization`` if given).

        Media notifications describe the stored request ``request_id``, first
        put in the state Overseerr sends that notification in (MEDIA_APPROVED
        approves it, MEDIA_AVAILABLE makes its media available: see
        :func:`~.webhooks.announce`), so the API answers what the notification
        said; ``payload_overrides`` replaces top-level payload keys. ``ValueError`` for
        an unknown type or a missing request; a failed connection is reported in
        the returned :class:`WebhookDelivery` (``status_code`` ``None``). What
        is kept and returned hides secrets as the journal does: the URL's
        credentials (``user:secret@``), secret-named query values (``?key=``)
        and the mock's API key are ``*****`` in ``url``, ``error`` and
        ``response_text``; the ``Authorization`` header is never kept.
        """
        check_notification_type(notification_type)
        request = None
        if notification_type != "TEST_NOTIFICATION":
            if request_id is None:
                raise ValueError(f"{notification_type} is a media notification: pass the request_id of an "
                                 "existing request")
            try:
                request = self.store.get(request_id)
            except KeyError as exc:
                raise ValueError(f"{exc.args[0]}: {notification_type} needs an existing request") from None
        if payload_overrides is not None and not isinstance(payload_overrides, dict):
            raise ValueError(f"payload_overrides must be an object, got {type(payload_overrides).__name__}")
        try:
            check.strict_json(payload_overrides)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"payload_overrides must be JSON (finite numbers, strings, lists, objects): "
                             f"{check.shown(str(exc))}") from None
        with self.store.lock:
            if request is not None:
                announce(self.store, request, notification_type)
            payload = build_payload(notification_type, request, self.store.user())
        payload.update(copy.deepcopy(payload_overrides or {}))
        delivery = deliver(url, payload, authorization=authorization, timeout=timeout).redacted(self.journal.redactor)
        self.delivery_history.append(delivery.to_dict())
        return delivery
