"""The sign-in keywords (MediaClients) and the plex.tv keywords (MockServices), called as Robot would, and what
they put on the resilience timeline: plex.tv's lane."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from MediaClients import MediaClients
from MockServices import MockServices
from ResilienceTimeline import ResilienceTimeline
from ResilienceTimeline import context as timeline_context
from ResilienceTimeline.render import render_html
from ServiceHealth import ServiceHealth


@pytest.fixture(autouse=True)
def no_timeline_left_running():
    timeline_context._ACTIVE = None
    yield
    timeline_context._ACTIVE = None


@pytest.fixture
def suite(robot_vars, robot_log):
    """MockServices with Plex and plex.tv started, MediaClients, ServiceHealth and ResilienceTimeline; closed after."""
    mocks, clients, health, timeline = MockServices(), MediaClients(), ServiceHealth(), ResilienceTimeline()
    robot_vars.libraries.update(MockServices=mocks, MediaClients=clients)
    mocks.start_mock_services("plextv", "plex")  # any order: plex.tv starts after Plex and lists it
    timeline.start_test(SimpleNamespace(name="sign-in"), None)
    client_id = clients.create_plex_sign_in(robot_vars["${PLEXTV_URL}"])
    timeline.end_library_keyword(None, None, SimpleNamespace(owner="MediaClients"))  # it watches the new breakers
    yield SimpleNamespace(mocks=mocks, clients=clients, health=health, timeline=timeline, client_id=client_id,
                          vars=robot_vars, log=robot_log)
    timeline.close()
    health.close()
    clients.close()
    mocks.close()


def sign_in(suite) -> dict:
    suite.clients.start_plex_sign_in()
    suite.mocks.approve_plex_sign_in()
    return suite.clients.finish_plex_sign_in()


def test_the_sign_in_keywords_sign_in_and_the_plex_keywords_call_the_signed_in_server(suite):
    url = suite.clients.start_plex_sign_in()
    suite.clients.plex_auth_url_should_name_the_app_and_the_pin(url)
    with pytest.raises(AssertionError, match="The auth URL should be"):
        suite.clients.plex_auth_url_should_name_the_app_and_the_pin(url.replace("code=", "code=x"))
    assert suite.mocks.get_plex_tv_pins()[0]["state"] == "pending"
    suite.mocks.approve_plex_sign_in()
    account = suite.clients.finish_plex_sign_in()
    assert account["username"] == suite.clients.plex_sign_in_should_be_signed_in_as() == "mock-user"
    assert suite.clients.plex_connection_should_be("local") == suite.mocks.get_plex_tv_servers()[0]["connections"][0]["uri"]
    assert [lib["title"] for lib in suite.clients.get_plex_libraries()] == ["Movies", "TV Shows"]
    info = suite.clients.get_plex_sign_in()
    assert info["signed_in"] and info["server"] == "Mock Plex" and info["client_identifier"] == suite.client_id
    assert suite.clients.check_plex_account()["username"] == "mock-user"
    with pytest.raises(AssertionError, match="should be signed in as 'someone'"):
        suite.clients.plex_sign_in_should_be_signed_in_as("someone")
    with pytest.raises(AssertionError, match="should not be signed in"):
        suite.clients.plex_sign_in_should_not_be_signed_in()
    with pytest.raises(AssertionError, match="through the remote connection"):
        suite.clients.plex_connection_should_be("remote")
    assert any("Signed in as mock-user" in line for line in suite.log)


def test_the_timeline_shows_plex_tv_as_a_lane_of_its_own(suite):
    sign_in(suite)
    suite.mocks.set_plex_connection("local", "refuses")
    suite.clients.get_plex_libraries()
    suite.timeline.end_library_keyword(None, None, SimpleNamespace(owner="MediaClients"))
    timeline = suite.timeline.timeline
    assert {e.fields["path"] for e in timeline.events("request", "plextv")} >= {"/api/v2/pins", "/api/v2/resources"}
    assert [e.fields["operation"] for e in timeline.events("answer", "plextv")] == ["begin", "finish"]
    assert timeline.events("call", "plextv")  # its breaker's calls
    assert 'data-service="plextv"' in render_html(timeline)


@pytest.mark.parametrize("action, error, message", [
    (lambda s: s.mocks.decline_plex_sign_in(), "PinDeniedError", "declined"),
    (lambda s: s.mocks.advance_time_by("30 minutes"), "PinExpiredError", "expired"),
    (lambda s: (s.mocks.approve_plex_sign_in(), s.mocks.take_mock_service_down("plextv")), "ServiceUnavailableError",
     "plextv get_pin failed: connection refused"),
])
def test_a_sign_in_that_fails_is_checked_by_its_typed_error(suite, action, error, message):
    suite.clients.start_plex_sign_in()
    action(suite)
    caught = suite.clients.plex_sign_in_should_fail_with(error, message=message)
    assert type(caught).__name__ == error
    suite.clients.plex_sign_in_should_not_be_signed_in()


def test_a_failing_sign_in_check_says_what_happened_instead(suite):
    suite.clients.start_plex_sign_in()
    suite.mocks.decline_plex_sign_in()
    with pytest.raises(AssertionError, match="should have failed with PinExpiredError, but failed with PinDeniedError"):
        suite.clients.plex_sign_in_should_fail_with("PinExpiredError")
    suite.clients.start_plex_sign_in()
    suite.mocks.decline_plex_sign_in()
    with pytest.raises(AssertionError, match="does not contain 'nothing like this'"):
        suite.clients.plex_sign_in_should_fail_with("PinDeniedError", message="nothing like this")
    suite.clients.start_plex_sign_in()
    suite.mocks.approve_plex_sign_in()
    with pytest.raises(AssertionError, match="but it signed in as mock-user"):
        suite.clients.plex_sign_in_should_fail_with("PinDeniedError")


def test_revoking_the_apps_tokens_asks_it_to_sign_in_again(suite):
    sign_in(suite)
    suite.health.create_status_service(use_uptime_kuma=False)
    assert suite.health.get_service_status("plextv")["status"] == "up"
    assert suite.mocks.revoke_plex_tokens(issued_to=suite.client_id) == 1
    suite.clients.plex_call_should_fail_with("SignInRequiredError", "get libraries", message="sign in again", times=4)
    suite.clients.circuit_breaker_should_be("plex", "closed")
    suite.clients.plex_sign_in_should_not_be_signed_in(because="refused the token")
    with pytest.raises(AssertionError, match="because of 'something else'"):
        suite.clients.plex_sign_in_should_not_be_signed_in(because="something else")
    assert suite.health.get_service_status("plextv")["message"].endswith("sign in again")


def test_the_server_keywords_move_it_and_take_it_offline(suite):
    sign_in(suite)
    moved = suite.mocks.move_plex_server("remote", "relay")
    assert [c["location"] for c in moved] == ["remote", "relay"]
    assert suite.clients.test_plex_connection()["name"] == "Mock Plex"
    suite.clients.plex_connection_should_be("remote", uri=moved[0]["uri"])
    suite.mocks.set_plex_server_presence(False)
    assert suite.mocks.get_plex_tv_servers()[0]["presence"] is False
    suite.mocks.set_plex_connection("relay", "slow", delay=timedelta(milliseconds=10), server="Mock Plex")
    assert suite.mocks.get_plex_tv_servers()[0]["connections"][1]["behaviour"] == "slow"
    suite.clients.sign_out_of_plex()
    suite.clients.plex_sign_in_should_not_be_signed_in()


@pytest.mark.parametrize("call, message", [
    (lambda s: s.mocks.approve_plex_sign_in("123"), "Cannot approve PIN 123: no PIN with id or code '123'"),
    (lambda s: s.mocks.decline_plex_sign_in(), "Cannot decline PIN latest: no PIN is pending"),
    (lambda s: s.mocks.revoke_plex_tokens(), "Cannot revoke tokens: name the token to revoke"),
    (lambda s: s.mocks.set_plex_connection("local", "refuses", server="Attic"),
     "The plex.tv account lists no server 'Attic': it lists Mock Plex"),
    (lambda s: s.clients.finish_plex_sign_in(), "No Plex sign-in was started in this test"),
    (lambda s: s.clients.create_plex_sign_in("plex.tv"), "Cannot create the Plex sign-in: SignInSettings.plextv_url"),
])
def test_misuse_fails_saying_what_to_do(suite, call, message):
    with pytest.raises(AssertionError) as caught:
        call(suite)
    assert str(caught.value).startswith(message)


def test_keywords_before_the_sign_in_exists_say_which_to_call(robot_vars):
    clients = MediaClients()
    with pytest.raises(AssertionError, match="create it first with 'Create Plex Sign-In'"):
        clients.start_plex_sign_in()
    clients.close()


def test_plex_tv_lists_no_server_without_a_plex_mock(robot_vars):
    mocks = MockServices()
    try:
        mocks.start_mock_service("plextv")
        with pytest.raises(AssertionError, match="lists no server: start the Plex mock before plex.tv"):
            mocks.set_plex_connection("local", "refuses")
    finally:
        mocks.close()
