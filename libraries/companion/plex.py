"""``PlexClient``: server info, libraries, paged library items and search from a Plex Media Server.

Asks for JSON (``Accept: application/json``) and also understands Plex's
default XML, so a server that ignores ``Accept`` still works. The token goes
in the ``X-Plex-Token`` header, never in a URL or a message.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ElementTree
from typing import Any

import requests

from .base import HttpServiceClient
from .breakers import CircuitBreakerFactory
from .clock import SYSTEM_CLOCK, Clock
from .errors import BadResponseError
from .results import Data, DataList, mark
from .settings import ClientSettings
from .transport import HttpTransport

__all__ = ["PlexClient"]

SERVICE = "plex"
#: XML child elements that are library entries (movies are Video, shows Directory)
ITEM_TAGS = ("Video", "Directory", "Track", "Photo")


class PlexClient(HttpServiceClient):
    """A resilient Plex client (the seed's ``testConnection``, ``getLibraries``, ``getLibraryItems``, ``search``).

    ``breakers`` is the shared :class:`CircuitBreakerFactory`; the client uses
    (or creates) the breaker named ``plex``. Library reads are cached for
    ``settings.cache_ttl_s`` and served stale (``result.stale``) when Plex fails.
    ``clock`` is where the cache TTL, the retry waits and (for a breaker the
    client creates) the reset timeout are measured.
    """

    service = SERVICE

    def __init__(self, base_url: str, token: str, *, settings: ClientSettings | None = None,
                 breakers: CircuitBreakerFactory | None = None, client_identifier: str | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        if not token:
            raise ValueError("a Plex token is required")
        headers = {"X-Plex-Token": token, "Accept": "application/json", "X-Plex-Product": "companion",
                   "X-Plex-Client-Identifier": client_identifier or str(uuid.uuid4())}
        super().__init__(base_url, headers, settings, breakers, clock, secrets=(token,))

    def use_token(self, token: str) -> None:
        """Send ``token`` as the ``X-Plex-Token`` from now on (e.g. the access token plex.tv lists for a server)."""
        if not token:
            raise ValueError("a Plex token is required")
        self._http.add_secret(token)
        self._http.session.headers["X-Plex-Token"] = token

    def test_connection(self) -> Data:
        """Server info ``{name, machine_identifier, version, platform, platform_version}``; never cached."""
        def fetch() -> dict[str, Any]:
            container = self._container("test_connection", "/")
            if not container.get("machineIdentifier"):
                raise BadResponseError(SERVICE, "test_connection", "server info without machineIdentifier")
            return {"name": container.get("friendlyName", ""), "machine_identifier": container["machineIdentifier"],
                    "version": str(container.get("version", "")), "platform": container.get("platform", ""),
                    "platform_version": str(container.get("platformVersion", ""))}
        return self._http.read("test_connection", fetch)

    def get_libraries(self) -> DataList:
        """The library sections: ``[{key, title, type, uuid, agent, scanner, language}]``."""
        def fetch() -> list[dict[str, Any]]:
            container = self._container("get_libraries", "/library/sections")
            sections = container.get("Directory", [])
            if not isinstance(sections, list):
                raise BadResponseError(SERVICE, "get_libraries", "Directory is not a list")
            return [_section(raw) for raw in sections]
        return self._http.read("get_libraries", fetch, cache_key=("libraries",))

    def get_library_items(self, section_id: str | int, offset: int = 0, limit: int = 50) -> Data:
        """One page of a section: ``{items, total_size, offset, size}`` (paged with X-Plex-Container-*)."""
        offset, limit = int(offset), int(limit)
        if offset < 0 or limit < 0:
            raise ValueError(f"offset and limit must be >= 0, got offset={offset}, limit={limit}")
        section = str(section_id)

        def fetch() -> dict[str, Any]:
            container = self._container("get_library_items", f"/library/sections/{section}/all",
                                        headers={"X-Plex-Container-Start": str(offset),
                                                 "X-Plex-Container-Size": str(limit)})
            items = [_item(raw) for raw in _items(container)]
            total = container.get("totalSize", len(items))
            return {"items": items, "total_size": int(total), "offset": int(container.get("offset", offset)),
                    "size": len(items), "section_id": section}
        return self._http.read("get_library_items", fetch, cache_key=("items", section, offset, limit))

    def search(self, query: str) -> DataList:
        """Items matching ``query`` across libraries (``/hubs/search``); blank query -> ``[]``, no request."""
        if not query or not query.strip():
            self._http.begin_call()
            return mark([], stale=False)
        text = query.strip()

        def fetch() -> list[dict[str, Any]]:
            container = self._container("search", "/hubs/search", params={"query": text})
            found: list[dict[str, Any]] = []
            for hub in container.get("Hub", []):
                found.extend(_item(raw) for raw in _items(hub))
            return found
        return self._http.read("search", fetch, cache_key=("search", text.lower()))

    # -- parsing -------------------------------------------------------------------------
    def _container(self, operation: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._http.send(operation, "GET", path, **kwargs)
        return _media_container(operation, response, self._http)


def _media_container(operation: str, response: requests.Response, http: HttpTransport) -> dict[str, Any]:
    """The ``MediaContainer`` of a JSON or XML answer as a dict (XML children grouped by tag)."""
    content_type = response.headers.get("Content-Type", "")
    if "xml" in content_type or response.text.lstrip().startswith("<"):
        try:
            root = ElementTree.fromstring(response.content)
        except ElementTree.ParseError as exc:
            raise BadResponseError(SERVICE, operation, f"malformed XML: {exc}") from None
        if root.tag != "MediaContainer":
            raise BadResponseError(SERVICE, operation, f"expected a MediaContainer, got <{root.tag}>")
        return _xml_element(root)
    body = http.json(operation, response)
    container = body.get("MediaContainer") if isinstance(body, dict) else None
    if not isinstance(container, dict):
        raise BadResponseError(SERVICE, operation, "expected {\"MediaContainer\": {...}} in the JSON answer")
    return container


def _xml_element(element: ElementTree.Element) -> dict[str, Any]:
    node: dict[str, Any] = dict(element.attrib)
    for child in element:
        node.setdefault(child.tag, []).append(_xml_element(child))
    return node


def _items(container: dict[str, Any]) -> list[dict[str, Any]]:
    if "Metadata" in container:
        return list(container["Metadata"])
    found: list[dict[str, Any]] = []
    for tag in ITEM_TAGS:
        found.extend(entry for entry in container.get(tag, []) if "type" in entry)
    return found


def _section(raw: dict[str, Any]) -> dict[str, Any]:
    if "key" not in raw or "title" not in raw:
        raise BadResponseError(SERVICE, "get_libraries", f"section without key/title: {sorted(raw)}")
    return {"key": str(raw["key"]), "title": raw["title"], "type": raw.get("type", ""),
            "uuid": raw.get("uuid", ""), "agent": raw.get("agent", ""), "scanner": raw.get("scanner", ""),
            "language": raw.get("language", "")}


def _item(raw: dict[str, Any]) -> dict[str, Any]:
    if "ratingKey" not in raw or "title" not in raw:
        raise BadResponseError(SERVICE, "get_library_items", f"item without ratingKey/title: {sorted(raw)[:8]}")
    year = raw.get("year")
    return {"rating_key": str(raw["ratingKey"]), "title": raw["title"], "type": raw.get("type", ""),
            "year": int(year) if year not in (None, "") else None, "summary": raw.get("summary", ""),
            "thumb": raw.get("thumb", ""), "duration_ms": int(raw["duration"]) if raw.get("duration") else None,
            "child_count": int(raw["childCount"]) if raw.get("childCount") not in (None, "") else None}
