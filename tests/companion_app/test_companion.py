"""Companion: the one assembly point, built from settings and a clock, used in-process."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest

from companion import SYSTEM_CLOCK, ClientSettings
from companion.app import HEALTH_PATH, WORKER_HEADER, Companion, clock_for
from companion.app_settings import AppSettings, SecretText
from companion.clock import OffsetFileClock, write_clock_offset
from companion.dashboard import DASHBOARD_PATH, WEBHOOK_PATH, mint_token
from mockservers.core.clock import VirtualClock

JWT = "a-dashboard-signing-secret-of-40-chars!!"
FAST = ClientSettings(connect_timeout_s=0.5, read_timeout_s=2, retry_seed=1, fail_max=2)


def settings_for(plex=None, overseerr=None, kuma=None, **extra) -> AppSettings:
    options = dict(jwt_secret=SecretText(JWT), client=FAST, database_url="sqlite:///:memory:", **extra)
    if plex is not None:
        options.update(plex_url=plex.url, plex_token=SecretText("mock-token"))
    if overseerr is not None:
        options.update(overseerr_url=overseerr.url, overseerr_api_key=SecretText("mock-api-key"))
    if kuma is not None:
        options.update(uptime_kuma_url=kuma.url, uptime_kuma_username="admin",
                       uptime_kuma_password=SecretText("admin"))
    return AppSettings(**options)


def bearer(clock, **options) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(JWT, now=clock.now(), **options)}"}


def test_only_the_services_with_a_url_get_a_client():
    with Companion(settings_for(), clock=VirtualClock()) as companion:
        assert (companion.plex, companion.overseerr, companion.uptime_kuma) == (None, None, None)
        assert companion.status.services == []


def test_the_dashboard_reports_the_configured_services_on_the_given_clock(plex_mock, overseerr_mock):
    clock = VirtualClock()
    clock.advance(86_400)
    with Companion(settings_for(plex_mock, overseerr_mock), clock=clock) as companion:
        assert companion.plex.clock is clock and companion.breakers.clock is clock
        client = companion.web_app.test_client()
        answer = client.get(DASHBOARD_PATH, headers=bearer(clock))
        assert answer.status_code == 200, answer.json
        data = answer.json["data"]
        assert [(s["name"], s["status"]) for s in data["services"]] == [("plex", "up"), ("overseerr", "up")]
        assert data["timestamp"][:13] == clock.now().isoformat()[:13]
        assert answer.headers[WORKER_HEADER] == str(os.getpid())


def test_a_token_expires_on_the_companions_clock(plex_mock):
    clock = VirtualClock()
    with Companion(settings_for(plex_mock), clock=clock) as companion:
        client = companion.web_app.test_client()
        headers = bearer(clock, expires_in=timedelta(minutes=5))
        assert client.get(DASHBOARD_PATH, headers=headers).status_code == 200
        clock.advance(600)
        refused = client.get(DASHBOARD_PATH, headers=headers)
        assert refused.status_code == 401 and "expired" in refused.json["error"]


def test_a_plex_breaker_opens_and_its_reset_timeout_passes_on_the_clock(plex_mock):
    clock = VirtualClock()
    plex_mock.faults.set_failure_rate(1.0, status=503, seed=1)
    with Companion(settings_for(plex_mock), clock=clock) as companion:
        for _ in range(FAST.fail_max):
            assert companion.status.get_status("plex")["status"] == "down"
        assert companion.breakers.get("plex").state == "open"
        clock.advance(FAST.reset_timeout_s)
        assert companion.breakers.get("plex").state == "half-open"


def test_health_names_the_instance_the_worker_and_the_time():
    clock = VirtualClock()
    settings = settings_for()
    with Companion(settings, clock=clock) as companion:
        answer = companion.web_app.test_client().get(HEALTH_PATH)
        assert answer.json == {"status": "ok", "instance": settings.instance, "pid": os.getpid(),
                               "time": answer.json["time"]}
        assert answer.json["time"][:16] == clock.now().isoformat()[:16]


def test_webhooks_land_in_the_companions_inbox():
    settings = settings_for(webhook_secret=SecretText("hook-secret"))
    with Companion(settings, clock=VirtualClock()) as companion:
        client = companion.web_app.test_client()
        sent = client.post(WEBHOOK_PATH, json={"notification_type": "TEST_NOTIFICATION", "subject": "hi"},
                           headers={"Authorization": "hook-secret"})
        assert sent.status_code == 202
        assert [r["notification_type"] for r in companion.inbox.received()] == ["TEST_NOTIFICATION"]


def test_the_clock_is_the_given_one_else_the_clock_file_else_the_wall_clock(tmp_path):
    path = tmp_path / "clock.json"
    write_clock_offset(path, 12)
    given = VirtualClock()
    assert clock_for(settings_for(clock_file=str(path)), given) is given
    from_file = clock_for(settings_for(clock_file=str(path)))
    assert isinstance(from_file, OffsetFileClock) and from_file.advanced_s == 12
    assert clock_for(settings_for()) is SYSTEM_CLOCK


def test_start_connects_to_uptime_kuma_and_close_disconnects(kuma):
    companion = Companion(settings_for(kuma=kuma), clock=VirtualClock()).start()
    try:
        assert companion.uptime_kuma.wait_until_live(timeout=5)
        assert companion.status.kuma_live
        companion.start()  # a second start starts nothing more
    finally:
        companion.close()
    assert not companion.uptime_kuma.is_live and companion.closed
    companion.close()  # twice is fine


def test_uptime_kuma_down_at_start_is_tried_again_with_backoff_on_the_clock(kuma):
    clock = VirtualClock()
    kuma.take_down()
    companion = Companion(settings_for(kuma=kuma), clock=clock).start()
    try:
        client = companion.uptime_kuma
        assert not client.wait_for(lambda: client.is_live, timeout=0.3)
        kuma.bring_up()
        clock.advance(FAST.reconnect_max_backoff_s)  # whatever the backoff was, it has passed
        assert client.wait_until_live(timeout=5)
    finally:
        companion.close()


def test_close_while_uptime_kuma_is_still_refused_ends_the_connecting(kuma):
    kuma.take_down()
    companion = Companion(settings_for(kuma=kuma), clock=VirtualClock()).start()
    connector = companion._connector
    companion.close()
    assert not connector.is_alive() and not companion.uptime_kuma.is_live


def test_a_client_that_fails_to_close_does_not_stop_the_others(plex_mock, overseerr_mock):
    companion = Companion(settings_for(plex_mock, overseerr_mock), clock=VirtualClock())
    closed = threading.Event()

    def broken():
        raise RuntimeError("cannot close")

    companion.overseerr.close = broken
    companion.plex.close = closed.set
    companion.close()
    assert closed.is_set()


def test_no_secret_in_the_companions_answers_or_repr(plex_mock):
    clock = VirtualClock()
    with Companion(settings_for(plex_mock, webhook_secret=SecretText("hook-secret")), clock=clock) as companion:
        client = companion.web_app.test_client()
        texts = [repr(companion.settings), client.get(HEALTH_PATH).get_data(as_text=True),
                 client.get(DASHBOARD_PATH, headers=bearer(clock)).get_data(as_text=True)]
        for text in texts:
            for secret in (JWT, "mock-token", "hook-secret"):
                assert secret not in text


@pytest.mark.parametrize("field", ["plex", "overseerr"])
def test_the_clients_use_the_settings_client_knobs(plex_mock, overseerr_mock, field):
    with Companion(settings_for(plex_mock, overseerr_mock), clock=VirtualClock()) as companion:
        assert getattr(companion, field).settings == FAST


def test_the_companion_signs_in_with_plex_and_reports_plex_tv_on_its_dashboard(plex_mock):
    from mockservers import PlexTvMock

    clock = VirtualClock()
    with PlexTvMock(plex=plex_mock, clock=clock) as plextv:
        settings = settings_for(plextv_url=plextv.url, plex_client_identifier="companion-in-tests")
        with Companion(settings, clock=clock) as companion:
            assert companion.sign_in.client_identifier == "companion-in-tests"
            assert "plextv " + plextv.url in settings.describe()
            pending = companion.sign_in.begin()
            plextv.approve_pin(pending.pin_id)
            assert companion.sign_in.finish(pending).username == "mock-user"
            assert companion.sign_in.plex_client.test_connection()["machine_identifier"] == plex_mock.machine_identifier
            plextv.take_down()
            dashboard = companion.web_app.test_client().get(DASHBOARD_PATH, headers=bearer(clock, role="admin"))
            services = {s["name"]: s for s in dashboard.get_json()["data"]["services"]}
            assert services["plextv"]["status"] == "down" and services["plextv"]["circuitBreaker"]["name"] == "plextv"
        assert companion.closed


def test_without_plex_tv_there_is_no_sign_in_and_the_identifier_defaults_to_the_instance():
    with Companion(settings_for(), clock=VirtualClock()) as companion:
        assert companion.sign_in is None and "plextv" not in companion.status.services
    settings = settings_for(plextv_url="https://plex.tv")
    with Companion(settings, clock=VirtualClock()) as companion:
        assert companion.sign_in.client_identifier == f"companion-{settings.instance}"
    with pytest.raises(ValueError, match="--plex-client-identifier / COMPANION_PLEX_CLIENT_IDENTIFIER must be non-empty"):
        settings_for(plex_client_identifier=" ")
