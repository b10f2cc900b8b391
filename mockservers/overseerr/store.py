"""The mock Overseerr's state: media requests and the media they are for.

Thread-safe (one lock), stateful for the server's life: a created request can
be listed, counted and fetched until :meth:`RequestStore.reset`. Shapes follow
Overseerr's ``MediaRequest`` and ``Media`` entities; nullable fields are sent
as ``null``.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from mockservers.core.readybytes import DataVersion, changes_data
from mockservers.core.validation import INT64_MAX, shown

from .catalogue import Catalogue, CatalogueEntry

__all__ = ["RequestError", "RequestStore", "REQUEST_STATUS", "MEDIA_STATUS", "FILTERS", "SORTS", "iso_now",
           "DUPLICATE_MESSAGE", "NO_SEASONS_MESSAGE", "USERS", "field_error", "iso_time"]

REQUEST_STATUS = {1: "PENDING", 2: "APPROVED", 3: "DECLINED", 4: "FAILED"}
MEDIA_STATUS = {1: "UNKNOWN", 2: "PENDING", 3: "PROCESSING", 4: "PARTIALLY_AVAILABLE", 5: "AVAILABLE"}
#: what Overseerr answers (409) to a second request for a movie that has one not declined
DUPLICATE_MESSAGE = "Request for this media already exists."
#: what Overseerr answers (202, nothing created) to a tv request whose seasons are all requested already
NO_SEASONS_MESSAGE = "No seasons available to request"
#: the mock's users: id -> (plexUsername, email); 1 is the admin the API key acts as
USERS: dict[int, tuple[str, str]] = {1: ("mockadmin", "admin@overseerr.mock"), 2: ("alice", "alice@overseerr.mock"),
                                     3: ("bob", "bob@overseerr.mock")}
_NOT_AVAILABLE = frozenset({1, 2, 3, 4})
#: filter name -> (request statuses, media statuses); None = any (as Overseerr's request route)
FILTERS: dict[str, tuple[frozenset[int] | None, frozenset[int] | None]] = {
    "all": (None, None),
    "pending": (frozenset({1}), None),
    "approved": (frozenset({2}), None),
    "declined": (frozenset({3}), None),
    "failed": (frozenset({4}), None),
    "processing": (frozenset({2}), _NOT_AVAILABLE),
    "unavailable": (frozenset({1, 2}), _NOT_AVAILABLE),
    "available": (None, frozenset({5})),
}
SORTS = ("added", "modified")
_CREATED = "2024-01-01T00:00:00.000Z"


def iso_time(moment: datetime) -> str:
    """``moment`` as Overseerr writes dates: ``2024-12-16T21:13:58.123Z``."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def iso_now() -> str:
    """Now (the wall clock) as Overseerr writes dates."""
    return iso_time(datetime.now(timezone.utc))


class RequestError(ValueError):
    """A request could not be created or changed: ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = errors if errors is not None else []


@dataclass
class Media:
    """Overseerr's ``Media`` row: one per requested movie or show."""

    id: int
    entry: CatalogueEntry
    created_at: str
    updated_at: str
    status: int = 1
    status4k: int = 1

    def status_for(self, is4k: bool) -> int:
        """The media status that applies to a 4K or a regular request."""
        return self.status4k if is4k else self.status

    def set_status(self, is4k: bool, status: int, now: str) -> None:
        """Change the regular or the 4K status."""
        if is4k:
            self.status4k = status
        else:
            self.status = status
        self.updated_at = now


@dataclass
class MediaRequest:
    """Overseerr's ``MediaRequest`` row."""

    id: int
    media: Media
    status: int
    is4k: bool
    created_at: str
    updated_at: str
    seasons: list[tuple[int, int]] = field(default_factory=list)  # (season request id, season number)
    modified: bool = False
    server_id: int | None = None
    profile_id: int | None = None
    root_folder: str | None = None
    requested_by: int = 1


