"""Keywords that move the one clock every mock and client of this Robot process reads."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from atest_support.clock import duration_seconds, process_clock, use_wall_clock, wall_clock_in_use


def _describe(seconds: float) -> str:
    return f"{seconds * 1000:g} ms" if seconds < 1 else f"{seconds:g} s"


class ClockKeywords:
    """Time is an input: tests move the clock instead of waiting.

    One ``VirtualClock`` per Robot process is shared by every mock this
    library starts and by every client, breaker, cache, Uptime Kuma client and
    status service the other libraries build. Moving it makes their timed
    behaviour happen at once: a breaker's reset timeout, a cache entry's TTL,
    a retry's backoff, a reconnect wait, a mock's outage window.
    """

    def __init__(self) -> None:
        self.switched_to_wall_clock = False

    @keyword(tags=["time"])
    def advance_time_by(self, duration: str | timedelta) -> None:
        """Moves the shared clock forward by ``duration`` at once (a Robot time: ``30s``, ``2 minutes``, ``1h 30m``).

        What falls due meanwhile happens before the keyword returns (a timed
        outage ends, a taken-down mock comes back). A negative value, or one
        that is not a duration, fails and says so: time never moves backwards.

        | `Advance Time By`    30s
        | `Advance Time By`    2 minutes
        """
        if wall_clock_in_use():
            raise AssertionError("This suite runs on the wall clock ('Use The Wall Clock'): its time cannot be "
                                 "moved, only waited for.")
        try:
            seconds = duration_seconds(duration)
        except ValueError as exc:
            raise AssertionError(f"Cannot advance time by {duration!r}: {exc}") from None
        clock = process_clock()
        clock.advance(seconds)
        logger.info(f"Time advanced by {_describe(seconds)}: the test clock is now "
                    f"{_describe(clock.advanced_s)} ahead of the wall clock ({clock.now().isoformat()}).")

    @keyword(tags=["time"])
    def use_the_wall_clock(self) -> None:
        """For ``real-clock`` suites: until this suite ends, the clients, breakers, caches, Uptime Kuma
        client, status service and dashboard built from now on read the wall clock, as in production.

        Call it in the suite setup, before any client is built. The mocks keep
        the shared test clock, which then runs at the wall clock's pace; `Advance
        Time By` fails until the suite ends (the libraries switch back by
        themselves then).

        | Suite Setup    `Use The Wall Clock`
        """
        use_wall_clock(True)
        self.switched_to_wall_clock = True
        logger.info("Clients built from now on in this suite read the wall clock (companion SYSTEM_CLOCK).")

    def restore(self) -> None:
        """The suite ended: back to the shared test clock if this suite switched to the wall clock."""
        if self.switched_to_wall_clock:
            use_wall_clock(False)
            self.switched_to_wall_clock = False

    @keyword(tags=["time"])
    def get_time_advanced(self) -> float:
        """Returns how far (seconds) tests have moved this process's clock ahead of the wall clock in total."""
        return process_clock().advanced_s
