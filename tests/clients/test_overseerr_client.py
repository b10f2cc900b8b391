"""OverseerrClient against the Overseerr mock: reads, the one write without duplicates, auth, faults."""

from __future__ import annotations

import pytest

from companion import (AuthenticationError, BadResponseError, CircuitOpenError, RequestRejectedError,
                          ServiceUnavailableError)

REQUEST = "/api/v1/request"


def test_status_needs_no_caching_and_reports_the_version(make_overseerr, overseerr_mock):
    client = make_overseerr()
    assert client.get_status()["version"]
    client.get_status()
    assert overseerr_mock.journal.count("GET", "/api/v1/status") == 2


def test_search_returns_a_page_of_typed_results(make_overseerr):
    page = make_overseerr().search("the")
    assert page["page"] == 1 and page["totalResults"] >= len(page["results"]) > 0
    assert {r["mediaType"] for r in page["results"]} <= {"movie", "tv", "person"}


def test_search_results_are_cached(make_overseerr, overseerr_mock):
    client = make_overseerr()
    assert client.search("the") == client.search("THE ")
    assert overseerr_mock.journal.count("GET", "/api/v1/search") == 1


@pytest.mark.parametrize("query, page, message", [("", 1, "must not be empty"), ("x", 0, "page must be >= 1")])
def test_bad_search_arguments_fail_before_any_request(make_overseerr, overseerr_mock, query, page, message):
    with pytest.raises(ValueError, match=message):
        make_overseerr().search(query, page)
    assert overseerr_mock.journal.count() == 0


def test_a_submitted_request_is_listed_and_fetched(make_overseerr):
    client = make_overseerr()
    created = client.submit_request("movie", 603)
    assert created["id"] and created["type"] == "movie" and created["media"]["tmdbId"] == 603
    assert client.last_submit_outcome == "created"
    listing = client.list_requests(take=10)
    assert [r["id"] for r in listing["results"]] == [created["id"]]
    assert listing["pageInfo"]["results"] == 1
    assert client.get_request(created["id"])["id"] == created["id"]


def test_a_tv_request_asks_for_all_seasons_by_default(make_overseerr, overseerr_mock):
    show = make_overseerr().search("the")["results"]
    tv_id = next(r["id"] for r in show if r["mediaType"] == "tv")
    assert make_overseerr().submit_request("tv", tv_id)["type"] == "tv"
    assert '"seasons": "all"' in overseerr_mock.journal.last().body.replace("'", '"')


def test_submitting_invalidates_cached_listings(make_overseerr):
    client = make_overseerr()
    assert client.list_requests()["results"] == []
    client.submit_request("movie", 603)
    assert len(client.list_requests()["results"]) == 1


@pytest.mark.parametrize("fault", ["truncate", "malformed"])
def test_a_lost_answer_is_recovered_without_a_duplicate(make_overseerr, overseerr_mock, fault):
    # nothing here waits for a timeout (the answer is cut or garbled at once): a read timeout a loaded machine
    # cannot hit, so the look-up after the lost answer is never what fails (it did at 0.5 s under heavy load)
    client = make_overseerr(read_timeout_s=5.0)
    overseerr_mock.faults.add_route_fault(REQUEST, fault, method="POST", times=1)
    created = client.submit_request("movie", 603)
    assert created["media"]["tmdbId"] == 603
    assert client.last_submit_outcome == "recovered"
    assert overseerr_mock.journal.count("POST", REQUEST) == 1
    assert len(overseerr_mock.requests) == 1


def test_a_post_refused_before_processing_is_retried_once_its_absence_is_known(make_overseerr, overseerr_mock):
    client = make_overseerr(retry_attempts=3)
    overseerr_mock.faults.add_route_fault(REQUEST, 503, method="POST", times=1)
    created = client.submit_request("movie", 603)
    assert client.last_submit_outcome == "created" and created["id"]
    assert overseerr_mock.journal.count("POST", REQUEST) == 2
    assert len(overseerr_mock.requests) == 1


def test_a_reset_post_is_not_repeated_when_retries_are_exhausted(make_overseerr, overseerr_mock):
    client = make_overseerr(retry_attempts=2)
    overseerr_mock.faults.add_route_fault(REQUEST, "reset", method="POST")
    with pytest.raises(ServiceUnavailableError):
        client.submit_request("movie", 603)
    assert overseerr_mock.journal.count("POST", REQUEST) == 2
    assert overseerr_mock.requests == []


def test_a_duplicate_is_rejected_by_the_server(make_overseerr):
    client = make_overseerr()
    client.submit_request("movie", 603)
    with pytest.raises(RequestRejectedError) as caught:
        client.submit_request("movie", 603)
    assert caught.value.status == 409


def test_bad_submit_arguments_are_refused_locally(make_overseerr, overseerr_mock):
    with pytest.raises(ValueError, match="media_type must be 'movie' or 'tv'"):
        make_overseerr().submit_request("book", 1)
    with pytest.raises(ValueError, match="media_id must be a positive"):
        make_overseerr().submit_request("movie", 0)
    assert overseerr_mock.journal.count() == 0


def test_wrong_api_key_is_an_authentication_error(make_overseerr):
    client = make_overseerr(api_key="wrong-key")
    with pytest.raises(AuthenticationError) as caught:
        client.search("the")
    assert caught.value.status == 403 and "wrong-key" not in str(caught.value)
    assert client.breaker.state == "closed"


def test_unknown_request_is_rejected_not_a_health_failure(make_overseerr):
    client = make_overseerr()
    with pytest.raises(RequestRejectedError) as caught:
        client.get_request(9999)
    assert caught.value.status == 404 and client.breaker.metrics()["failures"] == 0


def test_malformed_json_is_a_bad_response(make_overseerr, overseerr_mock):
    overseerr_mock.faults.add_route_fault("/api/v1/search", "malformed", times=1)
    with pytest.raises(BadResponseError, match="malformed JSON"):
        make_overseerr().search("the")


def test_open_breaker_serves_a_cached_search_as_stale(make_overseerr, overseerr_mock):
    client = make_overseerr(cache_ttl_s=0, fail_max=1)
    fresh = client.search("the")
    overseerr_mock.take_down()
    stale = client.search("the")
    assert stale.stale and stale == fresh
    with pytest.raises(CircuitOpenError):
        client.get_status()
