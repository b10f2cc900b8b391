"""Facts joined from a timeline, and the checks the assertion keywords make over them.

A breaker's *periods* come from its ``breaker`` events (closed until the first
one). A request belongs to a period by the moment the mock *received* it (its
journal time minus its duration), so a request always lies before the
transition its own answer caused. Every failed check raises ``AssertionError``
with the events of that service around the mismatch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .events import Event
from .timeline import Timeline

__all__ = ["Period", "breaker_periods", "format_events", "around", "check_opened_after",
           "check_probes_while_half_open", "check_no_request_while_open", "check_answers_stale_between",
           "check_answers_stale_while_open"]

CONTEXT = 4


@dataclass(frozen=True)
class Period:
    """A span of a breaker's life in one state; ``end`` is ``inf`` for the current one."""

    state: str
    start: float
    end: float
    opened_by: Event | None = None  # the breaker event that began it

    def holds(self, moment: float) -> bool:
        return self.start <= moment < self.end


def breaker_periods(events: list[Event], service: str, start: float) -> list[Period]:
    """The states of ``service``'s breaker from ``start`` on (closed before its first event)."""
    periods: list[Period] = []
    state, since, cause = "closed", start, None
    for event in events:
        if event.kind != "breaker" or event.service != service:
            continue
        periods.append(Period(state, since, event.time, cause))
        state, since, cause = event.get("to_state", "?"), event.time, event
    periods.append(Period(state, since, math.inf, cause))
    return [p for p in periods if p.end > p.start or p.end == math.inf]


def format_events(timeline: Timeline, events: list[Event], mark: Event | None = None) -> str:
    """One line per event: ``  +1.234 s  plex  breaker  closed -> open (...)``; ``mark`` gets ``>``."""
    if not events:
        return "  (no events)"
    width = max(len(e.service) for e in events)
    lines = []
    for event in events:
        pointer = ">" if mark is not None and event == mark else " "
        lines.append(f" {pointer}{timeline.elapsed(event.time):+9.3f} s  {event.service:<{width}}  "
                     f"{event.kind:<8}  {event.describe()}")
    return "\n".join(lines)


def around(events: list[Event], moment: float, service: str | None = None, count: int = CONTEXT) -> list[Event]:
    """Up to ``count`` events before ``moment`` and ``count`` from it on (of ``service`` when given)."""
    mine = [e for e in events if service is None or e.service == service]
    index = next((i for i, e in enumerate(mine) if e.time >= moment), len(mine))
    return mine[max(0, index - count):index + count]


def _received(event: Event) -> float:
    """When a mock received a request (a request event's time: see :func:`~.collectors.journal_source`)."""
    return event.time


def check_opened_after(timeline: Timeline, service: str, calls: int, requests: int) -> str:
    """The first opening of ``service``'s breaker came after ``calls`` failed calls in a row and the
    ``requests`` requests they sent (retries included), counted after the last successful call before it.
    Returns a one-line summary."""
    events = timeline.events()
    periods = breaker_periods(events, service, timeline.started_at)
    opened = next((p for p in periods if p.state == "open" and p.opened_by is not None
                   and p.opened_by.get("from_state") == "closed"), None)
    mine = [e for e in events if e.service == service]
    if opened is None:
        n_calls = sum(1 for e in mine if e.kind == "call")
        n_requests = sum(1 for e in mine if e.kind == "request")
        raise AssertionError(
            f"The {service} breaker never opened (expected it to open after {calls} call(s) and {requests} "
            f"request(s)); {n_calls} call(s) and {n_requests} request(s) were recorded. Last {service} events:\n"
            f"{format_events(timeline, mine[-2 * CONTEXT:])}")
    closed = next(p for p in reversed(periods) if p.end <= opened.start and p.state == "closed")
    # pybreaker counts consecutive failures: the run that opened it began after the last successful call
    since = max([closed.start] + [e.time for e in mine if e.kind == "call" and e.get("result") == "success"
                                  and closed.start <= e.time <= opened.start])
    window = [e for e in mine if since < e.time <= opened.start or (e.time == since == closed.start)]
    n_calls = sum(1 for e in window if e.kind == "call")
    n_requests = sum(1 for e in window if e.kind == "request")
    seen = f"opened at {timeline.elapsed(opened.start):+.3f} s after {n_calls} call(s) and {n_requests} request(s)"
    if (n_calls, n_requests) != (calls, requests):
        raise AssertionError(
            f"The {service} breaker should have opened after {calls} call(s) and {requests} request(s), but it "
            f"{seen}. Around the opening:\n"
            f"{format_events(timeline, around(events, opened.start, service, 2 * CONTEXT), opened.opened_by)}")
    return f"the {service} breaker {seen}"


