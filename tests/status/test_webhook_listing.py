"""The webhook listing's documented contract: one credential (the webhook secret), ``?type=``, the answer's shape."""

from __future__ import annotations

import requests

from companion.dashboard import WEBHOOK_PATH


def test_the_listing_filters_by_type_and_has_the_documented_shape(make_dashboard, fakes):
    receiver = make_dashboard(fakes.StatusService([]), None)
    secret = {"Authorization": fakes.webhook_secret}
    for body in ({"notification_type": "TEST_NOTIFICATION", "subject": "one"},
                 {"notification_type": "MEDIA_APPROVED", "subject": "two",
                  "media": {"media_type": "movie", "tmdbId": "603", "status": "PROCESSING"}}):
        assert requests.post(receiver.url + WEBHOOK_PATH, json=body, headers=secret, timeout=5).status_code == 202
    every = requests.get(receiver.url + WEBHOOK_PATH, headers=secret, timeout=5).json()
    assert every["success"] is True and every["data"]["count"] == 2
    assert [n["subject"] for n in every["data"]["notifications"]] == ["one", "two"]
    assert all(set(n) == {"id", "received_at", "notification_type", "subject", "payload"}
               for n in every["data"]["notifications"])
    approved = requests.get(receiver.url + WEBHOOK_PATH, params={"type": "MEDIA_APPROVED"}, headers=secret,
                            timeout=5).json()["data"]
    assert approved["count"] == 1 and approved["notifications"][0]["payload"]["media"]["status"] == "PROCESSING"
    unknown = requests.get(receiver.url + WEBHOOK_PATH, params={"type": "NOPE"}, headers=secret, timeout=5)
    assert unknown.status_code == 400 and "MEDIA_APPROVED" in unknown.json()["error"]
    admin_only = requests.get(receiver.url + WEBHOOK_PATH, headers={"Authorization": "Bearer admin-jwt"}, timeout=5)
    assert admin_only.status_code == 401  # the webhook secret is the route's credential, not an admin token
    cleared = requests.delete(receiver.url + WEBHOOK_PATH, headers=secret, timeout=5).json()
    assert cleared == {"success": True, "data": {"count": 0}}
