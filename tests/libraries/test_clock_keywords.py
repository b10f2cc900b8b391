"""The one clock per process and the keywords that move it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from MediaClients import MediaClients
from MockServices import MockServices
from atest_support.clock import duration_seconds, process_clock


@pytest.fixture
def mocks(robot_vars):
    library = MockServices()
    yield library
    library.close()


def test_one_clock_per_process_shared_by_mocks_and_clients(mocks, robot_vars):
    url = mocks.start_mock_service("plex")
    clients = MediaClients()
    try:
        clients.create_plex_client(url)
        assert mocks._context.get("plex").clock is process_clock()
        assert clients.plex.clock is process_clock() and clients.breakers.clock is process_clock()
    finally:
        clients.close()


@pytest.mark.parametrize(("value", "seconds"), [("30s", 30.0), ("2 minutes", 120.0), ("1h 30m", 5400.0),
                                                 (timedelta(milliseconds=5), 0.005), (0, 0.0), ("0s", 0.0)])
def test_durations(value, seconds):
    assert duration_seconds(value) == seconds


def test_advance_time_by_moves_the_clock_forward(mocks):
    before = process_clock().advanced_s
    mocks.advance_time_by("2 minutes")
    assert process_clock().advanced_s == pytest.approx(before + 120)
    assert mocks.get_time_advanced() == process_clock().advanced_s


@pytest.mark.parametrize(("value", "message"), [
    ("-5s", "Cannot advance time by '-5s': Time only moves forward: '-5s' is negative."),
    ("soon", "Cannot advance time by 'soon': 'soon' is not a duration: give one like 30s, 2 minutes or 1h 30m."),
    (timedelta(seconds=-1), "Time only moves forward"),
])
def test_a_bad_duration_fails_saying_what_was_wrong_and_moves_nothing(mocks, value, message):
    before = process_clock().advanced_s
    with pytest.raises(AssertionError) as err:
        mocks.advance_time_by(value)
    assert message in str(err.value)
    assert process_clock().advanced_s == before


def test_a_production_size_reset_timeout_passes_when_the_clock_moves(mocks, robot_vars):
    url = mocks.start_mock_service("plex")
    clients = MediaClients(fail_max=1, reset_timeout=timedelta(seconds=30))
    try:
        clients.create_plex_client(url)
        mocks.add_route_fault("plex", "/*", "503")
        clients.client_call_should_fail_with("plex", "ServiceUnavailableError")
        clients.circuit_breaker_should_be("plex", "open")
        mocks.advance_time_by("29s")
        clients.circuit_breaker_should_be("plex", "open")
        mocks.advance_time_by("1s")
        clients.circuit_breaker_should_be("plex", "half-open")
        mocks.clear_mock_faults("plex")
        clients.test_plex_connection()
        clients.circuit_breaker_should_be("plex", "closed")
    finally:
        clients.close()


def test_a_wall_clock_suite_builds_on_the_system_clock_until_it_ends(robot_vars):
    from companion.clock import SYSTEM_CLOCK

    from atest_support.clock import companion_clock, wall_clock_in_use

    library = MockServices()
    try:
        library.use_the_wall_clock()
        assert wall_clock_in_use() and companion_clock() is SYSTEM_CLOCK
        with pytest.raises(AssertionError, match=r"^This suite runs on the wall clock"):
            library.advance_time_by("1s")
    finally:
        library.close()
    assert not wall_clock_in_use() and companion_clock() is process_clock()
