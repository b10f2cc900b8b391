"""The keyword library without a Robot run: keyword names, errors as failures, the listener hooks."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from robot.api import logger

from ResilienceTimeline import ResilienceTimeline
from ResilienceTimeline.schedule import FaultSchedule

from .conftest import fail_calls


@pytest.fixture
def logged(monkeypatch) -> list[str]:
    messages: list[str] = []
    monkeypatch.setattr(logger, "info", lambda msg, *args, **kwargs: messages.append(str(msg)))
    return messages


@pytest.fixture
def lib(clock, plex, breakers, plex_client):
    library = ResilienceTimeline()
    library.use_clock(clock)
    library.watch_mock("plex", plex)
    library.watch_breakers(breakers)
    library.start_test(SimpleNamespace(name="a test"), None)
    yield library
    library.close()


def run(lib: ResilienceTimeline, name: str, *args, **kwargs):
    """Run a keyword by its Robot name, as Robot's dynamic API does (PythonLibCore keys are method names)."""
    return lib.run_keyword("_".join(name.lower().split()), list(args), kwargs)


def test_the_keywords_are_named_for_the_suites(lib):
    names = set(lib.get_keyword_names())
    assert {"log_resilience_timeline", "record_timeline_event", "get_resilience_timeline", "timeline_should_contain",
            "load_fault_schedule", "load_fault_schedule_from_file", "play_fault_schedule", "stop_fault_schedules",
            "Every Answer Between ${start} And ${end} Should Have Been Stale",
            "No Request Should Have Reached ${service} While Its Breaker Was Open",
            "${service} Breaker Should Have Opened After ${calls} Calls And ${requests} Requests",
            "Exactly ${probes} Probe(s) Should Have Reached ${service} While Half-Open",
            "Every ${service} Answer Between ${start} And ${end} Should Have Been Stale"} <= names


def test_log_resilience_timeline_logs_html(lib, plex_client, logged):
    plex_client.test_connection()
    run(lib, "Log Resilience Timeline", "after one call")
    assert logged[-1].startswith('<div class="resilience-timeline-log"><svg') and "after one call" in logged[-1]


def test_record_get_and_should_contain(lib):
    run(lib, "Record Timeline Event", "status", "Uptime Kuma", status="down", source="poll")
    events = run(lib, "Get Resilience Timeline", kind="status")
    assert events[0]["service"] == "uptime-kuma" and events[0]["status"] == "down"
    assert events[0]["what"] == "status down (from poll)" and events[0]["t"] >= 0
    run(lib, "Timeline Should Contain", "status", "Uptime Kuma", count=1)
    with pytest.raises(AssertionError, match=r"Expected 2 status event\(s\) for uptime-kuma, found 1. Last uptime"):
        run(lib, "Timeline Should Contain", "status", "uptime-kuma", count=2)
    with pytest.raises(AssertionError, match="Expected at least 1 fault event"):
        run(lib, "Timeline Should Contain", "fault", "plex")
    with pytest.raises(AssertionError, match="Unknown event kind 'oops'"):
        run(lib, "Timeline Should Contain", "oops", "plex")
    with pytest.raises(AssertionError, match="Cannot record the event: unknown event kind"):
        run(lib, "Record Timeline Event", "oops", "plex")


def test_story_keywords_pass_and_fail(lib, plex, plex_client, logged):
    plex.take_down()
    fail_calls(plex_client.test_connection, 3)
    lib.end_library_keyword(None, None, SimpleNamespace(owner="MediaClients"))
    lib.breaker_should_have_opened_after("Plex", 3, 0)  # refused: no request reached the mock
    lib.no_request_should_have_reached_while_open("Plex")
    lib.probes_should_have_reached_while_half_open(0, "Plex")
    assert logged[0].startswith("the plex breaker opened at")
    with pytest.raises(AssertionError, match="No answer was recorded between 0 s and 10 s"):
        lib.every_answer_should_have_been_stale(0, 10)
    with pytest.raises(AssertionError, match="No plex answer was recorded"):
        lib.every_service_answer_should_have_been_stale("Plex", 0, 10)
    with pytest.raises(AssertionError, match="A service is named like Plex, Overseerr or Uptime Kuma, got '<b>'"):
        lib.no_request_should_have_reached_while_open("<b>")


