"""The mock Plex server's library: server identity, sections and items.

Data comes from a *fixture*: a JSON object (a file, or a dict from Python or the
admin API) of this shape::

    {
      "seed": 42,                                   # optional: seeds generated content
      "server": {"friendlyName": "Mock Plex", ...}, # optional: see SERVER_FIELDS
      "sections": [
        {"key": "1", "title": "Movies", "type": "movie",   # required; type movie | show
         "uuid": "...", "agent": "...", "scanner": "...", "language": "en-US",
         "location": "/data/movies",                       # optional
         "generate": 100,                                  # optional: N generated items
         "items": [                                        # optional: hand-written items
           {"title": "Heat", "year": 1995, "genres": ["Crime"], "directors": ["Michael Mann"],
            "guids": ["imdb://tt0113277"], "duration": 10200000, ...},
         ]},
        {"key": "2", "title": "TV Shows", "type": "show",
         "items": [{"title": "Slow Horses", "year": 2022, "seasons": [6, 6]}]}   # episodes per season
      ]
    }

Item keys are Plex attribute names (see ITEM_FIELDS); only ``title`` is required.
``ratingKey`` is assigned when absent. A fixture that does not fit raises a
:class:`ValueError` naming the offending place, e.g.
``sections[0].items[2].year: expected an integer, got 'soon'``.

The default library (no fixture) is the seed's: section ``1`` "Movies" with 100
generated movies and section ``2`` "TV Shows" with 100 generated shows.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
import re
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from cachetools import LRUCache, cached

from mockservers.core import validation as check
from mockservers.core.readybytes import DataVersion, changes_data

from .generate import BASE_EPOCH, episode_title, generate_items, hex_id

__all__ = ["DEFAULT_FIXTURE", "DEFAULT_SERVER", "ITEM_FIELDS", "Item", "PlexLibrary", "Section", "read_fixture"]

SECTION_TYPES = ("movie", "show")

DEFAULT_SERVER: dict[str, Any] = {
    "friendlyName": "Mock Plex",
    "machineIdentifier": "4f9e2c1d8b7a6e5f4c3b2a1908f7e6d5c4b3a291",
    "version": "1.40.1.8227-c0dd5a73e",
    "platform": "Linux",
    "platformVersion": "6.5.0",
    "myPlex": True,
    "myPlexUsername": "owner@example.com",
    "claimed": True,
    "updatedAt": BASE_EPOCH,
}

DEFAULT_FIXTURE: dict[str, Any] = {
    "seed": 42,
    "sections": [
        {"key": "1", "title": "Movies", "type": "movie", "generate": 100},
        {"key": "2", "title": "TV Shows", "type": "show", "generate": 100},
    ],
}

_SECTION_DEFAULTS = {
    "movie": {"agent": "tv.plex.agents.movie", "scanner": "Plex Movie", "location": "/data/movies"},
    "show": {"agent": "tv.plex.agents.series", "scanner": "Plex TV Series", "location": "/data/tv"},
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FIRST_RATING_KEY = 1000
#: cap on ``generate`` per section, so a typo cannot stall the server building millions of items
MAX_GENERATED = 5000
#: caps that keep any fixture small enough to build in well under a second
MAX_SECTIONS = 50
MAX_ITEMS = 20_000  # movies and shows over all sections, generated or written
MAX_SEASONS = 100
MAX_EPISODES = 1000  # per season
MAX_LIST = 100  # genres, directors, guids of one item
MAX_TEXT = 65536


# -- validation ----------------------------------------------------------------------
def _fail(where: str, message: str) -> ValueError:
    return ValueError(f"{where}: {message}" if where else message)


def _text(where: str, value: Any) -> str:
    if not check.is_clean_text(value, allow_newlines=True) or len(value) > MAX_TEXT:
        raise _fail(where, f"expected a string of at most {MAX_TEXT} characters, valid Unicode without control "
                           f"characters, got {check.shown(value)}")
    return value


def _nonempty(where: str, value: Any) -> str:
    """A non-empty one-line string (titles, names, keys): no control characters at all."""
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"expected a non-empty string, got {check.shown(value)}")
    if not check.is_clean_text(value) or len(value) > MAX_TEXT:
        raise _fail(where, f"expected one line of at most {MAX_TEXT} characters, valid Unicode without control "
                           f"characters, got {check.shown(value)}")
    return value


def _integer(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"expected an integer, got {check.shown(value)}")
    if not check.INT64_MIN <= value <= check.INT64_MAX:
        raise _fail(where, f"expected an integer within 64 bits, got {check.shown(value)}")
    return value


def _count(where: str, value: Any) -> int:
    if _integer(where, value) < 0:
        raise _fail(where, f"expected an integer >= 0, got {check.shown(value)}")
    return value


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or abs(value) > 1e15:
        raise _fail(where, f"expected a finite number (at most 1e15 in size), got {check.shown(value)}")
    return float(value)


def _flag(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, f"expected true or false, got {value!r}")
    return value


def _date(where: str, value: Any) -> str:
    if not isinstance(value, str) or not _DATE.match(value):
        raise _fail(where, f"expected a date YYYY-MM-DD, got {value!r}")
    return value


def _numeric_key(where: str, value: Any) -> str:
    """Plex keys are positive integers; accept ``7`` or ``"7"``, keep the string."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= check.INT64_MAX:
        return str(value)
    try:
        number = check.digits(value, where, minimum=1) if isinstance(value, str) else 0
    except check.ValidationError:
        number = 0
    if number:
        return str(number)
    raise _fail(where, f"expected a positive integer within 64 bits (or its string), got {check.shown(value)}")


