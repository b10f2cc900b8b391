"""Filtering and sorting of ``/library/sections/{key}/all``, and the ``Meta`` that advertises them.

Clients such as ``plexapi`` read ``/all?includeMeta=1`` to learn which fields,
operators and sorts a section supports before they build a query, so the list
here is both the documentation and the implementation:

- ``title=`` contains (case-insensitive), ``title==`` is; same for ``studio``
  and ``contentRating``;
- ``year=`` one or more comma-separated years;
- ``genre=`` genre ids (from ``/library/sections/{key}/genre``) or names;
- ``sort=field[:asc|:desc][,...]``, an optional ``movie.`` style prefix allowed.

At most :data:`MAX_SORT_FIELDS` sort fields and :data:`MAX_FILTER_VALUES`
values per filter (more is a 400), so no request holds the library for long.
"""

from __future__ import annotations

import re
import zlib
from typing import Any, Callable, Iterable, Mapping

from werkzeug.exceptions import BadRequest

from mockservers.core import validation as check

from .data import Item, Section
from .render import Node

__all__ = ["FIELDS", "SORTS", "apply_filters", "apply_sort", "filter_choices", "genre_id", "meta_node"]

#: field -> (field type, title); string fields take ``=`` (contains) and ``==`` (is)
FIELDS: dict[str, tuple[str, str]] = {
    "title": ("string", "Title"), "studio": ("string", "Studio"), "contentRating": ("string", "Content Rating"),
    "year": ("integer", "Year"), "genre": ("tag", "Genre"),
}
OPERATORS = {"string": (("=", "contains"), ("==", "is")), "integer": (("=", "is"),), "tag": (("=", "is"),)}
#: sort key -> (default direction, title)
SORTS: dict[str, tuple[str, str]] = {
    "titleSort": ("asc", "Title"), "year": ("desc", "Year"), "originallyAvailableAt": ("desc", "Release Date"),
    "rating": ("desc", "Critic Rating"), "audienceRating": ("desc", "Audience Rating"),
    "addedAt": ("desc", "Date Added"), "duration": ("desc", "Duration"),
}
#: further sort keys accepted (plexapi offers them without the server listing them)
EXTRA_SORTS = ("title", "id", "index", "guid", "summary", "tagline", "updatedAt", "studio", "contentRating")
FILTERS = ("genre", "year")
#: bounds that keep one request's filtering and sorting cheap
MAX_SORT_FIELDS = 10
MAX_FILTER_VALUES = 50
SEARCH_TYPES = {"movie": 1, "show": 2, "season": 3, "episode": 4}
_PREFIX = re.compile(r"^[a-z]+\.")


def genre_id(name: str) -> int:
    """A stable numeric id for a genre name (ids are what Plex filters by)."""
    return zlib.crc32(name.casefold().encode()) % 90_000 + 10_000


def _strip_type(name: str) -> str:
    return _PREFIX.sub("", name)


# -- filtering -----------------------------------------------------------------------
def _values(name: str, raw: str) -> list[str]:
    values = [v.strip() for v in raw.split(",") if v.strip()]
    if not values:
        raise BadRequest(f"{name} needs a value")
    if len(values) > MAX_FILTER_VALUES:
        raise BadRequest(f"{name} takes at most {MAX_FILTER_VALUES} comma-separated values, got {len(values)}")
    return values


def _string_filter(field: str, exact: bool, raw: str) -> Callable[[Item], bool]:
    needles = [v.casefold() for v in _values(field, raw)] if not exact else [raw.casefold()]

    def match(item: Item) -> bool:
        value = str(item.attrs.get(field) or "").casefold()
        return any((value == n) if exact else (n in value) for n in needles)

    return match


def _year_filter(raw: str) -> Callable[[Item], bool]:
    years = set()
    for value in _values("year", raw):
        try:
            years.add(check.digits(value, "year"))
        except check.ValidationError:
            raise BadRequest(f"year must be a whole number from 0 to {check.INT64_MAX} (or a comma-separated "
                             f"list of them), got {check.shown(raw)}") from None
    return lambda item: item.attrs.get("year") in years


def _genre_filter(raw: str) -> Callable[[Item], bool]:
    wanted = {v.casefold() for v in _values("genre", raw)}

    def match(item: Item) -> bool:
        return any(g.casefold() in wanted or str(genre_id(g)) in wanted for g in item.genres)

    return match


