"""Fault schedules: what goes wrong with which mock, when, for how long, checked at load and played on a clock.

A schedule is a table of rows ``at | service | fault | for``::

    0s     plex           refuse          40s     # Plex refuses connections for 40 s
    5s     overseerr      delay 2s        10s     # Overseerr answers 2 s late, from 5 s to 15 s
    20s    uptime-kuma    drop-sockets    -       # Uptime Kuma drops its Socket.IO connections

Faults (each maps onto the mocks' public Python API):

| ``refuse``                 | window  | ``mock.take_down()`` ... ``mock.bring_up()``: connection refused |
| ``503`` / ``status 429``   | window  | ``mock.faults.set_outage(action=status)``: every request answers it |
| ``reset`` ``hang`` ``truncate`` ``malformed`` ``dribble`` | window | ``set_outage(action=fault)`` |
| ``delay 2s``               | window  | ``mock.faults.set_delay(ms)`` ... ``set_delay(0)`` |
| ``drop-sockets``           | instant | ``UptimeKumaMock.drop_connections()`` (Uptime Kuma only) |

``for`` is a duration (``40s``, ``1 min``, ``500ms``, or seconds) or ``-``:
a window without one lasts until the schedule is stopped. Times are from the
moment the schedule starts playing. Loading fails with :class:`ScheduleError`
naming the row (or JSON line) for: unknown services or faults, negative,
infinite or NaN times, a duration on an instant fault, and two windows on one
mock that overlap and contradict each other (the same kind of fault twice, or
anything during ``refuse``; a delay and a status fault may overlap).
"""

from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

__all__ = ["ScheduleError", "ScheduleEntry", "FaultSchedule", "SchedulePlayer", "parse_rows", "load_json",
           "SERVICES", "CONNECTION_FAULTS"]

SERVICES = ("plex", "plextv", "overseerr", "uptime-kuma")
CONNECTION_FAULTS = ("reset", "hang", "truncate", "malformed", "dribble")
NO_DURATION = ("", "-", "none", "null")
#: the longest time or duration a schedule may hold (one year)
MAX_SECONDS = 366 * 24 * 3600.0


class ScheduleError(ValueError):
    """A fault schedule is invalid; the message names the row or line and says what was expected."""


@dataclass(frozen=True)
class ScheduleEntry:
    """One row: ``fault`` on ``service`` at ``at`` seconds, for ``duration`` seconds (None: open or instant)."""

    at: float
    service: str
    fault: str          # refuse | status | connection fault name | delay | drop-sockets
    value: Any          # the status, the delay in ms, the connection fault's name, or None
    duration: float | None
    where: str          # "row 2" or "line 7": for messages

    @property
    def instant(self) -> bool:
        return self.fault == "drop-sockets"

    @property
    def aspect(self) -> str:
        """What the fault controls: two windows of one aspect on one mock contradict each other."""
        return {"refuse": "listener", "delay": "delay", "drop-sockets": "sockets"}.get(self.fault, "answers")

    @property
    def end(self) -> float:
        return math.inf if self.duration is None else self.at + self.duration

    @property
    def label(self) -> str:
        """``connection refused``, ``503``, ``delay 2000 ms``, ``reset``, ``sockets dropped``."""
        if self.fault == "refuse":
            return "connection refused"
        if self.fault == "status":
            return f"every request answers {self.value}"
        if self.fault == "delay":
            return f"delay {self.value:g} ms"
        if self.fault == "drop-sockets":
            return "Socket.IO connections dropped"
        return f"every request: {self.value}"

    def describe(self) -> str:
        span = "" if self.duration is None else f" for {self.duration:g} s"
        return f"at {self.at:g} s {self.service}: {self.label}{span}"


@dataclass(frozen=True)
class FaultSchedule:
    """A validated schedule (entries in time order) and where it came from."""

    entries: tuple[ScheduleEntry, ...]
    source: str = "schedule"

    @property
    def services(self) -> list[str]:
        return sorted({e.service for e in self.entries})

    def describe(self) -> str:
        return "\n".join(e.describe() for e in self.entries)


