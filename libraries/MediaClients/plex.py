"""Keywords for every PlexClient operation."""

from __future__ import annotations

from typing import Any

from robot.api.deco import keyword

from .calls import call_client
from .context import ClientContext


class PlexKeywords:
    """The Plex client's calls. Each returns what the client returned (``${result.stale}`` tells
    whether it came from the cache because Plex failed or its breaker is open)."""

    def __init__(self, context: ClientContext) -> None:
        self.ctx = context

    @keyword(tags=["plex"])
    def test_plex_connection(self) -> Any:
        """Asks Plex who it is; returns ``name``, ``machine_identifier``, ``version``, ``platform``, ...

        Never cached.

        | ${server} =    `Test Plex Connection`
        | Should Be Equal    ${server}[name]    Mock Plex
        """
        return call_client(self.ctx, "plex", "test_connection")

    @keyword(tags=["plex"])
    def get_plex_libraries(self) -> Any:
        """Returns the library sections (``key``, ``title``, ``type``, ...), cached for the cache TTL.

        | ${libraries} =    `Get Plex Libraries`
        | Length Should Be    ${libraries}    2
        """
        return call_client(self.ctx, "plex", "get_libraries")

    @keyword(tags=["plex"])
    def get_plex_library_items(self, section_id: str, offset: int = 0, limit: int = 50) -> Any:
        """Returns one page of a section: ``items``, ``total_size``, ``offset``, ``size`` (cached per page).

        | ${page} =    `Get Plex Library Items`    1    offset=20    limit=10
        | Should Be Equal As Integers    ${page}[total_size]    100
        """
        return call_client(self.ctx, "plex", "get_library_items", section_id, offset=offset, limit=limit)

    @keyword(tags=["plex"])
    def search_plex(self, query: str) -> Any:
        """Searches Plex; a blank query returns an empty list without sending a request.

        | ${hits} =    `Search Plex`    Heat
        """
        return call_client(self.ctx, "plex", "search", query)
