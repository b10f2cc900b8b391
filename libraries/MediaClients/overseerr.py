"""Keywords for every OverseerrClient operation."""

from __future__ import annotations

from typing import Any, Literal

from robot.api.deco import keyword

from .calls import call_client
from .context import ClientContext

MediaType = Literal["movie", "tv"]


class OverseerrKeywords:
    """The Overseerr client's calls. Each returns what the client returned."""

    def __init__(self, context: ClientContext) -> None:
        self.ctx = context

    @keyword(tags=["overseerr"])
    def get_overseerr_status(self) -> Any:
        """Returns Overseerr's status (``version``, ``commitTag``, ...). Never cached.

        | ${status} =    `Get Overseerr Status`
        | Should Not Be Empty    ${status}[version]
        """
        return call_client(self.ctx, "overseerr", "get_status")

    @keyword(tags=["overseerr"])
    def search_overseerr(self, query: str, page: int = 1) -> Any:
        """Searches Overseerr; returns ``page``, ``totalPages``, ``totalResults``, ``results`` (cached).

        | ${found} =    `Search Overseerr`    Dune
        """
        return call_client(self.ctx, "overseerr", "search", query, page=page)

    @keyword(tags=["overseerr"])
    def submit_overseerr_request(self, media_type: MediaType, media_id: int, *seasons: int) -> Any:
        """Requests a movie or TV show; returns the created (or, after a lost answer, the existing) request.

        Seasons, for TV, are given as extra arguments. The client never
        submits twice: after an ambiguous failure it looks the request up.

        | ${request} =    `Submit Overseerr Request`    movie    438631
        | ${request} =    `Submit Overseerr Request`    tv    1396    1    2
        """
        return call_client(self.ctx, "overseerr", "submit_request", media_type, media_id,
                           seasons=list(seasons) or None)

    @keyword(tags=["overseerr"])
    def list_overseerr_requests(self, take: int = 20, skip: int = 0, filter: str | None = None) -> Any:
        """Lists requests: ``pageInfo`` and ``results``.

        | ${requests} =    `List Overseerr Requests`    take=10
        """
        return call_client(self.ctx, "overseerr", "list_requests", take=take, skip=skip, filter=filter)

    @keyword(tags=["overseerr"])
    def get_overseerr_request(self, request_id: int) -> Any:
        """Returns one request by id.

        | ${request} =    `Get Overseerr Request`    ${created}[id]
        """
        return call_client(self.ctx, "overseerr", "get_request", request_id)
