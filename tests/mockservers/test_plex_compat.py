"""The real PyPI client ``plexapi`` against the Plex mock, unmodified.

plexapi only talks to the base URL it is given (no plex.tv call unless a
MyPlexAccount is used). Its settings come from ``PLEXAPI_*`` environment
variables, then ``~/.config/plexapi/config.ini``: point the config path at an
empty file so a developer's own config cannot change what these tests see.
"""

from __future__ import annotations

import os

os.environ.setdefault("PLEXAPI_CONFIG_PATH", os.devnull)
os.environ.setdefault("PLEXAPI_HEADER_IDENTIFIER", "mockservers-plex-compat-tests")

import pytest  # noqa: E402
from plexapi.exceptions import BadRequest, NotFound, Unauthorized  # noqa: E402
from plexapi.server import PlexServer  # noqa: E402

from mockservers.plex import PlexMock  # noqa: E402

TOKEN = "mock-token"


@pytest.fixture(scope="module")
def mock():
    with PlexMock(token=TOKEN) as plex:
        yield plex


@pytest.fixture(scope="module")
def server(mock):
    return PlexServer(mock.url, TOKEN, timeout=5)


@pytest.fixture
def fresh(plex_mock):
    """A mock of its own (token ``mock-token``), for tests that change it."""
    return plex_mock


def test_server_identity(mock, server):
    assert server.friendlyName == "Mock Plex"
    assert server.machineIdentifier == mock.library.server["machineIdentifier"]
    assert server.version == mock.library.server["version"]
    assert server.myPlex is True and server.transcoderActiveVideoSessions == 0


def test_sections(server):
    sections = server.library.sections()
    assert [(s.key, s.title, s.type) for s in sections] == [(1, "Movies", "movie"), (2, "TV Shows", "show")]
    assert server.library.section("TV Shows").type == "show"
    assert server.library.sectionByID(1).title == "Movies"


def test_section_all_returns_every_item(mock, server):
    movies = server.library.section("Movies").all()
    shows = server.library.section("TV Shows").all()
    assert len(movies) == 100 and len(shows) == 100
    assert [m.ratingKey for m in movies] == [int(i["ratingKey"]) for i in mock.items(1)]
    assert {m.TYPE for m in movies} == {"movie"} and {s.TYPE for s in shows} == {"show"}
    assert all(s.childCount >= 1 for s in shows)


def test_plexapi_pages_with_container_headers(fresh):
    server = PlexServer(fresh.url, TOKEN, timeout=5)
    fresh.journal.clear()
    movies = server.library.section("Movies").all(container_size=10)
    assert len(movies) == 100 and len({m.ratingKey for m in movies}) == 100
    pages = fresh.journal.entries(path="/library/sections/1/all")
    assert [e.headers.get("X-Plex-Container-Start") for e in pages] == [str(n) for n in range(0, 100, 10)]
    assert {e.headers.get("X-Plex-Container-Size") for e in pages} == {"10"}


def test_section_search_by_title(mock, server):
    movies = server.library.section("Movies")
    word = mock.items(1)[0]["title"].split()[-1]
    expected = [int(i["ratingKey"]) for i in mock.items(1) if word.lower() in i["title"].lower()]
    found = movies.search(title=word.lower())
    assert [m.ratingKey for m in found] == expected and expected


def test_section_search_with_sort_and_filters(mock, server):
    movies = server.library.section("Movies")
    newest = movies.search(sort="year:desc", maxresults=5)
    years = [m.year for m in newest]
    assert len(newest) == 5 and years == sorted(years, reverse=True)
    assert years[0] == max(i["year"] for i in mock.items(1))
    genre = mock.items(1)[0]["genres"][0]
    by_genre = movies.search(genre=genre)
    assert by_genre and all(genre in [g.tag for g in m.genres] for m in by_genre)
    assert len(by_genre) == sum(genre in i["genres"] for i in mock.items(1))


def test_server_hub_search_and_library_search(mock, server):
    movie = mock.items(1)[0]
    found = server.search(movie["title"].upper())
    assert int(movie["ratingKey"]) in [item.ratingKey for item in found]
    assert {item.TYPE for item in server.search(movie["title"], mediatype="movie")} == {"movie"}
    by_title = server.library.search(title=movie["title"], libtype="movie")
    expected = [int(i["ratingKey"]) for i in mock.items(1) if movie["title"].lower() in i["title"].lower()]
    assert [m.ratingKey for m in by_title] == expected and int(movie["ratingKey"]) in expected


def test_fetch_item_by_rating_key(mock, server):
    movie = mock.items(1)[2]
    item = server.fetchItem(int(movie["ratingKey"]))
    assert item.TYPE == "movie" and item.title == movie["title"] and item.year == movie["year"]
    assert [g.id for g in item.guids] == movie["guids"]
    item.reload()
    assert item.summary == movie["summary"]


def test_show_seasons_and_episodes(mock, server):
    info = mock.items(2)[0]
    show = server.fetchItem(int(info["ratingKey"]))
    seasons = show.seasons()
    assert len(seasons) == info["childCount"] == show.childCount
    assert [s.index for s in seasons] == list(range(1, len(seasons) + 1))
    episodes = show.episodes()
    assert len(episodes) == info["leafCount"] == show.leafCount
    first = seasons[0].episodes()[0]
    assert first.show().title == info["title"] and first.seasonNumber == 1 and first.index == 1
    assert show.episode(season=1, episode=1).ratingKey == first.ratingKey


def test_wrong_token_is_unauthorized(mock):
    with pytest.raises(Unauthorized):
        PlexServer(mock.url, "not-the-token", timeout=5)


def test_token_change_locks_out_the_old_client(fresh):
    server = PlexServer(fresh.url, TOKEN, timeout=5)
    fresh.token = "rotated"
    with pytest.raises(Unauthorized):
        server.library.sections()
    assert PlexServer(fresh.url, "rotated", timeout=5).friendlyName == "Mock Plex"


def test_unknown_item_and_injected_fault_surface_as_plexapi_errors(fresh):
    server = PlexServer(fresh.url, TOKEN, timeout=5)
    with pytest.raises(NotFound):
        server.fetchItem(999999)
    fresh.faults.add_route_fault("/library/sections", 503, times=1)
    with pytest.raises(BadRequest, match="503"):
        server.library.sections()
    assert len(server.library.sections()) == 2
