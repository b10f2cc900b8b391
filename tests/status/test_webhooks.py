"""The Overseerr webhook receiver: shared-secret auth, payload validation, the inbox."""

from __future__ import annotations

import threading

import pytest
import requests

from companion.dashboard import WEBHOOK_PATH, WebhookInbox, WebhookValidationError, validate_notification


def media_approved(**overrides):
    payload = {
        "notification_type": "MEDIA_APPROVED",
        "event": "Movie Request Approved",
        "subject": "The Matrix (1999)",
        "message": "A new request has been approved.",
        "image": "https://image.tmdb.org/t/p/w600_and_h900_bestv2/poster.jpg",
        "media": {"media_type": "movie", "tmdbId": "603", "tvdbId": "", "status": "PENDING", "status4k": "UNKNOWN"},
        "request": {"request_id": "7", "requestedBy_email": "qa@example.com", "requestedBy_username": "qa",
                    "requestedBy_avatar": ""},
        "issue": None,
        "comment": None,
        "extra": [],
    }
    payload.update(overrides)
    return payload


TEST_NOTIFICATION = {"notification_type": "TEST_NOTIFICATION", "event": "", "subject": "Test Notification",
                     "message": "Check check, 1, 2, 3. Are we coming in clear?", "image": "", "media": None,
                     "request": None, "issue": None, "comment": None, "extra": []}


@pytest.fixture
def receiver(make_dashboard, fakes):
    return make_dashboard(fakes.StatusService([]), None)


def post(server, payload=None, *, secret, data=None):
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["Authorization"] = secret
    return requests.post(server.url + WEBHOOK_PATH, json=payload if data is None else None, data=data,
                         headers=headers, timeout=5)


def test_valid_notification_is_accepted_and_listed(receiver, fakes):
    response = post(receiver, media_approved(), secret=fakes.webhook_secret)
    assert response.status_code == 202
    assert response.json()["data"]["notification_type"] == "MEDIA_APPROVED"
    record = receiver.inbox.wait_for("MEDIA_APPROVED", timeout=2)
    assert record["payload"]["media"]["tmdbId"] == "603"
    listed = requests.get(receiver.url + WEBHOOK_PATH, headers={"Authorization": fakes.webhook_secret}, timeout=5)
    assert listed.status_code == 200
    assert [n["subject"] for n in listed.json()["data"]["notifications"]] == ["The Matrix (1999)"]


def test_notification_sent_by_the_overseerr_mock_is_accepted(receiver, fakes, overseerr_mock):
    request = overseerr_mock.add_request("movie", 603)
    delivery = overseerr_mock.send_webhook(receiver.url + WEBHOOK_PATH, "MEDIA_AVAILABLE", request_id=request["id"],
                                           authorization=fakes.webhook_secret)
    assert delivery.status_code == 202 and delivery.error is None
    record = receiver.inbox.wait_for("MEDIA_AVAILABLE", timeout=5)
    assert record["payload"]["request"]["request_id"] == str(request["id"])
    assert record["payload"]["media"]["tmdbId"] == "603"


def test_test_notification_is_accepted(receiver, fakes):
    assert post(receiver, TEST_NOTIFICATION, secret=fakes.webhook_secret).status_code == 202
    assert receiver.inbox.received("TEST_NOTIFICATION")[0]["subject"] == "Test Notification"


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", "Bearer status-tests-webhook-secret-0123456789"])
def test_wrong_secret_is_refused(receiver, secret):
    response = post(receiver, TEST_NOTIFICATION, secret=secret)
    assert response.status_code == 401
    assert response.json()["success"] is False
    assert "status-tests-webhook-secret" not in response.text
    assert receiver.inbox.received() == []


def test_reading_the_inbox_needs_the_secret(receiver):
    response = requests.get(receiver.url + WEBHOOK_PATH, headers={"Authorization": "nope"}, timeout=5)
    assert response.status_code == 401


