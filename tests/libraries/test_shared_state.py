"""The SharedState keyword library outside a Robot run: what the suite does not reach (failures, freeze, re-pinning)."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from CompanionProcess import CompanionProcess
from SharedState import SharedState


@pytest.fixture
def library(robot_vars):
    lib = SharedState(timeout=timedelta(seconds=10))
    yield lib
    lib.close()


@pytest.fixture
def companion(robot_vars, tmp_path, plex_mock, library):
    """A companion of 2 workers on the library's Redis, known to the library as the CompanionProcess instance."""
    robot_vars["${OUTPUT DIR}"] = str(tmp_path)
    robot_vars["${PLEX_URL}"] = plex_mock.url
    process_library = CompanionProcess(timeout=timedelta(seconds=20))
    robot_vars.libraries["CompanionProcess"] = process_library
    redis_url = library.start_redis_server()
    process_library.start_companion_process(workers=2, state_url=redis_url, state_timeout_s=1.0)
    yield process_library
    process_library.close()


def test_keywords_before_a_start_say_which_keyword_starts_what(library, robot_vars):
    with pytest.raises(AssertionError, match="start one with 'Start Redis Server'"):
        library.kill_redis_server()
    robot_vars.libraries["CompanionProcess"] = CompanionProcess()
    with pytest.raises(AssertionError, match="start it with 'Start Companion Process'"):
        library.connect_to_every_companion_worker()
    with pytest.raises(AssertionError, match="No companion worker named 'A'"):
        library._context.workers.get("A", "/health")


def test_a_frozen_redis_does_not_answer_until_thawed_and_a_test_stops_the_server_it_started(library, robot_vars):
    library.start_test(None, None)
    url = library.start_redis_server()
    assert robot_vars["${REDIS_URL}"] == url
    library.freeze_redis_server()
    library.redis_server_should_not_answer()
    library.thaw_redis_server()
    with pytest.raises(AssertionError, match="no longer paused, frozen or down"):
        library.redis_server_should_not_answer()
    server = library._context.server
    library.end_test(None, None)
    assert not server.is_running() and library._context.server is None


def test_a_connection_the_worker_closed_is_pinned_again_and_answers_name_their_worker(library, companion):
    pinned = library.connect_to_every_companion_worker()
    assert sorted(pinned) == ["A", "B"] and sorted(pinned.values()) == sorted(companion.process.pids)
    first = library.get_plex_libraries_through_worker("B")
    assert first["success"] and first["pid"] == pinned["B"] and not first["data"]["stale"]
    library._context.workers._connections["B"].sock.shutdown(socket.SHUT_RDWR)  # as if the worker had closed it
    again = library.get_plex_libraries_through_worker("B")
    assert again["pid"] == pinned["B"] and again["http_status"] == 200
    library.start_getting_plex_libraries_through_worker("A")
    with pytest.raises(AssertionError, match="already under way"):
        library.start_getting_plex_libraries_through_worker("A")
    assert library.finish_getting_plex_libraries_through_worker("A")["pid"] == pinned["A"]
    with pytest.raises(AssertionError, match="No request through worker A is under way"):
        library.finish_getting_plex_libraries_through_worker("A")
    library.wait_until_breaker_has_probes_in_flight("plex", 0)
    with pytest.raises(AssertionError, match="probes in flight"):
        library.wait_until_breaker_has_probes_in_flight("plex", 1, timeout=timedelta(milliseconds=100))
    services = library.get_dashboard_through_worker("A")
    assert services["state-store"]["status"] == "up"


def test_a_worker_that_never_answers_is_reported_with_the_workers_that_did(library, companion):
    workers = library._context.workers
    with pytest.raises(AssertionError, match="No connection reached companion worker 1 in"):
        workers.pin(companion.process.url, [1], timeout_s=0.5)
