"""The timeline itself: recording, bounds, thread safety, the clock it is on."""

from __future__ import annotations

import threading

import pytest

from ResilienceTimeline.events import Event, describe_fields
from ResilienceTimeline.timeline import WALL_CLOCK, Timeline


def test_records_on_the_clock_and_reads_relative_to_the_start(clock):
    timeline = Timeline(clock)
    clock.advance(30)
    event = timeline.record("note", "plex", text="later")
    assert timeline.elapsed(event.time) == pytest.approx(30, abs=0.05)
    assert timeline.events() == [event]


@pytest.mark.parametrize("kind, service, message", [("nonsense", "plex", "unknown event kind 'nonsense'"),
                                                     ("note", "", "an event needs a service name")])
def test_rejects_an_unknown_kind_or_no_service(kind, service, message):
    with pytest.raises(ValueError, match=message):
        Timeline().record(kind, service)


def test_is_bounded_and_counts_what_it_dropped():
    timeline = Timeline(maxlen=3)
    for i in range(5):
        timeline.record("note", "plex", n=i)
    assert [e.get("n") for e in timeline.events()] == [2, 3, 4]
    assert timeline.dropped == 2
    with pytest.raises(ValueError, match="at least 1"):
        Timeline(maxlen=0)


def test_many_threads_record_without_losing_an_event(clock):
    timeline = Timeline(clock)

    def record_many(name: str) -> None:
        for i in range(500):
            timeline.record("note", name, n=i)

    threads = [threading.Thread(target=record_many, args=(f"s{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = timeline.events()
    assert len(events) == 4000 and len({e.seq for e in events}) == 4000
    assert sorted(timeline.services) == [f"s{i}" for i in range(8)]


def test_filters_by_kind_and_service():
    timeline = Timeline()
    timeline.record("note", "plex")
    timeline.record("status", "plex", status="up")
    timeline.record("status", "overseerr", status="down")
    assert [e.service for e in timeline.events("status")] == ["plex", "overseerr"]
    assert [e.kind for e in timeline.events(service="plex")] == ["note", "status"]
    assert len(timeline) == 3


def test_moving_onto_another_clock_keeps_the_story(clock):
    timeline = Timeline(WALL_CLOCK)
    first = timeline.record("note", "plex")
    clock.advance(100)
    timeline.use_clock(clock)
    later = timeline.record("note", "plex")
    assert timeline.elapsed(timeline.events()[0].time) == pytest.approx(timeline.elapsed(first.time) + 100, abs=0.05)
    assert 0 <= timeline.elapsed(later.time) < 1


def test_sources_are_read_with_every_read():
    timeline = Timeline()
    extra = Event(timeline.started_at, "note", "plex", {"text": "collected"})
    timeline.add_source(lambda tl: [extra])
    timeline.record("note", "plex", text="recorded")
    assert [e.get("text") for e in timeline.events()] == ["collected", "recorded"]


@pytest.mark.parametrize("kind, fields, text", [
    ("request", {"method": "GET", "path": "/", "status": 0, "duration_ms": 2}, "GET / -> no answer 2.0 ms"),
    ("call", {"result": "failure", "state": "closed", "error": "boom"}, "call failure (breaker closed): boom"),
    ("rejected", {"count": 2}, "2 call(s) rejected by the open breaker, no request sent"),
    ("answer", {"stale": False}, "answered fresh"),
    ("breaker", {"from_state": "open", "to_state": "half-open"}, "breaker open -> half-open"),
    ("fault", {"state": "instant", "label": "drop"}, "fault: drop"),
    ("socket", {"event": "push", "detail": "heartbeat"}, "socket push heartbeat"),
    ("status", {"status": "down", "source": "poll", "message": "refused"}, "status down (from poll): refused"),
    ("note", {"text": "x"}, "note text=x"),
])
def test_every_kind_reads_as_one_line(kind, fields, text):
    assert describe_fields(kind, fields) == text
