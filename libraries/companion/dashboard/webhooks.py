"""Overseerr webhook notifications: validation and a thread-safe inbox.

Overseerr's webhook agent POSTs its JSON template (default below) with an
optional ``Authorization`` header it was configured with::

    {"notification_type": "MEDIA_APPROVED", "event": "...", "subject": "...", "message": "...",
     "image": "...", "media": {"media_type": "movie", "tmdbId": "603", "tvdbId": "",
     "status": "PENDING", "status4k": "UNKNOWN"} | null,
     "request": {"request_id": "1", "requestedBy_email": "...", "requestedBy_username": "...",
     "requestedBy_avatar": "..."} | null, "issue": {...} | null, "comment": {...} | null, "extra": []}

Template values are strings (``"tmdbId": "603"``); numbers are accepted for
ids as well, since custom templates may send them.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from typing import Any, Callable, Mapping

from ..clock import SYSTEM_CLOCK, Clock
from ..timeutil import iso_utc

__all__ = ["NOTIFICATION_TYPES", "MEDIA_TYPES", "MEDIA_STATUSES", "MAX_BODY_BYTES", "MAX_DEPTH",
           "WebhookValidationError", "parse_notification", "validate_notification", "WebhookInbox",
           "INBOX_MAX_RECORDS", "INBOX_MAX_BYTES"]

#: the largest webhook body read (64 KiB; Overseerr's notifications are a few KB); longer is a 413
MAX_BODY_BYTES = 64 * 1024
#: the deepest nesting of arrays/objects accepted (Overseerr's template nests 3 deep)
MAX_DEPTH = 16

NOTIFICATION_TYPES = frozenset({
    "MEDIA_PENDING", "MEDIA_APPROVED", "MEDIA_AVAILABLE", "MEDIA_FAILED", "MEDIA_DECLINED",
    "MEDIA_AUTO_APPROVED", "TEST_NOTIFICATION", "ISSUE_CREATED", "ISSUE_COMMENT", "ISSUE_RESOLVED",
    "ISSUE_REOPENED",
})
MEDIA_TYPES = frozenset({"movie", "tv"})
#: media status names Overseerr puts in the template (``MediaStatus`` enum names)
MEDIA_STATUSES = frozenset({"UNKNOWN", "PENDING", "PROCESSING", "PARTIALLY_AVAILABLE", "AVAILABLE", "BLACKLISTED",
                            "DELETED"})

_OPTIONAL_STRINGS = ("event", "message", "image")
_MEDIA_REQUIRED = ("media_type", "tmdbId", "status")
_REQUEST_REQUIRED = ("request_id",)
_REQUEST_STRINGS = ("requestedBy_email", "requestedBy_username", "requestedBy_avatar")


class WebhookValidationError(ValueError):
    """The body is not an Overseerr notification; the message names the problem."""


def _short(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters: an error names the value without echoing a huge one."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _one_of(field: str, value: Any, allowed: frozenset[str]) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise WebhookValidationError(f"'{field}' must be one of {', '.join(sorted(allowed))}; got {_short(value)}")


def _check_tree(value: Any) -> None:
    """Nesting at most MAX_DEPTH deep; every string and key valid Unicode (no lone surrogates)."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "body")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                raise WebhookValidationError(f"JSON nested deeper than {MAX_DEPTH} levels (at {where})")
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in items:
                if isinstance(key, str):
                    _check_text(f"key in {where}", key)
                stack.append((child, depth + 1, f"{where}.{key}" if isinstance(key, str) else f"{where}[{key}]"))
        elif isinstance(node, str):
            _check_text(where, node)


