"""Reply trees for each Plex route, built from the library model.

Attribute names, order and types follow what Plex Media Server sends; the
encoding (XML or JSON) is :mod:`.render`'s business.
"""

from __future__ import annotations

from typing import Any, Iterable

from .data import Item, PlexLibrary, Section
from .filters import SEARCH_TYPES as TYPE_NUMBERS, genre_id
from .render import Node

__all__ = ["container", "hub_search", "identity", "item_node", "library_root", "section_detail", "sections", "server_root"]

IDENTIFIER = "com.plexapp.plugins.library"
MEDIA_TAG_PREFIX = "/system/bundle/media/flags/"
MEDIA_TAG_VERSION = 1_700_000_000
VIEW_MODES = {"movie": 65592, "show": 65592, "season": 65593, "episode": 65592}
#: Plex's numeric search types (``type=`` on ``/all``)
SEARCH_TYPES = {number: kind for kind, number in TYPE_NUMBERS.items()}
_ROOT_DIRECTORIES = ("activities", "butler", "channels", "clients", "devices", "diagnostics", "hubs", "library",
                     "livetv", "media", "metadata", "music", "neighborhood", "playQueues", "player", "playlists",
                     "resources", "search", "server", "servers", "statistics", "system", "transcode", "updater", "user")
_HUB_TITLES = {"movie": "Movies", "show": "Shows", "episode": "Episodes"}


def container(children: Iterable[Node] = (), **attrs: Any) -> Node:
    """A ``MediaContainer`` whose ``size`` is its number of children (unless given)."""
    children = list(children)
    return Node("MediaContainer", {"size": attrs.pop("size", len(children)), **attrs}, children)


# -- server --------------------------------------------------------------------------
def server_root(library: PlexLibrary, sessions: int = 0) -> Node:
    s = library.server
    directories = [Node("Directory", {"count": 1, "key": key, "title": key}) for key in _ROOT_DIRECTORIES]
    return container(
        directories,
        allowCameraUpload=False, allowChannelAccess=True, allowMediaDeletion=True, allowSharing=True,
        allowSync=True, allowTuners=False, backgroundProcessing=True, certificate=False, companionProxy=True,
        countryCode="usa", diagnostics="logs,databases,streaminglogs", eventStream=True,
        friendlyName=s["friendlyName"], hubSearch=True, itemClusters=True, livetv=7,
        machineIdentifier=s["machineIdentifier"], mediaProviders=True, multiuser=True, musicAnalysis=2,
        myPlex=s["myPlex"], myPlexMappingState="mapped" if s["myPlex"] else "unknown",
        myPlexSigninState="ok" if s["myPlex"] else "none", myPlexSubscription=False,
        myPlexUsername=s["myPlexUsername"] or None, offlineTranscode=1, ownerFeatures="hubs,sync,webhooks",
        platform=s["platform"], platformVersion=s["platformVersion"], pluginHost=True, pushNotifications=False,
        readOnlyLibraries=False, streamingBrainABRVersion=3, streamingBrainVersion=2, sync=True,
        transcoderActiveVideoSessions=sessions, transcoderAudio=True, transcoderLyrics=True, transcoderPhoto=True,
        transcoderSubtitles=True, transcoderVideo=True, transcoderVideoBitrates="64,96,208,320,720,1500,2000,3000,4000",
        transcoderVideoQualities="0,1,2,3,4,5,6,7,8,9,10,11,12",
        transcoderVideoResolutions="128,128,160,240,320,480,768,720,720,1080,1080,1080,1080",
        updatedAt=s["updatedAt"], updater=True, version=s["version"], voiceSearch=True)


def identity(library: PlexLibrary) -> Node:
    s = library.server
    return container(size=0, apiVersion="1.1.1", claimed=s["claimed"], machineIdentifier=s["machineIdentifier"],
                     version=s["version"])


def library_root() -> Node:
    directories = [Node("Directory", {"key": key, "title": title}) for key, title in (
        ("sections", "Library Sections"), ("recentlyAdded", "Recently Added Content"),
        ("onDeck", "On Deck Content"))]
    return container(directories, allowSync=False, art="/:/resources/library-art.png", content="",
                     identifier=IDENTIFIER, mediaTagPrefix=MEDIA_TAG_PREFIX, mediaTagVersion=MEDIA_TAG_VERSION,
                     title1="Plex Library", title2="")


