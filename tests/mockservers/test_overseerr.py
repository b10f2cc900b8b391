"""The mock Overseerr over real sockets: API shapes, auth, validation, state, faults, webhooks, admin."""

from __future__ import annotations

import re
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from flask import Flask, request

from mockservers.core import MockServer
from mockservers.core.journal import REDACTED
from mockservers.overseerr import OverseerrMock, WebhookDelivery

KEY = "test-key-123"
AUTH = {"X-Api-Key": KEY}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
USER_FIELDS = {"id", "email", "avatar", "username", "plexUsername", "plexId", "movieQuotaLimit", "movieQuotaDays",
               "tvQuotaLimit", "tvQuotaDays", "createdAt", "updatedAt", "requestCount", "displayName", "permissions",
               "recoveryLinkExpirationDate", "userType"}
MOVIE_FIELDS = {"id", "mediaType", "title", "originalTitle", "originalLanguage", "overview", "popularity", "adult",
                "releaseDate", "genreIds", "posterPath", "backdropPath", "voteAverage", "voteCount", "video"}
TV_FIELDS = {"id", "mediaType", "name", "originalName", "originalLanguage", "overview", "popularity", "firstAirDate",
             "genreIds", "posterPath", "backdropPath", "voteAverage", "voteCount"}
PERSON_FIELDS = {"id", "mediaType", "name", "popularity", "knownFor", "adult", "profilePath"}
MEDIA_FIELDS = {"id", "tmdbId", "tvdbId", "imdbId", "mediaType", "status", "status4k", "createdAt", "updatedAt"}
REQUEST_FIELDS = {"id", "status", "createdAt", "updatedAt", "type", "is4k", "serverId", "profileId", "rootFolder",
                  "seasons", "seasonCount", "modifiedBy", "requestedBy", "media"}


@pytest.fixture
def mock():
    """A started Overseerr mock with a custom key."""
    with OverseerrMock(api_key=KEY) as server:
        yield server


class Api:
    """Tiny helper: calls under ``/api/v1`` with the key."""

    def __init__(self, server: OverseerrMock) -> None:
        self.base = server.url + "/api/v1"

    def get(self, path: str, headers: dict | None = AUTH, **params: Any) -> requests.Response:
        return requests.get(self.base + path, params=params, headers=headers, timeout=5)

    def post(self, path: str, body: Any = None, headers: dict | None = AUTH, data: str | None = None) -> requests.Response:
        if data is not None:
            return requests.post(self.base + path, data=data, headers=headers, timeout=5)
        return requests.post(self.base + path, json=body, headers=headers, timeout=5)


@pytest.fixture
def api(mock):
    return Api(mock)


class Receiver(MockServer):
    """A webhook receiver on a free port (the core mock mechanism): records every POST (headers and JSON)."""

    service_name = "receiver"

    def __init__(self) -> None:
        super().__init__()
        self.received: list[dict[str, Any]] = []

    def create_app(self) -> Flask:
        app = Flask("receiver")

        @app.post("/hook")
        def hook():
            self.received.append({"headers": dict(request.headers), "json": request.get_json(silent=True)})
            return {"ok": True}

        @app.post("/broken")
        def broken():
            return "receiver failed", 500

        return app


@pytest.fixture
def receiver():
    with Receiver() as rec:
        yield rec


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- status, auth, unknown paths ----------------------------------------------------------
def test_status_needs_no_key(api):
    response = api.get("/status", headers=None)
    assert response.status_code == 200
    assert response.json() == {"version": "1.33.2", "commitTag": response.json()["commitTag"],
                               "updateAvailable": False, "commitsBehind": 0, "restartRequired": False}
    assert isinstance(response.json()["commitTag"], str)


@pytest.mark.parametrize("headers", [None, {"X-Api-Key": "wrong"}, {"X-Api-Key": ""}], ids=["none", "wrong", "empty"])
@pytest.mark.parametrize("method,path", [("GET", "/auth/me"), ("GET", "/search?query=the"), ("GET", "/request"),
                                         ("GET", "/request/count"), ("GET", "/request/1"), ("GET", "/movie/603"),
                                         ("GET", "/tv/1396"), ("POST", "/request")])
