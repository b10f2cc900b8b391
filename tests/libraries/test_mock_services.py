"""MockServices keyword library: lifecycle, fault plan, journal and service-specific keywords."""

from __future__ import annotations

import socket
from datetime import timedelta
from urllib.parse import urlparse

import pytest
import requests
from robot.api.types import Secret

from MockServices import MockServices
from atest_support.waiting import wait_until

PLEX_TOKEN = {"X-Plex-Token": "mock-token", "Accept": "application/json"}
TIMEOUT = 10


@pytest.fixture
def lib(robot_vars):
    """A MockServices instance whose suite ends (listener ``close``) after the test."""
    library = MockServices()
    yield library
    library.close()


def _refuses(url: str) -> bool:
    """True when nothing listens at the URL's port any more."""
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


# -- lifecycle ------------------------------------------------------------------------------------
def test_start_returns_the_url_and_sets_the_suite_variable(lib, robot_vars):
    url = lib.start_mock_service("plex")
    assert url.startswith("http://127.0.0.1:") and urlparse(url).port > 0
    assert robot_vars["${PLEX_URL}"] == url
    assert lib.get_mock_url("plex") == url
    assert requests.get(url + "/identity", headers=PLEX_TOKEN, timeout=TIMEOUT).status_code == 200


def test_start_outside_robot_without_patching_raises_robot_not_running(not_running):
    library = MockServices()
    try:
        with pytest.raises(not_running):
            library.start_mock_service("plex")
    finally:
        library.close()  # the mock was started before the suite variable failed: close() still stops it
    assert library._context.mocks == {}


def test_start_services_sets_one_variable_per_service(lib, robot_vars):
    lib.start_mock_services("plex", "overseerr", "uptime-kuma")
    assert set(robot_vars) == {"${PLEX_URL}", "${OVERSEERR_URL}", "${UPTIME_KUMA_URL}"}
    assert len(set(robot_vars.values())) == 3


def test_uptime_kuma_monitors_watch_the_suites_mocks_whatever_the_order(lib, robot_vars):
    lib.start_mock_services("uptime-kuma", "overseerr", "plex")
    monitors = {m["name"]: m["url"] for m in lib._context.get("uptime-kuma").monitors.values()}
    assert monitors["Plex"] == robot_vars["${PLEX_URL}"] + "/identity"
    assert monitors["Overseerr"] == robot_vars["${OVERSEERR_URL}"] + "/api/v1/status"


def test_starting_twice_fails_naming_the_running_url(lib):
    url = lib.start_mock_service("overseerr")
    with pytest.raises(RuntimeError, match=r"Mock overseerr is already running at " + url + ": stop it first"):
        lib.start_mock_service("overseerr")


def test_unknown_service_fails_naming_the_valid_ones(lib):
    with pytest.raises(ValueError, match=r"unknown service 'jellyfin': expected one of plex, plextv, overseerr, uptime-kuma"):
        lib.start_mock_service("jellyfin")


def test_keywords_on_a_service_not_started_say_how_to_start_it(lib):
    lib.start_mock_service("plex")
    with pytest.raises(AssertionError) as err:
        lib.get_mock_url("overseerr")
    assert str(err.value) == ("Mock overseerr has not been started in this suite (running: plex). "
                              "Start it with 'Start Mock Service    overseerr'.")


def test_custom_credentials_are_passed_to_the_mock(lib):
    url = lib.start_mock_service("plex", token="other-token")
    assert requests.get(url + "/library/sections", headers=PLEX_TOKEN, timeout=TIMEOUT).status_code == 401
    ok = requests.get(url + "/library/sections", headers={"X-Plex-Token": "other-token"}, timeout=TIMEOUT)
    assert ok.status_code == 200
    url = lib.start_mock_service("overseerr", api_key="another-key")
    assert requests.get(url + "/api/v1/status", headers={"X-Api-Key": "another-key"},
                        timeout=TIMEOUT).status_code == 200


def test_take_down_refuses_and_bring_up_listens_on_the_same_port(lib):
    url = lib.start_mock_service("plex")
    lib.take_mock_service_down("plex")
    assert _refuses(url)
    with pytest.raises(AssertionError, match="Mock plex is not listening"):
        lib.mock_service_should_be_running("plex")
    lib.bring_mock_service_up("plex")
    lib.mock_service_should_be_running("plex")
    assert lib.get_mock_url("plex") == url
    assert requests.get(url + "/identity", headers=PLEX_TOKEN, timeout=TIMEOUT).status_code == 200


def test_take_down_with_a_duration_comes_back_by_itself(lib):
    url = lib.start_mock_service("plex")
    lib.take_mock_service_down("plex", duration=timedelta(milliseconds=200))
    wait_until(lambda: not _refuses(url), bool, what="The Plex mock", expected="listening again", timeout=10)
    lib.mock_service_should_be_running("plex")


