"""The keywords: log the timeline, record into it, assert over it, play fault schedules."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from . import story
from .context import TimelineContext
from .events import KINDS
from .render import render_html
from .schedule import FaultSchedule, ScheduleError, load_json, parse_rows

SERVICE_NAME = re.compile(r"[a-z][a-z0-9_-]*")


def service_name(text: str) -> str:
    """``Plex`` -> ``plex``, ``Plex.tv`` -> ``plextv``, ``Uptime Kuma`` / ``uptime-kuma`` -> ``uptime-kuma``; anything
    else fails."""
    name = "-".join(str(text).strip().lower().replace(".", "").split())
    if not SERVICE_NAME.fullmatch(name):
        raise AssertionError(f"A service is named like Plex, Overseerr or Uptime Kuma, got {text!r}.")
    return name


def _seconds(value: timedelta | float) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TimelineKeywords:
    """Showing the timeline and adding to it."""

    def __init__(self, context: TimelineContext) -> None:
        self.ctx = context

    @keyword
    def log_resilience_timeline(self, title: str = "") -> None:
        """Logs the test's timeline so far: the picture (inline SVG) and the table of events.

        | `Log Resilience Timeline`
        | `Log Resilience Timeline`    after the outage
        """
        self.ctx.look()
        timeline = self.ctx.timeline
        logger.info(render_html(timeline, title=title or f"Resilience timeline {timeline.name}".strip()), html=True)

    @keyword
    def record_timeline_event(self, kind: str, service: str, **fields: str) -> None:
        """Adds an event the mocks and breakers cannot show, e.g. a status result or a Socket.IO push.

        ``kind`` is one of request, call, rejected, answer, breaker, fault,
        socket, status, note; the fields are free ``name=value`` pairs (see
        the event kinds in the library introduction).

        | `Record Timeline Event`    status    plex    status=down    source=poll
        | `Record Timeline Event`    socket    uptime-kuma    event=push    detail=heartbeat
        """
        try:
            self.ctx.timeline.record(kind, service_name(service), **fields)
        except ValueError as exc:
            raise AssertionError(f"Cannot record the event: {exc}") from None

    @keyword
    def get_resilience_timeline(self, kind: str | None = None, service: str | None = None) -> list[dict]:
        """Returns the events so far as dictionaries: ``t`` (seconds from the test start), ``service``,
        ``kind``, ``what`` (the one-line description) and the event's own fields.

        | ${events} =    `Get Resilience Timeline`    kind=request    service=plex
        """
        self.ctx.look()
        timeline = self.ctx.timeline
        found = timeline.events(kind, None if service is None else service_name(service))
        return [{"t": round(timeline.elapsed(e.time), 6), "service": e.service, "kind": e.kind,
                 "what": e.describe(), **e.fields} for e in found]

    @keyword
    def timeline_should_contain(self, kind: str, service: str, count: int | None = None) -> None:
        """Fails unless the timeline has events of ``kind`` for ``service`` (exactly ``count`` when given).

        | `Timeline Should Contain`    rejected    plex
        | `Timeline Should Contain`    fault    overseerr    count=2
        """
        if kind not in KINDS:
            raise AssertionError(f"Unknown event kind {kind!r}: expected one of {', '.join(KINDS)}.")
        self.ctx.look()
        timeline = self.ctx.timeline
        name = service_name(service)
        found = timeline.events(kind, name)
        if (count is None and not found) or (count is not None and len(found) != count):
            wanted = "at least 1" if count is None else str(count)
            mine = timeline.events(service=name)
            raise AssertionError(f"Expected {wanted} {kind} event(s) for {name}, found {len(found)}. "
                                 f"Last {name} events:\n{story.format_events(timeline, mine[-8:])}")


class StoryKeywords:
    """Assertions over the joined facts: breaker transitions, requests, answers."""

    def __init__(self, context: TimelineContext) -> None:
        self.ctx = context

    def _timeline(self):
        self.ctx.look()
        return self.ctx.timeline

    @keyword("${service} Breaker Should Have Opened After ${calls} Calls And ${requests} Requests")
    def breaker_should_have_opened_after(self, service: str, calls: int, requests: int) -> None:
        """Fails unless the service's breaker first opened after exactly ``calls`` failed calls in a row
        and the ``requests`` requests those calls sent (retries included) reached its mock.

        Counted after the last successful call before the opening, as pybreaker
        counts consecutive failures. The failure names the events around the opening.

        | `Plex Breaker Should Have Opened After 3 Calls And 9 Requests`
        """
        logger.info(story.check_opened_after(self._timeline(), service_name(service), int(calls), int(requests)))

    @keyword("Exactly ${probes} Probe(s) Should Have Reached ${service} While Half-Open")
    def probes_should_have_reached_while_half_open(self, probes: int, service: str) -> None:
        """Fails unless exactly ``probes`` requests reached the service's mock while its breaker was half-open.

        | `Exactly 1 Probe(s) Should Have Reached Plex While Half-Open`
        """
        logger.info(story.check_probes_while_half_open(self._timeline(), service_name(service), int(probes)))

    @keyword("No Request Should Have Reached ${service} While Its Breaker Was Open")
    def no_request_should_have_reached_while_open(self, service: str) -> None:
        """Fails if any request reached the service's mock while its breaker was open (names the first).

        | `No Request Should Have Reached Plex While Its Breaker Was Open`
        """
        logger.info(story.check_no_request_while_open(self._timeline(), service_name(service)))

    @keyword("Every Answer Between ${start} And ${end} Should Have Been Stale")
    def every_answer_should_have_been_stale(self, start: timedelta, end: timedelta) -> None:
        """Fails unless every answer recorded between ``start`` and ``end`` (times from the test's start,
        on the test's clock) was served stale, and there was at least one.

        | `Every Answer Between 5s And 40s Should Have Been Stale`
        """
        logger.info(story.check_answers_stale_between(self._timeline(), _seconds(start), _seconds(end)))

    @keyword("Every ${service} Answer Between ${start} And ${end} Should Have Been Stale")
    def every_service_answer_should_have_been_stale(self, service: str, start: timedelta, end: timedelta) -> None:
        """As `Every Answer Between ${start} And ${end} Should Have Been Stale`, for one service's answers.

        | `Every Plex Answer Between 5s And 40s Should Have Been Stale`
        """
        logger.info(story.check_answers_stale_between(self._timeline(), _seconds(start), _seconds(end),
                                                      service_name(service)))

    @keyword("Every ${service} Answer While Its Breaker Was Open Should Have Been Stale")
    def every_answer_while_open_should_have_been_stale(self, service: str) -> None:
        """Fails unless every answer the service's client gave while its breaker was open came stale from the
        cache (the fallback), and there was at least one. The failure names the first fresh one.

        | `Every Plex Answer While Its Breaker Was Open Should Have Been Stale`
        """
        logger.info(story.check_answers_stale_while_open(self._timeline(), service_name(service)))


class ScheduleKeywords:
    """Fault schedules across services, played on the test's clock."""

    def __init__(self, context: TimelineContext) -> None:
        self.ctx = context

    @keyword
    def load_fault_schedule(self, *cells: Any) -> FaultSchedule:
        """Checks a schedule written as rows of four cells (at, service, fault, for) and returns it.

        Fails naming the row for an unknown service or fault, a negative, infinite
        or NaN time, or two windows on one mock that contradict each other.

        | ${schedule} =    `Load Fault Schedule`
        | ...    0s     plex           refuse          40s
        | ...    5s     overseerr      delay 2s        10s
        | ...    20s    uptime-kuma    drop-sockets    -
        """
        try:
            return parse_rows(cells)
        except ScheduleError as exc:
            raise AssertionError(str(exc)) from None

    @keyword
    def load_fault_schedule_from_file(self, path: Path) -> FaultSchedule:
        """Checks a JSON schedule file and returns it: a list of ``{"at", "service", "fault", "for"}``
        objects, or ``{"entries": [...]}``; times in seconds or as Robot times (``"40s"``).

        | ${schedule} =    `Load Fault Schedule From File`    ${CURDIR}/schedules/three_services.json
        """
        try:
            return load_json(path)
        except ScheduleError as exc:
            raise AssertionError(str(exc)) from None

    @keyword
    def play_fault_schedule(self, *cells: Any) -> None:
        """Plays a schedule (a loaded one, or rows as in `Load Fault Schedule`) on the mocks, from now.

        Entries at 0 s happen at once; the others when the test's clock gets
        there (advancing a virtual clock plays them; on the wall clock they run
        in real time). Every change shows on the timeline; at the end of the
        test the windows still on are ended and the rest is cancelled.

        | `Play Fault Schedule`
        | ...    0s     plex           refuse          40s
        | ...    5s     overseerr      503             10s
        | `Play Fault Schedule`    ${schedule}
        """
        schedule = cells[0] if len(cells) == 1 and isinstance(cells[0], FaultSchedule) else \
            self.load_fault_schedule(*cells)
        try:
            player = self.ctx.play(schedule)
        except ScheduleError as exc:
            raise AssertionError(str(exc)) from None
        logger.info(f"Playing fault schedule ({schedule.source}):\n{schedule.describe()}")
        if player.applied:
            logger.info("Applied at once:\n" + "\n".join(player.applied))

    @keyword
    def stop_fault_schedules(self) -> None:
        """Ends the windows still on and cancels what has not happened yet (done by itself at test end)."""
        self.ctx.stop_schedules()
