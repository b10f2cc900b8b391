"""Keywords that change a mock's fault plan (delay, failure rate, route faults, outages)."""

from __future__ import annotations

import json

from datetime import timedelta
from typing import Literal

from robot.api import logger
from robot.api.deco import keyword

from atest_support.waiting import seconds

from .context import MockContext, ServiceName

ConnectionFault = Literal["reset", "hang", "truncate", "malformed", "dribble"]


def _action(value: str) -> int | str | dict:
    """``503`` -> 503, ``reset`` -> "reset", a JSON object (``{"fault": "dribble", "chunk_delay_ms": 500}``) ->
    that object: the fault plan's action forms."""
    text = value.strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise AssertionError(f"Invalid fault action {text[:80]!r}: not a JSON object ({exc}).") from None
    return int(text) if text.isdigit() else text


class FaultKeywords:
    """Fault injection. Every fault applies the same way to every mock service."""

    def __init__(self, context: MockContext) -> None:
        self.ctx = context

    def _apply(self, service: str, change) -> None:
        try:
            change(self.ctx.get(service).faults)
        except ValueError as exc:  # mockservers.core.FaultSpecError: the message says what is wrong
            raise AssertionError(f"Invalid fault for mock {service}: {exc}") from None

    @keyword
    def set_mock_delay(self, service: ServiceName, delay: timedelta, jitter: timedelta = timedelta(0)) -> None:
        """Delays every answer of the mock by ``delay`` plus up to ``jitter`` (seeded by `Set Mock Failure Rate`).

        | `Set Mock Delay`    plex    1500ms
        """
        self._apply(service, lambda f: f.set_delay(seconds(delay) * 1000, seconds(jitter) * 1000))

    @keyword
    def set_mock_failure_rate(self, service: ServiceName, rate: float, status: int = 503,
                              seed: int | None = None) -> None:
        """Answers ``rate`` (0..1) of the requests with ``status``.

        The same ``seed`` gives the same sequence of failures on every run,
        so a test with a failure rate is reproducible. To choose a seed, see
        what it will do with `Preview Mock Failures` (over HTTP: ``GET
        /__admin/faults/preview?n=10``). Undone by `Clear Mock Faults`.

        | `Set Mock Failure Rate`    overseerr    0.3    seed=42
        | `Preview Mock Failures`    overseerr    5
        """
        self._apply(service, lambda f: f.set_failure_rate(rate, status, seed))

    @keyword
    def add_route_fault(self, service: ServiceName, path: str, action: str = "503", times: int | None = None,
                        method: str | None = None) -> None:
        """Faults the requests to ``path`` (``*`` glob) with ``action``.

        ``action`` is an HTTP status (``503``; below 400 means "answer
        normally") or a connection fault: ``reset``, ``hang``, ``truncate``,
        ``malformed``, ``dribble``, or a JSON action object such as
        ``{"fault": "dribble", "chunk_size": 1, "chunk_delay_ms": 500}``. Without ``times`` it applies to every
        matching request; with it, to the next ``times`` only.

        | `Add Route Fault`    plex    /library/sections    503    times=2
        | `Add Route Fault`    overseerr    /api/v1/request    reset    method=POST
        """
        self._apply(service, lambda f: f.add_route_fault(path, _action(action), method=method, times=times))

    @keyword
    def add_route_fault_sequence(self, service: ServiceName, path: str, *actions: str) -> None:
        """Answers the next requests to ``path`` with ``actions`` in order, then normally.

        | `Add Route Fault Sequence`    plex    /identity    503    503    200
        """
        if not actions:
            raise AssertionError("Give at least one action, e.g. 503    503    200.")
        self._apply(service, lambda f: f.add_route_fault(path, sequence=[_action(a) for a in actions]))

    @keyword
    def set_connection_fault(self, service: ServiceName, fault: ConnectionFault, path: str = "/*",
                             times: int | None = None) -> None:
        """Breaks the connection of requests to ``path`` (default: all).

        - ``reset``: TCP reset before any answer
        - ``hang``: no answer until the client gives up
        - ``truncate``: half the promised body, then close
        - ``malformed``: a 200 whose JSON/XML is cut mid-token
        - ``dribble``: the body a few bytes at a time, slowly

        | `Set Connection Fault`    plex    hang
        """
        self._apply(service, lambda f: f.add_route_fault(path, fault, times=times))

    @keyword
    def preview_mock_failures(self, service: ServiceName, count: int = 10) -> list[str]:
        """Returns (and logs) what the failure rate will do to the next ``count`` requests: ``fail`` or ``pass``.

        Nothing is consumed: the requests then go exactly as previewed.
        Requests taken by an outage, a flapping down phase or a route fault do
        not draw, so they do not shift the sequence. Use it to pick a seed
        whose sequence suits a test, e.g. "the first attempt fails, the retry
        passes":

        | `Set Mock Failure Rate`    overseerr    0.5    seed=7
        | ${next} =    `Preview Mock Failures`    overseerr    3
        | Should Be Equal    ${next}    ${{["fail", "pass", "pass"]}}
        """
        try:
            decisions = self.ctx.get(service).faults.preview_failures(count)
        except ValueError as exc:
            raise AssertionError(f"Cannot preview {count} failure decision(s) of mock {service}: {exc}") from None
        outcomes = [d["outcome"] for d in decisions]
        shown = ", ".join(f"{d['outcome']} {d['status']}" if d["status"] else d["outcome"] for d in decisions)
        logger.info(f"Next {count} request(s) to mock {service}, by its failure rate: {shown}")
        return outcomes

    @keyword
    def start_mock_outage(self, service: ServiceName, duration: timedelta | None = None,
                          requests: int | None = None, action: str = "503") -> None:
        """Makes the mock answer ``action`` (default 503) for ``duration`` or the next ``requests`` requests.

        For *connection refused* instead, use `Take Mock Service Down`.

        | `Start Mock Outage`    plex    duration=1s
        | `Start Mock Outage`    overseerr    requests=3    action=reset
        """
        if duration is None and requests is None:
            raise AssertionError("Give the outage a duration (e.g. duration=2s) or a request count (requests=3).")
        self._apply(service, lambda f: f.set_outage(None if duration is None else seconds(duration), requests,
                                                    _action(action)))

    @keyword
    def start_mock_flapping(self, service: ServiceName, up: timedelta, down: timedelta, action: str = "503") -> None:
        """Makes the mock flap: ``down`` long it answers every request with ``action``, then ``up`` long it
        answers normally, again and again, starting with a down phase now.

        ``up`` and ``down`` are Robot times above 0 and at most a day
        (``10s``, ``500ms``); ``action`` is what a down phase answers, as in
        `Set Route Fault`: a status (default ``503``) or a connection fault
        (``reset``, ``hang``, ...). The phases follow the mock's clock, the
        test clock, so `Advance Time By` moves from one phase to the next at
        once (``When 10 Seconds Pass``). Requests in a down phase do not draw
        from a failure rate (see `Preview Mock Failures`). Setting flapping
        again starts its phases over; `Clear Mock Faults` stops it, and
        `Log Mock Faults` shows ``flapping`` with ``down_now``. On the
        resilience timeline the window is drawn phase by phase: each down phase
        shaded, each up phase outlined.

        | `Start Mock Flapping`    plex    up=20s    down=10s
        | `Start Mock Flapping`    overseerr    up=1m    down=5s    action=reset
        """
        self._apply(service, lambda f: f.set_flapping(seconds(up), seconds(down), _action(action)))

    @keyword
    def clear_mock_faults(self, service: ServiceName) -> None:
        """Removes every fault of the mock's fault plan; requests waiting in a delay, hang or dribble get the
        real answer at once (only stopping or taking the mock down cuts them).

        Only the fault plan: a mock taken down with `Take Mock Service Down`
        stays down until `Bring Mock Service Up` (the resilience resource's
        ``The ... Service Has Recovered`` does both).
        """
        self.ctx.get(service).faults.clear()

    @keyword
    def log_mock_faults(self, service: ServiceName) -> dict:
        """Logs and returns the mock's current fault plan."""
        plan = self.ctx.get(service).faults.to_dict()
        logger.info(f"Fault plan of mock {service}: {plan}")
        return plan