def test_stop_forgets_the_service_and_refuses(lib):
    url = lib.start_mock_service("plex")
    lib.stop_mock_service("plex")
    lib.stop_mock_service("plex")  # a second stop is no error
    assert _refuses(url)
    with pytest.raises(AssertionError, match="has not been started"):
        lib.get_mock_url("plex")


def test_close_listener_stops_every_mock(robot_vars):
    library = MockServices()
    urls = [library.start_mock_service(s) for s in ("plex", "overseerr", "uptime-kuma")]
    assert library.ROBOT_LIBRARY_LISTENER is library
    library.close()
    assert all(_refuses(url) for url in urls)
    with pytest.raises(AssertionError, match=r"running: none"):
        library.get_mock_url("plex")


def test_stop_all_then_start_again_works(lib):
    first = lib.start_mock_service("plex")
    lib.stop_all_mock_services()
    assert _refuses(first)
    assert lib.start_mock_service("plex").startswith("http://127.0.0.1:")


def test_reset_mock_service_clears_faults_and_journal(lib):
    url = lib.start_mock_service("plex")
    lib.add_route_fault("plex", "/identity", "503")
    requests.get(url + "/identity", headers=PLEX_TOKEN, timeout=TIMEOUT)
    lib.reset_mock_service("plex")
    assert lib.get_mock_request_count("plex") == 0
    assert lib.log_mock_faults("plex")["routes"] == []
    assert requests.get(url + "/identity", headers=PLEX_TOKEN, timeout=TIMEOUT).status_code == 200


# -- faults ---------------------------------------------------------------------------------------
def test_delay_keyword_converts_timedeltas_to_milliseconds(lib):
    lib.start_mock_service("plex")
    lib.set_mock_delay("plex", timedelta(milliseconds=1500), timedelta(milliseconds=250))
    plan = lib.log_mock_faults("plex")
    assert (plan["delay_ms"], plan["jitter_ms"]) == (1500.0, 250.0)


def test_failure_rate_keeps_status_and_seed(lib):
    lib.start_mock_service("overseerr")
    lib.set_mock_failure_rate("overseerr", 0.3, status=502, seed=42)
    plan = lib.log_mock_faults("overseerr")
    assert (plan["failure_rate"], plan["failure_status"], plan["seed"]) == (0.3, 502, 42)


def test_route_fault_maps_status_and_connection_actions(lib):
    lib.start_mock_service("plex")
    lib.add_route_fault("plex", "/library/sections", "503", times=2)
    lib.add_route_fault("plex", "/search", "reset", method="get")
    routes = lib.log_mock_faults("plex")["routes"]
    assert routes[0]["path"] == "/library/sections"
    assert routes[0]["action"] == {"kind": "status", "status": 503} and routes[0]["times"] == 2
    assert routes[1]["action"]["kind"] == "reset" and routes[1]["times"] is None
    assert routes[1]["method"] == "GET"


def test_route_fault_answers_the_status_then_normally(lib):
    url = lib.start_mock_service("plex")
    lib.add_route_fault("plex", "/identity", "503", times=1)
    codes = [requests.get(url + "/identity", headers=PLEX_TOKEN, timeout=TIMEOUT).status_code for _ in range(2)]
    assert codes == [503, 200]


def test_route_fault_sequence_is_served_in_order(lib):
    url = lib.start_mock_service("plex")
    lib.add_route_fault_sequence("plex", "/identity", "503", "502", "200")
    sequence = lib.log_mock_faults("plex")["routes"][0]["sequence"]
    assert [a.get("status", a["kind"]) for a in sequence] == [503, 502, "pass"]
    codes = [requests.get(url + "/identity", headers=PLEX_TOKEN, timeout=TIMEOUT).status_code for _ in range(4)]
    assert codes == [503, 502, 200, 200]


def test_route_fault_sequence_needs_an_action(lib):
    lib.start_mock_service("plex")
    with pytest.raises(AssertionError, match="Give at least one action"):
        lib.add_route_fault_sequence("plex", "/identity")


def test_invalid_fault_fails_naming_the_mock(lib):
    lib.start_mock_service("plex")
    with pytest.raises(AssertionError, match=r"^Invalid fault for mock plex: "):
        lib.set_mock_failure_rate("plex", 1.5)
    with pytest.raises(AssertionError, match=r"^Invalid fault for mock plex: "):
        lib.add_route_fault("plex", "/identity", "explode")


