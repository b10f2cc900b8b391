"""The mock Plex Media Server's Flask app: routes, auth, filters and paging.

Every route answers a ``MediaContainer`` tree (see :mod:`.tree`), XML unless
``Accept`` asks for JSON. Token in the ``X-Plex-Token`` header or query
parameter, else 401 with Plex's bare HTML page; ``/identity`` answers without
one, as the real server does. Unknown paths are 404 (after the token check).

Paging (``/all``, ``/children``, ``/allLeaves``, ``/library/all``):
``X-Plex-Container-Start`` / ``X-Plex-Container-Size`` are read from the query
string first, then from the headers. Every page carries ``size`` (items in this
page), ``totalSize`` (items in the whole list) and ``offset`` (the start asked
for). No size means the rest of the list; a start past the end gives an empty
page (``size="0"``) with the real ``totalSize``; size 0 gives just the counts
(plexapi asks for that with ``includeMeta=1``).

Decision on bad paging values: a negative or non-numeric start or size (and
``type=``, ``limit=``, ``year=``) is answered ``400`` with a ``text/html`` page
whose ``<p>`` names the parameter, the allowed range and the value received, e.g.
``X-Plex-Container-Start must be a whole number from 0 to 9223372036854775807,
got '-1'`` (:func:`mockservers.core.validation.digits`: ASCII digits only,
within 64 bits). ``sort=`` takes at most :data:`~.filters.MAX_SORT_FIELDS`
fields and a filter at most :data:`~.filters.MAX_FILTER_VALUES` values. Real Plex
Media Server is not consistent here (it ignores some bad values and rejects
others); a clear 400 keeps a broken client from silently reading page one.

``/hubs/search`` and ``/search`` need a non-blank ``query`` (400 otherwise);
matching is a case-insensitive substring match on titles.
"""

from __future__ import annotations

import hmac
from typing import Any, Callable

from flask import Flask, Response, request
from werkzeug.exceptions import BadRequest, HTTPException, NotFound

from mockservers.core import validation as check

from . import filters, tree
from .data import Item, PlexLibrary, Section
from .render import Node, html_error, reply

__all__ = ["create_app", "TOKEN_NAME", "PAGING_START", "PAGING_SIZE"]

TOKEN_NAME = "X-Plex-Token"
PAGING_START = "X-Plex-Container-Start"
PAGING_SIZE = "X-Plex-Container-Size"
#: routes a client may call without a token
OPEN_PATHS = frozenset({"/identity"})


# -- request parsing -----------------------------------------------------------------
def _non_negative(name: str, raw: str) -> int:
    """``raw`` as a whole number within 64 bits, or a 400 naming ``name``, the range and the bad value."""
    try:
        return check.digits(raw, name)
    except check.ValidationError as exc:
        raise BadRequest(str(exc)) from None


def _paging() -> tuple[int, int | None]:
    """``X-Plex-Container-Start``/``-Size`` from the query string, else from the headers."""
    values = []
    for name in (PAGING_START, PAGING_SIZE):
        raw = request.args.get(name, request.headers.get(name))
        values.append(None if raw is None else _non_negative(name, raw))
    return values[0] or 0, values[1]


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    return None if raw is None else _non_negative(name, raw)


def _flag_arg(name: str) -> bool:
    return request.args.get(name, "0").strip().lower() in ("1", "true")


def _of_type(section: Section, kind: str) -> list[Item]:
    nodes = [node for top in section.ordered_items() for node in top.walk()]
    return [node for node in nodes if node.type == kind]


# -- paged lists ---------------------------------------------------------------------
def _page(items: list[Item], include_guids: bool = False, **attrs: Any) -> Node:
    start, size = _paging()
    window = items[start:] if size is None else items[start:start + size]
    return tree.container([tree.item_node(item, include_guids) for item in window],
                          size=len(window), totalSize=len(items), offset=start, **attrs)


