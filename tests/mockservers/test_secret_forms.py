"""Secrets stay secret by value in every form a caller may send them (issue 22, item 7).

One mechanism (:class:`mockservers.core.redaction.Redactor`, fed by each mock's
``secret_values()``) hides a known secret however it is written: as is, in any
case, JSON-escaped, URL-encoded or base64-encoded (alone or inside ``user:secret``,
standard or URL-safe alphabet), and URL credentials (``user:secret@``). The journal,
the Overseerr mock's webhook delivery answers and history use it; the Uptime Kuma
mock's log never shows what a rejected login typed.
"""

from __future__ import annotations

import base64
import json
import logging

import pytest
import requests
import socketio

from mockservers import OverseerrMock, PlexMock
from mockservers.core.redaction import REDACTED, Redactor

pytestmark = pytest.mark.timeout(60)
SECRET = "s3cr3t-Value!"


def b64(text: str, urlsafe: bool = False) -> str:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return encode(text.encode()).decode()


def leaks(text: str, secret: str = SECRET) -> list[str]:
    """Every base64 run of ``text`` that decodes (at any alignment) to something holding ``secret``, and the secret
    itself in any case: what a reader of ``text`` could recover."""
    found = [secret] if secret.lower() in text.lower() else []
    for word in text.replace('"', " ").replace(":", " ").split():
        for start in range(4):
            chunk = word[start:].rstrip("=")
            chunk = chunk[: len(chunk) - 1] if len(chunk) % 4 == 1 else chunk
            chunk += "=" * (-len(chunk) % 4)
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    plain = decode(chunk).decode("utf-8", "replace")
                except ValueError:
                    continue
                if secret.lower() in plain.lower():
                    found.append(word)
    return found


@pytest.mark.parametrize("form", [
    SECRET.upper(), SECRET.lower(), "S3CR3T-value!", f"Bearer {SECRET.upper()}",
    b64(SECRET), b64(SECRET, urlsafe=True), f"Basic {b64('user:' + SECRET)}", b64("ab:" + SECRET),
    b64("x" + SECRET), b64(SECRET + ":tail"), b64(SECRET.upper()), b64("user:" + SECRET, urlsafe=True).rstrip("="),
    b64(SECRET * 3), f"{SECRET} then {b64(SECRET)} then https://u:{SECRET}@host/",
], ids=["upper", "lower", "mixed", "bearer-upper", "b64", "b64-urlsafe", "basic", "b64-offset-0", "b64-offset-1",
        "b64-prefix", "b64-upper", "b64-urlsafe-unpadded", "b64-repeated", "several"])
def test_a_known_secret_is_redacted_in_a_custom_header_in_any_form(form):
    redactor = Redactor(values=lambda: [SECRET])
    assert leaks(form), "the form under test must hold the secret"
    cleaned = redactor.mapping({"X-Custom": form})["X-Custom"]
    assert REDACTED in cleaned and leaks(cleaned) == []


def test_base64_of_other_text_is_kept():
    redactor = Redactor(values=lambda: [SECRET])
    other = f"Basic {b64('user:another-password')}"
    assert redactor.text(other) == other


def test_plex_journal_hides_the_token_base64_encoded_and_upper_cased():
    with PlexMock(token="mock-token") as plex:
        headers = {"X-Custom": b64("plex:mock-token"), "X-Shout": "MOCK-TOKEN", "X-Safe": b64("mock-token", True)}
        requests.get(plex.url + "/identity", headers=headers, timeout=5)
        requests.get(plex.url + "/identity", params={"note": "Mock-Token"}, timeout=5)
        dump = json.dumps([e.to_dict() for e in plex.journal.entries()])
    assert leaks(dump, "mock-token") == []


# -- the Overseerr mock's webhook deliveries -----------------------------------------------------------
@pytest.fixture
def overseerr():
    with OverseerrMock(api_key="overseerr-key-123") as mock:
        yield mock


def hook_url(base: str) -> str:
    """A receiver URL carrying credentials: userinfo, a secret-named query value, the mock's own API key."""
    host = base.removeprefix("http://")
    return (f"http://hook-user:userinfo-secret@{host}/hook"
            "?key=query-secret&apikey=overseerr-key-123&mine=overseerr-key-123")


SECRETS_IN_URL = ("userinfo-secret", "query-secret", "overseerr-key-123")


def test_webhook_history_and_answers_do_not_echo_url_credentials(overseerr):
    # the Overseerr mock itself receives the webhook (404: no such route), so the delivery has an answer
    answer = requests.post(overseerr.url + "/__admin/overseerr/webhooks", timeout=10,
                           json={"url": hook_url(overseerr.url), "notification_type": "TEST_NOTIFICATION"})
    refused = requests.post(overseerr.url + "/__admin/overseerr/webhooks", timeout=10,
                            json={"url": hook_url("http://127.0.0.1:1"), "notification_type": "TEST_NOTIFICATION",
                                  "timeout": 2})
    history = requests.get(overseerr.url + "/__admin/overseerr/webhooks", timeout=5)
    assert answer.status_code == refused.status_code == history.status_code == 200
    assert refused.json()["error"] and len(history.json()["deliveries"]) == 2
    texts = [answer.text, refused.text, history.text, repr(overseerr.webhook_deliveries)]
    for text in texts:
        assert [s for s in SECRETS_IN_URL if s in text] == [], text
    assert "hook-user" not in history.text  # the userinfo goes whole: a token may be the user name
    delivered = history.json()["deliveries"][0]
    assert delivered["url"].startswith(f"http://{REDACTED}@127.0.0.1:") and "/hook?key=" in delivered["url"]


def test_webhook_delivery_still_goes_to_the_url_given(overseerr):
    delivery = overseerr.send_webhook(hook_url(overseerr.url), "TEST_NOTIFICATION")
    assert delivery.status_code == 404  # it reached the mock's own port, the userinfo and query intact
    [entry] = overseerr.journal.entries(path="/hook")
    assert entry.method == "POST" and entry.query["key"] == REDACTED


# -- the Uptime Kuma mock's log ----------------------------------------------------------------------
def test_a_rejected_login_does_not_log_what_was_typed(kuma, caplog):
    caplog.set_level(logging.DEBUG, logger="mockservers")
    client = socketio.Client(reconnection=False)
    client.connect(kuma.url, transports=["websocket"], wait_timeout=5)
    try:
        typed = {"username": "password-typed-as-user-42", "password": "other-typed-secret-43", "token": ""}
        assert client.call("login", typed, timeout=5)["ok"] is False
    finally:
        client.disconnect()
    assert "rejected login" in caplog.text
    assert "password-typed-as-user-42" not in caplog.text and "other-typed-secret-43" not in caplog.text