def test_connection_fault_defaults_to_every_path(lib):
    lib.start_mock_service("plex")
    lib.set_connection_fault("plex", "hang", times=1)
    route = lib.log_mock_faults("plex")["routes"][0]
    assert (route["path"], route["action"]["kind"], route["times"]) == ("/*", "hang", 1)


def test_outage_needs_a_duration_or_a_request_count(lib):
    lib.start_mock_service("plex")
    with pytest.raises(AssertionError, match=r"duration \(e.g. duration=2s\) or a request count"):
        lib.start_mock_outage("plex")


def test_outage_by_duration_and_by_requests(lib):
    url = lib.start_mock_service("plex")
    lib.start_mock_outage("plex", duration=timedelta(seconds=30))
    outage = lib.log_mock_faults("plex")["outage"]
    assert outage["action"] == {"kind": "status", "status": 503}
    assert 0 < outage["remaining_s"] <= 30 and outage["remaining_requests"] is None
    lib.clear_mock_faults("plex")
    assert lib.log_mock_faults("plex")["outage"] is None
    lib.start_mock_outage("plex", requests=1, action="500")
    codes = [requests.get(url + "/identity", headers=PLEX_TOKEN, timeout=TIMEOUT).status_code for _ in range(2)]
    assert codes == [500, 200]


def test_flapping_converts_phases_to_seconds(lib):
    lib.start_mock_service("plex")
    lib.start_mock_flapping("plex", up=timedelta(milliseconds=500), down=timedelta(seconds=2), action="502")
    flapping = lib.log_mock_faults("plex")["flapping"]
    assert (flapping["up_s"], flapping["down_s"], flapping["action"]["status"]) == (0.5, 2.0, 502)


# -- journal --------------------------------------------------------------------------------------
def test_should_have_received_passes_and_counts(lib):
    url = lib.start_mock_service("plex")
    for _ in range(2):
        requests.get(url + "/library/sections", headers=PLEX_TOKEN, timeout=TIMEOUT)
    lib.mock_should_have_received("plex", "GET", "/library/sections", count=2, status=200)
    lib.mock_should_have_received("plex", "get", "/library/*")
    assert lib.get_mock_request_count("plex", "GET", "/library/sections") == 2
    assert lib.get_mock_request_count("plex", status=404) == 0


def test_should_have_received_failure_lists_the_closest_requests(lib):
    url = lib.start_mock_service("plex")
    requests.get(url + "/library/sections", headers=PLEX_TOKEN, timeout=TIMEOUT)
    requests.get(url + "/identity", headers=PLEX_TOKEN, timeout=TIMEOUT)
    with pytest.raises(AssertionError) as err:
        lib.mock_should_have_received("plex", "GET", "/library/sectionz", count=1)
    message = str(err.value)
    assert message.startswith("expected 1 request(s) GET /library/sectionz, got 0. "
                              "Closest recorded requests (2 recorded):\n  GET /library/sections -> 200")
    assert "mock-token" not in message


def test_should_not_have_received_fails_when_a_request_arrived(lib):
    url = lib.start_mock_service("plex")
    lib.mock_should_not_have_received("plex", "GET", "/identity")
    requests.get(url + "/identity", headers=PLEX_TOKEN, timeout=TIMEOUT)
    with pytest.raises(AssertionError, match=r"expected 0 request\(s\) GET /identity, got 1"):
        lib.mock_should_not_have_received("plex", "GET", "/identity")


def test_wait_until_received_returns_once_requests_arrive(lib):
    url = lib.start_mock_service("plex")
    requests.get(url + "/identity", headers=PLEX_TOKEN, timeout=TIMEOUT)
    lib.wait_until_mock_has_received("plex", "GET", "/identity", count=1, timeout=timedelta(seconds=5))


def test_wait_until_received_fails_in_the_wait_format_with_closest(lib):
    url = lib.start_mock_service("plex")
    requests.get(url + "/identity", headers=PLEX_TOKEN, timeout=TIMEOUT)
    with pytest.raises(AssertionError) as err:
        lib.wait_until_mock_has_received("plex", "GET", "/identity", count=3, timeout=timedelta(milliseconds=200))
    assert str(err.value).startswith("Mock plex GET /identity requests did not become at least 3 in 200 ms: "
                                     "last seen 1. Closest recorded requests (1 recorded):")


def test_clear_journal_and_log_journal(lib, robot_log):
    url = lib.start_mock_service("plex")
    lib.log_mock_journal("plex")
    assert robot_log[-1] == "Mock plex recorded no requests."
    requests.get(url + "/identity", headers=PLEX_TOKEN, timeout=TIMEOUT)
    lib.log_mock_journal("plex")
    assert robot_log[-1].startswith("GET /identity -> 200")
    assert "mock-token" not in "\n".join(robot_log)
    lib.clear_mock_journal("plex")
    assert lib.get_mock_request_count("plex") == 0