def test_schedule_keywords(lib, plex, tmp_path, logged):
    schedule = run(lib, "Load Fault Schedule", "0s", "plex", "503", "10s")
    assert isinstance(schedule, FaultSchedule)
    with pytest.raises(AssertionError, match="row 1: unknown service 'nas'"):
        run(lib, "Load Fault Schedule", "0s", "nas", "503", "10s")
    path = tmp_path / "s.json"
    path.write_text('[{"at": 0, "service": "plex", "fault": "refuse", "for": 5}]', encoding="utf-8")
    assert len(run(lib, "Load Fault Schedule From File", path).entries) == 1
    path.write_text('[{"at": "x", "service": "plex", "fault": "refuse"}]', encoding="utf-8")
    with pytest.raises(AssertionError, match="s.json, line 1: the time must be a time"):
        run(lib, "Load Fault Schedule From File", path)
    run(lib, "Play Fault Schedule", schedule)
    assert plex.faults.to_dict()["outage"] is not None
    assert "Applied at once:\nstart at 0 s plex: every request answers 503 for 10 s" in logged
    run(lib, "Stop Fault Schedules")
    assert plex.faults.to_dict()["outage"] is None
    with pytest.raises(AssertionError, match="no mock running for overseerr"):
        run(lib, "Play Fault Schedule", "0s", "overseerr", "503", "1s")


def test_end_test_logs_the_picture_only_for_a_failed_test_with_events(lib, plex_client, logged):
    lib.end_test(None, SimpleNamespace(passed=True, name="ok"))
    assert logged == []
    plex_client.test_connection()
    lib.end_test(None, SimpleNamespace(passed=False, name="broken"))
    assert len(logged) == 1 and "of the failed test: broken" in logged[0]
    quiet = ResilienceTimeline(log_failed_tests=False)
    quiet.start_test(SimpleNamespace(name="x"), None)
    quiet.record("note", "plex", text="something")
    quiet.end_test(None, SimpleNamespace(passed=False, name="x"))
    assert len(logged) == 1
    quiet.close()


def test_end_library_keyword_ignores_builtin_keywords_and_keywords_outside_tests(plex):
    library = ResilienceTimeline()
    library.watch_mock("plex", plex)
    library.end_library_keyword(None, None, SimpleNamespace(owner="MockServices"))  # no test yet: nothing to look at
    library.start_test(SimpleNamespace(name="t"), None)
    plex.take_down()
    library.end_library_keyword(None, None, SimpleNamespace(owner="BuiltIn"))
    assert library.timeline.events("fault") == []
    library.end_library_keyword(None, None, SimpleNamespace(owner="MockServices"))
    assert [e.get("label") for e in library.timeline.events("fault")] == ["connection refused"]
    plex.bring_up()
    library.close()


def test_observe_call_through_the_library_records_answers(lib, plex_client):
    lib.observe_call("plex", "get_libraries", plex_client.get_libraries)
    assert [e.get("stale") for e in lib.timeline.events("answer")] == [False]


def test_a_new_suite_forgets_the_library_instances_it_found(lib):
    lib._discover()  # outside Robot: nothing found, remembered as missing
    assert lib._robot_libraries == {"MockServices": None, "MediaClients": None}
    lib.start_suite(None, None)
    assert lib._robot_libraries == {}


def test_a_test_without_a_given_clock_runs_on_the_process_clock(plex):
    from atest_support.clock import process_clock

    library = ResilienceTimeline()
    library.start_test(SimpleNamespace(name="t"), None)
    assert library.timeline.clock is process_clock()
    library.close()


def test_every_answer_while_open_keyword(lib, plex, plex_client):
    lib.observe_call("plex", "get_libraries", plex_client.get_libraries)
    plex.take_down()
    for _ in range(4):
        lib.observe_call("plex", "get_libraries", plex_client.get_libraries)
    assert "Every ${service} Answer While Its Breaker Was Open Should Have Been Stale" in lib.get_keyword_names()
    lib.every_answer_while_open_should_have_been_stale("Plex")
