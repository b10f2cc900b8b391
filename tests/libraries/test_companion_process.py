"""The CompanionProcess keyword library outside a Robot run: what the suite does not reach (failures, wall clock)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from robot.api.types import Secret

from atest_support.clock import process_clock, use_wall_clock
from CompanionProcess import CompanionProcess


@pytest.fixture
def library(robot_vars, tmp_path):
    robot_vars["${OUTPUT DIR}"] = str(tmp_path)
    lib = CompanionProcess(timeout=timedelta(seconds=10))
    yield lib
    lib.close()


def test_keywords_before_a_start_say_which_keyword_starts_it(library):
    with pytest.raises(AssertionError, match="start it with 'Start Companion Process'"):
        library.stop_companion_process()
    with pytest.raises(AssertionError, match="No companion command ran yet"):
        library.companion_command_should_have_been_refused("anything")


def test_a_process_started_against_the_mocks_of_the_suite(library, robot_vars, robot_log, plex_mock):
    robot_vars["${PLEX_URL}"] = plex_mock.url
    url = library.start_companion_process(workers=1, fail_max=3)
    assert robot_vars["${COMPANION_URL}"] == url
    body = library.get_companion_dashboard()
    assert [s["name"] for s in body["data"]["services"]] == ["plex"]
    assert body["data"]["services"][0]["circuitBreaker"]["fail_max"] == 3
    with pytest.raises(AssertionError, match="already runs"):
        library.start_companion_process()
    with pytest.raises(AssertionError, match="answered 401, expected 200"):
        library.get_companion_dashboard(token=Secret("not-a-jwt"))
    assert library.get_companion_dashboard(token=Secret("not-a-jwt"), expected_status="any")["success"] is False
    with pytest.raises(AssertionError, match="still runs"):
        library.companion_process_should_have_stopped_cleanly()
    with pytest.raises(AssertionError, match="Workers off the test clock"):
        library.every_companion_worker_should_see_the_test_clock(tolerance=timedelta(0))
    library.kill_companion_process()
    with pytest.raises(AssertionError, match="exit status -9, expected 0"):
        library.companion_process_should_have_stopped_cleanly()
    assert not any("mock-token" in line for line in robot_log)


def test_a_process_without_mocks_on_the_wall_clock(library, robot_vars):
    use_wall_clock(True)
    try:
        library.start_companion_process(plex_url=None)
        process = library._context.process
        assert process.clock is None and "clock_file" not in process.settings
        process_clock().advance(3600)  # the tests' clock moves; the process keeps the wall clock
        seen = datetime.fromisoformat(process.health()["time"].replace("Z", "+00:00"))
        assert abs((seen - datetime.now(timezone.utc)).total_seconds()) < 2
        library.restart_companion_process()
        assert library.stop_companion_process() == 0
        library.companion_process_should_have_stopped_cleanly()
    finally:
        use_wall_clock(False)


def test_a_start_the_app_refuses_fails_with_its_output(library):
    with pytest.raises(AssertionError, match="COMPANION_FAIL_MAX must be from 1"):
        library.start_companion_process(fail_max=0)


def test_a_refused_command_is_checked_for_status_message_and_secrets(library):
    library.run_companion_command("--workers", "0", jwt_secret=Secret("x" * 40))
    library.companion_command_should_have_been_refused("COMPANION_WORKERS must be from 1 to 64")
    with pytest.raises(AssertionError, match="does not say"):
        library.companion_command_should_have_been_refused("something else")
    library.run_companion_command("--workers", "0", jwt_secret=Secret("x" * 40), webhook_secret=Secret("workers"))
    with pytest.raises(AssertionError, match="shows the value of secret setting"):
        library.companion_command_should_have_been_refused("COMPANION_WORKERS")
    library.run_companion_command("--help")
    with pytest.raises(AssertionError, match="exit status 0, expected 2"):
        library.companion_command_should_have_been_refused("usage")