def apply_filters(items: list[Item], args: Mapping[str, str]) -> list[Item]:
    """The items that pass every field filter in the query ``args`` (other args are ignored)."""
    for raw_name, raw in args.items():
        name = _strip_type(raw_name)
        exact = name.endswith("=")
        field = name.rstrip("=")
        if field not in FIELDS:
            continue
        kind = FIELDS[field][0]
        if exact and kind != "string":
            raise BadRequest(f"operator '==' is not available for {field} (a {kind} field)")
        if kind == "string":
            test = _string_filter(field, exact, raw)
        elif field == "year":
            test = _year_filter(raw)
        else:
            test = _genre_filter(raw)
        items = [item for item in items if test(item)]
    return items


# -- sorting -------------------------------------------------------------------------
def _sort_key(name: str) -> Callable[[Item], Any]:
    if name == "titleSort":
        return lambda item: item.sort_title
    if name == "title":
        return lambda item: item.title.casefold()
    if name == "id":
        return lambda item: int(item.rating_key)

    def key(item: Item) -> tuple[bool, Any]:
        value = item.attrs.get(name)
        return (value is not None, value if value is not None else 0)

    return key


def apply_sort(items: list[Item], spec: str) -> list[Item]:
    """``items`` sorted by ``spec`` (``addedAt:desc``, ``movie.year,titleSort``); 400 for unknown fields
    or more than :data:`MAX_SORT_FIELDS` of them (a long ``sort=`` must not hold the library lock)."""
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if len(parts) > MAX_SORT_FIELDS:
        raise BadRequest(f"sort takes at most {MAX_SORT_FIELDS} fields, got {len(parts)}")
    for part in reversed(parts):  # stable sorts, least significant first
        name, _, direction = _strip_type(part).partition(":")
        if name not in SORTS and name not in EXTRA_SORTS:
            raise BadRequest(f"cannot sort by {part!r}: sort fields are {', '.join([*SORTS, *EXTRA_SORTS])}")
        if direction not in ("", "asc", "desc", "nullsLast"):
            raise BadRequest(f"unknown sort direction in {part!r}: use asc or desc")
        items = sorted(items, key=_sort_key(name), reverse=direction == "desc")
    return items


# -- what a section advertises ------------------------------------------------------
def _type_node(section: Section, kind: str, active: bool) -> Node:
    number = SEARCH_TYPES[kind]
    base = f"/library/sections/{section.key}"
    children = [Node("Filter", {"filter": name, "filterType": "string", "key": f"{base}/{name}?type={number}",
                                "title": FIELDS[name][1], "type": "filter"})
                for name in FILTERS if kind in ("movie", "show")]
    for key, (direction, title) in SORTS.items():
        attrs: dict[str, Any] = {"default": "asc" if key == "titleSort" else None, "defaultDirection": direction,
                                 "descKey": f"{key}:desc", "key": key, "title": title}
        if key == "titleSort":
            attrs["firstCharacterKey"] = f"{base}/firstCharacter"
        children.append(Node("Sort", attrs))
    children += [Node("Field", {"key": key, "title": title, "type": kind_})
                 for key, (kind_, title) in FIELDS.items()]
    return Node("Type", {"key": f"{base}/all?type={number}", "type": kind, "title": kind.capitalize() + "s",
                         "active": active}, children)


def meta_node(section: Section) -> Node:
    """``<Meta>``: one ``Type`` per item type of the section, and the operators per field type."""
    kinds = ("movie",) if section.type == "movie" else ("show", "season", "episode")
    types = [_type_node(section, kind, kind == section.type) for kind in kinds]
    field_types = [Node("FieldType", {"type": kind}, [Node("Operator", {"key": k, "title": t}) for k, t in ops])
                   for kind, ops in OPERATORS.items()]
    return Node("Meta", {}, types + field_types, json_single=True)


def filter_choices(section: Section, name: str, items: Iterable[Item], search_type: int) -> list[Node]:
    """``Directory`` choices for ``/library/sections/{key}/genre`` or ``/year``."""
    base = f"/library/sections/{section.key}/all?type={search_type}"
    if name == "genre":
        genres = sorted({g for item in items for g in item.genres}, key=str.casefold)
        return [Node("Directory", {"fastKey": f"{base}&genre={genre_id(g)}", "key": str(genre_id(g)),
                                   "title": g, "type": "genre"}) for g in genres]
    years = sorted({item.attrs["year"] for item in items if item.attrs.get("year") is not None}, reverse=True)
    return [Node("Directory", {"fastKey": f"{base}&year={y}", "key": str(y), "title": str(y)}) for y in years]
