"""The health page in the companion app: its admin account from the settings, live updates ended on stop."""

from __future__ import annotations

import os
import re
import signal

import pytest

from companion.app import Companion
from companion.app_settings import AppSettings, SecretText, SettingsError, settings_from
from companion.dashboard import EVENTS_PATH, LIVE_EXTENSION, PAGE_PATH, SIGN_IN_PATH
from companion.serving import _end_live_updates_on_exit
from mockservers.core.clock import VirtualClock

JWT = "a-dashboard-signing-secret-of-40-chars!!"
ADMIN_PASSWORD = "the on-call admin's password"


def settings(**extra) -> AppSettings:
    return AppSettings(jwt_secret=SecretText(JWT), **extra)


def sign_in(client, name: str, password: str):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(SIGN_IN_PATH).text).group(1)
    return client.post(SIGN_IN_PATH, data={"username": name, "password": password, "csrf_token": token})


def test_the_admin_account_of_the_settings_signs_in_to_the_page(plex_mock):
    options = dict(admin_username="ops", admin_password=SecretText(ADMIN_PASSWORD), plex_url=plex_mock.url,
                   plex_token=SecretText("mock-token"))
    with Companion(settings(**options), clock=VirtualClock()) as companion:
        client = companion.web_app.test_client()
        assert sign_in(client, "ops", "wrong").status_code == 401
        assert sign_in(client, "ops", ADMIN_PASSWORD).status_code == 303
        page = client.get(PAGE_PATH)
        assert page.status_code == 200
        assert 'data-service="plex" data-status="up"' in page.text
        assert ADMIN_PASSWORD not in page.text


def test_without_an_admin_account_nobody_signs_in():
    with Companion(settings(), clock=VirtualClock()) as companion:
        client = companion.web_app.test_client()
        assert "No accounts are configured" in client.get(SIGN_IN_PATH).text


def test_the_page_settings_come_from_flags_and_variables_and_are_checked():
    read = settings_from(["--admin-username", "ops", "--secure-cookie", "--check-interval-s", "5"],
                         {"COMPANION_JWT_SECRET": JWT, "COMPANION_ADMIN_PASSWORD": ADMIN_PASSWORD})
    assert (read.admin_username, read.admin_password.reveal(), read.secure_cookie, read.check_interval_s) == (
        "ops", ADMIN_PASSWORD, True, 5.0)
    assert ADMIN_PASSWORD not in repr(read)
    with pytest.raises(SettingsError, match="--admin-password / COMPANION_ADMIN_PASSWORD is required"):
        settings(admin_username="ops")
    with pytest.raises(SettingsError, match="--check-interval-s / COMPANION_CHECK_INTERVAL_S must be from 1"):
        settings(check_interval_s=0.5)


def test_closing_the_companion_ends_the_open_pages_streams():
    with Companion(settings(admin_username="ops", admin_password=SecretText(ADMIN_PASSWORD)),
                   clock=VirtualClock()) as companion:
        client = companion.web_app.test_client()
        sign_in(client, "ops", ADMIN_PASSWORD)
        response = client.get(EVENTS_PATH, buffered=False)
        chunks = response.response
        assert next(chunks).startswith(b"retry:")
        assert next(chunks).startswith(b"id: 1")
        assert companion.web_app.extensions[LIVE_EXTENSION].streams == 1
        companion.end_live_updates()
        assert list(chunks) == []
        response.close()
        assert companion.web_app.extensions[LIVE_EXTENSION].streams == 0


def test_a_stop_signal_ends_the_streams_before_the_servers_own_handler_runs():
    calls: list[str] = []

    class Stub:
        def end_live_updates(self) -> None:
            calls.append("streams ended")

    original = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, lambda signum, frame: calls.append("server stops"))
        _end_live_updates_on_exit(Stub())
        os.kill(os.getpid(), signal.SIGTERM)
        assert calls == ["streams ended", "server stops"]
    finally:
        signal.signal(signal.SIGTERM, original)


def test_the_default_handlers_are_left_alone():
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    _end_live_updates_on_exit(object())
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