# -- reading ------------------------------------------------------------------------------------
def _seconds(value: Any, what: str, where: str) -> float:
    if isinstance(value, bool):
        raise ScheduleError(f"{where}: {what} must be a time such as 5s or 1.5, got {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        from robot.utils import timestr_to_secs

        try:
            seconds = float(timestr_to_secs(value.strip()))
        except (ValueError, TypeError):
            raise ScheduleError(f"{where}: {what} must be a time such as 5s, 1 min or 1.5, got {value!r}") from None
    else:
        raise ScheduleError(f"{where}: {what} must be a time such as 5s or 1.5, got {value!r}")
    if not math.isfinite(seconds) or seconds < 0 or seconds > MAX_SECONDS:
        raise ScheduleError(f"{where}: {what} must be a finite time from 0 to {MAX_SECONDS:g} s, got {value!r}")
    return seconds


def _fault(text: Any, where: str) -> tuple[str, Any]:
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError(f"{where}: the fault must be a word such as refuse, 503 or 'delay 2s', got {text!r}")
    words = re.split(r"[\s:=]+", text.strip().lower(), maxsplit=1)
    name, arg = words[0], (words[1] if len(words) > 1 else "")
    if name.isdigit():
        name, arg = "status", name
    if name in ("refuse", "drop-sockets") and not arg:
        return name, None
    if name in CONNECTION_FAULTS and not arg:
        return "connection", name
    if name == "status" and arg.isdigit() and 400 <= int(arg) <= 599:
        return "status", int(arg)
    if name == "delay" and arg:
        return "delay", _seconds(arg, "the delay", where) * 1000.0
    known = "refuse, a status 400-599 (503), status 429, delay 2s, drop-sockets, " + ", ".join(CONNECTION_FAULTS)
    raise ScheduleError(f"{where}: unknown fault {text!r}: expected one of {known}")


def _entry(at: Any, service: Any, fault: Any, duration: Any, where: str) -> ScheduleEntry:
    at_s = _seconds(at, "the time", where)
    name = str(service).strip().lower() if isinstance(service, str) else service
    if name not in SERVICES:
        raise ScheduleError(f"{where}: unknown service {service!r}: expected one of {', '.join(SERVICES)}")
    kind, value = _fault(fault, where)
    if kind == "connection":
        kind = value
    no_duration = duration is None or (isinstance(duration, str) and duration.strip().lower() in NO_DURATION)
    length = None if no_duration else _seconds(duration, "the duration", where)
    if length is not None and length <= 0:
        raise ScheduleError(f"{where}: the duration must be longer than 0 s (or '-' for no end), got {duration!r}")
    if kind == "drop-sockets":
        if name != "uptime-kuma":
            raise ScheduleError(f"{where}: drop-sockets is an Uptime Kuma fault, not one of {name}")
        if length is not None:
            raise ScheduleError(f"{where}: drop-sockets happens at one moment: give '-' as its duration, "
                                f"got {duration!r}")
    return ScheduleEntry(at_s, name, kind, value, length, where)


def _check(entries: list[ScheduleEntry], source: str) -> FaultSchedule:
    windows = [e for e in entries if not e.instant]
    for i, first in enumerate(windows):
        for second in windows[i + 1:]:
            if first.service != second.service:
                continue
            overlap = first.at < second.end and second.at < first.end
            clash = first.aspect == second.aspect or "listener" in (first.aspect, second.aspect)
            if overlap and clash:
                a, b = sorted((first, second), key=lambda e: e.at)
                raise ScheduleError(
                    f"{source}, {b.where}: '{b.describe()}' overlaps '{a.describe()}' ({a.where}) on the same mock "
                    f"and contradicts it; end one before the other starts")
    ordered = sorted(entries, key=lambda e: e.at)
    return FaultSchedule(tuple(ordered), source)


def parse_rows(cells: Sequence[Any], source: str = "schedule table") -> FaultSchedule:
    """A schedule from a flat table of cells, four per row: ``at, service, fault, for``."""
    cells = list(cells)
    if not cells:
        raise ScheduleError(f"{source}: no rows: give rows of four cells: at, service, fault, for ('-' for none)")
    if len(cells) % 4:
        row = len(cells) // 4 + 1
        raise ScheduleError(f"{source}, row {row}: {len(cells) % 4} cell(s) {cells[-(len(cells) % 4):]}: every row "
                            f"has four cells: at, service, fault, for ('-' for none)")
    entries = [_entry(*cells[i:i + 4], where=f"row {i // 4 + 1}") for i in range(0, len(cells), 4)]
    return _check(entries, source)


def _entries_array_start(text: str) -> int:
    stripped = text.lstrip()
    if stripped.startswith("["):
        return len(text) - len(stripped)
    match = re.search(r'"entries"\s*:\s*\[', text)
    if not match:
        raise ScheduleError('the JSON must be a list of entries or an object with an "entries" list')
    return match.end() - 1


def load_json(path: str | Path) -> FaultSchedule:
    """A schedule from a JSON file: a list of ``{"at", "service", "fault", "for"}`` objects
    (or ``{"entries": [...]}``); times are seconds or Robot times. Errors name the entry's line."""
    path = Path(path)
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScheduleError(f"{source}: cannot read the schedule: {exc}") from None
    try:
        json.loads(text)
    except ValueError as exc:
        raise ScheduleError(f"{source}: not valid JSON: {exc}") from None
    decoder = json.JSONDecoder()
    try:
        index = _entries_array_start(text) + 1
    except ScheduleError as exc:
        raise ScheduleError(f"{source}: {exc}") from None
    entries = []
    while True:
        while text[index] in " \t\r\n,":
            index += 1
        if text[index] == "]":
            break
        line = text.count("\n", 0, index) + 1
        raw, index = decoder.raw_decode(text, index)
        where = f"line {line}"
        if not isinstance(raw, dict):
            raise ScheduleError(f"{source}, {where}: an entry must be an object with at, service, fault, for; "
                                f"got {raw!r}")
        unknown = set(raw) - {"at", "service", "fault", "for"}
        if unknown or not {"at", "service", "fault"} <= set(raw):
            raise ScheduleError(f"{source}, {where}: an entry has 'at', 'service', 'fault' and optionally 'for'; "
                                f"got {sorted(raw)}")
        try:
            entries.append(_entry(raw["at"], raw["service"], raw["fault"], raw.get("for"), where))
        except ScheduleError as exc:
            raise ScheduleError(f"{source}, {exc}") from None
    if not entries:
        raise ScheduleError(f"{source}: the schedule has no entries")
    return _check(entries, source)


# -- playing --------------------------------------------------------------------------------------
class _Handle:
    def __init__(self, timer: threading.Timer) -> None:
        self._timer = timer

    def cancel(self) -> None:
        self._timer.cancel()


def _call_later(clock: Any, delay: float, callback: Callable[[], None]) -> Any:
    if hasattr(clock, "call_later"):
        return clock.call_later(delay, callback)
    timer = threading.Timer(delay, callback)
    timer.daemon = True
    timer.start()
    return _Handle(timer)


@dataclass
class _Step:
    """One change a player makes: an entry's start (order 1) or end (order 0: ends first at one moment)."""

    at: float
    order: int
    index: int
    action: Callable[[], None]
    done: bool = False
    handle: Any = None


class SchedulePlayer:
    """Plays a :class:`FaultSchedule` on ``mocks`` (service -> MockServer) on ``clock``.

    On a ``VirtualClock`` the due entries run when the test advances it (on the
    advancing thread, in time order, window ends before starts at the same
    moment); on the wall clock they run in real time. Entries at 0 s are applied
    by :meth:`start` itself. Every change is recorded on ``timeline()`` as a
    ``fault`` event at the moment the schedule set for it (a clock advanced
    past several entries at once applies them when it returns, in order, but
    each is placed where it was due); ``on_change(service, mock)`` is told
    after each one.
    """

    def __init__(self, schedule: FaultSchedule, mocks: dict[str, Any], clock: Any,
                 timeline: Callable[[], Any] = lambda: None,
                 on_change: Callable[[str, Any], None] = lambda service, mock: None) -> None:
        missing = [s for s in schedule.services if s not in mocks]
        if missing:
            raise ScheduleError(f"{schedule.source}: no mock running for {', '.join(missing)} "
                                f"(running: {', '.join(sorted(mocks)) or 'none'})")
        self.schedule = schedule
        self.mocks = mocks
        self.clock = clock
        self._timeline = timeline
        self._on_change = on_change
        self._steps: list[_Step] = []
        self._now: Callable[[], float] = lambda: 0.0
        self._origin = 0.0
        self._origin_time = 0.0
        self._active: dict[int, ScheduleEntry] = {}
        self._lock = threading.RLock()
        self.applied: list[str] = []

    def start(self) -> "SchedulePlayer":
        """Apply the entries at 0 s now and schedule the others on the clock."""
        now = getattr(self.clock, "monotonic", self.clock.time)
        origin = now()
        self._origin_time = self.clock.time()
        steps: list[_Step] = []
        for index, entry in enumerate(self.schedule.entries):
            due = self._origin_time + entry.at
            steps.append(_Step(entry.at, 1, index, lambda e=entry, i=index, t=due: self._begin(i, e, t)))
            if entry.duration is not None:
                end = self._origin_time + entry.end
                steps.append(_Step(entry.end, 0, index, lambda e=entry, i=index, t=end: self._finish(i, e, at=t)))
        steps.sort(key=lambda step: (step.at, step.order, step.index))
        self._steps, self._now, self._origin = steps, now, origin
        for step in steps:
            if step.at <= 0:
                self._run(step)
            else:
                step.handle = _call_later(self.clock, step.at, lambda s=step: self._run(s))
        return self

    def settle(self) -> None:
        """Run every step that is due and not run yet, here and now, after any step another thread is running.

        ``VirtualClock.advance`` may hand a due step to the clock's timer thread
        and return before it ran; whoever reads the mocks next (the library's
        look after each keyword) settles first, so it sees the schedule as due.
        """
        with self._lock:
            elapsed = self._now() - self._origin
            for step in self._steps:
                if not step.done and step.at <= elapsed:
                    self._run(step)

    def _run(self, step: "_Step") -> None:
        with self._lock:
            if step.done:
                return
            step.done = True
            if step.handle is not None:
                step.handle.cancel()
            step.action()

    def stop(self) -> None:
        """Cancel what has not happened yet and end the windows still on (the mocks are left without them)."""
        with self._lock:
            for step in self._steps:
                if not step.done:
                    step.done = True
                    if step.handle is not None:
                        step.handle.cancel()
            for index, entry in sorted(self._active.items()):
                self._finish(index, entry, stopped=True)

    @property
    def active(self) -> list[ScheduleEntry]:
        with self._lock:
            return list(self._active.values())

    def _record(self, entry: ScheduleEntry, index: int, state: str, at: float | None) -> None:
        timeline = self._timeline()
        if timeline is not None:
            moment = None if at is None else min(at, timeline.now())
            timeline.record("fault", entry.service, at=moment, state=state, label=entry.label,
                            window=f"schedule #{index + 1}", scheduled=entry.where)

    def _begin(self, index: int, entry: ScheduleEntry, at: float | None = None) -> None:
        mock = self.mocks[entry.service]
        with self._lock:
            if entry.fault == "refuse":
                mock.take_down()
            elif entry.fault == "delay":
                mock.faults.set_delay(entry.value)
            elif entry.fault == "drop-sockets":
                mock.drop_connections()
            else:
                mock.faults.set_outage(duration_s=entry.duration or MAX_SECONDS, action=entry.value)
            if not entry.instant:
                self._active[index] = entry
            self.applied.append(f"start {entry.describe()}")
            self._record(entry, index, "instant" if entry.instant else "on", at)
        self._on_change(entry.service, mock)

    def _finish(self, index: int, entry: ScheduleEntry, stopped: bool = False, at: float | None = None) -> None:
        mock = self.mocks[entry.service]
        with self._lock:
            if self._active.pop(index, None) is None:
                return
            if entry.fault == "refuse":
                mock.bring_up()
            elif entry.fault == "delay":
                mock.faults.set_delay(0)
            else:
                mock.faults.update({"outage": None})
            self.applied.append(f"{'stop' if stopped else 'end'} {entry.describe()}")
            self._record(entry, index, "off", None if stopped else at)
        self._on_change(entry.service, mock)


def rows_from(table: Iterable[Iterable[Any]]) -> list[Any]:
    """Flatten ``[[at, service, fault, for], ...]`` into the cells :func:`parse_rows` takes."""
    return [cell for row in table for cell in row]