def _strings(where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise _fail(where, f"expected a list of at most {MAX_LIST} strings, got {check.shown(value)}")
    return [_nonempty(f"{where}[{i}]", v) for i, v in enumerate(value)]


def _seasons(where: str, value: Any) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= MAX_SEASONS:
            raise _fail(where, f"expected 0 to {MAX_SEASONS} seasons, got {check.shown(value)}")
        return [6] * value
    if not isinstance(value, list) or len(value) > MAX_SEASONS:
        raise _fail(where, f"expected a number of seasons or a list of at most {MAX_SEASONS} episode counts, "
                           f"got {check.shown(value)}")
    counts = [_count(f"{where}[{i}]", v) for i, v in enumerate(value)]
    for i, count in enumerate(counts):
        if count > MAX_EPISODES:
            raise _fail(f"{where}[{i}]", f"expected at most {MAX_EPISODES} episodes, got {count}")
    return counts


SERVER_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "friendlyName": _nonempty, "machineIdentifier": _nonempty, "version": _nonempty, "platform": _nonempty,
    "platformVersion": _text, "myPlex": _flag, "myPlexUsername": _text, "claimed": _flag, "updatedAt": _count,
}

_COMMON_ITEM_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "title": _nonempty, "ratingKey": _numeric_key, "guid": _nonempty, "titleSort": _nonempty,
    "originalTitle": _text, "year": _integer, "studio": _text, "contentRating": _text, "summary": _text,
    "rating": _number, "audienceRating": _number, "tagline": _text, "duration": _count,
    "originallyAvailableAt": _date, "addedAt": _count, "updatedAt": _count, "genres": _strings, "guids": _strings,
}
#: the keys a fixture item may have, per section type, with their validators
ITEM_FIELDS: dict[str, dict[str, Callable[[str, Any], Any]]] = {
    "movie": {**_COMMON_ITEM_FIELDS, "directors": _strings, "file": _nonempty, "viewCount": _count},
    "show": {**_COMMON_ITEM_FIELDS, "seasons": _seasons},
}
_SECTION_FIELDS = ("key", "title", "type", "uuid", "agent", "scanner", "language", "location", "generate", "items")