def test_wrong_or_missing_key_is_403(api, mock, headers, method, path):
    response = requests.request(method, api.base + path, headers=headers, json={"mediaType": "movie", "mediaId": 603},
                                timeout=5)
    assert response.status_code == 403
    assert response.json() == {"status": 403, "error": "You do not have permission to access this endpoint"}
    assert mock.requests == []


def test_unknown_path_is_json_404(api):
    response = api.get("/no/such/thing")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["message"] == "not found"


def test_auth_me_is_the_user(api):
    user = api.get("/auth/me").json()
    assert USER_FIELDS <= set(user)
    assert user["id"] == 1 and user["permissions"] == 2 and user["requestCount"] == 0
    assert user["movieQuotaLimit"] is None and user["recoveryLinkExpirationDate"] is None
    assert ISO.match(user["createdAt"])


# -- search --------------------------------------------------------------------------------
def test_search_result_shapes_per_media_type(api):
    by_type: dict[str, dict] = {}
    for query in ("matrix", "breaking", "keanu"):
        for result in api.get("/search", query=query).json()["results"]:
            by_type.setdefault(result["mediaType"], result)
    assert MOVIE_FIELDS <= set(by_type["movie"])
    assert TV_FIELDS <= set(by_type["tv"])
    assert PERSON_FIELDS <= set(by_type["person"])
    assert re.match(r"^\d{4}-\d{2}-\d{2}$", by_type["tv"]["firstAirDate"])
    assert by_type["person"]["knownFor"] and by_type["person"]["knownFor"][0]["mediaType"] == "movie"
    assert "mediaInfo" not in by_type["movie"]


def test_search_is_a_case_insensitive_substring_match(api):
    body = api.get("/search", query="mAtRiX").json()
    assert body["totalResults"] == 3
    assert {r["title"] for r in body["results"]} == {"The Matrix", "The Matrix Reloaded", "The Matrix Revolutions"}
    assert api.get("/search", query="zzz-nothing").json() == {"page": 1, "totalPages": 1, "totalResults": 0,
                                                              "results": []}


def test_search_pages_of_twenty(api):
    first = api.get("/search", query="the").json()
    total = first["totalResults"]
    assert total > 20 and first["totalPages"] == 2 and len(first["results"]) == 20 and first["page"] == 1
    second = api.get("/search", query="the", page=2).json()
    assert second["page"] == 2 and len(second["results"]) == total - 20
    assert {(r["mediaType"], r["id"]) for r in first["results"]}.isdisjoint(
        {(r["mediaType"], r["id"]) for r in second["results"]})
    past = api.get("/search", query="the", page=9).json()
    assert past == {"page": 9, "totalPages": 2, "totalResults": total, "results": []}


def test_search_is_deterministic(api):
    assert api.get("/search", query="the").json() == api.get("/search", query="the").json()


@pytest.mark.parametrize("params,field", [({}, "query"), ({"query": ""}, "query"), ({"query": "  "}, "query"),
                                          ({"query": "the", "page": "0"}, "page"),
                                          ({"query": "the", "page": "-1"}, "page"),
                                          ({"query": "the", "page": "two"}, "page")])
def test_search_validation_is_400_with_a_message(api, params, field):
    response = api.get("/search", **params)
    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith(field) and body["errors"] and body["errors"][0]["path"] == f".query.{field}"


# -- creating requests ---------------------------------------------------------------------
def test_post_movie_request_is_201_with_a_media_request(api):
    response = api.post("/request", {"mediaType": "movie", "mediaId": 603})
    assert response.status_code == 201
    created = response.json()
    assert REQUEST_FIELDS <= set(created)
    assert created["status"] == 1 and created["type"] == "movie" and created["is4k"] is False
    assert created["serverId"] is None and created["modifiedBy"] is None and created["seasons"] == []
    assert ISO.match(created["createdAt"]) and ISO.match(created["updatedAt"])
    assert USER_FIELDS <= set(created["requestedBy"])
    media = created["media"]
    assert MEDIA_FIELDS <= set(media)
    assert media["tmdbId"] == 603 and media["mediaType"] == "movie" and media["status"] == 2
    assert media["status4k"] == 1 and media["tvdbId"] is None and ISO.match(media["createdAt"])


