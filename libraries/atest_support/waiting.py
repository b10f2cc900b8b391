"""The one waiting helper: poll a condition until it holds or a deadline passes.

Every keyword that waits uses it, so every wait fails the same way:
``<what> did not become <expected> in <timeout>: last seen <actual>``.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any, Callable

__all__ = ["wait_until", "WaitTimeout", "seconds", "DEFAULT_TIMEOUT"]

DEFAULT_INTERVAL = 0.05
#: how long a keyword waits unless its library was imported with another ``timeout``
DEFAULT_TIMEOUT = timedelta(seconds=5)


class WaitTimeout(AssertionError):
    """A condition did not hold before the deadline."""

    ROBOT_SUPPRESS_NAME = True


def seconds(value: timedelta | float | int) -> float:
    """A timeout or interval as seconds (Robot converts ``2s``/``200ms`` to timedelta)."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _describe_timeout(timeout: float) -> str:
    return f"{timeout * 1000:.0f} ms" if timeout < 1 else f"{timeout:g} s"


def wait_until(probe: Callable[[], Any], accept: Callable[[Any], bool], *, what: str, expected: str,
               timeout: timedelta | float = DEFAULT_TIMEOUT, interval: timedelta | float = DEFAULT_INTERVAL) -> Any:
    """Call ``probe`` every ``interval`` until ``accept(result)``; return that result.

    An exception from ``probe`` counts as "not yet" and is reported as the last
    state seen if the deadline passes.
    """
    timeout_s, interval_s = seconds(timeout), seconds(interval)
    deadline = time.monotonic() + timeout_s
    pause = threading.Event()
    last: str = "nothing (not probed yet)"
    while True:
        try:
            result = probe()
            if accept(result):
                return result
            last = repr(result)
        except Exception as exc:  # a failing probe is a state too
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"{what} did not become {expected} in {_describe_timeout(timeout_s)}: last seen {last}")
        pause.wait(min(interval_s, max(0.0, deadline - time.monotonic())))
