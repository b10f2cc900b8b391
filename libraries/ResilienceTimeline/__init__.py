"""ResilienceTimeline: the story of a resilience test, as a picture in the log and as assertions."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from atest_support.library import SuiteLibrary

from .collectors import observe_call
from .context import TimelineContext, observe, record_event
from .events import Event
from .keywords import ScheduleKeywords, StoryKeywords, TimelineKeywords
from .render import render_html, render_svg, render_table
from .schedule import FaultSchedule, ScheduleError, SchedulePlayer, load_json, parse_rows
from .timeline import Timeline

__version__ = "0.1.0"
__all__ = ["ResilienceTimeline", "Timeline", "Event", "record_event", "observe", "observe_call", "render_html",
           "render_svg", "render_table", "FaultSchedule", "ScheduleError", "SchedulePlayer", "load_json",
           "parse_rows"]

T = TypeVar("T")
#: the libraries whose instances are read for mocks (``mocks``) and breakers (``breakers``) when present
WATCHED_LIBRARIES = ("MockServices", "MediaClients")


class ResilienceTimeline(SuiteLibrary):
    """Joins what happened in a test into one timeline: the requests each mock received, fault
    windows, circuit breaker transitions with their cause, calls the open breaker rejected, answers
    served stale, Uptime Kuma sockets, status results; shows it as a picture and asserts over it.

    %TOC%

    = The timeline =

    One per test, on the test's clock (the mocks' shared clock, virtual when the
    test advances time; the wall clock otherwise), bounded in memory. Its
    events come from:

    | *source*                    | *events*                                        | *how* |
    | mock request journals       | ``request`` (method, path, status, fault, time) | read when the timeline is read, no hook |
    | pybreaker listeners         | ``call`` (success/failure), ``breaker`` (transition and cause) | one listener per breaker |
    | looks after library keywords | ``fault`` windows (fault plan, mock down), ``rejected`` counts, sockets dropped | mocks' and breakers' public state |
    | Socket.IO handshakes        | ``socket`` connect (Uptime Kuma)                 | the journal |
    | MediaClients' calls         | ``answer`` (stale or fresh), exact ``rejected``   | ``observe`` |
    | ServiceHealth               | ``status`` results, Uptime Kuma client ``socket`` events | ``record_event`` (``on_event`` hook) |
    | `Play Fault Schedule`       | ``fault`` windows, exactly when they start and end | itself |

    The library finds the mocks and breakers of ``MockServices`` and
    ``MediaClients`` in the same suite through their ``mocks`` and ``breakers``
    attributes; Python code can hand them over with ``watch_mock`` and
    ``watch_breakers``.

    A test's timeline starts at that test: faults an earlier test left on and
    the test's setup clears are not part of its story; a fault still on when
    the setup ends is, from the test's start.

    = The picture =

    `Log Resilience Timeline` logs it; the library logs it by itself at the end
    of every failed test that produced events. How to read it:

    - One lane per service; x is the time since the test started, on its clock
      (virtual: ``When 30 Seconds Pass`` is a jump; events at one moment are
      spread a few pixels apart so none hides another).
    - *mock* row: the requests the mock received (green 2xx/3xx, amber 4xx, red
      5xx, purple cross: no answer, e.g. reset or hang); teal triangles:
      Socket.IO connections as the mock saw them (up: connect, down: dropped).
    - *client* row: calls through the breaker (green tick ok, red tick failed);
      crossed square: rejected by the open breaker without a request (``×n``
      for several); blue diamond: answer served stale from the cache; green
      ring: fresh answer; small squares: status results when a service's
      verdict changed (green up, orange degraded, red down). On the Uptime Kuma
      lane, what its client reported: teal triangles for (re)connects and
      logins (up) and drops (down), small teal dots for pushes (heartbeats,
      monitor list).
    - *breaker* band: green closed, red open, hatched when the reset timeout
      has passed and the next call will be the probe, amber half-open; a black
      tick marks each transition (its tooltip gives the cause).
    - Pink shading: a fault window, labelled (the mock's fault plan, a mock
      taken down, or a fault schedule's entry); a flapping mock's window phase
      by phase, each down phase shaded and each up phase outlined (dashed),
      counted from when the flapping began; a dashed pink line: an instant
      fault (sockets dropped).

    Every mark has a tooltip; the table below lists the same events with times
    in seconds from the test's start.

    = In the suites =

    ``resources/resilience.resource`` imports this library, so every suite
    that uses it (directly or through ``plex``, ``overseerr``, ``uptime_kuma``,
    ``dashboard``) keeps a timeline per test with no change to how it is
    written: ``MockServices`` exposes the mocks it started (``mocks``),
    ``MediaClients`` its breakers (``breakers``) and runs every client call
    through ``observe`` (fresh and stale answers, exact rejections),
    ``ServiceHealth`` records status results (``record_event``) and the Uptime
    Kuma client's connects, logins, drops and pushes (its ``on_event`` hook).
    The timeline reads the process's one clock (``atest_support.clock``), the
    clock every mock and companion object shares.

    = Assertions =

    | `Plex Breaker Should Have Opened After 3 Calls And 9 Requests`
    | `Exactly 1 Probe(s) Should Have Reached Plex While Half-Open`
    | `No Request Should Have Reached Plex While Its Breaker Was Open`
    | `Every Answer Between 5s And 40s Should Have Been Stale`
    | `Every Plex Answer While Its Breaker Was Open Should Have Been Stale`

    The service is written as in the suites (``Plex``, ``Overseerr``,
    ``Uptime Kuma``). A failure names the events around the mismatch.

    = Fault schedules =

    | `Play Fault Schedule`
    | ...    0s     plex           refuse          40s
    | ...    5s     overseerr      delay 2s        10s
    | ...    20s    uptime-kuma    drop-sockets    -

    Faults: ``refuse`` (connection refused), a status ``503`` / ``status 429``,
    ``reset``, ``hang``, ``truncate``, ``malformed``, ``dribble`` (every request),
    ``delay 2s``, ``drop-sockets`` (Uptime Kuma, instant). ``for`` is a duration
    or ``-``. The same from a JSON file with `Load Fault Schedule From File`.
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(self, max_events: int = 5000, log_failed_tests: bool = True) -> None:
        """``max_events`` bounds each test's timeline (oldest dropped first); ``log_failed_tests=False``
        stops logging the picture at the end of failed tests.

        | Library    ResilienceTimeline    max_events=2000
        """
        self._context = TimelineContext(maxlen=max_events)
        self._log_failed = log_failed_tests
        self._robot_libraries: dict[str, Any] = {}
        super().__init__([TimelineKeywords(self._context), StoryKeywords(self._context),
                          ScheduleKeywords(self._context)])

    # -- Python API -----------------------------------------------------------------------
    @property
    def timeline(self) -> Timeline:
        """The current test's timeline."""
        return self._context.timeline

    def watch_mock(self, service: str, mock: Any) -> None:
        """Watch a ``MockServer``: its journal, fault plan, listening socket (and clock, if none is set)."""
        self._context.watch_mock(service, mock)

    def watch_breakers(self, factory: Any) -> None:
        """Watch every breaker of a ``companion.CircuitBreakerFactory``, now and later."""
        self._context.watch_breakers(factory)

    def watch_breaker(self, service: str, breaker: Any) -> None:
        """Watch one breaker (a ``ServiceBreaker`` or a ``pybreaker.CircuitBreaker``)."""
        self._context.watch_breaker(service, breaker)

    def use_clock(self, clock: Any) -> None:
        """Put the timeline on ``clock`` (anything with ``time()`` and ``monotonic()``)."""
        self._context.use_clock(clock)

    def record(self, kind: str, service: str, **fields: Any) -> Event:
        """Record one event on the current test's timeline."""
        return self._context.timeline.record(kind, service, **fields)

    def observe_call(self, service: str, operation: str, call: Callable[[], T]) -> T:
        """Run one client call and record its answer (fresh, stale, or rejected)."""
        return self._context.observe(service, operation, call)

    # -- listener ---------------------------------------------------------------------------
    def start_suite(self, data: Any, result: Any) -> None:
        """Listener hook (when used as a global ``--listener``): a new suite has new library instances."""
        self._robot_libraries.clear()

    def start_test(self, data: Any, result: Any) -> None:
        """Listener hook: a new timeline for the test, on the process's clock unless one was given."""
        if self._context.clock is None:
            from atest_support.clock import process_clock

            self._context.use_clock(process_clock())
        self._discover(retry_missing=True)
        self._context.begin(getattr(data, "name", ""), setup=bool(getattr(data, "has_setup", False)))

    def end_keyword(self, data: Any, result: Any) -> None:
        """Listener hook (user keywords): when the test's setup ends, its own steps begin."""
        self._after_setup(result)

    def _after_setup(self, result: Any) -> None:
        """The test's story begins when its setup (a user or a library keyword) has ended."""
        if getattr(result, "type", None) == "SETUP" and type(getattr(result, "parent", None)).__name__ == "TestCase":
            self._context.setup_ended()

    def end_library_keyword(self, data: Any, implementation: Any, result: Any) -> None:
        """Listener hook: look at the mocks and breakers after every library keyword that may change them
        (not after BuiltIn's and other standard libraries', nor after user keywords: their library keywords
        were looked after already)."""
        self._after_setup(result)
        owner = getattr(result, "owner", None) or getattr(result, "libname", None)
        if owner in (None, "BuiltIn", "Collections", "String", "OperatingSystem"):
            return
        if self._context._timeline is not None:
            self._discover()
            self._context.look()

    def end_test(self, data: Any, result: Any) -> None:
        """Listener hook: stop the test's schedules; log the picture when the test failed."""
        timeline = self._context.end()
        if self._log_failed and timeline is not None and not result.passed and len(timeline):
            from robot.api import logger

            logger.info(render_html(timeline, title=f"Resilience timeline of the failed test: {result.name}"),
                        html=True)

    def close(self) -> None:
        """Listener hook: the library's scope ended."""
        self._context.close()

    def _discover(self, retry_missing: bool = False) -> None:
        """Watch the mocks and breakers of the MockServices / MediaClients instances in this suite."""
        from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

        for name in WATCHED_LIBRARIES:
            library = self._robot_libraries.get(name)
            if library is None and (retry_missing or name not in self._robot_libraries):
                try:
                    library = BuiltIn().get_library_instance(name)
                except (RuntimeError, RobotNotRunningError):
                    library = None
                self._robot_libraries[name] = library
            if library is None:
                continue
            mocks = getattr(library, "mocks", None)
            if isinstance(mocks, dict):
                for service, mock in list(mocks.items()):
                    self._context.watch_mock(service, mock)
            factory = getattr(library, "breakers", None)
            if factory is not None and hasattr(factory, "names"):
                self._context.watch_breakers(factory)