def test_created_request_is_listed_counted_and_fetched(api):
    assert api.get("/request/count").json()["total"] == 0
    created = api.post("/request", {"mediaType": "movie", "mediaId": 550}).json()
    listed = api.get("/request").json()
    assert listed["pageInfo"] == {"pages": 1, "pageSize": 10, "results": 1, "page": 1}
    assert listed["results"] == [created]
    assert api.get(f"/request/{created['id']}").json() == created
    assert api.get("/request/count").json() == {"total": 1, "movie": 1, "tv": 0, "pending": 1, "approved": 0,
                                                "declined": 0, "processing": 0, "available": 0}
    assert api.get("/auth/me").json()["requestCount"] == 1


def test_tv_request_with_season_list_or_all(api):
    some = api.post("/request", {"mediaType": "tv", "mediaId": 1396, "seasons": [2, 1]})
    assert some.status_code == 201
    assert [s["seasonNumber"] for s in some.json()["seasons"]] == [1, 2] and some.json()["seasonCount"] == 2
    assert some.json()["media"]["tvdbId"] == 81189
    everything = api.post("/request", {"mediaType": "tv", "mediaId": 1399, "seasons": "all", "is4k": True})
    assert everything.status_code == 201
    assert [s["seasonNumber"] for s in everything.json()["seasons"]] == list(range(1, 9))
    assert everything.json()["media"]["status4k"] == 2 and everything.json()["media"]["status"] == 1


@pytest.mark.parametrize("body,field", [
    ('{"mediaType": "movie", ', "JSON"),
    ("[1, 2]", "JSON object"),
    ('{"mediaType": "book", "mediaId": 603}', "mediaType"),
    ('{"mediaId": 603}', "mediaType"),
    ('{"mediaType": "movie"}', "mediaId"),
    ('{"mediaType": "movie", "mediaId": "603"}', "mediaId"),
    ('{"mediaType": "movie", "mediaId": 0}', "mediaId"),
    ('{"mediaType": "movie", "mediaId": -5}', "mediaId"),
    ('{"mediaType": "movie", "mediaId": true}', "mediaId"),
    ('{"mediaType": "movie", "mediaId": 603, "is4k": "yes"}', "is4k"),
    ('{"mediaType": "tv", "mediaId": 1396}', "seasons"),
    ('{"mediaType": "tv", "mediaId": 1396, "seasons": []}', "seasons"),
    ('{"mediaType": "tv", "mediaId": 1396, "seasons": [0]}', "seasons"),
    ('{"mediaType": "tv", "mediaId": 1396, "seasons": [6]}', "seasons"),
    ('{"mediaType": "tv", "mediaId": 1396, "seasons": "some"}', "seasons"),
])
def test_request_validation_is_400_naming_the_field(api, mock, body, field):
    response = api.post("/request", data=body, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert field in response.json()["message"]
    assert "expected" in response.json()["message"] or "must" in response.json()["message"]
    assert isinstance(response.json()["errors"], list)
    assert mock.requests == []


@pytest.mark.parametrize("media_type,media_id", [("movie", 999999), ("tv", 603)])
def test_request_for_media_not_in_the_catalogue_is_404(api, media_type, media_id):
    response = api.post("/request", {"mediaType": media_type, "mediaId": media_id, "seasons": "all"})
    assert response.status_code == 404
    assert str(media_id) in response.json()["message"]


def test_duplicate_request_is_409(api, mock):
    assert api.post("/request", {"mediaType": "movie", "mediaId": 603}).status_code == 201
    duplicate = api.post("/request", {"mediaType": "movie", "mediaId": 603})
    assert duplicate.status_code == 409
    assert duplicate.json() == {"message": "Request for this media already exists."}
    assert api.post("/request", {"mediaType": "movie", "mediaId": 603, "is4k": True}).status_code == 201
    tv = {"mediaType": "tv", "mediaId": 1396, "seasons": [1, 2]}
    assert api.post("/request", tv).status_code == 201
    again = api.post("/request", tv)  # Overseerr: 202 and nothing created when every season is requested already
    assert again.status_code == 202 and again.json() == {"message": "No seasons available to request"}
    more = api.post("/request", {**tv, "seasons": "all"})  # only the seasons not requested yet
    assert more.status_code == 201 and [s["seasonNumber"] for s in more.json()["seasons"]] == [3, 4, 5]
    assert len(mock.requests) == 4


def test_a_request_on_behalf_of_a_user_is_listed_for_that_user(api, mock):
    mine = api.post("/request", {"mediaType": "movie", "mediaId": 603, "userId": 2})
    assert mine.status_code == 201 and mine.json()["requestedBy"]["id"] == 2
    assert mine.json()["requestedBy"]["plexUsername"] == "alice"
    assert api.post("/request", {"mediaType": "movie", "mediaId": 604}).json()["requestedBy"]["id"] == 1
    alice = api.get("/request", requestedBy=2).json()
    assert [r["media"]["tmdbId"] for r in alice["results"]] == [603] and alice["pageInfo"]["results"] == 1
    assert api.get("/request", requestedBy=3).json()["results"] == []
    assert len(api.get("/request").json()["results"]) == 2


@pytest.mark.parametrize("user_id", [0, 99, "2", True, -1])
def test_a_request_for_an_unknown_user_is_400(api, mock, user_id):
    response = api.post("/request", {"mediaType": "movie", "mediaId": 603, "userId": user_id})
    assert response.status_code == 400 and "userId" in response.json()["message"]
    assert mock.requests == []


def test_a_declined_movie_can_be_requested_again(api, mock):
    first = api.post("/request", {"mediaType": "movie", "mediaId": 13}).json()
    mock.set_request_status(first["id"], 3)
    assert api.post("/request", {"mediaType": "movie", "mediaId": 13}).status_code == 201


def test_concurrent_posts_are_thread_safe(api, mock):
    movie_ids = [603, 604, 605, 550, 680, 155, 272, 27205]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda mid: api.post("/request", {"mediaType": "movie", "mediaId": mid}).status_code,
                                 movie_ids))
        same = list(pool.map(lambda _: api.post("/request", {"mediaType": "movie", "mediaId": 13}).status_code,
                             range(8)))
    assert statuses == [201] * 8
    assert sorted(same) == [201] + [409] * 7
    ids = [r["id"] for r in mock.requests]
    assert ids == list(range(1, 10))