def _kind_arg(default: str) -> str | None:
    """The item type ``type=`` asks for (``default`` without it; ``None`` for a type with no items here)."""
    type_number = _int_arg("type")
    return default if type_number is None else tree.SEARCH_TYPES.get(type_number)


def _filtered(items: list[Item]) -> list[Item]:
    """``items`` after the field filters, ``sort=`` and ``limit=`` of the query string."""
    items = filters.apply_filters(items, request.args)
    if request.args.get("sort"):
        items = filters.apply_sort(items, request.args["sort"])
    limit = _int_arg("limit")
    return items if limit is None else items[:limit]


def _section_all(section: Section) -> Node:
    kind = _kind_arg(section.type)
    items = _filtered([] if kind is None else _of_type(section, kind))
    noun = {"movie": "All Movies", "show": "All Shows", "season": "All Seasons", "episode": "All Episodes"}
    node = _page(items, _flag_arg("includeGuids"), **tree.list_attrs(section, kind or section.type),
                 title1=section.title, title2=noun.get(kind or section.type))
    if _flag_arg("includeMeta"):
        node.children.insert(0, filters.meta_node(section))
    return node


def _library_all(library: PlexLibrary) -> Node:
    """``/library/all``: the same filters as a section's ``/all``, over every section."""
    items: list[Item] = []
    for section in library.sections.values():
        kind = _kind_arg(section.type)
        if kind is not None:
            items += _of_type(section, kind)
    return _page(_filtered(items), _flag_arg("includeGuids"), allowSync=False, identifier=tree.IDENTIFIER,
                 mediaTagPrefix=tree.MEDIA_TAG_PREFIX, mediaTagVersion=tree.MEDIA_TAG_VERSION)


def _children(item: Item) -> Node:
    section = item.section
    attrs: dict[str, Any] = {**tree.list_attrs(section, "season" if item.type == "show" else "episode"),
                             "key": item.rating_key, "nocache": True}
    if item.type == "show":
        attrs.update(parentIndex=1, parentTitle=item.title, parentYear=item.attrs.get("year"),
                     summary=item.attrs.get("summary"), title1=section.title, title2=item.title)
    elif item.type == "season":
        show = item.parent
        attrs.update(grandparentRatingKey=show.rating_key, grandparentTitle=show.title, parentIndex=item.attrs["index"],
                     parentRatingKey=show.rating_key, parentTitle=show.title, title1=show.title, title2=item.title)
    return _page(list(item.children), _flag_arg("includeGuids"), **attrs)


