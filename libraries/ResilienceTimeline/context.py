"""The state the ResilienceTimeline components share: the current test's timeline and what it watches."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from .collectors import MockWatcher, attach_breaker, journal_source, observe_call
from .events import Event
from .schedule import FaultSchedule, SchedulePlayer
from .timeline import DEFAULT_MAXLEN, Timeline, TimelineClock

__all__ = ["TimelineContext", "active", "record_event", "observe"]

T = TypeVar("T")

#: the context of the test running now in this process (set by the library's listener)
_ACTIVE: "TimelineContext | None" = None


def active() -> "TimelineContext | None":
    """The context of the running test, or None when no ResilienceTimeline library is in use."""
    return _ACTIVE


def record_event(kind: str, service: str, **fields: Any) -> Event | None:
    """Record onto the running test's timeline; does nothing (returns None) when there is none.

    The one-line hook for another library: ``record_event("status", "plex", status="down", source="poll")``.
    """
    context = _ACTIVE
    return None if context is None else context.timeline.record(kind, service, **fields)


def observe(service: str, operation: str, call: Callable[[], T]) -> T:
    """Run one client call and record its answer (fresh, stale, rejected) on the running test's timeline;
    just run it when there is none. The one-line hook for a library that calls the clients."""
    context = _ACTIVE
    if context is None:
        return call()
    return context.observe(service, operation, call)


class TimelineContext:
    """One library instance's view: the current test's :class:`Timeline`, the mocks and breakers it watches.

    Mocks (service -> ``MockServer``) are read through their journals and
    looked at by a :class:`MockWatcher`; breaker factories get a recording
    listener on every breaker they hold, now and later. The clock is the one
    given, else the first watched mock's ``clock`` (shared by every mock of a
    test process), else the wall clock.
    """

    def __init__(self, clock: TimelineClock | None = None, maxlen: int = DEFAULT_MAXLEN) -> None:
        self.clock = clock
        self.maxlen = maxlen
        self.mocks: dict[str, Any] = {}
        self.breakers: dict[str, Any] = {}
        self._factories: list[Any] = []
        self._attached: set[int] = set()
        self.watcher = MockWatcher()
        self.players: list[SchedulePlayer] = []
        self._timeline: Timeline | None = None

    # -- the timeline -------------------------------------------------------------------
    @property
    def timeline(self) -> Timeline:
        """The current test's timeline (begun on first use outside a Robot test)."""
        if self._timeline is None:
            self.begin()
        return self._timeline  # type: ignore[return-value]

    def begin(self, name: str = "", setup: bool = False) -> Timeline:
        """A new, empty timeline from now on (the start of a test).

        With ``setup`` (the test has a setup), faults already on now were left by what ran before: those the
        setup clears are not part of the test's story, those still on when :meth:`setup_ended` is called are,
        from the test's start. Without, the test's own steps begin at once.
        """
        global _ACTIVE
        self.stop_schedules()
        self.watcher.forget()
        self._timeline = Timeline(self._clock(), maxlen=self.maxlen, name=name)
        for service, mock in self.mocks.items():
            self._timeline.add_source(journal_source(service, mock.journal))
        _ACTIVE = self
        self.look()
        if not setup:
            self.setup_ended()
        return self._timeline

    def setup_ended(self) -> None:
        """The test's setup is over, its own steps begin: what is still on from before is part of its story."""
        self.look()
        if self._timeline is not None:
            self.watcher.story_begins(self._timeline)

    def end(self) -> Timeline | None:
        """The test is over: stop its schedules and take a last look; returns its timeline."""
        self.stop_schedules()
        if self._timeline is not None:
            self.look()
            self.watcher.story_begins(self._timeline)  # a setup that failed: what is on still shows
        return self._timeline

    def close(self) -> None:
        global _ACTIVE
        self.stop_schedules()
        if _ACTIVE is self:
            _ACTIVE = None

    def _clock(self) -> TimelineClock | None:
        if self.clock is not None:
            return self.clock
        return next((mock.clock for mock in self.mocks.values() if getattr(mock, "clock", None) is not None), None)

    # -- what is watched ----------------------------------------------------------------
    def use_clock(self, clock: TimelineClock) -> None:
        self.clock = clock
        if self._timeline is not None:
            self._timeline.use_clock(clock)

    def watch_mock(self, service: str, mock: Any) -> None:
        """Watch a mock: its journal, fault plan and listening socket (again: nothing happens)."""
        if self.mocks.get(service) is mock:
            return
        self.mocks[service] = mock
        if self._timeline is not None:
            self._timeline.add_source(journal_source(service, mock.journal))
            clock = self._clock()
            if clock is not None and clock is not self._timeline.clock and self.clock is None:
                self._timeline.use_clock(clock)

    def watch_breaker(self, service: str, breaker: Any) -> None:
        """Record what ``breaker`` (a ServiceBreaker or pybreaker breaker) does, as ``service``'s."""
        if id(breaker) in self._attached:
            return
        attach_breaker(breaker, service, lambda: self._timeline)
        self._attached.add(id(breaker))
        self.breakers[service] = breaker

    def watch_breakers(self, factory: Any) -> None:
        """Watch every breaker of a ``CircuitBreakerFactory``, including those it creates later."""
        if all(f is not factory for f in self._factories):
            self._factories.append(factory)
        self._attach_new()

    def _attach_new(self) -> None:
        for factory in self._factories:
            for name in factory.names:
                self.watch_breaker(name, factory.get(name))

    def look(self) -> None:
        """Attach to new breakers and record what the watched mocks and breakers show now."""
        if self._timeline is None:
            return
        for player in self.players:
            player.settle()
        self._attach_new()
        self.watcher.look(self._timeline, self.mocks, self.breakers)

    def observe(self, service: str, operation: str, call: Callable[[], T]) -> T:
        """Run one client call and record its answer and any rejection (exactly; the watcher, which counts the
        breaker's rejections after each keyword, then counts only those of calls made elsewhere)."""
        return observe_call(self.timeline, service, operation, call, self.breakers.get(service),
                            on_rejected=lambda count: self.watcher.rejections_recorded(service, count))

    # -- schedules ------------------------------------------------------------------------
    def play(self, schedule: FaultSchedule) -> SchedulePlayer:
        """Play ``schedule`` on the watched mocks, on the timeline's clock, from now."""
        timeline = self.timeline
        self.look()

        def seen(service: str, mock: Any) -> None:
            self.watcher.note_plan(service, mock)
            self.watcher.note_running(service, mock)

        player = SchedulePlayer(schedule, dict(self.mocks), timeline.clock, lambda: self._timeline, seen)
        self.players.append(player)
        return player.start()

    def stop_schedules(self) -> None:
        for player in self.players:
            player.stop()
        self.players.clear()
