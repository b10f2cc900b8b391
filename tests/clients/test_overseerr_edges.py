"""OverseerrClient edges against the Overseerr mock: argument checks, wrong-shape answers, reconciliation failures."""

from __future__ import annotations

import json

import pytest

from companion import (BadResponseError, OverseerrClient, RequestRejectedError, ServiceUnavailableError)

REQUEST = "/api/v1/request"
JSON = {"Content-Type": "application/json"}


def test_an_api_key_is_required():
    with pytest.raises(ValueError, match="API key is required"):
        OverseerrClient("http://127.0.0.1:1", "")


def test_repr_shows_the_url_but_never_the_api_key(make_overseerr, overseerr_mock):
    client = make_overseerr(api_key="very-secret-key")
    assert client.base_url == overseerr_mock.url.rstrip("/")
    assert repr(client) == f"<OverseerrClient {client.base_url}>"
    assert "very-secret-key" not in repr(client)


@pytest.mark.parametrize(("take", "skip"), [(0, 0), (5, -1)])
def test_bad_paging_of_list_requests_fails_before_any_request(make_overseerr, overseerr_mock, take, skip):
    with pytest.raises(ValueError, match=f"take must be >= 1 and skip >= 0, got take={take}, skip={skip}"):
        make_overseerr().list_requests(take=take, skip=skip)
    assert overseerr_mock.journal.count() == 0


def test_list_requests_passes_the_filter_on(make_overseerr, overseerr_mock):
    client = make_overseerr()
    client.submit_request("movie", 603)
    assert len(client.list_requests(filter="pending")["results"]) == 1
    assert client.list_requests(filter="declined")["results"] == []
    queries = [entry.query for entry in overseerr_mock.journal.entries("GET", REQUEST)]
    assert [q.get("filter") for q in queries] == ["pending", "declined"]


def test_explicit_seasons_are_sent_as_given(make_overseerr, overseerr_mock):
    show = make_overseerr().search("the")["results"]
    tv_id = next(r["id"] for r in show if r["mediaType"] == "tv")
    make_overseerr().submit_request("tv", tv_id, seasons=[1, 2])
    posted = overseerr_mock.journal.entries("POST", REQUEST)[-1]
    assert json.loads(posted.body)["seasons"] == [1, 2]


def test_a_wrong_shape_answer_is_a_bad_response(make_overseerr, overseerr_mock):
    overseerr_mock.faults.add_route_fault("/api/v1/status", {"status": 200, "body": '{"name": "not overseerr"}',
                                                             "headers": JSON})
    with pytest.raises(BadResponseError, match="expected a JSON object with version"):
        make_overseerr().get_status()


def test_a_json_list_where_an_object_is_expected_is_a_bad_response(make_overseerr, overseerr_mock):
    overseerr_mock.faults.add_route_fault(REQUEST, {"status": 200, "body": "[]", "headers": JSON}, method="GET")
    with pytest.raises(BadResponseError, match="expected a JSON object with pageInfo, results"):
        make_overseerr().list_requests()


def test_a_created_request_without_an_id_is_a_bad_response(make_overseerr, overseerr_mock):
    overseerr_mock.faults.add_route_fault(REQUEST, {"status": 201, "body": '{"type": "movie"}', "headers": JSON},
                                          method="POST")
    client = make_overseerr()
    with pytest.raises(BadResponseError, match="the created request has no id"):
        client.submit_request("movie", 603)
    assert overseerr_mock.journal.count("POST", REQUEST) == 1
    assert client.last_submit_outcome is None


def test_a_refused_connection_is_retried_without_a_lookup(make_overseerr, overseerr_mock):
    client = make_overseerr(retry_attempts=2)
    overseerr_mock.take_down()
    with pytest.raises(ServiceUnavailableError, match="connection refused") as caught:
        client.submit_request("movie", 603)
    assert "lost" not in str(caught.value)  # never sent: no reconciliation was attempted
    overseerr_mock.bring_up()
    assert overseerr_mock.requests == []


def test_a_lost_answer_whose_check_fails_too_is_reported_as_such(make_overseerr, overseerr_mock):
    client = make_overseerr(retry_attempts=1)
    overseerr_mock.faults.add_route_fault(REQUEST, "reset", method="POST", times=1)
    overseerr_mock.faults.add_route_fault(REQUEST, 503, method="GET")
    with pytest.raises(ServiceUnavailableError) as caught:
        client.submit_request("movie", 603)
    message = str(caught.value)
    assert "the answer to the request was lost" in message
    assert "checking whether it was created failed too" in message and "HTTP 503" in message
    assert overseerr_mock.journal.count("POST", REQUEST) == 1
    assert overseerr_mock.journal.count("GET", REQUEST) == 1


def test_a_failed_check_after_a_lost_answer_never_posts_again(make_overseerr, overseerr_mock):
    client = make_overseerr(retry_attempts=3)
    overseerr_mock.faults.add_route_fault(REQUEST, "truncate", method="POST", times=1)
    overseerr_mock.faults.add_route_fault(REQUEST, 503, method="GET", times=1)
    try:
        outcome: object = client.submit_request("movie", 603)
    except (ServiceUnavailableError, RequestRejectedError) as error:
        outcome = error
    assert len(overseerr_mock.requests) == 1  # the first POST did create it
    assert overseerr_mock.journal.count("POST", REQUEST) == 1, f"POSTed again; the caller got {outcome!r}"
    assert isinstance(outcome, ServiceUnavailableError) and "answer to the request was lost" in str(outcome)


def test_a_lost_answer_for_other_media_is_not_mistaken_for_ours(make_overseerr, overseerr_mock):
    client = make_overseerr(retry_attempts=3)
    other = client.submit_request("movie", 550)
    overseerr_mock.faults.add_route_fault(REQUEST, 503, method="POST", times=1)
    created = client.submit_request("movie", 603)
    assert created["id"] != other["id"] and created["media"]["tmdbId"] == 603
    assert client.last_submit_outcome == "created"
    assert overseerr_mock.journal.count("POST", REQUEST) == 3


def test_clear_cache_forces_a_fresh_read(make_overseerr, overseerr_mock):
    client = make_overseerr()
    client.search("the")
    client.search("the")
    assert overseerr_mock.journal.count("GET", "/api/v1/search") == 1
    client.clear_cache()
    client.search("the")
    assert overseerr_mock.journal.count("GET", "/api/v1/search") == 2


def test_last_call_stale_tells_whether_the_cache_answered(make_overseerr, overseerr_mock):
    client = make_overseerr(cache_ttl_s=0)
    client.search("the")
    assert client.last_call_stale is False
    overseerr_mock.take_down()
    assert client.search("the").stale is True
    assert client.last_call_stale is True