def _check_text(where: str, text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise WebhookValidationError(f"'{where[:80]}' is not valid Unicode: lone surrogate "
                                     f"{text[exc.start]!r} at character {exc.start}") from None


def _refuse_constant(name: str) -> Any:
    raise WebhookValidationError(f"body is not valid JSON: {name} is not a JSON number")


def parse_notification(body: bytes) -> dict[str, Any]:
    """The notification in a webhook body, validated; :class:`WebhookValidationError` naming the problem.

    The body must be at most :data:`MAX_BODY_BYTES` (checked by the caller
    too, to answer 413), UTF-8, JSON (no ``NaN``/``Infinity``), nested at most
    :data:`MAX_DEPTH` deep, without lone surrogates, and an Overseerr
    notification (:func:`validate_notification`).
    """
    if not body:
        raise WebhookValidationError("empty body: expected an Overseerr notification (JSON object)")
    if len(body) > MAX_BODY_BYTES:
        raise WebhookValidationError(f"body of {len(body)} bytes is larger than {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookValidationError(f"body is not valid UTF-8: byte 0x{body[exc.start]:02x} at offset "
                                     f"{exc.start}") from None
    try:
        payload = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise WebhookValidationError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        if isinstance(exc, WebhookValidationError):
            raise
        raise WebhookValidationError(f"body is not valid JSON: {exc}") from None
    _check_tree(payload)
    return validate_notification(payload)


def _is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str)


def _check_object(payload: Mapping[str, Any], key: str, required: tuple[str, ...] = ()) -> Mapping[str, Any] | None:
    """``payload[key]`` when it is an object holding every ``required`` field, None when absent or null."""
    if key not in payload or payload[key] is None:
        return None
    value = payload[key]
    if not isinstance(value, Mapping):
        raise WebhookValidationError(f"'{key}' must be an object or null, got {type(value).__name__}")
    for field in required:
        if field not in value:
            raise WebhookValidationError(f"'{key}' is missing '{field}'")
    return value


def validate_notification(payload: Any) -> dict[str, Any]:
    """Return ``payload`` as a dict if it is a valid Overseerr notification, else raise.

    Rules: a JSON object; ``notification_type`` one of :data:`NOTIFICATION_TYPES`;
    ``subject`` a string; ``event``/``message``/``image`` strings when present;
    ``media`` null or an object with ``media_type`` (movie|tv), ``tmdbId`` and
    ``status`` (a media status name; ``status4k`` too when present);
    ``request`` null or an object with ``request_id`` (requester fields strings
    when present); ``issue``/``comment`` null or objects; ``extra`` a list when
    present. ``MEDIA_*`` notifications (other than TEST_NOTIFICATION) must carry
    a ``media`` object, and ``ISSUE_*`` an ``issue`` object.
    """
    if not isinstance(payload, Mapping):
        raise WebhookValidationError(f"body must be a JSON object, got {type(payload).__name__}")
    ntype = payload.get("notification_type")
    if ntype is None:
        raise WebhookValidationError("missing 'notification_type'")
    if not isinstance(ntype, str) or ntype not in NOTIFICATION_TYPES:
        raise WebhookValidationError(f"unknown 'notification_type' {_short(ntype)}: expected one of "
                                     f"{', '.join(sorted(NOTIFICATION_TYPES))}")
    if "subject" not in payload:
        raise WebhookValidationError("missing 'subject'")
    if not isinstance(payload["subject"], str):
        raise WebhookValidationError(f"'subject' must be a string, got {type(payload['subject']).__name__}")
    for key in _OPTIONAL_STRINGS:
        if payload.get(key) is not None and not isinstance(payload[key], str):
            raise WebhookValidationError(f"'{key}' must be a string, got {type(payload[key]).__name__}")

    media = _check_object(payload, "media", _MEDIA_REQUIRED)
    if media is not None:
        _one_of("media.media_type", media["media_type"], MEDIA_TYPES)
        for field in ("tmdbId", "tvdbId"):
            if media.get(field) is not None and not _is_id(media[field]):
                raise WebhookValidationError(f"'media.{field}' must be a string or integer id; "
                                             f"got {_short(media[field])}")
        for field in ("status", "status4k"):
            if field in media:
                _one_of(f"media.{field}", media[field], MEDIA_STATUSES)
    elif ntype.startswith("MEDIA_"):
        raise WebhookValidationError(f"{ntype} notification without a 'media' object")

    request = _check_object(payload, "request", _REQUEST_REQUIRED)
    if request is not None:
        if not _is_id(request["request_id"]):
            raise WebhookValidationError(f"'request.request_id' must be a string or integer id; "
                                         f"got {_short(request['request_id'])}")
        for field in _REQUEST_STRINGS:
            if request.get(field) is not None and not isinstance(request[field], str):
                raise WebhookValidationError(f"'request.{field}' must be a string")

    issue = _check_object(payload, "issue")
    if issue is None and ntype.startswith("ISSUE_"):
        raise WebhookValidationError(f"{ntype} notification without an 'issue' object")
    _check_object(payload, "comment")
    if payload.get("extra") is not None and not isinstance(payload["extra"], list):
        raise WebhookValidationError(f"'extra' must be a list, got {type(payload['extra']).__name__}")
    return dict(payload)