# -- sections ------------------------------------------------------------------------
def section_node(section: Section) -> Node:
    location = Node("Location", {"id": int(section.key), "path": section.location})
    return Node("Directory", {
        "allowSync": True, "art": f"/:/resources/{section.type}-fanart.jpg",
        "composite": f"/library/sections/{section.key}/composite/{section.updated_at}", "filters": True,
        "refreshing": False, "thumb": f"/:/resources/{section.type}.png", "key": section.key, "type": section.type,
        "title": section.title, "agent": section.agent, "scanner": section.scanner, "language": section.language,
        "uuid": section.uuid, "updatedAt": section.updated_at, "createdAt": section.created_at,
        "scannedAt": section.updated_at, "content": True, "directory": True,
        "contentChangedAt": section.updated_at, "hidden": 0}, [location])


def sections(library: PlexLibrary) -> Node:
    return container([section_node(s) for s in library.sections.values()], allowSync=False, title1="Plex Library")


def section_detail(section: Section) -> Node:
    noun = "Movies" if section.type == "movie" else "Shows"
    search_type = TYPE_NUMBERS[section.type]
    entries = [("all", f"All {noun}"), ("unwatched", "Unwatched"), ("newest", "Recently Released"),
               ("recentlyAdded", "Recently Added"), ("recentlyViewed", "Recently Viewed"), ("genre", "By Genre"),
               ("year", "By Year"), ("firstCharacter", "By First Letter"), ("folder", "By Folder")]
    directories = [Node("Directory", {"key": key, "title": title}) for key, title in entries]
    directories.append(Node("Directory", {"prompt": f"Search {noun}", "search": True,
                                          "key": f"search?type={search_type}", "title": "Search..."}))
    return container(directories, allowSync=False, art=f"/:/resources/{section.type}-fanart.jpg", content="secondary",
                     identifier=IDENTIFIER, librarySectionID=int(section.key), mediaTagPrefix=MEDIA_TAG_PREFIX,
                     mediaTagVersion=MEDIA_TAG_VERSION, thumb=f"/:/resources/{section.type}.png",
                     title1=section.title, viewGroup="secondary")


def section_attrs(section: Section) -> dict[str, Any]:
    """The container attributes that say which section a list belongs to."""
    return {"librarySectionID": int(section.key), "librarySectionTitle": section.title,
            "librarySectionUUID": section.uuid}


# -- items ---------------------------------------------------------------------------
def _images(item: Item) -> dict[str, str]:
    stamp = item.attrs.get("updatedAt", 0)
    return {"thumb": f"/library/metadata/{item.rating_key}/thumb/{stamp}",
            "art": f"/library/metadata/{item.rating_key}/art/{stamp}"}


def _media(item: Item) -> Node:
    m = item.media
    width, height = {"720": (1280, 720), "1080": (1920, 1080), "4k": (3840, 2160)}[m["videoResolution"]]
    part = Node("Part", {"id": m["part_id"], "key": f"/library/parts/{m['part_id']}/{item.attrs['addedAt']}/file.{m['container']}",
                         "duration": m["duration"], "file": m["file"], "size": m["size"], "container": m["container"],
                         "videoProfile": "high"})
    return Node("Media", {"id": m["id"], "duration": m["duration"], "bitrate": m["bitrate"], "width": width,
                          "height": height, "aspectRatio": 1.78, "audioChannels": 6, "audioCodec": "aac",
                          "videoCodec": "h264", "videoResolution": m["videoResolution"], "container": m["container"],
                          "videoFrameRate": "24p", "videoProfile": "high"}, [part])


def _tags(tag: str, values: Iterable[str]) -> list[Node]:
    return [Node(tag, {"tag": value}) for value in values]


def _genres(item: Item) -> list[Node]:
    """``Genre`` tags with the ids the section's genre filter choices use."""
    return [Node("Genre", {"id": genre_id(g), "filter": f"genre={genre_id(g)}", "tag": g}) for g in item.genres]


def _library_attrs(item: Item) -> dict[str, Any]:
    return {"librarySectionTitle": item.section.title, "librarySectionID": int(item.section.key),
            "librarySectionKey": f"/library/sections/{item.section.key}"}


def _common(item: Item, *names: str) -> dict[str, Any]:
    return {name: item.attrs.get(name) for name in names}


def _movie(item: Item, include_guids: bool) -> Node:
    a = item.attrs
    attrs = {"ratingKey": item.rating_key, "key": item.key, "guid": a["guid"], "studio": a.get("studio"),
             "type": "movie", "title": a["title"], "titleSort": a.get("titleSort"), **_library_attrs(item),
             **_common(item, "originalTitle", "contentRating", "summary", "rating", "audienceRating"),
             "viewCount": a.get("viewCount") or None, **_common(item, "year", "tagline"), **_images(item),
             **_common(item, "duration", "originallyAvailableAt", "addedAt", "updatedAt")}
    children = [_media(item), *_genres(item), *_tags("Director", item.directors)]
    if include_guids:
        children += [Node("Guid", {"id": guid}) for guid in item.guids]
    return Node("Video", attrs, children, json_key="Metadata")


