"""Where the clients, breakers, caches, status service and dashboard read time.

Everything time-dependent takes a ``clock`` (default :data:`SYSTEM_CLOCK`, the
wall clock). Tests pass a clock they can move instead (any object with the
same five methods, e.g. ``mockservers.core.clock.VirtualClock``), so a 30 s
reset timeout or a 60 s cache TTL passes without waiting.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Protocol

__all__ = ["Clock", "SystemClock", "SYSTEM_CLOCK"]


class Clock(Protocol):
    """What the companion reads time through."""

    def monotonic(self) -> float:
        """Seconds on a monotonic scale (durations, TTLs, deadlines)."""

    def time(self) -> float:
        """Seconds since the epoch."""

    def now(self) -> datetime:
        """The current moment, an aware UTC datetime."""

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass (a moved clock moves by exactly that much)."""

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        """Wait for ``event`` at most ``timeout`` seconds of this clock; True if it was set."""


class SystemClock:
    """The wall clock."""

    virtual = False

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        return event.wait(timeout)


SYSTEM_CLOCK = SystemClock()
