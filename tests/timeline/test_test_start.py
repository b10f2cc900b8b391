"""A test's timeline starts at that test (issue 22, item 9e): what the previous test left behind and the test
setup cleared is not part of its story; a fault still on when the test's own steps begin is, from its start."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import robot
from robot.api import ExecutionResult

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parents[2]


def faults(context) -> list[tuple[str, str]]:
    return [(e.get("state"), e.get("label")) for e in context.timeline.events("fault", "plex")]


def test_faults_left_before_the_test_and_cleared_by_its_setup_are_not_in_its_story(context, plex):
    plex.faults.add_route_fault("/*", 503)
    plex.take_down()
    context.begin("next test", setup=True)
    plex.faults.clear()  # the test setup puts the mock back
    plex.bring_up()
    context.look()
    context.setup_ended()
    context.end()
    assert faults(context) == []


def test_a_fault_still_on_when_the_setup_ends_is_drawn_from_the_test_start(context, clock, plex):
    plex.faults.set_delay(10)
    plex.take_down()
    context.begin("next test", setup=True)
    clock.advance(2)
    context.look()
    context.setup_ended()
    plex.bring_up()
    context.look()
    events = context.timeline.events("fault", "plex")
    assert [(e.get("state"), e.get("label")) for e in events] == [
        ("on", "delay 10 ms"), ("on", "connection refused"), ("off", "connection refused")]
    assert events[0].time == events[1].time == context.timeline.started_at
    assert events[2].time - events[0].time == pytest.approx(2, abs=0.05)


def test_a_fault_the_setup_sets_is_recorded_when_it_is_set(context, plex):
    context.begin("next test", setup=True)
    plex.faults.set_delay(10)
    context.look()
    context.setup_ended()
    context.end()
    assert faults(context) == [("on", "delay 10 ms")]


def test_without_a_setup_the_faults_on_at_the_start_are_in_the_story(context, plex):
    plex.faults.set_delay(10)
    context.begin("next test")
    plex.faults.clear()
    context.look()
    assert faults(context) == [("on", "delay 10 ms"), ("off", "delay 10 ms")]


def test_a_setup_that_never_ended_still_shows_what_is_on_at_the_end(context, plex):
    plex.faults.set_delay(10)
    context.begin("next test", setup=True)
    context.end()  # the setup failed: the test ends without its own steps
    assert faults(context) == [("on", "delay 10 ms")]


def timeline_rows(test) -> list[tuple[str, str, str]]:
    """(t, kind, what) of each row of the timeline table a failed test logged."""
    [message] = [m for m in test.body if m.type == "MESSAGE" and "resilience-timeline-table" in m.message]
    rows = re.findall(r"<tr><td>(.*?)</td><td[^>]*>.*?</td><td>(.*?)</td><td[^>]*>(.*?)</td></tr>", message.message)
    return [tuple(html.unescape(cell) for cell in row) for row in rows]


@pytest.mark.untraced  # a robot run: `make test` runs it outside the coverage tracer (pyproject.toml markers)
def test_a_failed_tests_timeline_starts_with_its_own_story(tmp_path):
    with open(tmp_path / "console.txt", "w", encoding="utf-8") as console:
        robot.run(str(DATA / "previous_test_left_faults.robot"), outputdir=str(tmp_path), report=None, log=None,
                  pythonpath=[str(ROOT), str(ROOT / "libraries")], stdout=console, stderr=console)
    tests = {t.name: t for t in ExecutionResult(str(tmp_path / "output.xml")).suite.tests}
    assert [t.status for t in tests.values()] == ["PASS", "FAIL", "FAIL", "FAIL"], \
        (tmp_path / "console.txt").read_text()
    clean = timeline_rows(tests["Fails After A Clean Setup"])
    assert [kind for _, kind, _ in clean] == ["request", "call", "answer"], clean
    own = timeline_rows(tests["Keeps The Fault Its Setup Set"])
    assert [what for _, kind, what in own if kind == "fault"] == ["fault on: delay 10 ms"], own
    kept = [(t, what) for t, kind, what in timeline_rows(tests["Inherits The Fault Its Setup Keeps"]) if kind == "fault"]
    assert [what for _, what in kept] == ["fault on: delay 10 ms", "fault off: delay 10 ms"], kept
    assert kept[0][0] == "+0.000" and float(kept[1][0]) >= 2
