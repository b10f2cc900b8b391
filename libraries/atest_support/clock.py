"""One clock per Robot process, shared by every mock and every companion object the keyword libraries build.

It is a ``mockservers.core.clock.VirtualClock``: the wall clock plus an offset
that only moves forward. Left alone it runs at the wall clock's pace, so a test
that never moves it runs in real time; `Advance Time By` moves it at once, so breakers' reset timeouts, cache TTLs, retry backoffs,
reconnect waits and the mocks' timed faults pass in microseconds. Under pabot
every worker is its own process, so every worker has its own clock. A companion
started as its own process (``python -m companion``) follows it through a clock
file (:meth:`~atest_support.followed_clock.FollowedClock.follow_with_file`).

A ``real-clock`` suite calls ``Use The Wall Clock`` first: until that suite
ends, the companion objects the libraries build (:func:`companion_clock`) read
the companion's ``SYSTEM_CLOCK``, as in production, while the mocks keep the
process clock, which then must not be moved.
"""

from __future__ import annotations

import math
import threading
from datetime import timedelta
from typing import Any

__all__ = ["process_clock", "companion_clock", "use_wall_clock", "wall_clock_in_use", "duration_seconds"]

_lock = threading.Lock()
_clock: Any = None
_wall_clock = False


def process_clock() -> Any:
    """The ``VirtualClock`` of this process, created on first use (importing the mock core only then); a
    :class:`~atest_support.followed_clock.FollowedClock`, so companion processes can keep time with it."""
    global _clock
    with _lock:
        if _clock is None:
            from .followed_clock import FollowedClock

            _clock = FollowedClock()
        return _clock


def use_wall_clock(on: bool) -> None:
    """Switch what :func:`companion_clock` returns: the wall clock (``True``) or the process's clock."""
    global _wall_clock
    _wall_clock = bool(on)


def wall_clock_in_use() -> bool:
    """True while the companion objects the libraries build read the wall clock (see :func:`use_wall_clock`)."""
    return _wall_clock


def companion_clock() -> Any:
    """The clock for a companion object being built now: the process's clock, or the companion's own
    ``SYSTEM_CLOCK`` (what production uses) while a ``real-clock`` suite asked for the wall clock."""
    if _wall_clock:
        from companion.clock import SYSTEM_CLOCK

        return SYSTEM_CLOCK
    return process_clock()


def duration_seconds(value: timedelta | float | int | str) -> float:
    """A duration to move the clock by, in seconds; ``ValueError`` saying what is wrong otherwise.

    Accepts a ``timedelta``, a number of seconds, or a Robot time string
    (``30s``, ``2 minutes``, ``1h 30m``). Time never moves backwards: a
    negative duration is an error, and so is anything that is not a duration.
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        from robot.utils import timestr_to_secs

        try:
            seconds = timestr_to_secs(value)
        except (ValueError, TypeError):
            raise ValueError(f"{value!r} is not a duration: give one like 30s, 2 minutes or 1h 30m.") from None
    else:
        raise ValueError(f"{value!r} is not a duration: give one like 30s, 2 minutes or 1h 30m.")
    if not math.isfinite(seconds):
        raise ValueError(f"{value!r} is not a finite duration.")
    if seconds < 0:
        raise ValueError(f"Time only moves forward: {value!r} is negative.")
    return seconds
