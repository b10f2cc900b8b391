"""The assertions over the joined facts: they pass on the real story and fail naming the events around."""

from __future__ import annotations

import pytest

from ResilienceTimeline import story
from ResilienceTimeline.context import observe
from ResilienceTimeline.timeline import Timeline

from .conftest import fail_calls


@pytest.fixture
def opened_and_recovered(context, clock, plex, plex_client, breakers):
    """One good read, an outage: 3 failed calls (2 requests each), 2 rejected, then a probe after 30 s."""
    observe("plex", "get_libraries", plex_client.get_libraries)
    plex.faults.set_outage(duration_s=20)
    context.look()
    for _ in range(3):
        observe("plex", "get_libraries", plex_client.get_libraries)  # failed: answered stale
    for _ in range(2):
        observe("plex", "get_libraries", plex_client.get_libraries)  # rejected: answered stale
    context.look()
    clock.advance(30)  # the reset timeout passes
    observe("plex", "get_libraries", plex_client.get_libraries)
    context.look()
    return context.timeline


def test_opened_after_counts_the_failed_calls_in_a_row_and_their_requests(opened_and_recovered):
    summary = story.check_opened_after(opened_and_recovered, "plex", 3, 6)
    assert summary.startswith("the plex breaker opened at +") and summary.endswith("after 3 call(s) and 6 request(s)")


def test_opened_after_fails_naming_the_events_around_the_opening(opened_and_recovered):
    with pytest.raises(AssertionError) as err:
        story.check_opened_after(opened_and_recovered, "plex", 2, 4)
    message = str(err.value)
    assert message.startswith("The plex breaker should have opened after 2 call(s) and 4 request(s), but it opened at")
    assert "after 3 call(s) and 6 request(s). Around the opening:" in message
    assert " >" in message and "breaker closed -> open (failure 3 of 3 in a row" in message
    assert "GET /library/sections -> 503 (outage: status 503)" in message


def test_opened_after_fails_when_the_breaker_never_opened(context, plex_client):
    plex_client.test_connection()
    with pytest.raises(AssertionError, match=r"The plex breaker never opened \(expected it to open after 3 call\(s\) "
                                             r"and 6 request\(s\)\); 1 call\(s\) and 1 request\(s\) were recorded"):
        story.check_opened_after(context.timeline, "plex", 3, 6)


def test_exactly_one_probe_reached_plex_while_half_open(opened_and_recovered):
    assert story.check_probes_while_half_open(opened_and_recovered, "plex", 1) == (
        "1 request(s) reached plex in 1 half-open period(s)")
    with pytest.raises(AssertionError, match=r"Exactly 2 probe\(s\) should have reached plex while its breaker was "
                                             r"half-open, but 1 request\(s\) reached plex in 1 half-open period"):
        story.check_probes_while_half_open(opened_and_recovered, "plex", 2)


def test_no_request_reached_plex_while_its_breaker_was_open(opened_and_recovered):
    assert "no request reaching it" in story.check_no_request_while_open(opened_and_recovered, "plex")


def test_a_request_while_open_is_named_with_its_neighbours(clock):
    timeline = Timeline(clock)
    start = timeline.started_at
    timeline.record("breaker", "plex", from_state="closed", to_state="open", cause="failure 3 of 3", at=start + 1)
    timeline.record("request", "plex", method="GET", path="/identity", status=200, duration_ms=1.0, at=start + 2)
    timeline.record("breaker", "plex", from_state="open", to_state="half-open", cause="probe", at=start + 30)
    with pytest.raises(AssertionError) as err:
        story.check_no_request_while_open(timeline, "plex")
    assert str(err.value).splitlines() == [
        "No request should have reached plex while its breaker was open, but 1 did; the first at +2.000 s:",
        "     +1.000 s  plex  breaker   breaker closed -> open (failure 3 of 3)",
        " >   +2.000 s  plex  request   GET /identity -> 200 1.0 ms",
        "    +30.000 s  plex  breaker   breaker open -> half-open (probe)",
    ]


def test_every_answer_in_the_outage_was_stale(opened_and_recovered):
    timeline = opened_and_recovered
    answers = timeline.events("answer")
    first_stale = timeline.elapsed(answers[1].time)
    last_stale = timeline.elapsed(answers[5].time)
    assert story.check_answers_stale_between(timeline, first_stale, last_stale) == (
        f"all 5 answer(s) between {first_stale:g} s and {last_stale:g} s were stale")
    with pytest.raises(AssertionError, match=r"Every plex answer between 0 s and 40 s should have been stale, but 2 "
                                             r"of 7 were fresh; the first at \+0\.0"):
        story.check_answers_stale_between(timeline, 0, 40, "plex")


def test_stale_between_fails_when_no_answer_was_recorded(context):
    with pytest.raises(AssertionError, match="No answer was recorded between 1 s and 2 s; answers are recorded by"):
        story.check_answers_stale_between(context.timeline, 1, 2)


@pytest.mark.parametrize("window", [(2, 1), (float("nan"), 1), (0, float("inf"))])
def test_stale_between_rejects_a_window_that_is_not_one(context, window):
    with pytest.raises(ValueError, match="the window must be two finite times"):
        story.check_answers_stale_between(context.timeline, *window)


def test_periods_start_closed_and_follow_the_transitions(clock):
    timeline = Timeline(clock)
    start = timeline.started_at
    timeline.record("breaker", "plex", from_state="closed", to_state="open", at=start + 1)
    periods = story.breaker_periods(timeline.events(), "plex", start)
    assert [(p.state, p.start - start) for p in periods] == [("closed", 0), ("open", 1)]
    assert periods[1].holds(start + 100) and not periods[0].holds(start + 1)


def test_fail_calls_helper_reports_success(plex_client):
    assert fail_calls(plex_client.test_connection, 1) == ["no error"]


def test_every_answer_while_the_breaker_was_open_was_stale(opened_and_recovered):
    summary = story.check_answers_stale_while_open(opened_and_recovered, "plex")
    assert summary == "all 3 plex answer(s) while its breaker was open were stale"


def test_a_fresh_answer_while_open_is_named_and_no_answer_at_all_fails(clock):
    timeline = Timeline(clock)
    t0 = timeline.started_at
    timeline.record("breaker", "plex", at=t0 + 1, from_state="closed", to_state="open")
    timeline.record("answer", "plex", at=t0 + 2, operation="get_libraries", stale=True)
    timeline.record("answer", "plex", at=t0 + 3, operation="get_libraries", stale=False)
    with pytest.raises(AssertionError) as err:
        story.check_answers_stale_while_open(timeline, "plex")
    assert str(err.value).startswith("Every plex answer while its breaker was open should have been stale, but 1 of 2 "
                                     "were fresh; the first at +3.000 s:")
    assert "> " in str(err.value) and "get_libraries answered fresh" in str(err.value)
    with pytest.raises(AssertionError, match=r"^No overseerr answer was recorded while its breaker was open \(0 open"):
        story.check_answers_stale_while_open(timeline, "overseerr")