def _show(item: Item, include_guids: bool) -> Node:
    a = item.attrs
    leaves = item.leaves()
    attrs = {"ratingKey": item.rating_key, "key": item.key, "guid": a["guid"], "studio": a.get("studio"),
             "type": "show", "title": a["title"], "titleSort": a.get("titleSort"), **_library_attrs(item),
             **_common(item, "originalTitle", "contentRating", "summary"), "index": 1,
             **_common(item, "rating", "audienceRating", "year", "tagline"), **_images(item),
             "theme": f"/library/metadata/{item.rating_key}/theme/{a['updatedAt']}",
             **_common(item, "duration", "originallyAvailableAt"), "leafCount": len(leaves), "viewedLeafCount": 0,
             "childCount": len(item.children), "addedAt": a["addedAt"], "updatedAt": a["updatedAt"]}
    children = _genres(item)
    if include_guids:
        children += [Node("Guid", {"id": guid}) for guid in item.guids]
    return Node("Directory", attrs, children, json_key="Metadata")


def _season(item: Item) -> Node:
    show = item.parent
    a = item.attrs
    return Node("Directory", {
        "ratingKey": item.rating_key, "key": item.key, "parentRatingKey": show.rating_key, "guid": a["guid"],
        "parentGuid": show.attrs["guid"], "type": "season", "title": a["title"],
        "parentKey": f"/library/metadata/{show.rating_key}", **_library_attrs(item), "parentTitle": show.title,
        "summary": "", "index": a["index"], "parentIndex": 1, "parentYear": show.attrs.get("year"), **_images(item),
        "parentThumb": _images(show)["thumb"], "parentTheme": f"/library/metadata/{show.rating_key}/theme/"
        f"{show.attrs['updatedAt']}", "leafCount": len(item.children), "viewedLeafCount": 0,
        "addedAt": a["addedAt"], "updatedAt": a["updatedAt"]}, json_key="Metadata")


def _episode(item: Item, include_guids: bool) -> Node:
    season = item.parent
    show = season.parent
    a = item.attrs
    attrs = {"ratingKey": item.rating_key, "key": item.key, "parentRatingKey": season.rating_key,
             "grandparentRatingKey": show.rating_key, "guid": a["guid"], "parentGuid": season.attrs["guid"],
             "grandparentGuid": show.attrs["guid"], "type": "episode", "title": a["title"],
             "grandparentKey": f"/library/metadata/{show.rating_key}",
             "parentKey": f"/library/metadata/{season.rating_key}", **_library_attrs(item),
             "grandparentTitle": show.title, "parentTitle": season.title, "contentRating": a.get("contentRating"),
             "summary": a.get("summary"), "index": a["index"], "parentIndex": season.attrs["index"],
             "year": a.get("year"), **_images(item), "parentThumb": _images(season)["thumb"],
             "grandparentThumb": _images(show)["thumb"], "grandparentArt": _images(show)["art"],
             "duration": a.get("duration"), "originallyAvailableAt": a.get("originallyAvailableAt"),
             "addedAt": a["addedAt"], "updatedAt": a["updatedAt"]}
    children = [_media(item)]
    if include_guids:
        children += [Node("Guid", {"id": guid}) for guid in item.guids]
    return Node("Video", attrs, children, json_key="Metadata")


def item_node(item: Item, include_guids: bool = False) -> Node:
    """``Video``/``Directory`` element of an item (``Guid`` children only when asked)."""
    if item.type == "movie":
        return _movie(item, include_guids)
    if item.type == "show":
        return _show(item, include_guids)
    if item.type == "season":
        return _season(item)
    return _episode(item, include_guids)


def list_attrs(section: Section, view_group: str) -> dict[str, Any]:
    """Container attributes of an item list in ``section``."""
    return {"allowSync": True, "art": f"/:/resources/{section.type}-fanart.jpg", "identifier": IDENTIFIER,
            **section_attrs(section), "mediaTagPrefix": MEDIA_TAG_PREFIX, "mediaTagVersion": MEDIA_TAG_VERSION,
            "thumb": f"/:/resources/{section.type}.png", "viewGroup": view_group,
            "viewMode": VIEW_MODES.get(view_group)}


# -- search --------------------------------------------------------------------------
def hub_search(matches: list[Item], limit: int | None) -> Node:
    """One ``Hub`` per media type (movie, show, episode), matching items inside, ``more="0"``."""
    hubs = []
    for kind, title in _HUB_TITLES.items():
        items = [item for item in matches if item.type == kind][:limit]
        hubs.append(Node("Hub", {"title": title, "type": kind, "hubIdentifier": kind, "context": "",
                                 "size": len(items), "more": False, "style": "shelf"},
                         [item_node(item) for item in items]))
    return container(hubs)
