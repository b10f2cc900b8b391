"""``Timeline``: one test's events on one clock, bounded and thread-safe.

Events come in two ways: *recorded* as they happen (:meth:`Timeline.record`,
called by the breaker listener, the fault-schedule player and any library that
knows something the mocks cannot see), and *collected* when the timeline is
read (a :class:`Source`, e.g. a mock's request journal, turned into events
only when someone renders or asserts). Recording is a lock, a clock read and
an append; the memory is bounded by ``maxlen`` (oldest dropped first, and
counted in :attr:`Timeline.dropped`).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from typing import Any, Callable, Iterable, Protocol

from .events import KINDS, Event

__all__ = ["Timeline", "TimelineClock", "WallClock", "WALL_CLOCK", "Source", "DEFAULT_MAXLEN"]

DEFAULT_MAXLEN = 5000


class TimelineClock(Protocol):
    """What a timeline reads time through (``VirtualClock`` and ``companion.clock.SystemClock`` fit)."""

    def time(self) -> float: ...

    def monotonic(self) -> float: ...


class WallClock:
    """The wall clock, for tests that do not move time."""

    virtual = False

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


WALL_CLOCK = WallClock()

#: a source of events collected when the timeline is read (called with the timeline)
Source = Callable[["Timeline"], Iterable[Event]]


class Timeline:
    """The story of one test: events of every service on ``clock``'s time axis.

    >>> timeline = Timeline()
    >>> timeline.record("note", "plex", text="hello").kind
    'note'
    """

    def __init__(self, clock: TimelineClock | None = None, *, maxlen: int = DEFAULT_MAXLEN,
                 name: str = "") -> None:
        if maxlen < 1:
            raise ValueError(f"a timeline keeps at least 1 event, got maxlen={maxlen}")
        self.clock: TimelineClock = clock or WALL_CLOCK
        self.name = name
        self.started_at = self.clock.time()
        self._lock = threading.Lock()
        self._events: deque[Event] = deque(maxlen=maxlen)
        self._seq = itertools.count(1)
        self._sources: list[Source] = []
        self.dropped = 0

    # -- time ------------------------------------------------------------------------
    def now(self) -> float:
        """The clock's ``time()``."""
        return self.clock.time()

    def elapsed(self, moment: float) -> float:
        """Seconds from the test's start to ``moment`` (a clock ``time()`` value)."""
        return moment - self.started_at

    def use_clock(self, clock: TimelineClock) -> None:
        """Read ``clock`` from now on (e.g. the mocks' shared clock, found after the test began).

        The start and the events recorded so far are moved onto the new clock's axis.
        """
        if clock is self.clock:
            return
        shift = clock.time() - self.clock.time()
        with self._lock:
            self.clock = clock
            self.started_at += shift
            kept = [Event(e.time + shift, e.kind, e.service, e.fields, e.seq) for e in self._events]
            self._events.clear()
            self._events.extend(kept)

    # -- recording -------------------------------------------------------------------
    def record(self, kind: str, service: str, *, at: float | None = None, **fields: Any) -> Event:
        """Add one event now (or ``at`` a clock ``time()``); ``kind`` is one of :data:`~.events.KINDS`."""
        if kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r}: expected one of {', '.join(KINDS)}")
        if not isinstance(service, str) or not service:
            raise ValueError(f"an event needs a service name, got {service!r}")
        moment = self.clock.time() if at is None else float(at)
        with self._lock:
            event = Event(moment, kind, service, fields, next(self._seq))
            if len(self._events) == self._events.maxlen:
                self.dropped += 1
            self._events.append(event)
        return event

    def add_source(self, source: Source) -> None:
        """Collect ``source(timeline)``'s events whenever the timeline is read."""
        with self._lock:
            self._sources.append(source)

    # -- reading ---------------------------------------------------------------------
    def events(self, kind: str | None = None, service: str | None = None) -> list[Event]:
        """Every event (recorded and collected), oldest first, filtered by kind and service."""
        with self._lock:
            recorded = list(self._events)
            sources = list(self._sources)
        collected = [event for source in sources for event in source(self)]
        merged = sorted(recorded + collected, key=lambda e: e.sort_key)
        return [e for e in merged
                if (kind is None or e.kind == kind) and (service is None or e.service == service)]

    @property
    def services(self) -> list[str]:
        """The services that have events, in the order they first appear."""
        seen: dict[str, None] = {}
        for event in self.events():
            seen.setdefault(event.service, None)
        return list(seen)

    def next_seq(self) -> int:
        """An ordering number for a collected event (after everything recorded so far)."""
        return next(self._seq)

    def __len__(self) -> int:
        return len(self.events())

    def __repr__(self) -> str:
        return f"<Timeline {self.name or ''} {len(self._events)} recorded, {len(self._sources)} source(s)>"
