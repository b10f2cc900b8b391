"""Where the events come from, through each library's public doors.

- :func:`journal_source`: a mock's ``RequestJournal`` read when the timeline is
  read (no hook in the mock; Socket.IO polling traffic is left out except the
  handshakes, which are the (re)connects).
- :func:`breaker_listener`: a pybreaker ``CircuitBreakerListener`` recording
  calls, failures and state changes with their cause.
- :class:`MockWatcher`: samples what a mock shows from outside (its fault plan,
  whether it listens, the Uptime Kuma sockets connected, a breaker's rejected
  counter) and records what changed since the last look.
- :func:`observe_call`: runs one client call and records its answer (fresh,
  stale, rejected, failed): the one-line hook for a library that calls clients.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Iterable, TypeVar

from .events import Event
from .timeline import Timeline

__all__ = ["journal_source", "breaker_listener", "attach_breaker", "MockWatcher", "observe_call",
           "describe_plan", "SOCKET_IO_PREFIX"]

T = TypeVar("T")
SOCKET_IO_PREFIX = "/socket.io"
#: entries of a journal collected at most (the journal itself is bounded too)
MAX_COLLECTED = 5000


# -- journals --------------------------------------------------------------------------------
def journal_source(service: str, journal: Any, *, since_id: int | None = None) -> Callable[[Timeline], Iterable[Event]]:
    """A timeline source turning ``journal``'s entries after ``since_id`` into ``request`` events.

    An event's time is when the mock *received* the request (the journal's time,
    stamped when the answer ended, minus the duration), so a request always lies
    before whatever its answer caused in the client.

    ``since_id`` defaults to the newest entry's id now (only what the test
    causes from here on). A mock stamps its journal with its own clock, which
    the test shares with the timeline, so the times need no conversion.
    """
    if since_id is None:
        last = journal.last()
        since_id = last.id if last is not None else 0

    def collect(timeline: Timeline) -> Iterable[Event]:
        events = []
        for entry in journal.entries()[-MAX_COLLECTED:]:
            if entry.id <= since_id:
                continue
            received = entry.time - entry.duration_ms / 1000.0  # the journal stamps the end of the answer
            moment = received
            if entry.path.startswith(SOCKET_IO_PREFIX):
                if "sid" in entry.query:
                    continue  # polling and upgrade traffic of a connected socket
                events.append(Event(moment, "socket", service, {"event": "connect", "detail": "(handshake)"}))
                continue
            events.append(Event(moment, "request", service, {
                "method": entry.method, "path": entry.path, "status": entry.status, "fault": entry.fault,
                "duration_ms": entry.duration_ms}))
        return events

    return collect


# -- breakers --------------------------------------------------------------------------------
_LISTENER_CLASS: type | None = None


def _listener_class() -> type:
    """The listener class, built on first use so that importing this module does not import pybreaker."""
    global _LISTENER_CLASS
    if _LISTENER_CLASS is None:
        import pybreaker

        class BreakerRecorder(pybreaker.CircuitBreakerListener):
            """Records what pybreaker reports about one breaker onto the current timeline."""

            def __init__(self, service: str, timeline: Callable[[], Timeline | None]) -> None:
                self.service = service
                self.timeline = timeline
                self._local = threading.local()

            def before_call(self, cb: Any, func: Any, *args: Any, **kwargs: Any) -> None:
                self._local.state = cb.current_state

            def success(self, cb: Any) -> None:
                self._call(cb, "success", None)

            def failure(self, cb: Any, exc: BaseException) -> None:
                self._local.last_error = f"{type(exc).__name__}: {exc}"
                self._call(cb, "failure", exc)

            def _call(self, cb: Any, result: str, exc: BaseException | None) -> None:
                state = getattr(self._local, "state", None)
                self._local.state = None
                timeline = self.timeline()
                if timeline is None:
                    return
                fields: dict[str, Any] = {"result": result, "state": state or cb.current_state}
                if exc is not None:
                    fields["error"] = f"{type(exc).__name__}: {exc}"
                    fields["consecutive_failures"] = cb.fail_counter
                timeline.record("call", self.service, **fields)

            def state_change(self, cb: Any, old_state: Any, new_state: Any) -> None:
                timeline = self.timeline()
                if timeline is None:
                    return
                before = old_state.name if old_state is not None else "?"
                after = new_state.name
                if before == after:  # pybreaker notifies a reset of a closed breaker too: nothing changed
                    return
                in_call = getattr(self._local, "state", None) is not None
                timeline.record("breaker", self.service, from_state=before, to_state=after,
                                cause=self._cause(cb, before, after, in_call),
                                reset_timeout_s=cb.reset_timeout, fail_max=cb.fail_max)

            def _cause(self, cb: Any, before: str, after: str, in_call: bool) -> str:
                error = getattr(self._local, "last_error", "")
                if after == "open" and before == "half-open":
                    return f"the probe failed: {error}"
                if after == "open":
                    return f"failure {cb.fail_counter} of {cb.fail_max} in a row: {error}"
                if after == "half-open":
                    return f"a call arrived after the {cb.reset_timeout:g} s reset timeout: it is the probe"
                if after == "closed" and in_call:
                    return f"the probe succeeded ({cb.success_threshold} needed)"
                return "reset (not by a call)"

        _LISTENER_CLASS = BreakerRecorder
    return _LISTENER_CLASS


def breaker_listener(service: str, timeline: Callable[[], Timeline | None]) -> Any:
    """A pybreaker listener recording onto ``timeline()`` (None: record nothing, e.g. between tests)."""
    return _listener_class()(service, timeline)


def attach_breaker(breaker: Any, service: str, timeline: Callable[[], Timeline | None]) -> Any:
    """Register a recording listener on ``breaker``; returns the listener.

    ``breaker`` is a ``pybreaker.CircuitBreaker`` or ``companion``'s
    ``ServiceBreaker``: both take listeners through ``add_listener(listener)``.
    """
    listener = breaker_listener(service, timeline)
    breaker.add_listener(listener)
    return listener


# -- calls -----------------------------------------------------------------------------------
def _rejected_count(breaker: Any) -> int | None:
    try:
        return int(breaker.metrics()["rejected"])
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def observe_call(timeline: Timeline | None, service: str, operation: str, call: Callable[[], T],
                 breaker: Any = None, *, on_rejected: Callable[[int], None] | None = None) -> T:
    """Run ``call()`` (one client call) and record what it answered: ``answer`` (fresh or stale), and
    ``rejected`` when the open breaker refused it; other errors are left to the breaker's own events.

    The result's ``stale`` attribute (``companion.results``) tells a stale answer. A rejection is a
    ``CircuitOpenError`` (by class name, so ``companion`` is not imported) or, when the call still
    answered (stale from the cache), a rise of ``breaker``'s ``rejected`` metric during the call.
    ``on_rejected(count)`` is told how many rejections were recorded (e.g. so that a watcher of the
    breaker's counter does not count them again).
    """
    before = None if timeline is None or breaker is None else _rejected_count(breaker)
    try:
        result = call()
    except Exception as exc:
        if timeline is not None and type(exc).__name__ == "CircuitOpenError":
            timeline.record("rejected", service, operation=operation, count=1)
            if on_rejected is not None:
                on_rejected(1)
        raise
    if timeline is not None:
        after = None if before is None else _rejected_count(breaker)
        if before is not None and after is not None and after > before:
            timeline.record("rejected", service, operation=operation, count=after - before)
            if on_rejected is not None:
                on_rejected(after - before)
        timeline.record("answer", service, operation=operation, stale=bool(getattr(result, "stale", False)))
    return result


# -- what a mock shows from outside -----------------------------------------------------------
_VOLATILE = ("remaining_s", "remaining_requests", "down_now", "hits", "remaining")


def _stable(plan: Any) -> Any:
    if isinstance(plan, dict):
        return {k: _stable(v) for k, v in plan.items() if k not in _VOLATILE}
    if isinstance(plan, list):
        return [_stable(v) for v in plan]
    return plan


def _action_text(action: Any) -> str:
    if not isinstance(action, dict):
        return str(action)
    kind = action.get("kind", "?")
    if kind == "status":
        return str(action.get("status"))
    if kind == "delay":
        return f"delay {action.get('delay_ms', 0):g} ms"
    return kind


def _rounded(seconds: float) -> str:
    return f"{seconds:.0f}" if seconds >= 10 else f"{seconds:.3g}"


def describe_plan(plan: dict[str, Any]) -> str:
    """A fault plan (``FaultPlan.to_dict()``) in a few words; ``""`` when it does nothing."""
    parts = []
    outage = plan.get("outage")
    if outage:
        left = outage.get("remaining_s")
        span = f" for {_rounded(left)} s" if isinstance(left, (int, float)) else ""
        count = outage.get("remaining_requests")
        span += f" for {count} request(s)" if count else ""
        parts.append(f"outage {_action_text(outage.get('action'))}{span}")
    flapping = plan.get("flapping")
    if flapping:
        parts.append(f"flapping {flapping.get('down_s'):g} s down / {flapping.get('up_s'):g} s up")
    if plan.get("delay_ms"):
        jitter = f" ±{plan['jitter_ms']:g}" if plan.get("jitter_ms") else ""
        parts.append(f"delay {plan['delay_ms']:g}{jitter} ms")
    if plan.get("failure_rate"):
        parts.append(f"{plan['failure_rate']:.0%} fail with {plan.get('failure_status')} (seed {plan.get('seed')})")
    for route in plan.get("routes") or []:
        actions = route.get("actions") or [route.get("action")]
        what = ", ".join(_action_text(a) for a in actions if a is not None) or "?"
        parts.append(f"{route.get('path')}: {what}")
    return "; ".join(parts)


class MockWatcher:
    """Looks at mocks and breakers from outside and records what changed since the last look.

    :meth:`look` is cheap (a fault-plan snapshot per mock, a counter per
    breaker); the Robot listener calls it after each keyword of the libraries
    that change things, so a change is placed at the end of the keyword that
    made it. What it sees: a fault plan's windows (``fault`` on/off), a mock
    taken down and brought up (``refused`` window), Uptime Kuma sockets
    dropped, and calls a breaker rejected (from its ``rejected`` counter).
    """

    def __init__(self) -> None:
        self._plans: dict[str, str] = {}
        self._labels: dict[str, str] = {}
        self._running: dict[str, bool] = {}
        self._sockets: dict[str, int] = {}
        self._rejected: dict[str, int] = {}
        self._ends: dict[str, float] = {}
        self._flapping: dict[str, tuple[str, float]] = {}
        #: windows already on at the first look of a test: (service, window) -> the fields of their "on" event
        self._inherited: dict[tuple[str, str], dict[str, Any]] = {}
        self._in_story = True

    def forget(self) -> None:
        """Start over (a new test): the next look takes what is on as the baseline, *inherited* from before the
        test; until :meth:`story_begins` (the test's setup is over) an inherited window that ends records
        nothing, since it was what the previous test left behind."""
        self._plans.clear()
        self._labels.clear()
        self._running.clear()
        self._sockets.clear()
        self._rejected.clear()
        self._ends.clear()
        self._flapping.clear()
        self._inherited.clear()
        self._in_story = False

    def look(self, timeline: Timeline, mocks: dict[str, Any], breakers: dict[str, Any]) -> None:
        """Record what changed in ``mocks`` (service -> MockServer) and ``breakers`` (service -> breaker)."""
        for service, mock in mocks.items():
            self._look_at_plan(timeline, service, mock)
            self._look_at_listener(timeline, service, mock)
            self._look_at_sockets(timeline, service, mock)
        for service, breaker in breakers.items():
            self._look_at_rejections(timeline, service, breaker)

    def story_begins(self, timeline: Timeline) -> None:
        """The test's own steps begin: every inherited window still on is part of its story, from its start."""
        self._in_story = True
        for (service, window), fields in sorted(self._inherited.items()):
            timeline.record("fault", service, state="on", window=window, at=timeline.started_at, **fields)
        self._inherited.clear()

    def rejections_recorded(self, service: str, count: int) -> None:
        """``count`` rejections of ``service``'s breaker were recorded exactly (by :func:`observe_call`):
        the next look counts only the others (e.g. a status service's polls)."""
        if service in self._rejected:
            self._rejected[service] += count

    def note_plan(self, service: str, mock: Any) -> None:
        """Take the current plan as seen (a change already recorded by whoever made it)."""
        plan = mock.faults.to_dict()
        self._plans[service] = json.dumps(_stable(plan), sort_keys=True, default=str)
        self._labels[service] = describe_plan(plan)

    def note_running(self, service: str, mock: Any) -> None:
        """Take the mock's listening state as seen (recorded by whoever changed it)."""
        self._running[service] = bool(mock.is_running())

    def _look_at_plan(self, timeline: Timeline, service: str, mock: Any) -> None:
        plan = mock.faults.to_dict()
        key = json.dumps(_stable(plan), sort_keys=True, default=str)
        before = self._plans.get(service)
        if key == before:
            return
        label, old_label = describe_plan(plan), self._labels.get(service, "")
        self._plans[service], self._labels[service] = key, label
        now = timeline.now()
        if self._inherited.pop((service, "plan"), None) is not None:
            old_label = ""  # left by the previous test and gone before this one's steps: not in its story
        phases = self._phases(service, plan, label, now) if label else None
        fields = {"label": label, **({} if phases is None else {"phases": phases})}
        if before is None and not self._in_story:
            if label:
                self._inherited[(service, "plan")] = fields
            return
        if old_label:  # an outage that ran out of time ended when its time was up, not when seen
            ended = min(now, self._ends.get(service, now))
            timeline.record("fault", service, state="off", label=old_label, window="plan", at=ended)
        self._ends.pop(service, None)
        if label:
            timeline.record("fault", service, state="on", window="plan", at=now, **fields)
            remaining = (plan.get("outage") or {}).get("remaining_s")
            if isinstance(remaining, (int, float)) and len(label.split("; ")) == 1:
                self._ends[service] = now + remaining

    def _phases(self, service: str, plan: dict[str, Any], label: str, now: float) -> dict[str, Any] | None:
        """A flapping plan's phases, for the picture: ``down_s``, ``up_s``, which comes first (``start``), since
        when they count (``since``: when this flapping was first seen, kept while other faults change) and
        whether other faults apply all along (``steady``)."""
        flapping = plan.get("flapping")
        if not flapping:
            self._flapping.pop(service, None)
            return None
        key = json.dumps(_stable(flapping), sort_keys=True, default=str)
        known, since = self._flapping.get(service, ("", now))
        since = since if known == key else now
        self._flapping[service] = (key, since)
        return {"down_s": float(flapping["down_s"]), "up_s": float(flapping["up_s"]),
                "start": flapping.get("start", "down"), "steady": len(label.split("; ")) > 1, "since": since}

    def _look_at_listener(self, timeline: Timeline, service: str, mock: Any) -> None:
        running = bool(mock.is_running())
        before = self._running.get(service)
        self._running[service] = running
        if before is None and running:
            return
        if before is None and not self._in_story:
            self._inherited[(service, "refused")] = {"label": "connection refused"}
            return
        if running and self._inherited.pop((service, "refused"), None) is not None:
            return  # left by the previous test and gone before this one's steps
        if before is None or before != running:
            timeline.record("fault", service, state="off" if running else "on", label="connection refused",
                            window="refused")

    def _look_at_sockets(self, timeline: Timeline, service: str, mock: Any) -> None:
        connected = getattr(mock, "connected_clients", None)
        if not isinstance(connected, int):
            return
        before = self._sockets.get(service)
        self._sockets[service] = connected
        if before is not None and connected < before:  # connects are the journal's handshakes
            timeline.record("socket", service, event="disconnect", detail=f"{before - connected} socket(s) gone")

    def _look_at_rejections(self, timeline: Timeline, service: str, breaker: Any) -> None:
        try:
            rejected = int(breaker.metrics()["rejected"])
        except (AttributeError, KeyError, TypeError, ValueError):
            return
        before = self._rejected.get(service)
        self._rejected[service] = rejected
        if before is not None and rejected > before:
            timeline.record("rejected", service, count=rejected - before, seen="breaker metrics")
