"""The webhook receiver never answers 5xx: every bad body is a 4xx naming the field, the value and what is allowed."""

from __future__ import annotations

import json

import pytest
import requests

from companion.dashboard import MAX_BODY_BYTES, DashboardServer, create_dashboard_app

SECRET = "webhook-limits-secret-0123456789abcdef"
JWT_SECRET = "webhook-limits-jwt-secret-0123456789abcdef"
PATH = "/api/v1/webhooks/overseerr"
VALID = {"notification_type": "MEDIA_PENDING", "subject": "The Matrix",
         "media": {"media_type": "movie", "tmdbId": "603", "status": "PENDING"}}


class NoServices:
    def get_all_statuses(self):
        return []


@pytest.fixture(scope="module")
def receiver():
    with DashboardServer(create_dashboard_app(NoServices(), None, jwt_secret=JWT_SECRET,
                                              webhook_secret=SECRET)) as server:
        yield server


def post(server, data, **headers):
    return requests.post(server.url + PATH, data=data, timeout=10,
                         headers={"Authorization": SECRET, "Content-Type": "application/json", **headers})


def with_media(**media):
    return json.dumps({**VALID, "media": {**VALID["media"], **media}}).encode()


def nested(depth, open_="[", close="]"):
    return open_ * depth + close * depth


@pytest.mark.parametrize(("body", "status", "fragment"), [
    (with_media(media_type=["movie"]), 400, "'media.media_type' must be one of movie, tv; got ['movie']"),
    (with_media(media_type={"a": 1}), 400, "'media.media_type' must be one of movie, tv; got {'a': 1}"),
    (with_media(status=["PENDING"]), 400, "'media.status' must be one of AVAILABLE, "),
    (with_media(status={"x": []}), 400, "got {'x': []}"),
    (with_media(status4k=None), 400, "'media.status4k' must be one of"),
    (with_media(tmdbId=[603]), 400, "'media.tmdbId' must be a string or integer id; got [603]"),
    (json.dumps({**VALID, "notification_type": ["MEDIA_PENDING"]}).encode(), 400, "unknown 'notification_type'"),
    (nested(30_000).encode(), 400, "nested deeper than 16 levels"),
    (('{"a":' * 5_000 + "1" + "}" * 5_000).encode(), 400, "nested deeper than 16 levels"),
    (json.dumps({**VALID, "extra": json.loads(nested(16))}).encode(), 400, "nested deeper than 16 levels (at body.extra"),
    (b'{"notification_type": "TEST_NOTIFICATION", "subject": "\xff\xfe"}', 400,
     "body is not valid UTF-8: byte 0xff at offset 55"),
    (b'{"notification_type": "TEST_NOTIFICATION", "subject": "bad \\ud800"}', 400,
     "'body.subject' is not valid Unicode: lone surrogate '\\ud800' at character 4"),
    (b'{"notification_type": "TEST_NOTIFICATION", "subject": "x", "\\udfff": 1}', 400, "lone surrogate"),
    (b'{"notification_type": "TEST_NOTIFICATION", "subject": "x", "extra": [NaN]}', 400,
     "NaN is not a JSON number"),
    (b'{"notification_type": "TEST_NOTIFICATION", "subject": "x", "n": ' + b"9" * 5000 + b"}", 400,
     "body is not valid JSON"),
    (b"", 400, "empty body"),
    (b"x" * (MAX_BODY_BYTES + 1), 413, f"request body too large: {MAX_BODY_BYTES + 1} bytes, at most {MAX_BODY_BYTES}"),
    (b"x" * 5_000_000, 413, "request body too large: 5000000 bytes"),
], ids=lambda value: None)
def test_bad_webhook_bodies_get_a_4xx_that_names_the_problem(receiver, body, status, fragment):
    before = len(receiver.inbox)
    response = post(receiver, body)
    assert response.status_code == status, response.text
    assert response.json()["success"] is False and fragment in response.json()["error"]
    assert len(receiver.inbox) == before  # nothing recorded ...
    assert post(receiver, json.dumps(VALID).encode()).status_code == 202  # ... and the receiver still works


def test_a_body_nested_exactly_16_deep_is_accepted(receiver):
    body = json.dumps({**VALID, "extra": json.loads(nested(15))}).encode()  # body 1 + extra 15
    assert post(receiver, body).status_code == 202


def test_a_chunked_body_over_the_limit_is_a_413(receiver):
    def chunks():
        for _ in range(MAX_BODY_BYTES // 1024 + 8):
            yield b"x" * 1024

    response = post(receiver, chunks())
    assert response.status_code == 413 and "request body too large" in response.json()["error"]


def test_an_unknown_type_filter_is_a_400(receiver):
    response = requests.get(receiver.url + PATH, params={"type": "MEDIA_EXPLODED"}, headers={"Authorization": SECRET},
                            timeout=10)
    assert response.status_code == 400
    assert "query parameter 'type' must be one of ISSUE_COMMENT" in response.json()["error"]
    assert "got 'MEDIA_EXPLODED'" in response.json()["error"]


def test_a_big_body_with_a_wrong_secret_is_refused_promptly(receiver):
    response = requests.post(receiver.url + PATH, data=b"x" * 5_000_000, headers={"Authorization": "wrong"}, timeout=10)
    assert response.status_code in (401, 413)