def _check_keys(where: str, data: Any, allowed: Iterable[str], what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _fail(where, f"{what} must be a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(map(repr, unknown))} in {what}; "
                           f"allowed: {', '.join(allowed)}")
    return data


def validate_item(where: str, section_type: str, data: Any) -> dict[str, Any]:
    """A checked copy of one fixture item of ``section_type``; ``ValueError`` naming ``where`` otherwise."""
    fields = ITEM_FIELDS[section_type]
    data = _check_keys(where, data, fields, f"a {section_type} item")
    if "title" not in data:
        raise _fail(where, "'title' is required")
    return {name: fields[name](f"{where}.{name}", value) for name, value in data.items()}


# -- model ---------------------------------------------------------------------------
@dataclass(eq=False)
class Item:
    """One library item: ``movie``/``show`` at the top, ``season``/``episode`` below a show."""

    type: str
    rating_key: str
    attrs: dict[str, Any]
    section: "Section"
    genres: list[str] = field(default_factory=list)
    directors: list[str] = field(default_factory=list)
    guids: list[str] = field(default_factory=list)
    media: dict[str, Any] | None = None
    parent: "Item | None" = None
    children: list["Item"] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.attrs["title"]

    @property
    def key(self) -> str:
        """Plex's ``key``: where clients fetch the item (its children for shows and seasons)."""
        base = f"/library/metadata/{self.rating_key}"
        return f"{base}/children" if self.type in ("show", "season") else base

    @property
    def sort_title(self) -> str:
        title = self.attrs.get("titleSort") or re.sub(r"^(the|a|an)\s+", "", self.title, flags=re.I)
        return title.casefold()

    def leaves(self) -> list["Item"]:
        """The episodes below a show or season (the item itself for a movie or episode)."""
        if self.type in ("movie", "episode"):
            return [self]
        return [leaf for child in self.children for leaf in child.leaves()]

    def walk(self) -> Iterator["Item"]:
        """This item and everything below it."""
        yield self
        for child in self.children:
            yield from child.walk()

    def summary(self) -> dict[str, Any]:
        """A plain-dict view for Python callers and the admin API."""
        info: dict[str, Any] = {"ratingKey": self.rating_key, "type": self.type, "sectionKey": self.section.key,
                                **{k: v for k, v in self.attrs.items() if k != "ratingKey"}}
        if self.genres:
            info["genres"] = list(self.genres)
        if self.directors:
            info["directors"] = list(self.directors)
        if self.guids:
            info["guids"] = list(self.guids)
        if self.type in ("show", "season"):
            info["childCount"] = len(self.children)
            info["leafCount"] = len(self.leaves())
        if self.media:
            info["file"] = self.media["file"]
        return info


@dataclass(eq=False)
class Section:
    """A library section (``movie`` or ``show``) and its top-level items."""

    key: str
    title: str
    type: str
    uuid: str
    agent: str
    scanner: str
    language: str
    location: str
    created_at: int
    updated_at: int
    items: list[Item] = field(default_factory=list)

    def ordered_items(self) -> list[Item]:
        """The top-level items in the order ``/all`` lists them (sort title, then ratingKey)."""
        return sorted(self.items, key=lambda item: (item.sort_title, int(item.rating_key)))

    def summary(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "type": self.type, "uuid": self.uuid,
                "location": self.location, "size": len(self.items)}


class _Builder:
    """Turns validated fixture data into model objects, handing out ids."""

    def __init__(self, rng: random.Random, taken_keys: set[str]) -> None:
        self.rng = rng
        self.taken = set(taken_keys)
        self._next_key = _FIRST_RATING_KEY
        self._next_media = 1

    def rating_key(self, explicit: str | None = None) -> str:
        if explicit is not None:
            self.taken.add(explicit)
            return explicit
        while str(self._next_key) in self.taken:
            self._next_key += 1
        self.taken.add(str(self._next_key))
        return str(self._next_key)

    def media(self, item: Item, duration: int | None) -> dict[str, Any]:
        media_id = self._next_media
        self._next_media += 1
        if item.type == "movie":
            year = item.attrs.get("year")
            name = f"{item.title} ({year})" if year else item.title
            path = item.attrs.get("file") or f"{item.section.location}/{name}/{name}.mkv"
        else:
            season, show = item.parent, item.parent.parent if item.parent else None
            path = (f"{item.section.location}/{show.title if show else 'Show'}/Season {season.attrs['index']:02d}/"
                    f"S{season.attrs['index']:02d}E{item.attrs['index']:02d}.mkv")
        duration = duration or 0
        bitrate = 2000 + (media_id * 37) % 8000
        return {"id": media_id, "part_id": media_id, "file": path, "duration": duration,
                "size": duration * bitrate // 8, "bitrate": bitrate, "container": path.rsplit(".", 1)[-1],
                "videoResolution": ("720", "1080", "4k")[media_id % 3]}

    def top_item(self, section: Section, data: dict[str, Any]) -> Item:
        kind = section.type
        attrs = {k: v for k, v in data.items() if k not in ("ratingKey", "genres", "directors", "guids", "seasons")}
        item = Item(type=kind, rating_key=self.rating_key(data.get("ratingKey")), attrs=attrs, section=section,
                    genres=list(data.get("genres", ())), directors=list(data.get("directors", ())),
                    guids=list(data.get("guids", ())))
        attrs.setdefault("guid", f"plex://{kind}/{hex_id(random.Random(f'{kind}:{item.title}'))}")
        attrs.setdefault("addedAt", BASE_EPOCH)
        attrs.setdefault("updatedAt", attrs["addedAt"])
        if kind == "movie":
            item.media = self.media(item, attrs.get("duration"))
        else:
            for number, episodes in enumerate(data.get("seasons", [6]), start=1):
                item.children.append(self.season(item, number, episodes))
        return item

    def season(self, show: Item, number: int, episodes: int) -> Item:
        attrs = {"title": f"Season {number}", "index": number, "guid": f"plex://season/{hex_id(self.rng)}",
                 "addedAt": show.attrs["addedAt"], "updatedAt": show.attrs["updatedAt"]}
        season = Item(type="season", rating_key=self.rating_key(), attrs=attrs, section=show.section, parent=show)
        for index in range(1, episodes + 1):
            season.children.append(self.episode(season, index))
        return season

    def episode(self, season: Item, index: int) -> Item:
        show = season.parent
        year = show.attrs.get("year")
        attrs: dict[str, Any] = {"title": episode_title(self.rng), "index": index,
                                 "guid": f"plex://episode/{hex_id(self.rng)}",
                                 "summary": f"Episode {index} of {season.title} of {show.title}."}
        for name in ("contentRating", "duration"):
            if name in show.attrs:
                attrs[name] = show.attrs[name]
        if year is not None:
            attrs["year"] = year + season.attrs["index"] - 1
            attrs["originallyAvailableAt"] = f"{attrs['year']:04d}-{min(index, 12):02d}-{self.rng.randint(1, 28):02d}"
        attrs["addedAt"] = show.attrs["addedAt"]
        attrs["updatedAt"] = show.attrs["updatedAt"]
        episode = Item(type="episode", rating_key=self.rating_key(), attrs=attrs, section=show.section, parent=season)
        episode.media = self.media(episode, attrs.get("duration"))
        return episode


# -- fixture files -------------------------------------------------------------------
def read_fixture(path: str | Path) -> dict[str, Any]:
    """The JSON object in ``path``; ``ValueError`` saying why it cannot be used."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"plex fixture {path}: cannot read it: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"plex fixture {path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"plex fixture {path}: must be a JSON object, got {type(data).__name__}")
    return data


@dataclass(frozen=True)
class _Plan:
    """A checked fixture: everything the library is built from, and nothing else."""

    seed: int
    sections: list[tuple[dict[str, Any], list[dict[str, Any]]]]
    explicit_keys: frozenset[str]

    @property
    def key(self) -> str:
        """Equal for plans that build equal libraries: a digest of the checked values (plain data, so their
        ``repr`` tells any two apart)."""
        return hashlib.sha256(repr((self.seed, self.sections)).encode()).hexdigest()


def _check(fixture: Mapping[str, Any]) -> tuple[dict[str, Any], _Plan]:
    """The server identity and the build plan of ``fixture``; ``ValueError`` naming the place otherwise."""
    fixture = _check_keys("", fixture, ("seed", "server", "sections"), "the fixture")
    seed = _integer("seed", fixture.get("seed", 42))
    server_data = _check_keys("server", fixture.get("server", {}), SERVER_FIELDS, "server")
    server = {**DEFAULT_SERVER, **{k: SERVER_FIELDS[k](f"server.{k}", v) for k, v in server_data.items()}}
    raw_sections = fixture.get("sections")
    if not isinstance(raw_sections, list) or len(raw_sections) > MAX_SECTIONS:
        raise _fail("sections", f"required: a list of at most {MAX_SECTIONS} sections, "
                                f"got {check.shown(raw_sections)}")

    checked: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    explicit_keys: dict[str, str] = {}
    for i, raw in enumerate(raw_sections):
        where = f"sections[{i}]"
        raw = _check_keys(where, raw, _SECTION_FIELDS, "a section")
        for required in ("key", "title", "type"):
            if required not in raw:
                raise _fail(where, f"'{required}' is required")
        kind = raw["type"]
        if kind not in SECTION_TYPES:
            raise _fail(f"{where}.type", f"expected one of {', '.join(SECTION_TYPES)}, got {kind!r}")
        section = {"key": _numeric_key(f"{where}.key", raw["key"]), "title": _nonempty(f"{where}.title", raw["title"]),
                   "type": kind, "generate": _count(f"{where}.generate", raw.get("generate", 0))}
        if section["generate"] > MAX_GENERATED:
            raise _fail(f"{where}.generate", f"expected at most {MAX_GENERATED} generated items, "
                                             f"got {section['generate']}")
        for name in ("uuid", "agent", "scanner", "language", "location"):
            if name in raw:
                section[name] = _nonempty(f"{where}.{name}", raw[name])
        if any(s["key"] == section["key"] for s, _ in checked):
            raise _fail(f"{where}.key", f"duplicate section key {section['key']!r}")
        raw_items = raw.get("items", [])
        if not isinstance(raw_items, list):
            raise _fail(f"{where}.items", f"expected a list of items, got {raw_items!r}")
        items = [validate_item(f"{where}.items[{j}]", kind, item) for j, item in enumerate(raw_items)]
        for j, item in enumerate(items):
            key = item.get("ratingKey")
            if key is not None:
                if key in explicit_keys:
                    raise _fail(f"{where}.items[{j}].ratingKey",
                                f"duplicate ratingKey {key!r} (also used at {explicit_keys[key]})")
                explicit_keys[key] = f"{where}.items[{j}]"
        checked.append((section, items))
    total = sum(info["generate"] + len(items) for info, items in checked)
    if total > MAX_ITEMS:
        raise _fail("sections", f"expected at most {MAX_ITEMS} movies and shows in all, got {total}")
    return server, _Plan(seed, checked, frozenset(explicit_keys))


@dataclass(frozen=True)
class _Built:
    """What a plan builds: the sections, every item by ratingKey, and the builder that hands out the next ids."""

    sections: dict[str, Section]
    index: dict[str, Item]
    builder: _Builder


def _build(plan: _Plan) -> _Built:
    """Build the library ``plan`` describes (the costly part: thousands of generated items)."""
    rng = random.Random(plan.seed)
    builder = _Builder(rng, set(plan.explicit_keys))
    sections: dict[str, Section] = {}
    for number, (info, items) in enumerate(plan.sections, start=1):
        kind = info["type"]
        defaults = _SECTION_DEFAULTS[kind]
        section = Section(key=info["key"], title=info["title"], type=kind,
                          uuid=info.get("uuid") or str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                          agent=info.get("agent", defaults["agent"]), scanner=info.get("scanner", defaults["scanner"]),
                          language=info.get("language", "en-US"), location=info.get("location", defaults["location"]),
                          created_at=BASE_EPOCH - 4 * 365 * 86_400 + number, updated_at=BASE_EPOCH)
        taken = {item["title"].casefold() for item in items}
        generated = generate_items(kind, info["generate"], rng, taken)
        section.items = [builder.top_item(section, item) for item in items + generated]
        sections[section.key] = section
    index = {item.rating_key: item for s in sections.values() for top in s.items for item in top.walk()}
    return _Built(sections, index, builder)


@cached(LRUCache(maxsize=8), key=lambda plan: plan.key, lock=threading.Lock())
def _shared_build(plan: _Plan) -> _Built:
    """The build of ``plan``, made once and then shared read-only by every :class:`PlexLibrary` that loads an
    equal fixture (a reset, a new mock, another suite in the same process); the 8 latest plans are kept."""
    return _build(plan)


class PlexLibrary:
    """Thread-safe state of one mock Plex server; hold :attr:`lock` while reading several things.

    :attr:`version` is bumped after every change (:func:`~mockservers.core.readybytes.changes_data`):
    the mock's ready answers expire with it.

    Loading a fixture that was built lately in this process (the default library, a reset, a second mock)
    takes the shared, read-only build instead of generating thousands of items again; the first change
    (:meth:`add_item`, :meth:`remove_item`) builds this library its own copy, so no other library sees it.
    """

    def __init__(self, fixture: Mapping[str, Any] | None = None) -> None:
        self.lock = threading.RLock()
        self.version = DataVersion()
        self.server: dict[str, Any] = {}
        self._plan: _Plan | None = None
        self._built: _Built | None = None
        self._shared = False
        self.load(DEFAULT_FIXTURE if fixture is None else fixture)

    @property
    def sections(self) -> dict[str, Section]:
        """The sections by key (read them under :attr:`lock`; never change them: they may be shared)."""
        return self._built.sections

    @changes_data
    def load(self, fixture: Mapping[str, Any]) -> None:
        """Replace everything with ``fixture`` (checked first: on ``ValueError`` nothing changes)."""
        server, plan = _check(copy.deepcopy(dict(fixture)) if isinstance(fixture, Mapping) else fixture)
        built = _shared_build(plan)
        with self.lock:
            self.server, self._plan, self._built, self._shared = server, plan, built, True

    def _own(self) -> _Built:
        """Before a change: this library's own build, made from its plan if it still shares one (hold :attr:`lock`)."""
        if self._shared:
            self._built, self._shared = _build(self._plan), False
        return self._built

    def section(self, key: str) -> Section | None:
        with self.lock:
            return self.sections.get(str(key))

    def item(self, rating_key: str) -> Item | None:
        with self.lock:
            return self._built.index.get(str(rating_key))

    def require_section(self, key: str) -> Section:
        """The section with ``key``; ``KeyError`` naming the sections there are otherwise."""
        with self.lock:
            section = self.sections.get(str(key))
            if section is None:
                raise KeyError(f"no library section with key {str(key)!r}; "
                               f"sections: {', '.join(self.sections) or '(none)'}")
            return section

    @changes_data
    def add_item(self, section_key: str, attrs: Mapping[str, Any]) -> Item:
        """Add one fixture-shaped item to a section; ``ValueError``/``KeyError`` for bad input."""
        with self.lock:
            data = validate_item("item", self.require_section(section_key).type, dict(attrs))
            explicit = data.get("ratingKey")
            if explicit is not None and explicit in self._built.index:
                raise ValueError(f"item.ratingKey: {explicit!r} is already used by "
                                 f"{self._built.index[explicit].title!r}")
            built = self._own()
            section = self.require_section(section_key)
            item = built.builder.top_item(section, data)
            section.items.append(item)
            built.index.update((node.rating_key, node) for node in item.walk())
            return item

    @changes_data
    def remove_item(self, rating_key: str) -> Item:
        """Remove a movie or show (and what is below it); ``KeyError`` when there is none."""
        with self.lock:
            item = self._built.index.get(str(rating_key))
            if item is None or item.parent is not None:
                raise KeyError(f"no movie or show with ratingKey {rating_key!r}")
            index = self._own().index
            item = index[str(rating_key)]
            item.section.items.remove(item)
            for node in item.walk():
                index.pop(node.rating_key, None)
            return item

    def search(self, query: str, section_key: str | None = None) -> list[Item]:
        """Movies, shows and episodes whose title contains ``query`` (case-insensitive)."""
        needle = query.casefold()
        with self.lock:
            sections = [self.sections[section_key]] if section_key in self.sections else (
                [] if section_key is not None else list(self.sections.values()))
            return [node for section in sections for top in section.ordered_items()
                    for node in top.walk() if node.type != "season" and needle in node.title.casefold()]

    def summary(self) -> dict[str, Any]:
        """Server identity and one line per section (admin ``GET /__admin/plex/library``)."""
        with self.lock:
            return {"server": dict(self.server), "sections": [s.summary() for s in self.sections.values()]}
