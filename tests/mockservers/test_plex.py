"""The Plex mock over real sockets: every route in XML and JSON, auth, paging, filters,
search, fixtures, admin routes, shared faults and journal redaction."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

from mockservers.core.journal import REDACTED
from mockservers.plex import PlexMock
from mockservers.plex.data import DEFAULT_FIXTURE, PlexLibrary

TOKEN = "mock-token"
UNAUTHORIZED_BODY = "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>"
EXAMPLE_FIXTURE = Path(__file__).resolve().parents[2] / "mockservers" / "plex" / "fixtures" / "small_library.json"
ALL_MOVIES = "/library/sections/1/all"


@pytest.fixture(scope="module")
def plex():
    """A read-only default mock shared by the tests that do not change it."""
    with PlexMock() as mock:
        yield mock


@pytest.fixture
def fresh(plex_mock):
    """A mock of its own, for tests that change data, token, faults or the journal."""
    return plex_mock


def get(mock: PlexMock, path: str, *, token: str | None = TOKEN, as_json: bool = False,
        headers: dict[str, str] | None = None, params: dict[str, str] | None = None) -> requests.Response:
    sent = dict(headers or {})
    if token is not None:
        sent["X-Plex-Token"] = token
    if as_json:
        sent["Accept"] = "application/json"
    return requests.get(mock.url + path, headers=sent, params=params, timeout=5)


def xml(response: requests.Response) -> ET.Element:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "MediaContainer"
    return root


def js(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()["MediaContainer"]


def admin(mock: PlexMock, method: str, path: str, body=None, raw: str | None = None) -> requests.Response:
    data = raw if raw is not None else (None if body is None else json.dumps(body))
    return requests.request(method, f"{mock.url}/__admin{path}", data=data,
                            headers={"Content-Type": "application/json"}, timeout=5)


def keys(elements) -> list[str]:
    return [e.get("ratingKey") if isinstance(e, ET.Element) else e["ratingKey"] for e in elements]


# -- server routes --------------------------------------------------------------------
def test_root_in_xml_has_server_attributes_and_plex_booleans(plex):
    response = get(plex, "/")
    root = xml(response)
    assert root.get("friendlyName") == "Mock Plex"
    assert len(root.get("machineIdentifier")) == 40
    assert root.get("version") == plex.library.server["version"]
    assert root.get("myPlex") == "1" and root.get("myPlexUsername")
    assert root.get("transcoderActiveVideoSessions").isdigit()
    assert int(root.get("size")) == len(root)
    assert 'True"' not in response.text and 'False"' not in response.text


def test_root_in_json_keeps_types(plex):
    body = js(get(plex, "/", as_json=True))
    assert body["myPlex"] is True and body["allowCameraUpload"] is False
    assert isinstance(body["version"], str) and isinstance(body["transcoderActiveVideoSessions"], int)
    assert isinstance(body["updatedAt"], int)


def test_identity_answers_without_a_token_like_the_real_server(plex):
    root = xml(get(plex, "/identity", token=None))
    assert root.get("machineIdentifier") == plex.library.server["machineIdentifier"]
    assert root.get("claimed") == "1" and root.get("size") == "0"
    assert js(get(plex, "/identity", token=None, as_json=True))["claimed"] is True


def test_library_root_lists_the_sections_directory(plex):
    root = xml(get(plex, "/library"))
    assert ("sections", "Library Sections") in [(d.get("key"), d.get("title")) for d in root.findall("Directory")]
    body = js(get(plex, "/library", as_json=True))
    assert {"key": "sections", "title": "Library Sections"} in body["Directory"]


@pytest.mark.parametrize("path", ["/library/sections", "/library/sections/", "/library/sections/all"])
def test_sections_in_xml(plex, path):
    root = xml(get(plex, path))
    sections = root.findall("Directory")
    assert root.get("size") == "2"
    assert [(s.get("key"), s.get("title"), s.get("type")) for s in sections] == [
        ("1", "Movies", "movie"), ("2", "TV Shows", "show")]
    for section in sections:
        assert section.get("uuid") and section.get("agent") and section.get("allowSync") == "1"
        assert section.get("refreshing") == "0"
        assert section.find("Location").get("path").startswith("/data/")


def test_sections_in_json(plex):
    body = js(get(plex, "/library/sections/", as_json=True))
    assert body["size"] == 2
    movies, shows = body["Directory"]
    assert (movies["key"], movies["title"], movies["type"]) == ("1", "Movies", "movie")
    assert (shows["key"], shows["type"]) == ("2", "show")
    assert movies["allowSync"] is True and movies["refreshing"] is False
    assert isinstance(movies["Location"][0]["id"], int) and isinstance(movies["createdAt"], int)


# -- authentication -------------------------------------------------------------------
def test_token_in_the_query_string_is_accepted(plex):
    response = requests.get(f"{plex.url}/library/sections", params={"X-Plex-Token": TOKEN}, timeout=5)
    assert xml(response).get("size") == "2"


def test_token_in_the_header_is_accepted(plex):
    assert xml(get(plex, "/library/sections")).get("size") == "2"


@pytest.mark.parametrize("path", ["/", "/library/sections", ALL_MOVIES, "/library/metadata/1000", "/no/such/path"])
@pytest.mark.parametrize("how", ["missing", "wrong header", "wrong query", "empty header"])
def test_missing_or_wrong_token_is_401_with_plex_html(plex, path, how):
    if how == "missing":
        response = get(plex, path, token=None)
    elif how == "wrong header":
        response = get(plex, path, token="not-the-token")
    elif how == "empty header":
        response = get(plex, path, token="")
    else:
        response = requests.get(plex.url + path, params={"X-Plex-Token": "nope"}, timeout=5)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text == UNAUTHORIZED_BODY


def test_json_accept_does_not_change_the_401_page(plex):
    response = get(plex, "/library/sections", token=None, as_json=True)
    assert response.status_code == 401 and response.text == UNAUTHORIZED_BODY


# -- 404 ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/no/such/path", "/library/sections/9/all", "/library/sections/9",
                                  "/library/metadata/999999", "/library/metadata/999999/children",
                                  "/library/sections/1/nonsense"])
def test_unknown_paths_and_ids_are_404(plex, path):
    for as_json in (False, True):
        response = get(plex, path, as_json=as_json)
        assert response.status_code == 404
        assert response.headers["Content-Type"].startswith("text/html")
        assert "<h1>404 Not Found</h1>" in response.text


# -- items and paging -----------------------------------------------------------------
def test_movies_are_video_elements_with_the_container_section(plex):
    root = xml(get(plex, ALL_MOVIES))
    assert root.get("librarySectionID") == "1" and root.get("librarySectionTitle") == "Movies"
    videos = root.findall("Video")
    assert len(videos) == 100 and not root.findall("Directory")
    first = videos[0]
    assert first.get("type") == "movie" and first.get("title")
    assert first.get("key") == f"/library/metadata/{first.get('ratingKey')}"
    assert first.get("year").isdigit() and first.get("duration").isdigit() and first.get("addedAt").isdigit()
    assert first.find("Media/Part").get("file").endswith(".mkv")
    assert first.findall("Genre") and first.find("Genre").get("tag")


def test_shows_are_directory_elements_with_counts(plex):
    root = xml(get(plex, "/library/sections/2/all"))
    shows = root.findall("Directory")
    assert len(shows) == 100 and not root.findall("Video")
    for show in shows:
        assert show.get("type") == "show" and show.get("title")
        assert int(show.get("childCount")) >= 1 and int(show.get("leafCount")) >= int(show.get("childCount"))
        assert show.get("key") == f"/library/metadata/{show.get('ratingKey')}/children"


def test_items_in_json_are_under_metadata_with_plex_types(plex):
    movies = js(get(plex, ALL_MOVIES, as_json=True))
    shows = js(get(plex, "/library/sections/2/all", as_json=True))
    assert len(movies["Metadata"]) == 100 and len(shows["Metadata"]) == 100
    movie, show = movies["Metadata"][0], shows["Metadata"][0]
    assert movie["type"] == "movie" and isinstance(movie["ratingKey"], str) and isinstance(movie["guid"], str)
    assert isinstance(movie["year"], int) and isinstance(movie["Genre"], list)
    assert show["type"] == "show" and isinstance(show["childCount"], int) and isinstance(show["leafCount"], int)
    assert movies["totalSize"] == 100 and movies["offset"] == 0 and movies["librarySectionID"] == 1


def test_default_data_is_deterministic():
    first, second = PlexMock(), PlexMock()
    for section in ("1", "2"):
        one, two = first.items(section), second.items(section)
        assert len(one) == 100
        assert [(i["ratingKey"], i["title"], i.get("year")) for i in one] == \
               [(i["ratingKey"], i["title"], i.get("year")) for i in two]


def test_first_page_of_ten(plex):
    root = xml(get(plex, ALL_MOVIES, params={"X-Plex-Container-Start": "0", "X-Plex-Container-Size": "10"}))
    assert (root.get("size"), root.get("totalSize"), root.get("offset")) == ("10", "100", "0")
    assert len(root.findall("Video")) == 10


def test_last_partial_page(plex):
    full = keys(xml(get(plex, ALL_MOVIES)).findall("Video"))
    root = xml(get(plex, ALL_MOVIES, params={"X-Plex-Container-Start": "95", "X-Plex-Container-Size": "10"}))
    assert (root.get("size"), root.get("totalSize"), root.get("offset")) == ("5", "100", "95")
    assert keys(root.findall("Video")) == full[95:]


def test_offset_past_the_end_is_an_empty_page_with_the_total(plex):
    for as_json in (False, True):
        response = get(plex, ALL_MOVIES, as_json=as_json,
                       params={"X-Plex-Container-Start": "150", "X-Plex-Container-Size": "10"})
        if as_json:
            body = js(response)
            assert (body["size"], body["totalSize"], body["offset"]) == (0, 100, 150)
            assert "Metadata" not in body
        else:
            root = xml(response)
            assert (root.get("size"), root.get("totalSize"), root.get("offset")) == ("0", "100", "150")
            assert len(root) == 0


def test_size_zero_gives_only_the_counts(plex):
    root = xml(get(plex, ALL_MOVIES, params={"X-Plex-Container-Size": "0"}))
    assert (root.get("size"), root.get("totalSize"), root.get("offset")) == ("0", "100", "0")
    assert not root.findall("Video")


def test_paging_by_header_equals_paging_by_query(plex):
    by_query = xml(get(plex, ALL_MOVIES, params={"X-Plex-Container-Start": "20", "X-Plex-Container-Size": "15"}))
    by_header = xml(get(plex, ALL_MOVIES, headers={"X-Plex-Container-Start": "20", "X-Plex-Container-Size": "15"}))
    assert keys(by_query.findall("Video")) == keys(by_header.findall("Video"))
    assert len(by_header.findall("Video")) == 15 and by_header.get("offset") == "20"
    json_page = js(get(plex, ALL_MOVIES, as_json=True,
                       headers={"X-Plex-Container-Start": "20", "X-Plex-Container-Size": "15"}))
    assert keys(json_page["Metadata"]) == keys(by_query.findall("Video"))


def test_query_paging_wins_over_header_paging(plex):
    root = xml(get(plex, ALL_MOVIES, params={"X-Plex-Container-Size": "3"}, headers={"X-Plex-Container-Size": "7"}))
    assert root.get("size") == "3"


def test_pages_add_up_to_the_whole_list_in_order(plex):
    whole = keys(xml(get(plex, "/library/sections/2/all")).findall("Directory"))
    paged: list[str] = []
    start = 0
    while True:
        root = xml(get(plex, "/library/sections/2/all",
                       headers={"X-Plex-Container-Start": str(start), "X-Plex-Container-Size": "30"}))
        assert root.get("totalSize") == "100"
        page = keys(root.findall("Directory"))
        if not page:
            break
        paged += page
        start += 30
    assert paged == whole and len(set(paged)) == 100


@pytest.mark.parametrize("name", ["X-Plex-Container-Start", "X-Plex-Container-Size"])
@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "²"])
@pytest.mark.parametrize("where", ["query", "header"])
def test_invalid_paging_values_are_400_naming_the_parameter(plex, name, value, where):
    kwargs = {"params": {name: value}} if where == "query" else {"headers": {name: value.encode("utf-8")}}
    response = requests.get(plex.url + ALL_MOVIES, timeout=5, **{
        **kwargs, "headers": {"X-Plex-Token": TOKEN, **kwargs.get("headers", {})}})
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    assert f"{name} must be a whole number from 0 to 9223372036854775807, got" in response.text


# -- filters --------------------------------------------------------------------------
def test_type_filter_selects_the_item_type(plex):
    assert len(xml(get(plex, ALL_MOVIES, params={"type": "1"})).findall("Video")) == 100
    assert xml(get(plex, ALL_MOVIES, params={"type": "2"})).get("totalSize") == "0"
    shows = xml(get(plex, "/library/sections/2/all", params={"type": "2"})).findall("Directory")
    assert {s.get("type") for s in shows} == {"show"}
    episodes = xml(get(plex, "/library/sections/2/all", params={"type": "4", "X-Plex-Container-Size": "5"}))
    assert {v.get("type") for v in episodes.findall("Video")} == {"episode"}
    assert int(episodes.get("totalSize")) == sum(int(s.get("leafCount")) for s in shows)
    seasons = xml(get(plex, "/library/sections/2/all", params={"type": "3"}))
    assert int(seasons.get("totalSize")) == sum(int(s.get("childCount")) for s in shows)


def test_title_filter_is_a_case_insensitive_substring_match(plex):
    titles = [v.get("title") for v in xml(get(plex, ALL_MOVIES)).findall("Video")]
    word = titles[0].split()[-1]
    expected = [t for t in titles if word.lower() in t.lower()]
    for needle in (word.upper(), word.lower()):
        root = xml(get(plex, ALL_MOVIES, params={"title": needle}))
        assert [v.get("title") for v in root.findall("Video")] == expected
        assert root.get("totalSize") == str(len(expected))
    body = js(get(plex, ALL_MOVIES, as_json=True, params={"title": word}))
    assert [m["title"] for m in body["Metadata"]] == expected


def test_title_filter_without_match_is_empty(plex):
    root = xml(get(plex, ALL_MOVIES, params={"title": "zzz-no-such-title"}))
    assert (root.get("size"), root.get("totalSize")) == ("0", "0")


def test_year_genre_sort_and_limit(plex):
    movies = xml(get(plex, ALL_MOVIES)).findall("Video")
    year = movies[0].get("year")
    by_year = xml(get(plex, ALL_MOVIES, params={"year": year})).findall("Video")
    assert by_year and {v.get("year") for v in by_year} == {year}
    genre = movies[0].find("Genre").get("tag")
    by_genre = xml(get(plex, ALL_MOVIES, params={"genre": genre})).findall("Video")
    assert by_genre and all(genre in [g.get("tag") for g in v.findall("Genre")] for v in by_genre)
    newest = xml(get(plex, ALL_MOVIES, params={"sort": "year:desc", "limit": "5"})).findall("Video")
    years = [int(v.get("year")) for v in newest]
    assert len(newest) == 5 and years == sorted(years, reverse=True) and years[0] == max(int(v.get("year"))
                                                                                           for v in movies)
    assert get(plex, ALL_MOVIES, params={"sort": "nonsense"}).status_code == 400


def test_library_all_searches_every_section(plex):
    root = xml(get(plex, "/library/all", params={"title": "the", "X-Plex-Container-Size": "500"}))
    kinds = {e.get("type") for e in root}
    assert kinds == {"movie", "show"}
    assert all("the" in e.get("title").lower() for e in root)


# -- metadata and children ------------------------------------------------------------
def test_metadata_of_a_movie_in_xml_and_json(plex):
    movie = plex.items(1)[0]
    root = xml(get(plex, f"/library/metadata/{movie['ratingKey']}"))
    item = root[0]
    assert (item.tag, item.get("type"), item.get("title")) == ("Video", "movie", movie["title"])
    assert root.get("librarySectionID") == "1"
    assert [g.get("id") for g in item.findall("Guid")] == movie["guids"]
    body = js(get(plex, f"/library/metadata/{movie['ratingKey']}", as_json=True))
    assert body["Metadata"][0]["ratingKey"] == movie["ratingKey"] and body["size"] == 1


def test_show_children_are_seasons_and_season_children_are_episodes(plex):
    show = plex.items(2)[0]
    show_root = xml(get(plex, f"/library/metadata/{show['ratingKey']}"))
    assert show_root[0].tag == "Directory" and show_root[0].get("type") == "show"
    seasons = xml(get(plex, f"/library/metadata/{show['ratingKey']}/children")).findall("Directory")
    assert len(seasons) == show["childCount"]
    assert {s.get("type") for s in seasons} == {"season"}
    assert [s.get("index") for s in seasons] == [str(n) for n in range(1, len(seasons) + 1)]
    episodes = xml(get(plex, f"/library/metadata/{seasons[0].get('ratingKey')}/children")).findall("Video")
    assert len(episodes) == int(seasons[0].get("leafCount"))
    assert {e.get("type") for e in episodes} == {"episode"}
    assert {e.get("grandparentRatingKey") for e in episodes} == {show["ratingKey"]}
    body = js(get(plex, f"/library/metadata/{show['ratingKey']}/children", as_json=True))
    assert [m["type"] for m in body["Metadata"]] == ["season"] * show["childCount"]
    leaves = js(get(plex, f"/library/metadata/{show['ratingKey']}/allLeaves", as_json=True))
    assert leaves["totalSize"] == show["leafCount"]


# -- search ---------------------------------------------------------------------------
def test_hub_search_in_xml(plex):
    movie = plex.items(1)[0]
    word = movie["title"].split()[-1]
    root = xml(get(plex, "/hubs/search", params={"query": word.upper()}))
    hubs = {h.get("type"): h for h in root.findall("Hub")}
    assert set(hubs) == {"movie", "show", "episode"}
    movie_hub = hubs["movie"]
    assert movie_hub.get("hubIdentifier") == "movie" and movie_hub.get("more") == "0"
    assert movie["ratingKey"] in keys(movie_hub)
    assert movie_hub.get("size") == str(len(movie_hub))
    assert all(word.lower() in v.get("title").lower() for v in movie_hub)


def test_hub_search_in_json_is_case_insensitive(plex):
    word = plex.items(2)[0]["title"].split()[-1]
    lower = js(get(plex, "/hubs/search", as_json=True, params={"query": word.lower()}))
    upper = js(get(plex, "/hubs/search", as_json=True, params={"query": word.upper()}))
    assert lower == upper
    shows = next(h for h in lower["Hub"] if h["type"] == "show")
    assert shows["more"] is False and shows["size"] == len(shows["Metadata"]) >= 1


def test_legacy_search(plex):
    movie = plex.items(1)[3]
    root = xml(get(plex, "/search", params={"query": movie["title"].lower()}))
    assert movie["ratingKey"] in keys(root)
    body = js(get(plex, "/search", as_json=True, params={"query": movie["title"].upper()}))
    assert movie["ratingKey"] in keys(body["Metadata"])
    assert xml(get(plex, "/search", params={"query": "zzz-nothing"})).get("size") == "0"


@pytest.mark.parametrize("path", ["/hubs/search", "/search"])
@pytest.mark.parametrize("params", [{}, {"query": ""}, {"query": "   "}])
def test_search_needs_a_query(plex, path, params):
    response = get(plex, path, params=params)
    assert response.status_code == 400 and "query is required" in response.text


def test_libraries_of_one_fixture_share_a_build_until_one_changes():
    first, second = PlexLibrary(), PlexLibrary()
    assert first.sections["1"] is second.sections["1"]  # built once in this process
    movie = first.sections["1"].items[0]
    added = first.add_item("1", {"title": "Only In The First"})
    first.remove_item(movie.rating_key)
    assert first.sections["1"] is not second.sections["1"]
    assert [i.title for i in first.search("Only In The First")] == ["Only In The First"]
    assert first.item(movie.rating_key) is None
    assert second.search("Only In The First") == [] and second.item(added.rating_key) is None
    assert second.item(movie.rating_key).title == movie.title and len(second.sections["1"].items) == 100
    first.load(DEFAULT_FIXTURE)  # a reset: the shared build again, unchanged by what the first library did
    assert first.sections["1"] is second.sections["1"] and len(first.sections["1"].items) == 100


def test_a_changed_copy_hands_out_the_same_ids_as_a_fresh_build():
    fixture = {"seed": 7, "sections": [{"key": "1", "title": "Movies", "type": "movie", "generate": 3}]}
    fresh, changed = PlexLibrary(fixture), PlexLibrary(fixture)
    changed.remove_item(changed.sections["1"].items[0].rating_key)
    assert fresh.add_item("1", {"title": "Next"}).rating_key == changed.add_item("1", {"title": "Next"}).rating_key


def test_bad_input_to_a_change_leaves_the_shared_build_alone():
    library, other = PlexLibrary(), PlexLibrary()
    with pytest.raises(ValueError):
        library.add_item("1", {"year": 2001})
    with pytest.raises(KeyError):
        library.remove_item("no-such-key")
    assert library.sections["1"] is other.sections["1"]


@pytest.mark.parametrize("change", [
    {"seed": 43},
    {"sections": [{"key": "1", "title": "Movies", "type": "movie", "generate": 99}]},
    {"sections": [{"key": "1", "title": "Movies", "type": "movie", "generate": 100, "items": [{"title": "Extra"}]}]},
])
def test_different_fixtures_build_different_libraries(change):
    base = {"seed": 42, "sections": [{"key": "1", "title": "Movies", "type": "movie", "generate": 100}]}
    one, two = PlexLibrary(base), PlexLibrary({**base, **change})
    assert one.sections["1"] is not two.sections["1"]
    assert [i.title for i in one.sections["1"].items] != [i.title for i in two.sections["1"].items]


# -- fixtures -------------------------------------------------------------------------
def test_fixture_file_replaces_the_data(tmp_path):
    fixture = tmp_path / "library.json"
    fixture.write_text(json.dumps({"server": {"friendlyName": "Fixture Plex"}, "sections": [
        {"key": "7", "title": "Docs", "type": "movie", "items": [{"title": "Koyaanisqatsi", "year": 1982},
                                                                 {"title": "Baraka", "ratingKey": "42"}]}]}))
    with PlexMock(fixture=fixture) as mock:
        assert xml(get(mock, "/")).get("friendlyName") == "Fixture Plex"
        sections = xml(get(mock, "/library/sections")).findall("Directory")
        assert [(s.get("key"), s.get("title")) for s in sections] == [("7", "Docs")]
        videos = xml(get(mock, "/library/sections/7/all")).findall("Video")
        assert [v.get("title") for v in videos] == ["Baraka", "Koyaanisqatsi"]
        assert xml(get(mock, "/library/metadata/42"))[0].get("title") == "Baraka"
        assert get(mock, "/library/sections/1/all").status_code == 404


def test_example_fixture_file_loads():
    with PlexMock(fixture=str(EXAMPLE_FIXTURE)) as mock:
        assert [s["title"] for s in mock.sections] == ["Films", "Series"]
        show = xml(get(mock, "/library/metadata/601"))[0]
        assert (show.get("childCount"), show.get("leafCount")) == ("2", "12")


def test_fixture_dict_replaces_the_data():
    mock = PlexMock(fixture={"sections": [{"key": "3", "title": "Kids", "type": "show", "generate": 4}]})
    assert [(s["key"], s["size"]) for s in mock.sections] == [("3", 4)]


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"sections": [{"key": "1", "title": "X", "type": "music"}]}', "sections[0].type: expected one of movie, show"),
    ('{"sections": [{"key": "1", "type": "movie"}]}', "'title' is required"),
    ('{"sections": [{"key": "1", "title": "X", "type": "movie", "items": [{"title": "A", "year": "soon"}]}]}',
     "sections[0].items[0].year: expected an integer, got 'soon'"),
    ('{"sektions": []}', "unknown key(s) 'sektions'"),
])
def test_bad_fixture_file_is_a_clear_value_error(tmp_path, content, message):
    fixture = tmp_path / "bad.json"
    fixture.write_text(content)
    with pytest.raises(ValueError) as caught:
        PlexMock(fixture=fixture)
    assert message in str(caught.value) and str(fixture) in str(caught.value)


def test_missing_fixture_file_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="cannot read it"):
        PlexMock(fixture=tmp_path / "absent.json")


# -- admin routes ---------------------------------------------------------------------
def test_admin_add_and_delete_an_item(fresh):
    response = admin(fresh, "POST", "/plex/sections/1/items", {"title": "Zzz Added Movie", "year": 2001})
    assert response.status_code == 201
    added = response.json()
    assert added["title"] == "Zzz Added Movie" and added["ratingKey"]
    root = xml(get(fresh, ALL_MOVIES))
    assert root.get("totalSize") == "101" and root.findall("Video")[-1].get("title") == "Zzz Added Movie"
    assert xml(get(fresh, f"/library/metadata/{added['ratingKey']}"))[0].get("year") == "2001"
    assert admin(fresh, "DELETE", f"/plex/items/{added['ratingKey']}").status_code == 200
    assert xml(get(fresh, ALL_MOVIES)).get("totalSize") == "100"
    assert get(fresh, f"/library/metadata/{added['ratingKey']}").status_code == 404
    missing = admin(fresh, "DELETE", f"/plex/items/{added['ratingKey']}")
    assert missing.status_code == 404 and "no movie or show" in missing.json()["error"]


@pytest.mark.parametrize("body, message", [
    ({"year": 2001}, "'title' is required"),
    ({"title": "X", "year": "soon"}, "expected an integer"),
    ({"title": "X", "colour": "red"}, "unknown key(s) 'colour'"),
])
def test_admin_add_item_with_bad_input_is_400(fresh, body, message):
    response = admin(fresh, "POST", "/plex/sections/1/items", body)
    assert response.status_code == 400 and message in response.json()["error"]
    assert admin(fresh, "POST", "/plex/sections/9/items", {"title": "X"}).status_code == 404


@pytest.mark.parametrize("raw, message", [
    ("", "request body is empty"),
    ("{oops", "not valid JSON"),
    ('{"sections": "many"}', "sections: required: a list of at most 50 sections"),
    ('{"sections": [{"key": "x", "title": "T", "type": "movie"}]}', "sections[0].key"),
])
def test_admin_put_library_with_bad_input_is_400_and_changes_nothing(fresh, raw, message):
    response = admin(fresh, "PUT", "/plex/library", raw=raw)
    assert response.status_code == 400 and message in response.json()["error"]
    assert xml(get(fresh, "/library/sections")).get("size") == "2"


def test_admin_put_library_replaces_it_and_reset_restores_it(fresh):
    body = {"sections": [{"key": "5", "title": "Only", "type": "movie", "items": [{"title": "One"}]}]}
    response = admin(fresh, "PUT", "/plex/library", body)
    assert response.status_code == 200 and response.json()["sections"][0]["size"] == 1
    assert [d.get("key") for d in xml(get(fresh, "/library/sections")).findall("Directory")] == ["5"]
    assert admin(fresh, "GET", "/plex/library").json()["sections"][0]["title"] == "Only"
    assert admin(fresh, "POST", "/reset").status_code == 200
    assert xml(get(fresh, "/library/sections")).get("size") == "2"


def test_admin_token_change(fresh):
    response = admin(fresh, "PUT", "/plex/token", {"token": "new-secret"})
    assert response.status_code == 200 and "new-secret" not in response.text
    assert get(fresh, "/library/sections").status_code == 401
    assert xml(get(fresh, "/library/sections", token="new-secret")).get("size") == "2"
    for bad in ({"token": ""}, {"token": 5}, {}):
        assert admin(fresh, "PUT", "/plex/token", bad).status_code == 400


# -- shared mechanism: faults and journal ---------------------------------------------
def test_route_fault_applies_then_expires(fresh):
    fresh.faults.add_route_fault("/library/sections", 503, times=1)
    assert get(fresh, "/library/sections").status_code == 503
    assert xml(get(fresh, "/library/sections")).get("size") == "2"
    entries = fresh.journal.entries(path="/library/sections")
    assert [e.status for e in entries] == [503, 200] and entries[0].fault


def test_seeded_failure_rate_is_reproducible(fresh):
    def statuses() -> list[int]:
        fresh.faults.set_failure_rate(0.5, status=503, seed=11)
        return [get(fresh, "/identity").status_code for _ in range(12)]

    first = statuses()
    assert first == statuses() and {200, 503} <= set(first)


def test_journal_redacts_the_token_in_headers_and_query(fresh):
    get(fresh, "/library/sections")
    requests.get(f"{fresh.url}/library/sections/1/all", params={"X-Plex-Token": TOKEN, "type": "1"}, timeout=5)
    by_header, by_query = fresh.journal.entries(path="/library/sections*")
    assert by_header.headers["X-Plex-Token"] == REDACTED
    assert by_query.query == {"X-Plex-Token": REDACTED, "type": "1"}
    for entry in (by_header, by_query):
        assert TOKEN not in json.dumps(entry.to_dict()) and TOKEN not in entry.describe()
    journal = admin(fresh, "GET", "/journal")
    assert journal.status_code == 200 and TOKEN not in journal.text


def test_journal_redacts_a_token_set_at_run_time(fresh):
    admin(fresh, "PUT", "/plex/token", {"token": "rotated-secret"})
    requests.get(f"{fresh.url}/", params={"X-Plex-Token": "rotated-secret"}, timeout=5)
    get(fresh, "/", token="rotated-secret")
    assert "rotated-secret" not in admin(fresh, "GET", "/journal").text
    assert "rotated-secret" not in repr(fresh.journal.entries())
