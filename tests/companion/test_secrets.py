"""Secrets stay secret by value: no error message, log line, metric or repr of the companion carries a
token, an API key, a password or a JWT secret, whatever field carried it (here: servers that echo them)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import requests

from companion import (CircuitBreakerFactory, ClientSettings, IntegrationError, OverseerrClient, PlexClient,
                       StatusService)
from companion.dashboard import DashboardServer, create_dashboard_app, mint_token
from mockservers import OverseerrMock, PlexMock

TOKEN = "plex-token-Zq81kV0x"
API_KEY = "overseerr-key-Pw73nB2c"
PASSWORD = "kuma-password-Hy55tR9m"
JWT_SECRET = "jwt-secret-Lm40xC8d-0123456789abcdef"
WEBHOOK_SECRET = "webhook-secret-Qe26vN1s-0123456789"
SECRETS = (TOKEN, API_KEY, PASSWORD, JWT_SECRET, WEBHOOK_SECRET)
SETTINGS = ClientSettings(connect_timeout_s=0.5, read_timeout_s=0.5, retry_attempts=2, retry_initial_backoff_s=0.001,
                          retry_max_backoff_s=0.002, retry_seed=1, cache_ttl_s=0, fail_max=50)


def echoing(status: int, secret: str) -> dict:
    """A fault whose answer echoes the credential back, the way a verbose server might."""
    return {"status": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"message": f"credential {secret} is not valid here", "error": secret})}


def texts_of(*things) -> list[str]:
    return [text for thing in things for text in (str(thing), repr(thing))]


def test_no_secret_value_reaches_an_error_a_log_line_a_metric_or_a_repr(caplog, request):
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    breakers = CircuitBreakerFactory()
    with PlexMock(token=TOKEN) as plex, OverseerrMock(api_key=API_KEY) as overseerr:
        plex_client = PlexClient(plex.url, TOKEN, settings=SETTINGS, breakers=breakers)
        overseerr_client = OverseerrClient(overseerr.url, API_KEY, settings=SETTINGS, breakers=breakers)
        request.addfinalizer(plex_client.close)
        request.addfinalizer(overseerr_client.close)
        faults = [
            (plex, "/library/sections", echoing(400, TOKEN), plex_client.get_libraries),
            (plex, "/library/sections", echoing(401, TOKEN), plex_client.get_libraries),
            (plex, "/library/sections", echoing(503, TOKEN), plex_client.get_libraries),
            (plex, "/", {"status": 200, "headers": {"Content-Type": "application/json"}, "body": f"{{{TOKEN}"},
             plex_client.test_connection),
            (overseerr, "/api/v1/status", echoing(403, API_KEY), overseerr_client.get_status),
            (overseerr, "/api/v1/request", echoing(502, API_KEY), lambda: overseerr_client.list_requests()),
            (overseerr, "/api/v1/request", echoing(409, API_KEY), lambda: overseerr_client.submit_request("movie", 603)),
        ]
        for mock, path, fault, call in faults:
            mock.faults.add_route_fault(path, fault, times=2)
            with pytest.raises(IntegrationError) as caught:
                call()
            seen += texts_of(caught.value, caught.value.detail)
            assert "*****" in str(caught.value), (path, str(caught.value))  # the echo was there, and masked
            mock.faults.clear()
        status = StatusService(plex=plex_client, overseerr=overseerr_client, breakers=breakers)
        plex.faults.add_route_fault("/", echoing(503, TOKEN))
        seen += texts_of(status.get_all_statuses(), breakers.all_metrics(), plex_client, overseerr_client,
                         plex_client.breaker, plex_client._http)
    seen += kuma_texts()
    seen += dashboard_texts()
    seen += [record.getMessage() for record in caplog.records] + [caplog.text]
    leaks = [(secret, text[:200]) for text in seen for secret in SECRETS if secret in text]
    assert leaks == []


def kuma_texts() -> list[str]:
    from companion import UptimeKumaClient
    from companion.errors import AuthenticationError
    from mockservers import UptimeKumaMock

    texts = []
    with UptimeKumaMock(username="admin", password="another-password") as kuma:
        client = UptimeKumaClient(kuma.url, "admin", PASSWORD,
                                  settings=ClientSettings(connect_timeout_s=3, read_timeout_s=3, retry_seed=1))
        with pytest.raises(AuthenticationError) as caught:
            client.connect()
        texts += texts_of(caught.value, client, client.counters())
        # a server that echoes the password in its refusal (the handler a login answer goes to)
        client._on_login_ack({"ok": False, "msg": f"password {PASSWORD} refused"})
        assert client.login_error == "password ***** refused"
        texts += texts_of(client.login_error, client)
        client.close()
    unreachable = UptimeKumaClient("http://127.0.0.1:9", PASSWORD, PASSWORD,
                                   settings=ClientSettings(connect_timeout_s=0.5, read_timeout_s=0.5))
    with pytest.raises(IntegrationError) as caught:
        unreachable.connect()
    texts += texts_of(caught.value, unreachable)
    return texts


def dashboard_texts() -> list[str]:
    class Statuses:
        def get_all_statuses(self):
            return []

    texts = []
    app = create_dashboard_app(Statuses(), None, jwt_secret=JWT_SECRET, webhook_secret=WEBHOOK_SECRET)
    with DashboardServer(app) as server:
        url = server.url + "/api/v1/admin/service-health/dashboard"
        good = mint_token(JWT_SECRET)
        forged = mint_token(WEBHOOK_SECRET)  # signed with the wrong secret
        expired = mint_token(JWT_SECRET, expires_in=timedelta(seconds=-1))
        for header in (f"Bearer {forged}", f"Bearer {expired}", f"Basic {JWT_SECRET}", f"Bearer {JWT_SECRET}",
                       f"Bearer {good}x"):
            answer = requests.get(url, headers={"Authorization": header}, timeout=5)
            assert answer.status_code == 401
            texts.append(answer.text)
            assert good not in answer.text and forged not in answer.text and expired not in answer.text
        for secret in (WEBHOOK_SECRET + "x", JWT_SECRET):
            answer = requests.post(server.url + "/api/v1/webhooks/overseerr", headers={"Authorization": secret},
                                   json={"notification_type": "TEST_NOTIFICATION", "subject": "x"}, timeout=5)
            assert answer.status_code == 401
            texts.append(answer.text)
        texts += texts_of(app, server)
    return texts
