"""ServiceHealth keyword library: dashboard tokens and summary checks, status keywords, Uptime Kuma client."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from robot.api.types import Secret

from MediaClients import MediaClients
from ServiceHealth import ServiceHealth
from atest_support.clock import process_clock
from companion.dashboard import verify_token

JWT_SECRET = "library-tests-jwt-secret-0123456789abcdef"
WEBHOOK_SECRET = "library-tests-webhook-secret-0123456789"
SHORT = timedelta(milliseconds=300)
LONG = timedelta(seconds=10)


@pytest.fixture
def health(robot_vars):
    """A ServiceHealth instance with the dashboard secrets set as test variables; closed afterwards."""
    robot_vars["${DASHBOARD_JWT_SECRET}"] = Secret(JWT_SECRET)
    robot_vars["${DASHBOARD_WEBHOOK_SECRET}"] = WEBHOOK_SECRET
    library = ServiceHealth()
    yield library
    library.close()


@pytest.fixture
def dashboard(health, plex_mock, overseerr_mock):
    """The dashboard over a status service polling the Plex and Overseerr mocks."""
    health.create_status_service(use_uptime_kuma=False, clients="own", plex_url=plex_mock.url,
                                 overseerr_url=overseerr_mock.url)
    health.start_dashboard()
    return health


# -- tokens and the dashboard's answers ---------------------------------------------------------
def test_start_dashboard_sets_the_url_variables(health, robot_vars):
    url = health.start_dashboard()
    assert robot_vars["${DASHBOARD_URL}"] == url
    assert robot_vars["${DASHBOARD_WEBHOOK_URL}"] == url + "/api/v1/webhooks/overseerr"
    assert requests.get(url + "/health", timeout=10).status_code == 200


def test_without_the_secret_variables_each_library_makes_up_its_own(robot_vars):
    library, other = ServiceHealth(), ServiceHealth()
    try:
        library.start_dashboard()
        secret = library.get_webhook_secret().value
        assert len(secret) >= 32 and secret == library.get_webhook_secret().value  # stable within the suite
        assert other.get_webhook_secret().value != secret
        token = library.mint_dashboard_token("admin")
        assert library.request_dashboard(token).status_code != 401  # signed with the made-up JWT secret
    finally:
        library.close()
        other.close()


def test_minted_tokens_carry_the_right_claims(health):
    admin = health.mint_dashboard_token("admin")
    assert isinstance(admin, Secret)
    now = process_clock().now()  # tokens are minted on the process clock, which other tests may have moved
    assert verify_token(f"Bearer {admin.value}", JWT_SECRET, now=now)["role"] == "admin"
    user = health.mint_dashboard_token("non-admin").value
    assert verify_token(f"Bearer {user}", JWT_SECRET, required_role=None, now=now)["role"] == "user"
    with pytest.raises(AssertionError, match=r"^No token for credentials 'root': expected one of admin, non-admin"):
        health.mint_dashboard_token("root")


def test_admin_token_reads_the_dashboard(dashboard):
    data = dashboard.get_dashboard("admin")
    assert {s["name"] for s in data["services"]} == {"plex", "overseerr"}
    assert data["summary"]["totalServices"] == 2
    assert dashboard.get_dashboard(dashboard.mint_dashboard_token("admin"))["summary"]["totalServices"] == 2


@pytest.mark.parametrize(("credentials", "status", "error"), [
    ("none", 401, "missing Authorization header"),
    ("expired", 401, "token expired"),
    ("bad-signature", 401, "signature verification failed"),
    ("malformed", 401, "malformed token"),
    ("wrong-scheme", 401, "unsupported Authorization scheme"),
    ("non-admin", 403, "'admin' role required"),
    ("no-role", 403, "token has no role"),
])
def test_refused_credentials_get_the_expected_answer(dashboard, credentials, status, error):
    body = dashboard.dashboard_should_refuse(credentials, status, error)
    assert body["success"] is False and error in body["error"]


def test_refuse_check_fails_for_an_accepted_token(dashboard):
    with pytest.raises(AssertionError) as err:
        dashboard.dashboard_should_refuse("admin", 401)
    message = str(err.value)
    assert message.startswith("Dashboard with admin credentials: status 200, expected 401; body is not a JSON error")
    assert "401 without 'WWW-Authenticate: Bearer ...'" in message


def test_refuse_check_fails_for_the_wrong_status_or_error(dashboard):
    with pytest.raises(AssertionError, match=r"status 403, expected 401; error .* does not contain 'expired'"):
        dashboard.dashboard_should_refuse("non-admin", 401, "expired")


def test_get_dashboard_fails_for_a_refused_token_without_showing_it(dashboard):
    token = dashboard.mint_dashboard_token("non-admin")
    with pytest.raises(AssertionError, match=r"^Reading the dashboard failed: 403 ") as err:
        dashboard.get_dashboard(token)
    assert token.value not in str(err.value)


def test_request_dashboard_logs_the_token_masked(dashboard, robot_log):
    token = dashboard.mint_dashboard_token("expired")
    assert dashboard.request_dashboard(token).status_code == 401
    assert any("(Authorization: Bearer *****" in line for line in robot_log)
    assert all(token.value not in line for line in robot_log)


def test_keywords_needing_the_dashboard_say_how_to_start_it(health):
    with pytest.raises(AssertionError, match=r"^The dashboard is not running: start it first with 'Start Dashboard'"):
        health.request_dashboard()


# -- summary checks -------------------------------------------------------------------------------
def test_summary_wait_passes_and_waits_for_a_change(dashboard, plex_mock):
    dashboard.wait_until_dashboard_summary_is(servicesUp=2, servicesDown=0, timeout=LONG)
    plex_mock.take_down()
    data = dashboard.wait_until_dashboard_summary_is(servicesDown=1, servicesUp=1, timeout=LONG)
    assert [s["status"] for s in data["services"] if s["name"] == "plex"] == ["down"]


def test_summary_wait_failure_format(dashboard):
    with pytest.raises(AssertionError) as err:
        dashboard.wait_until_dashboard_summary_is(servicesDown=2, timeout=SHORT)
    assert str(err.value).startswith("The dashboard summary did not become servicesDown=2 in 300 ms: last seen {")
    with pytest.raises(AssertionError, match=r"^Name at least one count"):
        dashboard.wait_until_dashboard_summary_is()


def test_summary_should_show_names_the_wrong_counts(dashboard):
    data = dashboard.get_dashboard()
    dashboard.summary_should_show(data, totalServices=2, servicesUp=2)
    with pytest.raises(AssertionError) as err:
        dashboard.summary_should_show(data, totalServices=2, servicesDown=1, circuitBreakersOpen=1)
    message = str(err.value)
    assert message.startswith("Dashboard summary {")
    assert message.endswith("differs from the expected totalServices=2, servicesDown=1, circuitBreakersOpen=1 "
                            "in servicesDown, circuitBreakersOpen")


def test_dashboard_should_list_service(dashboard, overseerr_mock):
    assert dashboard.dashboard_should_list_service("plex", "up")["name"] == "plex"
    with pytest.raises(AssertionError, match=r"^The dashboard does not list 'tautulli'; it lists plex, overseerr"):
        dashboard.dashboard_should_list_service("tautulli", "up")
    overseerr_mock.take_down()
    with pytest.raises(AssertionError, match=r"^The dashboard lists overseerr as down, expected up: "):
        dashboard.dashboard_should_list_service("overseerr", "up")


# -- status keywords --------------------------------------------------------------------------------
def test_status_service_from_mock_url_variables(health, robot_vars, plex_mock):
    robot_vars["${PLEX_URL}"] = plex_mock.url
    health.create_status_service(use_uptime_kuma=False, clients="own")
    assert [s["name"] for s in health.get_all_service_statuses()] == ["plex"]
    entry = health.wait_until_service_status_is("plex", "up", source="poll", timeout=LONG)
    assert entry["message"].startswith("plex responded in")
    health.status_source_should_be("plex", "poll")
    assert health.get_service_status("plex")["status"] == "up"


def test_service_status_polls_until_the_verdict_changes(health, plex_mock):
    health.create_status_service(use_uptime_kuma=False, clients="own", plex_url=plex_mock.url)
    health.wait_until_service_status_is("plex", "up", timeout=LONG)
    plex_mock.take_down()
    entry = health.wait_until_service_status_is("plex", "down", message="plex", timeout=LONG)
    assert entry["source"] == "poll"
    plex_mock.bring_up()
    health.wait_until_service_status_is("plex", "up", timeout=LONG)


def test_service_status_failure_format(health, plex_mock):
    health.create_status_service(use_uptime_kuma=False, clients="own", plex_url=plex_mock.url)
    with pytest.raises(AssertionError) as err:
        health.wait_until_service_status_is("plex", "down", source="poll", timeout=SHORT)
    assert str(err.value).startswith("Status of plex did not become down (source poll) in 300 ms: last seen {")
    with pytest.raises(AssertionError, match=r"^Status of plex came from 'poll', expected 'uptime-kuma': "):
        health.status_source_should_be("plex", "uptime-kuma")


def test_status_keywords_without_a_status_service_say_what_to_call_first(health):
    with pytest.raises(AssertionError, match=r"^No status service in this test: create it first with "
                                             r"'Create Status Service'"):
        health.get_service_status("plex")


def test_dashboard_read_before_the_status_service_exists_says_what_to_call_first(health):
    health.start_dashboard()
    with pytest.raises(AssertionError, match=r"^No status service in this test: create it first"):
        health.get_dashboard()


def test_status_service_borrows_media_clients_until_the_test_ends(health, robot_vars, plex_mock):
    media = MediaClients()
    robot_vars.libraries["MediaClients"] = media
    try:
        with pytest.raises(AssertionError, match=r"there are none yet: call 'Create Plex Client'"):
            health.create_status_service(use_uptime_kuma=False)
        media.create_plex_client(plex_mock.url)
        with pytest.raises(AssertionError, match=r"^URLs and credentials are for clients=own"):
            health.create_status_service(plex_url=plex_mock.url)
        health.create_status_service(use_uptime_kuma=False)
        assert health._context.status_clients_owner == "MediaClients"
        assert health._context.breakers is media.breakers
        health.wait_until_service_status_is("plex", "up", timeout=LONG)
        health.end_test(None, None)
        with pytest.raises(AssertionError, match="No status service"):
            health.get_service_status("plex")
    finally:
        media.close()


def test_clients_media_clients_without_the_library_fails(health):
    with pytest.raises(AssertionError, match=r"^Create Status Service uses the clients of the MediaClients library, "
                                             r"which this suite does not import"):
        health.create_status_service(clients="MediaClients")


def test_reset_service_health_zeroes_breakers_and_turns_kuma_back_on(health, plex_mock):
    health.create_status_service(use_uptime_kuma=False, clients="own", plex_url=plex_mock.url)
    plex_mock.take_down()
    breakers = health._context.breakers
    for _ in range(3):
        health.get_service_status("plex")
    assert breakers.get("plex").state == "open"
    health.reset_service_health()
    assert breakers.get("plex").state == "closed"
    assert health._context.status.use_uptime_kuma is True
    health.use_uptime_kuma_for_status(False)
    assert health._context.status.use_uptime_kuma is False


# -- webhooks ---------------------------------------------------------------------------------------
def test_webhook_endpoint_and_inbox(dashboard):
    dashboard.webhook_inbox_should_be_empty()
    body = {"notification_type": "TEST_NOTIFICATION", "subject": "hello"}
    assert dashboard.post_to_webhook_endpoint(body, secret="wrong").status_code == 401
    assert dashboard.post_to_webhook_endpoint(body).status_code == 202
    record = dashboard.webhook_inbox_should_contain("TEST_NOTIFICATION", count=1)
    assert record["subject"] == "hello"
    with pytest.raises(AssertionError, match=r"^Expected no webhook notifications, got 1: \['TEST_NOTIFICATION'\]"):
        dashboard.webhook_inbox_should_be_empty()
    with pytest.raises(AssertionError) as err:
        dashboard.webhook_inbox_should_contain("MEDIA_APPROVED")
    assert str(err.value) == ("The webhook inbox holds 0 MEDIA_APPROVED notification(s), expected at least 1. "
                              "Inbox holds: [\"TEST_NOTIFICATION 'hello'\"]")
    with pytest.raises(AssertionError, match=r"holds 1 TEST_NOTIFICATION notification\(s\), expected 2\."):
        dashboard.webhook_inbox_should_contain("TEST_NOTIFICATION", count=2)
    dashboard.clear_webhook_inbox()
    dashboard.webhook_inbox_should_be_empty()
    assert dashboard.get_webhook_secret("none") is None
    assert dashboard.get_webhook_secret().value == WEBHOOK_SECRET


def test_inbox_count_zero_passes_while_none_of_the_type_arrived(dashboard):
    dashboard.post_to_webhook_endpoint({"notification_type": "TEST_NOTIFICATION", "subject": "hello"})
    assert dashboard.webhook_inbox_should_contain("MEDIA_APPROVED", count=0) is None
    with pytest.raises(AssertionError, match=r"holds 1 TEST_NOTIFICATION notification\(s\), expected 0\."):
        dashboard.webhook_inbox_should_contain("TEST_NOTIFICATION", count=0)


def approved(request_id: str) -> dict:
    return {"notification_type": "MEDIA_APPROVED", "subject": f"request {request_id}",
            "media": {"media_type": "movie", "tmdbId": "603", "status": "PROCESSING"},
            "request": {"request_id": request_id}}


def test_received_notifications_are_listed_by_type_over_http(dashboard, robot_log):
    assert dashboard.get_received_webhook_notifications() == []
    for body in (approved("1"), {"notification_type": "TEST_NOTIFICATION", "subject": "hello"}, approved("2")):
        assert dashboard.post_to_webhook_endpoint(body).status_code == 202
    every = dashboard.get_received_webhook_notifications()
    assert [(n["id"], n["notification_type"], n["subject"]) for n in every] == [
        (1, "MEDIA_APPROVED", "request 1"), (2, "TEST_NOTIFICATION", "hello"), (3, "MEDIA_APPROVED", "request 2")]
    assert set(every[0]) == {"id", "received_at", "notification_type", "subject", "payload"}
    assert every[0]["payload"]["request"] == {"request_id": "1"}
    approvals = dashboard.get_received_webhook_notifications("MEDIA_APPROVED")
    assert [n["subject"] for n in approvals] == ["request 1", "request 2"]
    assert dashboard.get_received_webhook_notifications("MEDIA_AVAILABLE") == []
    assert "GET /api/v1/webhooks/overseerr?type=MEDIA_AVAILABLE (Authorization: *****) -> 200: 0 notification(s)" \
        in robot_log
    assert all(WEBHOOK_SECRET not in line for line in robot_log)
    with pytest.raises(AssertionError, match=r"Listing the webhook notifications failed: 400 .*'type' must be one of"):
        dashboard.get_received_webhook_notifications("MEDIA_SOMETHING")


# -- Uptime Kuma (Socket.IO: kept small) ---------------------------------------------------------------
def test_connect_read_monitors_and_close(health, kuma):
    health.connect_to_uptime_kuma(kuma.url, timeout=LONG)
    health.uptime_kuma_client_should_be_live()
    assert health.get_uptime_kuma_monitor_names(timeout=LONG) == ["Plex", "Overseerr", "Tautulli"]
    kuma.set_monitor_status("Plex", "down", msg="connect ECONNREFUSED")
    health.wait_until_uptime_kuma_client_sees_monitor("Plex", "down", timeout=LONG)
    assert health.get_uptime_kuma_client_counters()["logins"] >= 1
    health.disconnect_from_uptime_kuma()
    with pytest.raises(AssertionError, match=r"^No Uptime Kuma client: connect first"):
        health.uptime_kuma_client_should_be_live()


def test_rejected_login_returns_the_message_without_the_password(health, kuma):
    error = health.uptime_kuma_login_should_be_rejected(kuma.url, password="s3cret-wrong", timeout=LONG)
    assert error and "s3cret-wrong" not in error
    with pytest.raises(AssertionError, match=r"to reject the login of 'admin', but it was accepted"):
        health.uptime_kuma_login_should_be_rejected(kuma.url, timeout=LONG)


def test_connect_without_a_url_says_where_it_comes_from(health):
    with pytest.raises(AssertionError, match=r"^No Uptime Kuma URL: give url=\.\.\. or start the mock first"):
        health.connect_to_uptime_kuma()


def test_client_reconnects_after_the_server_drops_it(health, kuma):
    health.connect_to_uptime_kuma(kuma.url, timeout=LONG)
    health.wait_until_uptime_kuma_client_is_live(timeout=LONG)
    assert kuma.drop_connections() >= 1
    health.wait_until_uptime_kuma_client_has_reconnected(times=1, timeout=LONG)
    assert health.get_uptime_kuma_client_counters()["reconnects"] >= 1


def test_unreachable_uptime_kuma_fails_connect_and_login_checks(health, kuma):
    kuma.take_down()
    with pytest.raises(AssertionError, match=rf"^Connecting to Uptime Kuma at {kuma.url}/? failed: "):
        health.connect_to_uptime_kuma(kuma.url, timeout=LONG)
    with pytest.raises(AssertionError, match=r"^Expected the login to be rejected, but it failed otherwise: "
                                             r"ServiceUnavailableError"):
        health.uptime_kuma_login_should_be_rejected(kuma.url, password="wrong", timeout=LONG)
