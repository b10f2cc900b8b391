"""Overseerr-shaped webhook notifications: build the payload, POST it, report what happened.

The payload is Overseerr's default webhook template filled in: template values
are strings (``"tmdbId": "603"``, ``""`` for nothing), media statuses are names
(``PENDING``, ``AVAILABLE``), and the ``media``/``request``/``issue``/``comment``
objects are ``null`` when the notification has none. A media notification
describes the request in the state Overseerr sends it in (:func:`announce`):
MEDIA_AVAILABLE carries ``"status": "AVAILABLE"``, MEDIA_APPROVED ``PROCESSING``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import requests

from mockservers.core.redaction import Redactor

from .catalogue import IMAGE_BASE
from .store import MEDIA_STATUS, MediaRequest, RequestStore

__all__ = ["WebhookDelivery", "NOTIFICATION_TYPES", "MEDIA_NOTIFICATIONS", "ANNOUNCED_STATE", "build_payload",
           "deliver", "check_notification_type", "announce"]

#: notification type -> event text (movie form; "Movie" becomes "Series" for shows)
MEDIA_NOTIFICATIONS: dict[str, str] = {
    "MEDIA_PENDING": "New Movie Request",
    "MEDIA_APPROVED": "Movie Request Approved",
    "MEDIA_AUTO_APPROVED": "Movie Request Automatically Approved",
    "MEDIA_AVAILABLE": "Movie Now Available",
    "MEDIA_DECLINED": "Movie Request Declined",
    "MEDIA_FAILED": "Movie Request Failed",
}
NOTIFICATION_TYPES: tuple[str, ...] = (*MEDIA_NOTIFICATIONS, "TEST_NOTIFICATION")
#: what a media notification announces, as ``("request", status)`` or ``("media", status)``: Overseerr sends each
#: only once its request or media is in that state, so the mock puts them there before it builds the payload
#: (MEDIA_FAILED changes nothing: the mock's requests are never FAILED)
ANNOUNCED_STATE: dict[str, tuple[str, int]] = {
    "MEDIA_PENDING": ("request", 1), "MEDIA_APPROVED": ("request", 2), "MEDIA_AUTO_APPROVED": ("request", 2),
    "MEDIA_DECLINED": ("request", 3), "MEDIA_AVAILABLE": ("media", 5),
}
#: media statuses MEDIA_AVAILABLE leaves as they are (a show whose requested seasons are in, others not)
_ALREADY_AVAILABLE = frozenset({4, 5})
TEST_SUBJECT = "Test Notification"
TEST_MESSAGE = "Check check, 1, 2, 3. Are we coming in clear?"
_RESPONSE_TEXT_LIMIT = 2048


@dataclass
class WebhookDelivery:
    """The outcome of one webhook POST. ``status_code`` is ``None`` when no answer came."""

    status_code: int | None
    payload: dict[str, Any]
    error: str | None = None
    response_text: str = ""
    url: str = ""
    notification_type: str = ""

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300

    def to_dict(self) -> dict[str, Any]:
        """JSON form (no ``Authorization`` header: it is never kept)."""
        return asdict(self)

    def redacted(self, redactor: Redactor) -> "WebhookDelivery":
        """A copy whose ``url``, ``error`` and ``response_text`` hide secrets (URL credentials, secret-named query
        values, the mock's own secrets by value): what the mock keeps and answers."""
        error = None if self.error is None else redactor.text(self.error)
        return replace(self, url=redactor.text(self.url), error=error, response_text=redactor.text(self.response_text))


def check_notification_type(notification_type: Any) -> str:
    """The type, or ``ValueError`` naming the valid ones."""
    if notification_type not in NOTIFICATION_TYPES:
        raise ValueError(f"unknown notification_type {notification_type!r}: expected one of "
                         f"{', '.join(NOTIFICATION_TYPES)}")
    return notification_type


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def announce(store: RequestStore, request: MediaRequest, notification_type: str) -> None:
    """Put ``request`` (and its media) in the state ``notification_type`` announces (:data:`ANNOUNCED_STATE`).

    The request's status changes as ``PUT /__admin/overseerr/requests/<id>/status`` would (its media follows:
    PROCESSING once approved, UNKNOWN once a movie is declined); MEDIA_AVAILABLE makes the media (the 4K one
    for a 4K request) AVAILABLE unless it is already (partially) available. Nothing changes when it already is so.
    """
    what, status = ANNOUNCED_STATE.get(notification_type, ("", 0))
    if what == "request" and request.status != status:
        store.set_status(request.id, status)
    elif what == "media" and request.media.status_for(request.is4k) not in _ALREADY_AVAILABLE:
        store.set_media_status(request.id, status)


def build_payload(notification_type: str, request: MediaRequest | None, user: dict[str, Any]) -> dict[str, Any]:
    """The default-template webhook body for ``notification_type`` (``request`` for media types)."""
    check_notification_type(notification_type)
    if notification_type == "TEST_NOTIFICATION":
        return {"notification_type": notification_type, "event": "", "subject": TEST_SUBJECT,
                "message": TEST_MESSAGE, "image": "", "media": None, "request": None, "issue": None,
                "comment": None, "extra": []}
    if request is None:
        raise ValueError(f"{notification_type} is a media notification: it needs the request_id of an existing "
                         "request")
    entry, media = request.media.entry, request.media
    event = MEDIA_NOTIFICATIONS[notification_type]
    if entry.media_type == "tv":
        event = event.replace("Movie", "Series")
    extra: list[dict[str, str]] = []
    if request.seasons:
        extra.append({"name": "Requested Seasons", "value": ", ".join(str(n) for _, n in request.seasons)})
    return {
        "notification_type": notification_type,
        "event": event,
        "subject": f"{entry.title} ({entry.year})" if entry.year else entry.title,
        "message": entry.overview,
        "image": f"{IMAGE_BASE}{entry.poster_path}" if entry.poster_path else "",
        "media": {
            "media_type": entry.media_type,
            "tmdbId": _text(entry.tmdb_id),
            "tvdbId": _text(entry.tvdb_id),
            "status": MEDIA_STATUS[media.status],
            "status4k": MEDIA_STATUS[media.status4k],
        },
        "request": {
            "request_id": _text(request.id),
            "requestedBy_email": _text(user.get("email")),
            "requestedBy_username": _text(user.get("displayName")),
            "requestedBy_avatar": _text(user.get("avatar")),
            "requestedBy_settings_discordId": "",
            "requestedBy_settings_telegramChatId": "",
        },
        "issue": None,
        "comment": None,
        "extra": extra,
    }


def deliver(url: str, payload: dict[str, Any], authorization: str | None = None,
            timeout: float = 5.0) -> WebhookDelivery:
    """POST ``payload`` as JSON to ``url``; connection problems become ``error``, never an exception."""
    headers = {"Content-Type": "application/json", "User-Agent": "Overseerr-Mock-Webhook"}
    if authorization:
        headers["Authorization"] = authorization
    notification_type = str(payload.get("notification_type", ""))
    try:
        response = requests.post(url, json=payload, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        return WebhookDelivery(None, payload, f"could not deliver webhook to {url}: {type(exc).__name__}: {exc}",
                               url=url, notification_type=notification_type)
    error = None if response.ok else f"webhook receiver at {url} answered {response.status_code}"
    return WebhookDelivery(response.status_code, payload, error, response.text[:_RESPONSE_TEXT_LIMIT],
                           url=url, notification_type=notification_type)
