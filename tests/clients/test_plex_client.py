"""PlexClient against the Plex mock over real sockets: happy paths, parsing, auth, caching, secrets."""

from __future__ import annotations

import pytest

from companion import AuthenticationError, PlexClient, RequestRejectedError


def test_test_connection_returns_server_info(make_plex):
    info = make_plex().test_connection()
    assert info["name"] == "Mock Plex"
    assert len(info["machine_identifier"]) > 10
    assert info["version"].startswith("1.")
    assert info["platform"] == "Linux"
    assert info.stale is False


def test_get_libraries_lists_both_sections(make_plex):
    libraries = make_plex().get_libraries()
    assert [(s["key"], s["title"], s["type"]) for s in libraries] == [("1", "Movies", "movie"), ("2", "TV Shows", "show")]
    assert libraries.stale is False


def test_get_library_items_pages_with_container_headers(make_plex, plex_mock):
    page = make_plex().get_library_items(1, offset=10, limit=10)
    assert (page["size"], page["total_size"], page["offset"]) == (10, 100, 10)
    assert all(item["type"] == "movie" for item in page["items"])
    request = plex_mock.journal.last()
    assert request.headers.get("X-Plex-Container-Start") == "10"
    assert request.headers.get("X-Plex-Container-Size") == "10"


def test_shows_are_items_with_child_counts(make_plex):
    page = make_plex().get_library_items("2", limit=5)
    assert page["size"] == 5 and page["total_size"] == 100
    assert all(item["type"] == "show" and item["child_count"] >= 1 for item in page["items"])


def test_offset_past_the_end_gives_an_empty_page(make_plex):
    page = make_plex().get_library_items(1, offset=500, limit=10)
    assert page["items"] == [] and page["total_size"] == 100


def test_negative_paging_is_refused_before_any_request(make_plex, plex_mock):
    with pytest.raises(ValueError, match="offset and limit must be >= 0"):
        make_plex().get_library_items(1, offset=-1)
    assert plex_mock.journal.count() == 0


def test_unknown_section_is_a_rejected_request(make_plex):
    with pytest.raises(RequestRejectedError) as caught:
        make_plex().get_library_items(99)
    assert caught.value.status == 404 and "get_library_items" in str(caught.value)


def test_search_finds_items_across_libraries(make_plex, plex_mock):
    client = make_plex()
    first = client.get_library_items(1, limit=1)["items"][0]
    word = first["title"].split()[-1]
    found = client.search(word)
    assert any(item["rating_key"] == first["rating_key"] for item in found)
    assert plex_mock.journal.count("GET", "/hubs/search") == 1


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_search_sends_no_request(make_plex, plex_mock, query):
    assert make_plex().search(query) == []
    assert plex_mock.journal.count() == 0


def test_library_reads_are_cached_within_the_ttl(make_plex, plex_mock):
    client = make_plex()
    assert client.get_libraries() == client.get_libraries()
    assert plex_mock.journal.count("GET", "/library/sections") == 1
    client.clear_cache()
    client.get_libraries()
    assert plex_mock.journal.count("GET", "/library/sections") == 2


def test_cached_values_cannot_be_changed_by_the_caller(make_plex):
    client = make_plex()
    client.get_libraries()[0]["title"] = "changed"
    assert client.get_libraries()[0]["title"] == "Movies"


def test_xml_answers_are_understood_too(make_plex):
    client = make_plex()
    client._http.session.headers["Accept"] = "application/xml"
    assert [s["title"] for s in client.get_libraries()] == ["Movies", "TV Shows"]
    assert client.get_library_items(1, limit=3)["total_size"] == 100
    assert client.test_connection()["name"] == "Mock Plex"


def test_wrong_token_is_an_authentication_error_that_does_not_trip_the_breaker(make_plex):
    client = make_plex(token="wrong-token")
    with pytest.raises(AuthenticationError) as caught:
        client.get_libraries()
    assert caught.value.status == 401
    assert client.breaker.state == "closed" and client.breaker.metrics()["failures"] == 0


def test_the_token_never_appears_in_errors_or_reprs(make_plex, plex_mock):
    client = make_plex(token="super-secret-token")
    with pytest.raises(AuthenticationError) as caught:
        client.test_connection()
    assert "super-secret-token" not in str(caught.value)
    assert "super-secret-token" not in repr(client)
    plex_mock.take_down()
    with pytest.raises(Exception) as down:
        client.test_connection()
    assert "super-secret-token" not in str(down.value)


def test_a_token_and_an_http_url_are_required():
    with pytest.raises(ValueError, match="token is required"):
        PlexClient("http://127.0.0.1:1", "")
    with pytest.raises(ValueError, match="must start with http"):
        PlexClient("127.0.0.1:1", "t")
