"""PlexClient parsing edges over real sockets: the mock answers 200 with a body the client must refuse."""

from __future__ import annotations

import pytest

from companion import BadResponseError

XML = {"Content-Type": "application/xml"}
JSON = {"Content-Type": "application/json"}


def answer(plex_mock, path: str, body: str, headers: dict[str, str]) -> None:
    """Make every GET ``path`` answer 200 with ``body`` instead of the mock's own answer."""
    plex_mock.faults.add_route_fault(path, {"status": 200, "body": body, "headers": headers}, method="GET")


def test_malformed_xml_is_a_bad_response(make_plex, plex_mock):
    answer(plex_mock, "/library/sections", '<MediaContainer size="1"><Directory key="1"', XML)
    with pytest.raises(BadResponseError, match="malformed XML") as caught:
        make_plex().get_libraries()
    assert caught.value.service == "plex" and "get_libraries" in str(caught.value)


def test_an_xml_root_other_than_media_container_is_a_bad_response(make_plex, plex_mock):
    answer(plex_mock, "/library/sections", '<Response code="500" status="Internal error"/>', XML)
    with pytest.raises(BadResponseError, match="expected a MediaContainer, got <Response>"):
        make_plex().get_libraries()


def test_xml_without_a_content_type_is_still_recognised_by_its_first_character(make_plex, plex_mock):
    plex_mock.faults.add_route_fault("/library/sections", {
        "status": 200, "body": '  <MediaContainer><Directory key="7" title="Music" type="artist"/></MediaContainer>'})
    assert [(s["key"], s["title"], s["type"]) for s in make_plex().get_libraries()] == [("7", "Music", "artist")]


def test_json_without_a_media_container_is_a_bad_response(make_plex, plex_mock):
    answer(plex_mock, "/library/sections", '{"errors": []}', JSON)
    with pytest.raises(BadResponseError, match="MediaContainer"):
        make_plex().get_libraries()


def test_a_directory_that_is_not_a_list_is_a_bad_response(make_plex, plex_mock):
    answer(plex_mock, "/library/sections", '{"MediaContainer": {"Directory": {"key": "1", "title": "Movies"}}}', JSON)
    with pytest.raises(BadResponseError, match="Directory is not a list"):
        make_plex().get_libraries()


def test_a_section_without_a_title_is_a_bad_response(make_plex, plex_mock):
    answer(plex_mock, "/library/sections", '{"MediaContainer": {"Directory": [{"key": "1", "type": "movie"}]}}', JSON)
    with pytest.raises(BadResponseError, match=r"section without key/title: \['key', 'type'\]"):
        make_plex().get_libraries()


def test_an_item_without_a_rating_key_is_a_bad_response(make_plex, plex_mock):
    answer(plex_mock, "/library/sections/1/all",
           '<MediaContainer totalSize="1" offset="0"><Video type="movie" title="Heat" year="1995"/></MediaContainer>',
           XML)
    with pytest.raises(BadResponseError, match="item without ratingKey/title"):
        make_plex().get_library_items(1, limit=1)


def test_xml_items_are_typed_and_untyped_children_skipped(make_plex, plex_mock):
    answer(plex_mock, "/library/sections/1/all",
           '<MediaContainer totalSize="40" offset="5">'
           '<Video ratingKey="11" type="movie" title="Heat" year="" duration="6000"/>'
           '<Directory key="/x" title="not an item"/>'
           '</MediaContainer>', XML)
    page = make_plex().get_library_items(1, offset=5, limit=2)
    assert (page["total_size"], page["offset"], page["size"]) == (40, 5, 1)
    assert page["items"][0] == {"rating_key": "11", "title": "Heat", "type": "movie", "year": None, "summary": "",
                                "thumb": "", "duration_ms": 6000, "child_count": None}


def test_server_info_without_a_machine_identifier_is_a_bad_response(make_plex, plex_mock):
    answer(plex_mock, "/", '{"MediaContainer": {"friendlyName": "Imposter", "version": "1.0"}}', JSON)
    with pytest.raises(BadResponseError, match="server info without machineIdentifier"):
        make_plex().test_connection()


def test_a_bad_answer_is_not_retried(make_plex, plex_mock):
    answer(plex_mock, "/library/sections", '<oops', XML)
    client = make_plex(retry_attempts=3)
    with pytest.raises(BadResponseError):
        client.get_libraries()
    assert plex_mock.journal.count("GET", "/library/sections") == 1
    assert client.last_call_attempts == 1