def check_probes_while_half_open(timeline: Timeline, service: str, probes: int) -> str:
    """Exactly ``probes`` requests reached ``service`` while its breaker was half-open."""
    events = timeline.events()
    half_open = [p for p in breaker_periods(events, service, timeline.started_at) if p.state == "half-open"]
    reached = [e for e in events if e.service == service and e.kind == "request"
               and any(p.holds(_received(e)) for p in half_open)]
    summary = f"{len(reached)} request(s) reached {service} in {len(half_open)} half-open period(s)"
    if len(reached) != probes:
        if half_open:
            focus = half_open[0]
            context = format_events(timeline, around(events, focus.start, service, 2 * CONTEXT), focus.opened_by)
        else:
            context = format_events(timeline, [e for e in events if e.service == service][-2 * CONTEXT:])
        raise AssertionError(f"Exactly {probes} probe(s) should have reached {service} while its breaker was "
                             f"half-open, but {summary}. Around the half-open period:\n{context}")
    return summary


def check_no_request_while_open(timeline: Timeline, service: str) -> str:
    """No request reached ``service`` while its breaker was open."""
    events = timeline.events()
    open_periods = [p for p in breaker_periods(events, service, timeline.started_at) if p.state == "open"]
    leaked = [e for e in events if e.service == service and e.kind == "request"
              and any(p.holds(_received(e)) for p in open_periods)]
    if leaked:
        first = leaked[0]
        raise AssertionError(
            f"No request should have reached {service} while its breaker was open, but {len(leaked)} did; "
            f"the first at {timeline.elapsed(first.time):+.3f} s:\n"
            f"{format_events(timeline, around(events, first.time, service, CONTEXT), first)}")
    return f"{service}'s breaker was open in {len(open_periods)} period(s), with no request reaching it"


def _check_all_stale(timeline: Timeline, events: list[Event], answers: list[Event], who: str, during: str,
                     nothing: tuple[str, str, list[Event]]) -> str:
    """The two stale checks' shared part: ``answers`` (of ``who``, recorded ``during``) exist and are all stale.

    ``nothing`` says what to show when there is no answer: a detail after ``during``, a label, the events."""
    if not answers:
        detail, label, context = nothing
        raise AssertionError(
            f"No {who} was recorded {during}{detail}; answers are recorded by the library that calls the "
            f"clients (observe_call). {label}:\n{format_events(timeline, context)}")
    fresh = [e for e in answers if not e.get("stale")]
    if fresh:
        first = fresh[0]
        raise AssertionError(
            f"Every {who} {during} should have been stale, but {len(fresh)} of {len(answers)} were fresh; "
            f"the first at {timeline.elapsed(first.time):+.3f} s:\n"
            f"{format_events(timeline, around(events, first.time, first.service), first)}")
    return f"all {len(answers)} {who}(s) {during} were stale"


def check_answers_stale_between(timeline: Timeline, start_s: float, end_s: float, service: str | None = None) -> str:
    """Every answer between ``start_s`` and ``end_s`` (seconds from the test's start) was stale; at least one."""
    if not (math.isfinite(start_s) and math.isfinite(end_s)) or end_s < start_s:
        raise ValueError(f"the window must be two finite times, the first not after the second; "
                         f"got {start_s!r} and {end_s!r}")
    events = timeline.events()
    lo, hi = timeline.started_at + start_s, timeline.started_at + end_s
    answers = [e for e in events if e.kind == "answer" and lo <= e.time <= hi
               and (service is None or e.service == service)]
    return _check_all_stale(timeline, events, answers, f"{service} answer" if service else "answer",
                            f"between {start_s:g} s and {end_s:g} s",
                            ("", f"Events around {start_s:g} s", around(events, lo, service)))


def check_answers_stale_while_open(timeline: Timeline, service: str) -> str:
    """Every answer of ``service``'s client while its breaker was open came stale from the cache; at least one."""
    events = timeline.events()
    open_periods = [p for p in breaker_periods(events, service, timeline.started_at) if p.state == "open"]
    answers = [e for e in events if e.service == service and e.kind == "answer"
               and any(p.holds(e.time) for p in open_periods)]
    return _check_all_stale(timeline, events, answers, f"{service} answer", "while its breaker was open",
                            (f" ({len(open_periods)} open period(s))", f"Last {service} events",
                             [e for e in events if e.service == service][-2 * CONTEXT:]))