# -- listing -------------------------------------------------------------------------------
def test_list_take_skip_newest_first(api, mock):
    for mid in (603, 604, 605, 550, 680):
        mock.add_request("movie", mid)
    page = api.get("/request", take=2, skip=2).json()
    assert page["pageInfo"] == {"pages": 3, "pageSize": 2, "results": 5, "page": 2}
    assert [r["id"] for r in page["results"]] == [3, 2]
    assert [r["id"] for r in api.get("/request").json()["results"]] == [5, 4, 3, 2, 1]
    assert api.get("/request", take=2, skip=10).json()["results"] == []
    mock.set_request_status(1, 2)
    assert api.get("/request", sort="modified").json()["results"][0]["id"] == 1


def test_list_filters(api, mock):
    pending = mock.add_request("movie", 603)
    approved = mock.add_request("movie", 604, status=2)
    declined = mock.add_request("tv", 1396, status=3)
    available = mock.add_request("tv", 1399, status=2)
    mock.set_media_status(available["id"], 5)

    def ids(name: str) -> list[int]:
        return [r["id"] for r in api.get("/request", filter=name).json()["results"]]

    assert ids("all") == [4, 3, 2, 1]
    assert ids("pending") == [pending["id"]]
    assert ids("approved") == [available["id"], approved["id"]]
    assert ids("declined") == [declined["id"]]
    assert ids("processing") == [approved["id"]]
    assert ids("available") == [available["id"]]
    assert ids("unavailable") == [approved["id"], pending["id"]]
    assert api.get("/request/count").json() == {"total": 4, "movie": 2, "tv": 2, "pending": 1, "approved": 2,
                                                "declined": 1, "processing": 1, "available": 1}


@pytest.mark.parametrize("params,field", [({"filter": "nope"}, "filter"), ({"take": "0"}, "take"),
                                          ({"take": "x"}, "take"), ({"skip": "-1"}, "skip"),
                                          ({"sort": "title"}, "sort")])