def _positive_int(value: Any) -> bool:
    """A positive whole number within 64 bits (ids, season numbers)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= INT64_MAX


def _is_code(value: Any, codes: Any) -> bool:
    """True when ``value`` is an integer among ``codes`` (safe for unhashable input)."""
    return isinstance(value, int) and not isinstance(value, bool) and value in codes


class RequestStore:
    """Requests and media of one mock, behind one lock; :attr:`version` is bumped after every change."""

    def __init__(self, catalogue: Catalogue, clock: Callable[[], str] = iso_now) -> None:
        self.catalogue = catalogue
        self._clock = clock
        self.lock = threading.RLock()
        self.version = DataVersion()
        self.reset()

    @changes_data
    def reset(self) -> None:
        """Forget every request and media row (ids start at 1 again)."""
        with self.lock:
            self._requests: dict[int, MediaRequest] = {}
            self._media: dict[tuple[str, int], Media] = {}
            self._request_ids = itertools.count(1)
            self._media_ids = itertools.count(1)
            self._season_ids = itertools.count(1)

    # -- users -------------------------------------------------------------------------
    def user(self, user_id: int = 1) -> dict[str, Any]:
        """A user as Overseerr renders it (``/auth/me`` answers the API key's user, the admin, id 1)."""
        name, email = USERS[user_id]
        with self.lock:
            count = sum(r.requested_by == user_id for r in self._requests.values())
        return {
            "id": user_id, "email": email, "avatar": "/os_logo_square.png", "username": None,
            "plexUsername": name, "plexId": 1000000 + user_id, "movieQuotaLimit": None, "movieQuotaDays": None,
            "tvQuotaLimit": None, "tvQuotaDays": None, "createdAt": _CREATED, "updatedAt": _CREATED,
            "requestCount": count, "displayName": name, "permissions": 2 if user_id == 1 else 32,
            "recoveryLinkExpirationDate": None, "userType": 1, "warnings": [],
        }

    # -- changes -----------------------------------------------------------------------
    @changes_data
    def create(self, media_type: Any, media_id: Any, seasons: Any = None, is4k: Any = False, *, status: int = 1,
               server_id: Any = None, profile_id: Any = None, root_folder: Any = None,
               user_id: Any = None) -> MediaRequest:
        """Validate and store a request; :class:`RequestError` says what was wrong (400, 404, 409 for a movie
        already requested, 202 for a tv request whose seasons are all requested: nothing is created).

        ``user_id`` (Overseerr's ``userId``): request on behalf of that user (default the admin, 1).
        """
        if media_type not in ("movie", "tv"):
            raise RequestError(f"mediaType must be \"movie\" or \"tv\", got {shown(media_type)}",
                               errors=[field_error("mediaType", "should be equal to one of the allowed values: "
                                                                "movie, tv")])
        if not _positive_int(media_id):
            raise RequestError(f"mediaId must be a positive integer (a TMDB id), got {shown(media_id)}",
                               errors=[field_error("mediaId", "should be a positive integer")])
        if not isinstance(is4k, bool):
            raise RequestError(f"is4k must be true or false, got {shown(is4k)}",
                               errors=[field_error("is4k", "should be boolean")])
        if not _is_code(status, REQUEST_STATUS):
            raise RequestError(f"status must be one of {sorted(REQUEST_STATUS)} "
                               f"({', '.join(REQUEST_STATUS.values())}), got {shown(status)}")
        for name, value, kind in (("serverId", server_id, int), ("profileId", profile_id, int),
                                  ("rootFolder", root_folder, str)):
            bad_number = kind is int and isinstance(value, int) and not 0 <= value <= INT64_MAX
            bad_text = kind is str and isinstance(value, str) and len(value) > 4096
            if value is not None and (not isinstance(value, kind) or isinstance(value, bool) or bad_number
                                      or bad_text):
                allowed = f"number from 0 to {INT64_MAX}" if kind is int else "string of at most 4096 characters"
                raise RequestError(f"{name} must be a {allowed} or absent, got {shown(value)}",
                                   errors=[field_error(name, f"should be {'number' if kind is int else 'string'}")])
        if user_id is None:
            user_id = 1
        if not _is_code(user_id, USERS):
            raise RequestError(f"userId must be the id of a user ({', '.join(map(str, USERS))}), got {shown(user_id)}",
                               errors=[field_error("userId", "should be the id of a user")])
        try:
            entry = self.catalogue.get(media_type, media_id)
        except KeyError as exc:
            raise RequestError(f"{exc.args[0]}: request a mediaId the catalogue has (see /search)", status=404) from None
        wanted = self._season_numbers(entry, seasons) if media_type == "tv" else []
        with self.lock:
            active = [r for r in self._requests.values()
                      if r.media.entry is entry and r.is4k == is4k and r.status != 3]
            if media_type == "movie" and active:
                raise RequestError(DUPLICATE_MESSAGE, status=409)
            if media_type == "tv":
                taken = {number for r in active for _, number in r.seasons}
                wanted = [n for n in wanted if n not in taken]
                if not wanted:
                    raise RequestError(NO_SEASONS_MESSAGE, status=202)
            now = self._clock()
            media = self._media.get((media_type, media_id))
            if media is None:
                media = Media(next(self._media_ids), entry, now, now)
                self._media[(media_type, media_id)] = media
            request = MediaRequest(next(self._request_ids), media, status, is4k, now, now,
                                   [(next(self._season_ids), n) for n in wanted], modified=status != 1,
                                   server_id=server_id, profile_id=profile_id, root_folder=root_folder,
                                   requested_by=user_id)
            self._requests[request.id] = request
            self._follow_status(request, now)
            return request

    @changes_data
    def set_status(self, request_id: int, status: int) -> MediaRequest:
        """Approve (2), decline (3) or re-open (1) a request; the media status follows."""
        if not _is_code(status, (1, 2, 3)):
            raise ValueError(f"request status must be 1 (PENDING), 2 (APPROVED) or 3 (DECLINED), got {shown(status)}")
        with self.lock:
            request = self.get(request_id)
            now = self._clock()
            request.status, request.updated_at, request.modified = status, now, True
            self._follow_status(request, now)
            return request

    @changes_data
    def set_media_status(self, request_id: int, status: int) -> MediaRequest:
        """Set the status (1..5, e.g. 5 AVAILABLE) of the media a request is for."""
        if not _is_code(status, MEDIA_STATUS):
            raise ValueError(f"media status must be one of {sorted(MEDIA_STATUS)} "
                             f"({', '.join(MEDIA_STATUS.values())}), got {shown(status)}")
        with self.lock:
            request = self.get(request_id)
            request.media.set_status(request.is4k, status, self._clock())
            return request

    def _follow_status(self, request: MediaRequest, now: str) -> None:
        """Overseerr's media status after a request status change."""
        media, current = request.media, request.media.status_for(request.is4k)
        if request.status == 1 and current in (1, 2):
            media.set_status(request.is4k, 2, now)
        elif request.status == 2 and current in (1, 2):
            media.set_status(request.is4k, 3, now)
        elif request.status == 3:
            others = [r for r in self._requests.values()
                      if r.media is media and r.is4k == request.is4k and r.status != 3]
            if not others and current in (2, 3):
                media.set_status(request.is4k, 1, now)

    @staticmethod
    def _season_numbers(entry: CatalogueEntry, seasons: Any) -> list[int]:
        total = entry.number_of_seasons
        if seasons == "all":
            return list(range(1, total + 1))
        problem = None
        if seasons is None:
            problem = "is required for a tv request"
        elif not isinstance(seasons, list) or not seasons or not all(_positive_int(n) for n in seasons):
            problem = f"must be a non-empty list of season numbers or \"all\", got {shown(seasons)}"
        elif max(seasons) > total:
            problem = f"must be season numbers between 1 and {total} for {entry.title!r}, got {shown(seasons)}"
        if problem:
            raise RequestError(f"seasons {problem}: expected a list of season numbers like [1, 2] or \"all\"",
                               errors=[field_error("seasons", problem)])
        return sorted(set(seasons))

    # -- reads -------------------------------------------------------------------------
    def get(self, request_id: int) -> MediaRequest:
        """One request; ``KeyError`` with a message if there is none."""
        with self.lock:
            if request_id not in self._requests:
                raise KeyError(f"no request with id {request_id}")
            return self._requests[request_id]

    def all(self) -> list[MediaRequest]:
        """Every request, oldest first."""
        with self.lock:
            return sorted(self._requests.values(), key=lambda r: r.id)

    def select(self, filter_name: str = "all", sort: str = "added", media_type: str = "all",
               requested_by: int | None = None) -> list[MediaRequest]:
        """Requests as ``GET /request`` lists them (filter and sort names validated by the caller);
        ``requested_by``: only that user's."""
        statuses, media_statuses = FILTERS[filter_name]
        with self.lock:
            chosen = [r for r in self._requests.values()
                      if (statuses is None or r.status in statuses)
                      and (media_statuses is None or r.media.status_for(r.is4k) in media_statuses)
                      and media_type in ("all", r.media.entry.media_type)
                      and requested_by in (None, r.requested_by)]
        if sort == "modified":
            return sorted(chosen, key=lambda r: (r.updated_at, r.id), reverse=True)
        return sorted(chosen, key=lambda r: r.id, reverse=True)

    def media_for(self, media_type: str, tmdb_id: int) -> Media | None:
        """The media row of a catalogue entry, if it was ever requested."""
        with self.lock:
            return self._media.get((media_type, tmdb_id))

    def count(self) -> dict[str, int]:
        """``GET /request/count``."""
        with self.lock:
            rows = list(self._requests.values())
        approved = [r for r in rows if r.status == 2]
        return {
            "total": len(rows),
            "movie": sum(r.media.entry.media_type == "movie" for r in rows),
            "tv": sum(r.media.entry.media_type == "tv" for r in rows),
            "pending": sum(r.status == 1 for r in rows),
            "approved": len(approved),
            "declined": sum(r.status == 3 for r in rows),
            "processing": sum(r.media.status_for(r.is4k) in _NOT_AVAILABLE for r in approved),
            "available": sum(r.media.status_for(r.is4k) == 5 for r in approved),
        }

    # -- JSON ------------------------------------------------------------------------------
    def render_request(self, request: MediaRequest, with_media: bool = True) -> dict[str, Any]:
        """The ``MediaRequest`` JSON."""
        admin = self.user()
        with self.lock:
            out: dict[str, Any] = {
                "id": request.id, "status": request.status, "createdAt": request.created_at,
                "updatedAt": request.updated_at, "type": request.media.entry.media_type, "is4k": request.is4k,
                "serverId": request.server_id, "profileId": request.profile_id, "rootFolder": request.root_folder,
                "languageProfileId": None, "tags": None, "isAutoRequest": False,
            }
            if with_media:
                out["media"] = self.render_media(request.media)
            out["seasons"] = [{"id": sid, "seasonNumber": number, "status": request.status,
                               "createdAt": request.created_at, "updatedAt": request.updated_at}
                              for sid, number in request.seasons]
            out["modifiedBy"] = admin if request.modified else None
            out["requestedBy"] = admin if request.requested_by == 1 else self.user(request.requested_by)
            out["seasonCount"] = len(request.seasons)
            return out

    def render_media(self, media: Media, with_requests: bool = False) -> dict[str, Any]:
        """The ``MediaInfo`` JSON (with its ``requests`` list on detail pages)."""
        entry = media.entry
        with self.lock:
            out: dict[str, Any] = {
                "id": media.id, "mediaType": entry.media_type, "tmdbId": entry.tmdb_id, "tvdbId": entry.tvdb_id,
                "imdbId": entry.imdb_id, "status": media.status, "status4k": media.status4k,
                "createdAt": media.created_at, "updatedAt": media.updated_at, "lastSeasonChange": media.created_at,
                "mediaAddedAt": None, "serviceId": None, "serviceId4k": None, "externalServiceId": None,
                "externalServiceId4k": None, "externalServiceSlug": None, "externalServiceSlug4k": None,
                "ratingKey": None, "ratingKey4k": None, "seasons": [],
            }
            if with_requests:
                mine = sorted((r for r in self._requests.values() if r.media is media), key=lambda r: r.id)
                out["requests"] = [self.render_request(r, with_media=False) for r in mine]
            return out


def field_error(name: str, message: str, location: str = "body") -> dict[str, str]:
    """One entry of the ``errors`` list, as Overseerr's OpenAPI validator writes it (``location``: body or query)."""
    return {"path": f".{location}.{name}", "message": message, "errorCode": "type.openapi.validation"}
