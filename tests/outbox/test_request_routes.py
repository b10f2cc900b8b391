"""``/api/v1/requests`` on the companion's web app: results by status code, bad input as a 400 naming the field,
cancelling, authentication, and a 503 (never a 500) when the outbox's database is gone."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest

from companion.app import Companion
from companion.app_settings import AppSettings, SecretText, SettingsError
from companion.dashboard import mint_token

JWT = secrets.token_urlsafe(32)


@pytest.fixture
def companion(overseerr_mock, clock, tmp_path):
    settings = AppSettings(jwt_secret=SecretText(JWT), overseerr_url=overseerr_mock.url,
                           overseerr_api_key=SecretText("mock-api-key"),
                           database_url=f"sqlite:///{tmp_path / 'outbox.db'}")
    app = Companion(settings, clock=clock)
    yield app
    app.close()


@pytest.fixture
def web(companion, clock):
    client = companion.web_app.test_client()
    token = mint_token(JWT, role="user", expires_in=timedelta(minutes=5), now=clock.now())
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_delivered_queued_and_rejected_answer_201_202_and_409(web, overseerr_mock):
    delivered = web.post("/api/v1/requests", json={"mediaType": "movie", "mediaId": 603, "userId": 2})
    assert delivered.status_code == 201 and delivered.json["data"]["overseerrRequest"]["id"] == 1
    rejected = web.post("/api/v1/requests", json={"mediaType": "movie", "mediaId": 603})
    assert rejected.status_code == 409 and "Request for this media already exists." in rejected.json["error"]
    overseerr_mock.take_down()
    queued = web.post("/api/v1/requests", json={"mediaType": "tv", "mediaId": 1396, "seasons": [1]})
    assert queued.status_code == 202 and queued.json["data"]["status"] == "queued"
    listing = web.get("/api/v1/requests?state=queued").json["data"]
    assert [s["id"] for s in listing["submissions"]] == [3] and listing["outbox"]["queued"] == 1
    assert web.get("/api/v1/requests").json["data"]["count"] == 3
    assert web.get("/api/v1/requests/3").json["data"]["seasons"] == [1]
    assert web.delete("/api/v1/requests/3").json["data"]["state"] == "cancelled"
    again = web.delete("/api/v1/requests/3")
    assert again.status_code == 409 and "cancelled already" in again.json["error"]
    assert web.delete("/api/v1/requests/99").status_code == 404
    assert web.get("/api/v1/requests/99").status_code == 404


@pytest.mark.parametrize("body,field", [
    ({"mediaType": "book", "mediaId": 1}, "media_type"),
    ({"mediaType": "movie", "mediaId": -1}, "media_id"),
    ({"mediaType": "movie"}, "media_id"),
    ({"mediaType": "movie", "mediaId": 603, "extra": 1}, "unknown field"),
    ({"mediaType": "tv", "mediaId": 1396, "seasons": [[[[1]]]]}, "nested too deep"),
    ([1, 2], "JSON object"),
])
def test_bad_input_is_a_400_naming_the_field_and_records_nothing(web, companion, body, field):
    answer = web.post("/api/v1/requests", json=body)
    assert answer.status_code == 400 and field in answer.json["error"]
    assert companion.outbox.store.submissions() == []


@pytest.mark.parametrize("raw,message", [
    (b"{not json", "JSON object"),
    (b'{"mediaType": "movie", "mediaId": NaN}', "NaN is not JSON"),
    (b"\xff\xfe", "JSON object"),
    (json.dumps({"mediaType": "movie", "mediaId": 603, "x": "y" * 20000}).encode(), "too large"),
])
def test_bodies_that_are_not_small_json_objects_are_400(web, raw, message):
    answer = web.post("/api/v1/requests", data=raw, content_type="application/json")
    assert answer.status_code == 400 and message in answer.json["error"]


@pytest.mark.parametrize("query,message", [("state=lost", "'state' must be one of"),
                                           ("limit=0", "'limit' must be"), ("limit=abc", "'limit' must be")])
def test_bad_queries_are_400(web, query, message):
    answer = web.get(f"/api/v1/requests?{query}")
    assert answer.status_code == 400 and message in answer.json["error"]


def test_requests_need_a_valid_token_of_any_role(companion):
    client = companion.web_app.test_client()
    assert client.get("/api/v1/requests").status_code == 401
    assert client.post("/api/v1/requests", headers={"Authorization": "Bearer nope"},
                       json={"mediaType": "movie", "mediaId": 603}).status_code == 401


def test_the_dashboard_reports_the_outbox_and_a_lost_database_is_a_503(web, companion, clock, overseerr_mock):
    overseerr_mock.take_down()
    web.post("/api/v1/requests", json={"mediaType": "movie", "mediaId": 603})
    clock.advance(90)
    admin = mint_token(JWT, role="admin", expires_in=timedelta(minutes=5), now=clock.now())
    board = web.get("/api/v1/admin/service-health/dashboard", headers={"Authorization": f"Bearer {admin}"}).json
    outbox = board["data"]["outbox"]
    assert (outbox["available"], outbox["queued"], outbox["store"]) == (True, 1, "sqlite")
    assert outbox["oldestAgeS"] >= 90 and "connection refused" in outbox["lastDeliveryError"]["message"]
    companion.outbox.store.close()
    assert companion.status.get_outbox_status()["available"] is False
    gone = web.post("/api/v1/requests", json={"mediaType": "movie", "mediaId": 604})
    assert gone.status_code == 503 and "the request outbox is unavailable" in gone.json["error"]


def test_the_database_url_must_name_a_store_and_never_shows_its_password():
    with pytest.raises(SettingsError, match=r"postgresql://user:password@host:port/db URL") as caught:
        AppSettings(jwt_secret=SecretText(JWT), database_url="mysql://root:hunter2@db/x")
    assert "hunter2" not in str(caught.value)


def test_without_overseerr_there_is_no_outbox(clock):
    app = Companion(AppSettings(jwt_secret=SecretText(JWT)), clock=clock)
    assert app.outbox is None and app.status.get_outbox_status() is None
    app.close()
