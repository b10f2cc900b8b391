"""What the outbox holds: a user's media request (a :class:`Submission`) and what became of it.

A submission is validated once, here, at the edge (:func:`new_submission`): a
clear ``ValueError`` naming the field, the value and what is allowed; the
stores and the deliverer then trust it.

States: ``queued`` (in the outbox, not yet answered by Overseerr), then exactly
one of ``delivered`` (Overseerr holds the request: ``overseerr_request_id``),
``rejected`` (Overseerr refused it: ``reason`` is its answer, never retried) or
``cancelled`` (withdrawn by the caller before delivery). A queued submission is
*in doubt* when an earlier attempt may have reached Overseerr (its answer was
lost, or the worker sending it died): it is looked up in Overseerr before any
resend, and it cannot be cancelled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["QUEUED", "DELIVERED", "REJECTED", "CANCELLED", "STATES", "FINAL_STATES", "Submission", "NewSubmission",
           "SubmitResult", "new_submission", "decode_seasons", "MAX_SEASONS", "MAX_ID"]

QUEUED, DELIVERED, REJECTED, CANCELLED = "queued", "delivered", "rejected", "cancelled"
STATES = (QUEUED, DELIVERED, REJECTED, CANCELLED)
FINAL_STATES = (DELIVERED, REJECTED, CANCELLED)
#: the most seasons one tv submission may name, and the highest season number
MAX_SEASONS = 100
#: ids (TMDB, Overseerr users) are positive and fit a signed 32-bit integer, as Overseerr's columns do
MAX_ID = 2**31 - 1


def _positive_id(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ValueError(f"{name} must be a whole number from 1 to {MAX_ID}, got {value!r}")
    return value


def _seasons(media_type: str, seasons: Any) -> list[int] | str | None:
    if media_type == "movie":
        if seasons not in (None, [], ()):
            raise ValueError(f"seasons are only for tv requests, got seasons={seasons!r} for a movie")
        return None
    if seasons is None or seasons == "all":
        return "all"
    if not isinstance(seasons, (list, tuple)) or not seasons or len(seasons) > MAX_SEASONS:
        raise ValueError(f"seasons must be 'all' or a list of 1 to {MAX_SEASONS} season numbers, got {seasons!r}")
    for number in seasons:
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_SEASONS:
            raise ValueError(f"season numbers must be whole numbers from 1 to {MAX_SEASONS}, got {number!r}")
    return sorted(set(seasons))


@dataclass(frozen=True)
class NewSubmission:
    """A validated media request, not stored yet."""

    media_type: str
    media_id: int
    seasons: list[int] | str | None
    is4k: bool
    user_id: int

    def seasons_json(self) -> str | None:
        """How the stores keep ``seasons``: JSON text, or NULL for a movie."""
        return None if self.seasons is None else json.dumps(self.seasons)


def new_submission(media_type: Any, media_id: Any, seasons: Any = None, *, is4k: Any = False,
                   user_id: Any = 1) -> NewSubmission:
    """Validate a media request; ``ValueError`` naming the field otherwise.

    ``media_type`` ``movie`` or ``tv``; ``media_id`` a TMDB id; ``seasons`` for tv only (``'all'`` when left
    out, or season numbers); ``user_id`` the Overseerr user it is made for (1: the API key's own user).
    """
    if media_type not in ("movie", "tv"):
        raise ValueError(f"media_type must be 'movie' or 'tv', got {media_type!r}")
    if not isinstance(is4k, bool):
        raise ValueError(f"is4k must be true or false, got {is4k!r}")
    return NewSubmission(media_type, _positive_id(media_id, "media_id"), _seasons(media_type, seasons), is4k,
                         _positive_id(user_id, "user_id"))


@dataclass(frozen=True)
class Submission:
    """One stored submission (see the module doc for the states). Times are the clock's epoch seconds."""

    id: int
    media_type: str
    media_id: int
    seasons: list[int] | str | None
    is4k: bool
    user_id: int
    state: str
    created_at: float
    attempts: int = 0
    in_doubt: bool = False
    finished_at: float | None = None
    overseerr_request_id: int | None = None
    reason: str | None = None
    last_error: str | None = None

    @property
    def request(self) -> NewSubmission:
        """What was asked for, without the bookkeeping."""
        return NewSubmission(self.media_type, self.media_id, self.seasons, self.is4k, self.user_id)

    def age_s(self, now: float) -> float:
        """Seconds since it was recorded (0 if the clock reads earlier)."""
        return max(0.0, now - self.created_at)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, camelCase as the dashboard speaks."""
        return {"id": self.id, "mediaType": self.media_type, "mediaId": self.media_id, "seasons": self.seasons,
                "is4k": self.is4k, "userId": self.user_id, "state": self.state, "createdAt": self.created_at,
                "attempts": self.attempts, "inDoubt": self.in_doubt, "finishedAt": self.finished_at,
                "overseerrRequestId": self.overseerr_request_id, "reason": self.reason, "lastError": self.last_error}

    def describe(self) -> str:
        """``#3 movie 603 for user 1``."""
        seasons = "" if self.seasons in (None, "all") else f" seasons {','.join(map(str, self.seasons))}"
        return f"#{self.id} {self.media_type} {self.media_id}{seasons}{' 4K' if self.is4k else ''} for user {self.user_id}"


def decode_seasons(text: str | None) -> list[int] | str | None:
    """The stores' ``seasons`` column back to a value."""
    return None if text is None else json.loads(text)


@dataclass(frozen=True)
class SubmitResult:
    """What the caller of :meth:`~companion.outbox.RequestOutbox.submit` gets.

    ``status`` is ``delivered`` (Overseerr holds it: ``overseerr_request``), ``queued`` (accepted and kept
    in the outbox: Overseerr is unavailable, or older submissions go first; ``message`` says why) or
    ``rejected`` (Overseerr refused it; ``message`` is its reason). ``id`` is the submission's id in any case.
    """

    status: str
    submission: Submission
    message: str = ""
    overseerr_request: dict[str, Any] | None = None

    @property
    def id(self) -> int:
        return self.submission.id

    @property
    def queued(self) -> bool:
        return self.status == QUEUED

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "id": self.id, "message": self.message,
                "submission": self.submission.to_dict(), "overseerrRequest": self.overseerr_request}