def test_list_bad_parameters_are_400(api, params, field):
    response = api.get("/request", **params)
    assert response.status_code == 400
    assert response.json()["message"].startswith(field)


def test_unknown_request_is_404(api):
    response = api.get("/request/42")
    assert response.status_code == 404 and "42" in response.json()["message"]


# -- details -------------------------------------------------------------------------------
def test_movie_and_tv_details(api, mock):
    movie = api.get("/movie/603").json()
    assert movie["id"] == 603 and movie["title"] == "The Matrix" and "mediaInfo" not in movie
    assert movie["imdbId"] and isinstance(movie["genres"], list)
    tv = api.get("/tv/1396").json()
    assert tv["name"] == "Breaking Bad" and tv["numberOfSeasons"] == 5 and len(tv["seasons"]) == 5
    created = mock.add_request("movie", 603)
    info = api.get("/movie/603").json()["mediaInfo"]
    assert info["status"] == 2 and [r["id"] for r in info["requests"]] == [created["id"]]
    assert api.get("/search", query="the matrix").json()["results"][0]["mediaInfo"]["tmdbId"] == 603
    for path in ("/movie/999999", "/tv/999999", "/tv/603"):
        response = api.get(path)
        assert response.status_code == 404 and path.rsplit("/", 1)[1] in response.json()["message"]


# -- journal and faults --------------------------------------------------------------------
def test_journal_redacts_the_api_key(api, mock):
    api.get("/auth/me")
    entry = mock.journal.assert_received("GET", "/api/v1/auth/me", count=1)[0]
    assert entry.headers["X-Api-Key"] == REDACTED
    assert KEY not in repr(mock.journal.entries()) and KEY not in repr(mock)


def test_route_fault_applies_then_clears(api, mock):
    mock.faults.add_route_fault("/api/v1/search", 503, times=1)
    assert api.get("/search", query="the").status_code == 503
    assert api.get("/search", query="the").status_code == 200
    assert mock.journal.count("GET", "/api/v1/search", status=503) == 1


def test_seeded_failure_rate_applies_to_the_api(api, mock):
    mock.faults.set_failure_rate(0.5, status=502, seed=7)
    first = [api.get("/request/count").status_code for _ in range(20)]
    mock.faults.set_failure_rate(0.5, status=502, seed=7)
    assert [api.get("/request/count").status_code for _ in range(20)] == first
    assert set(first) == {200, 502}


def test_state_survives_take_down(api, mock):
    mock.add_request("movie", 603)
    mock.take_down()
    with pytest.raises(requests.ConnectionError):
        api.get("/request")
    mock.bring_up()
    assert api.get("/request").json()["pageInfo"]["results"] == 1


# -- Python helpers ------------------------------------------------------------------------
def test_python_helpers(mock):
    created = mock.add_request("tv", 1396)  # all seasons by default
    assert created["seasonCount"] == 5 and created["status"] == 1
    copy = mock.requests
    copy[0]["status"] = 99
    assert mock.requests[0]["status"] == 1
    approved = mock.set_request_status(created["id"], 2)
    assert approved["status"] == 2 and approved["media"]["status"] == 3 and approved["modifiedBy"]["id"] == 1
    declined = mock.set_request_status(created["id"], 3)
    assert declined["media"]["status"] == 1
    with pytest.raises(ValueError, match="1 \\(PENDING\\), 2 \\(APPROVED\\) or 3"):
        mock.set_request_status(created["id"], 7)
    with pytest.raises(KeyError, match="no request with id 99"):
        mock.set_request_status(99, 2)
    mock.add_request("movie", 603)
    with pytest.raises(ValueError, match="already exists"):
        mock.add_request("movie", 603)
    with pytest.raises(ValueError, match="mediaType"):
        mock.add_request("music", 1)


def test_reset_state_forgets_requests_and_deliveries(api, mock, receiver):
    mock.add_request("movie", 603)
    mock.send_webhook(receiver.url + "/hook", "TEST_NOTIFICATION")
    mock.reset_state()
    assert mock.requests == [] and mock.webhook_deliveries == []
    assert api.post("/request", {"mediaType": "movie", "mediaId": 603}).json()["id"] == 1
    assert requests.post(mock.url + "/__admin/reset", timeout=5).status_code == 200
    assert api.get("/request/count").json()["total"] == 0