# -- service-specific keywords ----------------------------------------------------------------------
def test_uptime_kuma_monitor_keywords(lib):
    lib.start_mock_service("uptime-kuma")
    row = lib.set_uptime_kuma_monitor_status("Plex", "down", msg="connect ECONNREFUSED")
    assert row["status"] == 0 and row["msg"] == "connect ECONNREFUSED"
    new_id = lib.add_uptime_kuma_monitor("Jellyfin", status="down")
    monitors = lib.get_uptime_kuma_mock_monitors()
    assert monitors[new_id]["name"] == "Jellyfin"
    assert {m["name"] for m in monitors.values()} >= {"Plex", "Overseerr", "Tautulli", "Jellyfin"}
    with pytest.raises(AssertionError, match=r"^Cannot set monitor 'Nope' to up: unknown monitor 'Nope'"):
        lib.set_uptime_kuma_monitor_status("Nope", "up")


def test_uptime_kuma_socket_fault_keywords(lib):
    lib.start_mock_service("uptime-kuma")
    faults = lib._context.get("uptime-kuma").socket_faults
    lib.reject_uptime_kuma_logins()
    lib.delay_uptime_kuma_events(timedelta(milliseconds=500))
    lib.stop_uptime_kuma_events()
    assert (faults.reject_logins, faults.event_delay_s, faults.stop_events) == (True, 0.5, True)
    lib.clear_uptime_kuma_socket_faults()
    assert (faults.reject_logins, faults.event_delay_s, faults.stop_events) == (False, 0.0, False)
    assert lib.drop_uptime_kuma_connections() == 0
    assert lib.get_uptime_kuma_logged_in_clients() == 0


def test_create_overseerr_request_is_listed_by_the_mock(lib):
    url = lib.start_mock_service("overseerr")
    created = lib.create_overseerr_request("movie", 603, status="approved")
    assert created["media"]["tmdbId"] == 603 and created["status"] == 2
    got = requests.get(f"{url}/api/v1/request/{created['id']}", headers={"X-Api-Key": "mock-api-key"},
                       timeout=TIMEOUT)
    assert got.status_code == 200 and got.json()["id"] == created["id"]


def test_send_webhook_checks_the_expected_status(lib):
    lib.start_mock_service("overseerr")
    target = lib.start_mock_service("plex") + "/webhook"  # any URL answering: Plex says 401 without a token
    delivery = lib.send_overseerr_webhook(target, "TEST_NOTIFICATION", expected_status=401)
    assert delivery.status_code == 401
    assert lib.send_overseerr_webhook(target, "TEST_NOTIFICATION", expected_status="any").status_code == 401
    with pytest.raises(AssertionError, match=r"Webhook TEST_NOTIFICATION to .* answered 401 .*expected 2xx\.") as err:
        lib.send_overseerr_webhook(target, "TEST_NOTIFICATION", authorization=Secret("hush-secret"))
    assert "hush-secret" not in str(err.value)
    lib.mock_should_have_received("plex", "POST", "/webhook", count=3)


def test_send_media_webhook_without_a_request_fails_clearly(lib):
    lib.start_mock_service("overseerr")
    with pytest.raises(AssertionError, match=r"^Cannot send the MEDIA_APPROVED webhook: "):
        lib.send_overseerr_webhook("http://127.0.0.1:9/unused", "MEDIA_APPROVED")


def test_listener_hook_is_not_a_keyword(lib):
    names = set(lib.get_keyword_names())
    assert {"start_mock_service", "mock_should_have_received", "add_route_fault_sequence"} <= names
    assert "close" not in names
    assert all(lib.get_keyword_documentation(name).strip() for name in names)
    assert lib.get_keyword_types("set_mock_delay")["delay"] is timedelta


def test_preview_lists_the_next_decisions_without_using_them(lib):
    url = lib.start_mock_service("plex")
    lib.set_mock_failure_rate("plex", 0.5, seed=7)
    assert lib.preview_mock_failures("plex", 3) == ["fail", "fail", "pass"]
    codes = [requests.get(url + "/identity", headers=PLEX_TOKEN, timeout=TIMEOUT).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    with pytest.raises(AssertionError, match=r"^Cannot preview 0 failure decision\(s\) of mock plex: "):
        lib.preview_mock_failures("plex", 0)


def test_a_made_up_credential_is_a_new_secret_every_time(lib):
    first, second = lib.make_up_a_credential(), lib.make_up_a_credential()
    assert isinstance(first, Secret) and isinstance(second, Secret)
    assert first.value != second.value and len(first.value) >= 16
    assert first.value not in str(first)
