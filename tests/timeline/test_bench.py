"""benchmarks/timeline.py runs: its numbers are all there, and the demo story is the one docs/timeline.png shows."""

from __future__ import annotations

from benchmarks.timeline import build_demo_story, measure, run
from benchmarks.model import BenchConfig


def test_measure_reports_every_cost():
    m = measure(60, rounds=2)
    assert {"record_us", "breaker_call_us", "breaker_call_listened_us", "request_us", "request_timeline_us",
            "collect_per_request_us", "look_us", "per_test_ms", "render_300_ms"} <= set(m)
    assert all(value >= 0 for value in m.values())
    # how fast is the benchmark's to report (python -m benchmarks --only timeline), not a test's: a busy
    # machine made a 50 ms bound fail; what must hold is that the 330-event story was rendered and timed
    assert m["render_events"] == 330 and m["render_300_ms"] > 0


def test_run_builds_a_section(monkeypatch):
    monkeypatch.setattr("benchmarks.timeline.measure", lambda calls: {
        "record_us": 1.0, "breaker_call_us": 2.0, "breaker_call_listened_us": 4.0, "request_us": 1000.0,
        "request_timeline_us": 1001.0, "collect_per_request_us": 1.0, "collected_requests": 10, "look_us": 10.0,
        "per_test_ms": 0.5, "render_300_ms": 2.0, "render_events": 330})
    section = run(BenchConfig.for_mode("quick"), log=lambda line: None)
    rows = {row["what"]: row for row in section.rows}
    assert rows["timeline cost per request (listener + collection)"]["cost"] == "3.0 µs"
    assert rows["per test"]["compared with"] == "0.29 % of 175 ms per test"


def test_the_demo_story_has_three_lanes_a_schedule_and_breakers():
    timeline, html = build_demo_story()
    assert timeline.services[:1] == ["uptime-kuma"] and set(timeline.services) == {"plex", "overseerr", "uptime-kuma"}
    faults = [(e.service, e.get("state")) for e in timeline.events("fault") if str(e.get("window")).startswith("sch")]
    assert faults == [("plex", "on"), ("overseerr", "on"), ("overseerr", "off"), ("uptime-kuma", "instant"),
                      ("plex", "off")]
    opened = [e.service for e in timeline.events("breaker") if e.get("to_state") == "open"]
    assert opened == ["plex", "overseerr", "plex"]
    assert html.count('class="lane"') == 3
