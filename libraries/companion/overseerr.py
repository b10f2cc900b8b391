"""``OverseerrClient``: status, search and media requests against the Overseerr API v1.

The API key travels in the ``X-Api-Key`` header only. ``submit_request`` is a
POST and is never repeated blindly: after an answer that was lost (read
timeout, reset, 5xx, broken body) the client looks the request up and returns
it if the server did create it; only when it is certainly absent does it POST
again. Reads are cached and served stale when Overseerr fails.
"""

from __future__ import annotations

from typing import Any, Literal

from .base import HttpServiceClient
from .breakers import CircuitBreakerFactory
from .clock import SYSTEM_CLOCK, Clock
from .errors import BadResponseError, CircuitOpenError, IntegrationError, ServiceUnavailableError
from .results import Data, mark
from .settings import ClientSettings

__all__ = ["OverseerrClient"]

SERVICE = "overseerr"
API = "/api/v1"
MediaType = Literal["movie", "tv"]
#: how many recent requests a lost POST is looked for among
RECONCILE_WINDOW = 100
#: Overseerr's request status DECLINED: a declined request does not stop a new one
DECLINED = 3


class OverseerrClient(HttpServiceClient):
    """A resilient Overseerr client; the breaker is ``overseerr`` in the shared factory; time from ``clock``."""

    service = SERVICE

    def __init__(self, base_url: str, api_key: str, *, settings: ClientSettings | None = None,
                 breakers: CircuitBreakerFactory | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        if not api_key:
            raise ValueError("an Overseerr API key is required")
        super().__init__(base_url, {"X-Api-Key": api_key, "Accept": "application/json"}, settings, breakers, clock,
                         secrets=(api_key,))
        #: how the last submit_request ended: "created", "recovered" (found after a lost answer)
        self.last_submit_outcome: str | None = None

    # -- reads ---------------------------------------------------------------------------
    def get_status(self) -> Data:
        """``{version, commitTag, updateAvailable, commitsBehind, restartRequired}``; never cached."""
        return self._read("get_status", "/status", expect=("version",))

    def search(self, query: str, page: int = 1) -> Data:
        """``{page, totalPages, totalResults, results}`` for ``query``."""
        if not query or not query.strip():
            raise ValueError("search query must not be empty")
        if int(page) < 1:
            raise ValueError(f"page must be >= 1, got {page}")
        params = {"query": query.strip(), "page": int(page)}
        return self._read("search", "/search", params=params, expect=("results", "totalResults"),
                          cache_key=("search", query.strip().lower(), int(page)))

    def list_requests(self, take: int = 20, skip: int = 0, filter: str | None = None) -> Data:  # noqa: A002
        """``{pageInfo, results}``: media requests, newest first."""
        if int(take) < 1 or int(skip) < 0:
            raise ValueError(f"take must be >= 1 and skip >= 0, got take={take}, skip={skip}")
        params: dict[str, Any] = {"take": int(take), "skip": int(skip)}
        if filter:
            params["filter"] = filter
        return self._read("list_requests", "/request", params=params, expect=("pageInfo", "results"),
                          cache_key=("requests", int(take), int(skip), filter))

    def get_request(self, request_id: int) -> Data:
        """One media request by id."""
        return self._read("get_request", f"/request/{int(request_id)}", expect=("id",),
                          cache_key=("request", int(request_id)))

    # -- the one write -------------------------------------------------------------------
    def submit_request(self, media_type: MediaType, media_id: int, seasons: list[int] | str | None = None, *,
                       is4k: bool = False, user_id: int | None = None) -> Data:
        """Request a movie or show; returns the MediaRequest. Never creates a duplicate.

        ``user_id``: request on behalf of that Overseerr user (Overseerr's ``userId``; default the API key's
        user). ``is4k``: a 4K request. A lost answer is looked up before any repeat (:meth:`find_request`).
        """
        body = self._request_body(media_type, media_id, seasons, is4k, user_id)
        self._http.begin_call()
        created = self._http.guarded("submit_request", lambda: self._submit(body))
        self._http.clear_cache()
        return mark(created, stale=False)

    def find_request(self, media_type: MediaType, media_id: int, seasons: list[int] | str | None = None, *,
                     is4k: bool = False, user_id: int | None = None) -> Data | None:
        """The request a submission with these arguments would have created, if Overseerr holds it; else None.

        One logical call (breaker, retries). It matches the newest of the user's last
        :data:`RECONCILE_WINDOW` requests that is for this media (type, TMDB id, 4K or not), not declined,
        and, for explicit tv seasons, holds only seasons that were asked for (Overseerr leaves out seasons
        requested already, so a created request may hold fewer).
        """
        body = self._request_body(media_type, media_id, seasons, is4k, user_id)
        self._http.begin_call()
        found = self._http.guarded("find_request", lambda: self._http.retry.run(lambda: self._find_request(body)))
        return None if found is None else mark(found, stale=False)

    @staticmethod
    def _request_body(media_type: str, media_id: int, seasons: list[int] | str | None, is4k: bool,
                      user_id: int | None) -> dict[str, Any]:
        if media_type not in ("movie", "tv"):
            raise ValueError(f"media_type must be 'movie' or 'tv', got {media_type!r}")
        if int(media_id) < 1:
            raise ValueError(f"media_id must be a positive TMDB id, got {media_id!r}")
        body: dict[str, Any] = {"mediaType": media_type, "mediaId": int(media_id)}
        if seasons is not None:
            body["seasons"] = seasons
        elif media_type == "tv":
            body["seasons"] = "all"
        if is4k:
            body["is4k"] = True
        if user_id is not None:
            if int(user_id) < 1:
                raise ValueError(f"user_id must be a positive Overseerr user id, got {user_id!r}")
            body["userId"] = int(user_id)
        return body

    def _submit(self, body: dict[str, Any]) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            try:
                response = self._http.send("submit_request", "POST", f"{API}/request", json=body, ok_statuses=(201,))
                created = self._http.json("submit_request", response)
            except (ServiceUnavailableError, BadResponseError) as error:
                if isinstance(error, CircuitOpenError) or getattr(error, "retry_safe", False):
                    raise  # never reached the server: a repeat cannot duplicate it
                existing = self._look_up_after_lost_answer(body)
                if existing is not None:
                    self.last_submit_outcome = "recovered"
                    return existing
                error.retry_safe = True  # certainly not created: repeating is safe
                raise
            if not isinstance(created, dict) or "id" not in created:
                raise BadResponseError(SERVICE, "submit_request", "the created request has no id")
            self.last_submit_outcome = "created"
            return created
        return self._http.retry.run(attempt)

    def _look_up_after_lost_answer(self, body: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return self._find_request(body)
        except IntegrationError as error:
            unknown = ServiceUnavailableError(SERVICE, "submit_request",
                                              f"the answer to the request was lost and checking whether it was "
                                              f"created failed too ({error.detail})")
            unknown.retry_safe = False  # it may exist: posting again could create a duplicate
            raise unknown from None

    def _find_request(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The newest matching request (see :meth:`find_request`), or None if certainly absent."""
        params: dict[str, Any] = {"take": RECONCILE_WINDOW, "skip": 0, "filter": "all"}
        if "userId" in body:
            params["requestedBy"] = body["userId"]
        response = self._http.send("find_request", "GET", f"{API}/request", params=params)
        listing = self._http.json("find_request", response)
        asked = body.get("seasons")
        for request in listing.get("results", []) if isinstance(listing, dict) else []:
            if not isinstance(request, dict):
                continue
            media = request.get("media") or {}
            held = {s.get("seasonNumber") for s in request.get("seasons") or [] if isinstance(s, dict)}
            if (request.get("type") == body["mediaType"] and media.get("tmdbId") == body["mediaId"]
                    and bool(request.get("is4k")) == bool(body.get("is4k")) and request.get("status") != DECLINED
                    and (not isinstance(asked, list) or held <= set(asked))):
                return request
        return None

    # -- plumbing ------------------------------------------------------------------------
    def _read(self, operation: str, path: str, *, params: dict[str, Any] | None = None,
              expect: tuple[str, ...] = (), cache_key: tuple | None = None) -> Data:
        def fetch() -> dict[str, Any]:
            body = self._http.json(operation, self._http.send(operation, "GET", f"{API}{path}", params=params))
            if not isinstance(body, dict) or any(key not in body for key in expect):
                raise BadResponseError(SERVICE, operation, f"expected a JSON object with {', '.join(expect)}")
            return body
        return self._http.read(operation, fetch, cache_key=cache_key)
