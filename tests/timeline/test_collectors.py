"""The collectors against real mocks, a real CircuitBreakerFactory and a real PlexClient, on a VirtualClock."""

from __future__ import annotations

import threading

import pytest

from mockservers import UptimeKumaMock
from ResilienceTimeline.collectors import describe_plan, journal_source, observe_call
from ResilienceTimeline.context import TimelineContext, observe, record_event
from ResilienceTimeline.timeline import Timeline

from .conftest import fail_calls


def kinds(timeline: Timeline, service: str = "plex") -> list[str]:
    return [e.kind for e in timeline.events(service=service)]


def test_requests_come_from_the_journal_with_status_fault_and_duration(context, plex, plex_client):
    plex.faults.add_route_fault("/", 503, times=1)
    plex_client.test_connection()  # 503, retried, 200
    requests = context.timeline.events("request", "plex")
    assert [(e.get("method"), e.get("path"), e.get("status")) for e in requests] == [("GET", "/", 503), ("GET", "/", 200)]
    assert requests[0].get("fault") == "route #1: status 503"
    assert all(e.get("duration_ms") >= 0 for e in requests)
    assert requests[0].time < requests[1].time


def test_only_requests_after_the_start_belong_to_the_test(context, plex, plex_client):
    plex_client.test_connection()
    context.begin("next test")
    assert context.timeline.events("request") == []
    plex_client.test_connection()
    assert len(context.timeline.events("request")) == 1


def test_breaker_transitions_carry_their_cause(context, clock, plex, plex_client, breakers):
    plex.faults.set_outage(duration_s=40)
    assert fail_calls(plex_client.test_connection, 3) == ["ServiceUnavailableError"] * 3
    clock.advance(10)  # the outage is still on: 40 s
    plex.faults.clear()
    clock.advance(25)  # the reset timeout passes
    plex_client.test_connection()
    transitions = [(e.get("from_state"), e.get("to_state")) for e in context.timeline.events("breaker", "plex")]
    assert transitions == [("closed", "open"), ("open", "half-open"), ("half-open", "closed")]
    opened, half_open, closed = (e.get("cause") for e in context.timeline.events("breaker", "plex"))
    assert opened.startswith("failure 3 of 3 in a row: ServiceUnavailableError")
    assert "the probe" in half_open
    assert closed.startswith("the probe succeeded")
    calls = context.timeline.events("call", "plex")
    assert [(c.get("result"), c.get("state")) for c in calls] == [("failure", "closed")] * 3 + [("success", "half-open")]


def test_a_breaker_reset_is_not_mistaken_for_a_probe(context, plex, plex_client, breakers):
    plex.take_down()
    fail_calls(plex_client.test_connection, 3)
    breakers.reset_all()
    last = context.timeline.events("breaker", "plex")[-1]
    assert (last.get("from_state"), last.get("to_state"), last.get("cause")) == ("open", "closed", "reset (not by a call)")


def test_resetting_a_closed_breaker_records_nothing(context, plex_client, breakers):
    plex_client.test_connection()
    breakers.reset_all()  # pybreaker tells its listeners closed -> closed: not a transition
    assert context.timeline.events("breaker") == []


def test_rejected_calls_are_counted_from_the_breaker_without_a_request(context, plex, plex_client):
    plex.take_down()
    fail_calls(plex_client.test_connection, 3)
    context.look()
    assert fail_calls(plex_client.test_connection, 2) == ["CircuitOpenError"] * 2
    context.look()
    rejected = context.timeline.events("rejected", "plex")
    assert [e.get("count") for e in rejected] == [2]


def test_the_watcher_shows_fault_windows_and_ends_an_outage_when_its_time_is_up(context, clock, plex):
    plex.faults.set_outage(duration_s=30)
    context.look()
    clock.advance(45)
    context.look()
    faults = context.timeline.events("fault", "plex")
    assert [(e.get("state"), e.get("label")) for e in faults] == [("on", "outage 503 for 30 s"),
                                                                   ("off", "outage 503 for 30 s")]
    assert faults[1].time - faults[0].time == pytest.approx(30, abs=0.05)


def test_the_watcher_shows_connection_refused_as_a_window(context, plex):
    plex.take_down()
    context.look()
    plex.bring_up()
    context.look()
    faults = context.timeline.events("fault", "plex")
    assert [(e.get("state"), e.get("label")) for e in faults] == [("on", "connection refused"),
                                                                   ("off", "connection refused")]