# -- webhooks ------------------------------------------------------------------------------
def test_test_notification_with_authorization(mock, receiver):
    delivery = mock.send_webhook(receiver.url + "/hook", "TEST_NOTIFICATION", authorization="Bearer hook-secret")
    assert isinstance(delivery, WebhookDelivery)
    assert delivery.status_code == 200 and delivery.error is None and '"ok"' in delivery.response_text
    [got] = receiver.received
    assert got["headers"]["Authorization"] == "Bearer hook-secret"
    assert got["json"] == delivery.payload
    assert got["json"] == {"notification_type": "TEST_NOTIFICATION", "event": "", "subject": "Test Notification",
                           "message": got["json"]["message"], "image": "", "media": None, "request": None,
                           "issue": None, "comment": None, "extra": []}
    assert mock.webhook_deliveries == [delivery]
    assert "hook-secret" not in repr(delivery)


# what Overseerr's media and request are when it sends each notification about a (new, pending) movie request
@pytest.mark.parametrize("notification_type,event,media_status,request_status", [
    ("MEDIA_PENDING", "New Movie Request", "PENDING", 1), ("MEDIA_APPROVED", "Movie Request Approved", "PROCESSING", 2),
    ("MEDIA_AVAILABLE", "Movie Now Available", "AVAILABLE", 1),
    ("MEDIA_DECLINED", "Movie Request Declined", "UNKNOWN", 3), ("MEDIA_FAILED", "Movie Request Failed", "PENDING", 1),
    ("MEDIA_AUTO_APPROVED", "Movie Request Automatically Approved", "PROCESSING", 2)])
def test_media_notifications_are_overseerr_shaped(mock, receiver, notification_type, event, media_status,
                                                  request_status):
    created = mock.add_request("movie", 603)
    delivery = mock.send_webhook(receiver.url + "/hook", notification_type, request_id=created["id"])
    assert delivery.status_code == 200
    [got] = receiver.received
    assert "Authorization" not in got["headers"]
    payload = got["json"]
    assert payload["notification_type"] == notification_type and payload["event"] == event
    assert payload["subject"] == "The Matrix (1999)" and payload["image"].endswith(".jpg")
    assert payload["media"] == {"media_type": "movie", "tmdbId": "603", "tvdbId": "", "status": media_status,
                                "status4k": "UNKNOWN"}
    stored = mock.get_request(created["id"])  # the mock's API agrees with what it announced
    assert stored["status"] == request_status and stored["media"]["status"] == MEDIA_STATUS_CODE[media_status]
    assert payload["request"]["request_id"] == str(created["id"])
    assert payload["request"]["requestedBy_email"] == created["requestedBy"]["email"]
    assert {"requestedBy_username", "requestedBy_avatar"} <= set(payload["request"])
    assert payload["issue"] is None and payload["comment"] is None and payload["extra"] == []


MEDIA_STATUS_CODE = {"UNKNOWN": 1, "PENDING": 2, "PROCESSING": 3, "PARTIALLY_AVAILABLE": 4, "AVAILABLE": 5}


def test_media_available_about_a_4k_request_makes_the_4k_media_available(mock, receiver):
    created = mock.add_request("movie", 603, status=2, is4k=True)
    payload = mock.send_webhook(receiver.url + "/hook", "MEDIA_AVAILABLE", request_id=created["id"]).payload
    assert (payload["media"]["status"], payload["media"]["status4k"]) == ("UNKNOWN", "AVAILABLE")


def test_media_available_keeps_a_partially_available_show(mock, receiver):
    created = mock.add_request("tv", 1396, seasons=[1], status=2)
    mock.set_media_status(created["id"], 4)
    payload = mock.send_webhook(receiver.url + "/hook", "MEDIA_AVAILABLE", request_id=created["id"]).payload
    assert payload["media"]["status"] == "PARTIALLY_AVAILABLE"