#: the inbox keeps at most this many notifications and bytes of them (their JSON text), oldest dropped first
INBOX_MAX_RECORDS = 500
INBOX_MAX_BYTES = 8 * 1024 * 1024


class _Kept:
    """One record as the inbox keeps it: its type (to filter without parsing) and its JSON text."""

    __slots__ = ("notification_type", "text")

    def __init__(self, notification_type: Any, text: str) -> None:
        self.notification_type = notification_type
        self.text = text

    def record(self) -> dict[str, Any]:
        return json.loads(self.text)


class WebhookInbox:
    """The notifications a receiver accepted, oldest first; bounded in count and in bytes, thread-safe.

    Each record: ``{"id", "received_at" (ISO 8601 UTC, from ``clock``), "notification_type",
    "subject", "payload"}``. At most ``maxlen`` records and ``max_bytes`` bytes of them, the oldest
    dropped first (the newest is always kept). A record is kept as compact JSON text, so
    :attr:`size_bytes` is what it holds: parsed, a body of many small JSON items takes many times its
    size in Python objects. Readers get fresh copies.
    """

    def __init__(self, maxlen: int = INBOX_MAX_RECORDS, clock: Clock = SYSTEM_CLOCK,
                 max_bytes: int = INBOX_MAX_BYTES) -> None:
        if maxlen < 1 or max_bytes < 1:
            raise ValueError(f"an inbox needs room for one record, got maxlen={maxlen}, max_bytes={max_bytes}")
        self.maxlen = maxlen
        self.max_bytes = max_bytes
        #: bytes of JSON text kept (at most :attr:`max_bytes`, unless the one newest record is larger)
        self.size_bytes = 0
        #: records dropped to stay within the bounds since the last clear
        self.dropped = 0
        self._records: deque[_Kept] = deque()
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._clock = clock

    def record(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Store an (already validated) notification; return its record."""
        with self._cond:
            entry = {
                "id": next(self._ids),
                "received_at": iso_utc(self._clock.now()),
                "notification_type": payload.get("notification_type"),
                "subject": payload.get("subject"),
                "payload": dict(payload),
            }
            kept = _Kept(entry["notification_type"], json.dumps(entry, separators=(",", ":")))
            self._records.append(kept)
            self.size_bytes += len(kept.text)
            while len(self._records) > 1 and (len(self._records) > self.maxlen or self.size_bytes > self.max_bytes):
                self.size_bytes -= len(self._records.popleft().text)
                self.dropped += 1
            self._cond.notify_all()
            return kept.record()

    def received(self, notification_type: str | None = None) -> list[dict[str, Any]]:
        """Records, oldest first, optionally only of one ``notification_type``."""
        with self._cond:
            kept = [k for k in self._records if notification_type is None or k.notification_type == notification_type]
        return [k.record() for k in kept]

    def clear(self) -> None:
        """Forget every record."""
        with self._cond:
            self._records.clear()
            self.size_bytes = 0
            self.dropped = 0

    def __len__(self) -> int:
        with self._cond:
            return len(self._records)

    def wait_for(self, notification_type: str | None = None, timeout: float = 5.0,
                 predicate: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
        """Block until a record of ``notification_type`` (any when None) is in the inbox; return the newest.

        Raises ``TimeoutError`` naming what did arrive when none comes in ``timeout`` seconds.
        """
        def match() -> dict[str, Any] | None:
            for kept in reversed(self._records):
                if notification_type is not None and kept.notification_type != notification_type:
                    continue
                record = kept.record()
                if predicate is not None and not predicate(record):
                    continue
                return record
            return None

        with self._cond:
            found = self._cond.wait_for(match, timeout)
            if found:
                return found
            seen = [k.notification_type for k in self._records]
        raise TimeoutError(f"no {notification_type or 'any'} webhook notification arrived in {timeout:g} s; "
                           f"received: {seen or 'nothing'}")