def test_answers_served_stale_and_fresh_are_recorded_by_observe(context, plex, plex_client):
    observe("plex", "get_libraries", plex_client.get_libraries)
    plex.take_down()
    observe("plex", "get_libraries", plex_client.get_libraries)
    answers = context.timeline.events("answer", "plex")
    assert [a.get("stale") for a in answers] == [False, True]
    assert answers[1].describe() == "get_libraries answered STALE from the cache"


def test_observe_records_a_rejection_it_sees_and_reraises(context, plex, plex_client):
    plex.take_down()
    fail_calls(plex_client.test_connection, 3)
    with pytest.raises(Exception, match="OPEN"):
        observe_call(context.timeline, "plex", "test_connection", plex_client.test_connection)
    assert [e.get("operation") for e in context.timeline.events("rejected")] == ["test_connection"]


def test_record_event_is_a_no_op_without_a_running_timeline(clock):
    ctx = TimelineContext(clock=clock)
    ctx.close()
    assert record_event("status", "plex", status="down") is None
    assert observe("plex", "x", lambda: 42) == 42


def test_record_event_goes_to_the_running_test(context):
    event = record_event("status", "plex", status="degraded", source="poll")
    assert event is not None and context.timeline.events("status") == [event]


def test_requests_lie_on_the_shared_virtual_axis(clock, plex, plex_client):
    timeline = Timeline(clock)
    timeline.add_source(journal_source("plex", plex.journal))
    clock.advance(100)
    plex_client.test_connection()
    request = timeline.events("request")[0]
    assert timeline.elapsed(request.time) == pytest.approx(100, abs=0.5)


def test_uptime_kuma_socket_connects_and_drops():
    socketio = pytest.importorskip("socketio")
    with UptimeKumaMock() as kuma:
        ctx = TimelineContext()  # on the mock's own clock
        ctx.watch_mock("uptime-kuma", kuma)
        ctx.begin("kuma")
        client = socketio.Client(reconnection=False)
        dropped = threading.Event()
        client.on("disconnect", lambda *args: dropped.set())
        client.connect(kuma.url, transports=["polling"], wait_timeout=5)
        try:
            ctx.look()
            assert kuma.drop_connections() == 1
            assert dropped.wait(5)
            ctx.look()
        finally:
            client.disconnect()
            ctx.close()
        sockets = [(e.get("event")) for e in ctx.timeline.events("socket", "uptime-kuma")]
        assert sockets == ["connect", "disconnect"]


def test_describe_plan_reads_every_part_of_a_plan(plex):
    plex.faults.set_delay(200, 50)
    plex.faults.set_failure_rate(0.25, status=502, seed=7)
    plex.faults.add_route_fault("/identity", "reset", times=2)
    plex.faults.set_flapping(up_s=2, down_s=1)
    text = describe_plan(plex.faults.to_dict())
    assert text == ("flapping 1 s down / 2 s up; delay 200 ±50 ms; 25% fail with 502 (seed 7); "
                    "/identity: reset")
    assert describe_plan({}) == ""


def test_observe_sees_a_rejection_that_was_answered_stale(context, plex, plex_client):
    observe("plex", "get_libraries", plex_client.get_libraries)  # a good value in the cache
    plex.take_down()
    for _ in range(4):  # 3 failures open the breaker; the 4th is rejected; all answered stale
        observe("plex", "get_libraries", plex_client.get_libraries)
    context.look()  # the watcher leaves observed services' rejections to observe: no double count
    rejected = context.timeline.events("rejected", "plex")
    assert [(e.get("operation"), e.get("count")) for e in rejected] == [("get_libraries", 1)]
    assert [a.get("stale") for a in context.timeline.events("answer")] == [False, True, True, True, True]


def test_observed_and_unobserved_rejections_are_each_counted_once(context, plex, plex_client):
    plex.take_down()
    fail_calls(plex_client.test_connection, 3)
    context.look()
    with pytest.raises(Exception, match="OPEN"):
        observe("plex", "test_connection", plex_client.test_connection)  # recorded by observe, exactly
    fail_calls(plex_client.test_connection, 2)  # e.g. a status service polling: only the breaker counts them
    context.look()
    assert [(e.get("count"), e.get("operation")) for e in context.timeline.events("rejected", "plex")] == [
        (1, "test_connection"), (2, None)]