def test_tv_notification_names_the_series_and_seasons(mock, receiver):
    created = mock.add_request("tv", 1396, seasons=[1, 3], status=2)
    mock.set_media_status(created["id"], 5)
    payload = mock.send_webhook(receiver.url + "/hook", "MEDIA_AVAILABLE", request_id=created["id"],
                                payload_overrides={"message": "custom"}).payload
    assert payload["event"] == "Series Now Available" and payload["message"] == "custom"
    assert payload["media"]["tvdbId"] == "81189" and payload["media"]["status"] == "AVAILABLE"
    assert payload["extra"] == [{"name": "Requested Seasons", "value": "1, 3"}]
    assert receiver.received[0]["json"] == payload


def test_bad_webhook_input_is_a_value_error(mock, receiver):
    with pytest.raises(ValueError, match="MEDIA_PENDING.*TEST_NOTIFICATION"):
        mock.send_webhook(receiver.url + "/hook", "MEDIA_SOMETHING")
    with pytest.raises(ValueError, match="request_id"):
        mock.send_webhook(receiver.url + "/hook", "MEDIA_PENDING")
    with pytest.raises(ValueError, match="no request with id 5"):
        mock.send_webhook(receiver.url + "/hook", "MEDIA_APPROVED", request_id=5)
    assert receiver.received == [] and mock.webhook_deliveries == []


def test_delivery_failures_are_reported(mock, receiver):
    refused = mock.send_webhook(f"http://127.0.0.1:{closed_port()}/hook", "TEST_NOTIFICATION", timeout=2)
    assert refused.status_code is None and "could not deliver" in refused.error
    assert refused.payload["subject"] == "Test Notification"
    broken = mock.send_webhook(receiver.url + "/broken", "TEST_NOTIFICATION")
    assert broken.status_code == 500 and "500" in broken.error and broken.response_text == "receiver failed"
    assert [d.status_code for d in mock.webhook_deliveries] == [None, 500]


# -- admin routes --------------------------------------------------------------------------
def test_admin_requests_routes(mock):
    admin = mock.url + "/__admin/overseerr/requests"
    created = requests.post(admin, json={"mediaType": "movie", "mediaId": 603, "status": 2}, timeout=5)
    assert created.status_code == 201 and created.json()["status"] == 2 and created.json()["media"]["status"] == 3
    assert [r["id"] for r in requests.get(admin, timeout=5).json()["requests"]] == [1]
    assert requests.post(admin, json={"mediaType": "movie", "mediaId": 603}, timeout=5).status_code == 409
    bad = requests.post(admin, json={"mediaType": "movie", "mediaId": "x"}, timeout=5)
    assert bad.status_code == 400 and "mediaId" in bad.json()["error"]
    status = requests.put(admin + "/1/status", json={"status": 3}, timeout=5)
    assert status.status_code == 200 and status.json()["status"] == 3
    assert requests.put(admin + "/9/status", json={"status": 3}, timeout=5).status_code == 404
    assert mock.journal.count() == 0  # admin calls are not journaled


def test_admin_webhook_route(mock, receiver):
    mock.add_request("movie", 603)
    admin = mock.url + "/__admin/overseerr/webhooks"
    sent = requests.post(admin, json={"url": receiver.url + "/hook", "notification_type": "MEDIA_APPROVED",
                                      "request_id": 1, "authorization": "Basic abc"}, timeout=10)
    assert sent.status_code == 200
    body = sent.json()
    assert body["status_code"] == 200 and body["error"] is None and body["payload"]["request"]["request_id"] == "1"
    assert receiver.received[0]["headers"]["Authorization"] == "Basic abc"
    listed = requests.get(admin, timeout=5).json()["deliveries"]
    assert len(listed) == 1 and listed[0]["notification_type"] == "MEDIA_APPROVED"
    for bad, word in (({"notification_type": "TEST_NOTIFICATION"}, "url"),
                      ({"url": receiver.url + "/hook", "notification_type": "NOPE"}, "notification_type"),
                      ({"url": receiver.url + "/hook", "notification_type": "MEDIA_PENDING"}, "request_id"),
                      ({"url": receiver.url + "/hook", "notification_type": "MEDIA_PENDING", "request_id": "1"},
                       "request_id")):
        response = requests.post(admin, json=bad, timeout=5)
        assert response.status_code == 400 and word in response.json()["error"]
    assert requests.post(admin, data="not json", timeout=5).status_code == 400
    assert len(receiver.received) == 1