@pytest.mark.parametrize(("body", "fragment"), [
    ("this is not json", "not valid JSON"),
    ("", "empty body"),
    ("[1, 2]", "must be a JSON object"),
    ('{"subject": "x"}', "missing 'notification_type'"),
    ('{"notification_type": "MEDIA_EXPLODED", "subject": "x"}', "unknown 'notification_type' 'MEDIA_EXPLODED'"),
    ('{"notification_type": "TEST_NOTIFICATION"}', "missing 'subject'"),
    ('{"notification_type": "TEST_NOTIFICATION", "subject": 42}', "'subject' must be a string"),
    ('{"notification_type": "TEST_NOTIFICATION", "subject": "x", "media": "movie"}', "'media' must be an object"),
    ('{"notification_type": "MEDIA_PENDING", "subject": "x", "media": null}', "without a 'media' object"),
    ('{"notification_type": "MEDIA_PENDING", "subject": "x", "media": {"media_type": "book", "tmdbId": "1",'
     ' "status": "PENDING"}}', "'media.media_type' must be one of movie, tv; got 'book'"),
    ('{"notification_type": "MEDIA_PENDING", "subject": "x", "media": {"media_type": "movie", "status": "PENDING"}}',
     "'media' is missing 'tmdbId'"),
    ('{"notification_type": "MEDIA_PENDING", "subject": "x", "media": {"media_type": "movie", "tmdbId": "1",'
     ' "status": "pending-ish"}}', "'media.status' must be one of AVAILABLE, BLACKLISTED, DELETED, PARTIALLY_AVAILABLE, PENDING, "
                               "PROCESSING, UNKNOWN; got 'pending-ish'"),
    ('{"notification_type": "MEDIA_PENDING", "subject": "x", "media": {"media_type": "tv", "tmdbId": "1",'
     ' "status": "PENDING"}, "request": {"requestedBy_username": "qa"}}', "'request' is missing 'request_id'"),
    ('{"notification_type": "ISSUE_CREATED", "subject": "x", "issue": null}', "without an 'issue' object"),
    ('{"notification_type": "TEST_NOTIFICATION", "subject": "x", "extra": {}}', "'extra' must be a list"),
])
def test_invalid_payload_is_refused_naming_the_problem(receiver, fakes, body, fragment):
    response = post(receiver, secret=fakes.webhook_secret, data=body.encode())
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert fragment in response.json()["error"]
    assert receiver.inbox.received() == []


def test_webhook_secret_none_accepts_without_header(make_dashboard, fakes):
    server = make_dashboard(fakes.StatusService([]), None, webhook_secret=None)
    assert post(server, TEST_NOTIFICATION, secret=None).status_code == 202


def test_validate_accepts_numeric_ids():
    payload = media_approved(media={"media_type": "tv", "tmdbId": 1399, "tvdbId": 121361, "status": "AVAILABLE"},
                             request={"request_id": 3})
    assert validate_notification(payload)["media"]["tmdbId"] == 1399
    with pytest.raises(WebhookValidationError, match="request_id"):
        validate_notification(media_approved(request={"request_id": True}))


def test_inbox_wait_for_wakes_on_arrival_and_times_out_naming_what_came():
    inbox = WebhookInbox()
    arrived = threading.Event()

    def deliver():
        arrived.wait(2)
        inbox.record(TEST_NOTIFICATION)

    thread = threading.Thread(target=deliver)
    thread.start()
    arrived.set()
    assert inbox.wait_for("TEST_NOTIFICATION", timeout=2)["subject"] == "Test Notification"
    thread.join()
    with pytest.raises(TimeoutError, match=r"no MEDIA_AVAILABLE .* received: \['TEST_NOTIFICATION'\]"):
        inbox.wait_for("MEDIA_AVAILABLE", timeout=0.05)
    inbox.clear()
    assert len(inbox) == 0


# -- the inbox is bounded in bytes as well as in count ---------------------------------------------------------
def small_items_notification(items: int):
    """A valid notification whose ``extra`` holds many small items: small as text, large as Python objects."""
    return media_approved(extra=[{"name": "n", "value": "v"} for _ in range(items)])


def test_inbox_keeps_at_most_its_bytes_as_json_text_dropping_the_oldest():
    inbox = WebhookInbox(max_bytes=256 * 1024)
    for _ in range(40):
        inbox.record(small_items_notification(1000))  # ~25 KB of JSON each
    kept = inbox.received()
    assert inbox.size_bytes <= inbox.max_bytes and inbox.dropped == 40 - len(kept) > 0
    assert [r["id"] for r in kept] == list(range(41 - len(kept), 41))
    kept[0]["payload"]["extra"].clear()  # a copy: the inbox is untouched
    assert len(inbox.received()[0]["payload"]["extra"]) == 1000
    assert len(inbox.received("MEDIA_APPROVED")) == len(kept) and inbox.received("TEST_NOTIFICATION") == []


def test_inbox_keeps_at_most_its_count():
    inbox = WebhookInbox(maxlen=3)
    for _ in range(5):
        inbox.record(TEST_NOTIFICATION)
    assert [r["id"] for r in inbox.received()] == [3, 4, 5] and inbox.dropped == 2
    with pytest.raises(ValueError, match="room for one record"):
        WebhookInbox(max_bytes=0)


def test_posts_of_small_json_items_keep_the_receivers_inbox_within_its_bytes(make_dashboard, fakes):
    inbox = WebhookInbox(max_bytes=512 * 1024)
    server = make_dashboard(fakes.StatusService([]), None, inbox=inbox)
    payload = small_items_notification(2000)  # ~50 KB: within the 64 KiB body limit
    for _ in range(30):
        assert post(server, payload, secret=fakes.webhook_secret).status_code == 202
    assert inbox.size_bytes <= 512 * 1024 and inbox.dropped > 0 and len(inbox) == 30 - inbox.dropped
    listed = requests.get(server.url + WEBHOOK_PATH, headers={"Authorization": fakes.webhook_secret}, timeout=10)
    assert listed.status_code == 200 and len(listed.content) < 1024 * 1024