# -- the app -------------------------------------------------------------------------
def create_app(library: PlexLibrary, token: str | Callable[[], str],
               accepts: Callable[[str], bool] | None = None) -> Flask:
    """The Plex Flask app serving ``library``; ``token`` (or a function returning it) is the valid token,
    and ``accepts(token)``, when given, vouches for others (the tokens of a plex.tv account that owns the server)."""
    app = Flask("plex-mock")
    current_token = token if callable(token) else (lambda: token)

    def answer(node: Node) -> Response:
        return reply(node, request.headers.get("Accept"))

    def find_section(key: str) -> Section:
        section = library.section(key)
        if section is None:
            raise NotFound(f"no library section {key!r}")
        return section

    def find_item(rating_key: str) -> Item:
        item = library.item(rating_key)
        if item is None:
            raise NotFound(f"no item with ratingKey {rating_key!r}")
        return item

    @app.before_request
    def check_token() -> Response | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(TOKEN_NAME) or request.args.get(TOKEN_NAME) or ""
        if hmac.compare_digest(given.encode(), current_token().encode()):
            return None
        if given and accepts is not None and accepts(given):
            return None
        return html_error(401)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        detail = exc.description if exc.code == 400 else None
        return html_error(exc.code or 500, detail)

    @app.errorhandler(check.ValidationError)
    def bad_input(exc: check.ValidationError) -> Response:
        return html_error(400, str(exc))

    @app.get("/")
    def root():
        return answer(tree.server_root(library))

    @app.get("/identity")
    def identity():
        return answer(tree.identity(library))

    @app.get("/library")
    def library_root():
        return answer(tree.library_root())

    @app.get("/library/sections")
    @app.get("/library/sections/")
    @app.get("/library/sections/all")  # the community PMS OpenAPI description's name for the same listing
    def sections():
        with library.lock:
            return answer(tree.sections(library))

    @app.get("/library/sections/<key>")
    def section_detail(key: str):
        return answer(tree.section_detail(find_section(key)))

    @app.get("/library/sections/<key>/all")
    def section_all(key: str):
        with library.lock:
            return answer(_section_all(find_section(key)))

    @app.get("/library/sections/<key>/<choice>")
    def section_choices(key: str, choice: str):
        """``genre``/``year`` filter choices (what plexapi validates tag filters against);
        ``collections`` is always empty here."""
        if choice not in ("genre", "year", "collections"):
            raise NotFound(f"no route /library/sections/{key}/{choice}")
        with library.lock:
            section = find_section(key)
            kind = _kind_arg(section.type)
            if choice == "collections":
                return answer(_page([], **tree.list_attrs(section, "collection"), title1=section.title,
                                    title2="Collections"))
            items = [] if kind is None else _of_type(section, kind)
            search_type = filters.SEARCH_TYPES.get(kind or section.type, 1)
            return answer(tree.container(filters.filter_choices(section, choice, items, search_type),
                                         allowSync=False, content="secondary", identifier=tree.IDENTIFIER,
                                         mediaTagPrefix=tree.MEDIA_TAG_PREFIX,
                                         mediaTagVersion=tree.MEDIA_TAG_VERSION, title1=section.title,
                                         title2=f"By {choice.capitalize()}", viewGroup="secondary"))

    @app.get("/library/all")
    def library_all():
        with library.lock:
            return answer(_library_all(library))

    @app.get("/library/metadata/<keys>")
    def metadata(keys: str):
        with library.lock:
            items = [item for item in (library.item(k) for k in keys.split(",")) if item is not None]
            if not items:
                raise NotFound(f"no item with ratingKey {keys!r}")
            section = items[0].section
            return answer(tree.container([tree.item_node(item, include_guids=True) for item in items],
                                         allowSync=True, identifier=tree.IDENTIFIER, **tree.section_attrs(section),
                                         mediaTagPrefix=tree.MEDIA_TAG_PREFIX,
                                         mediaTagVersion=tree.MEDIA_TAG_VERSION))

    @app.get("/library/metadata/<rating_key>/children")
    def children(rating_key: str):
        with library.lock:
            return answer(_children(find_item(rating_key)))

    @app.get("/library/metadata/<rating_key>/allLeaves")
    def all_leaves(rating_key: str):
        with library.lock:
            item = find_item(rating_key)
            return answer(_page(item.leaves(), _flag_arg("includeGuids"), **tree.list_attrs(item.section, "episode"),
                                key=item.rating_key, title1=item.section.title, title2=item.title))

    def query_arg() -> str:
        query = request.args.get("query")
        if query is None or not query.strip():
            raise BadRequest("query is required")
        return query.strip()

    @app.get("/hubs/search")
    @app.get("/hubs/search/")
    def hubs_search():
        query, limit = query_arg(), _int_arg("limit")
        section_id = request.args.get("sectionId")
        with library.lock:
            return answer(tree.hub_search(library.search(query, section_id), limit))

    @app.get("/search")
    def legacy_search():
        query = query_arg()
        with library.lock:
            matches = [item for item in library.search(query) if item.type in ("movie", "show", "episode")]
            return answer(tree.container([tree.item_node(item) for item in matches], identifier=tree.IDENTIFIER,
                                         mediaTagPrefix=tree.MEDIA_TAG_PREFIX, mediaTagVersion=tree.MEDIA_TAG_VERSION))

    return app
