"""One clock per Robot process, shared by every mock and every companion object the keyword libraries build.

It is a ``mockservers.core.clock.VirtualClock``: the wall clock plus an offset
that only moves forward. Left alone it runs at the wall clock's pace, so a test
that never moves it runs in real time (the ``real-clock`` tests); `Advance Time
By` moves it at once, so breakers' reset timeouts, cache TTLs, retry backoffs,
reconnect waits and the mocks' timed faults pass in microseconds. Under pabot
every worker is its own process, so every worker has its own clock.
"""

from __future__ import annotations

import math
import threading
from datetime import timedelta
from typing import Any

__all__ = ["process_clock", "duration_seconds"]

_lock = threading.Lock()
_clock: Any = None


def process_clock() -> Any:
    """The ``VirtualClock`` of this process, created on first use (importing the mock core only then)."""
    global _clock
    with _lock:
        if _clock is None:
            from mockservers.core.clock import VirtualClock

            _clock = VirtualClock()
        return _clock


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
