"""Time that tests can move: the wall clock plus an offset that only moves forward.

Every mock reads time through a :class:`VirtualClock`. Left alone it *is* the
wall clock (offset 0), so a mock started from the CLI behaves in real time;
:meth:`VirtualClock.advance` moves it forward at once, so a test can let a 30 s
outage or a 60 s heartbeat interval pass in microseconds. One clock can be
shared by every mock and every client in a test process (the keyword
libraries do this), and a mock in another process is moved through its admin
API (``POST /__admin/clock``).

Callbacks scheduled with :meth:`VirtualClock.call_later` run when their moment
arrives, by real time passing (on the clock's timer thread) or by
:meth:`advance` (on the advancing thread, before it returns, in due order).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from .validation import ValidationError, finite_number

__all__ = ["VirtualClock", "ScheduledCall", "MAX_ADVANCE_S", "MAX_OFFSET_S"]

log = logging.getLogger("mockservers.clock")

#: the most one call to :meth:`VirtualClock.advance` may move the clock (one year)
MAX_ADVANCE_S = 366 * 24 * 3600.0
#: the furthest the clock may run ahead of the wall clock, in all (100 years): every date a mock makes stays
#: a valid date (``datetime`` ends with year 9999, which about 8,000 maximum advances would pass)
MAX_OFFSET_S = 100 * MAX_ADVANCE_S
#: the longest single wait of the timer thread (it wakes and re-reads the clock after it)
MAX_TIMER_WAIT_S = 3600.0
#: how often :meth:`VirtualClock.wait` re-reads the clock while it waits (real seconds)
WAIT_POLL_S = 0.005


@dataclass(order=True)
class ScheduledCall:
    """A callback due at a moment of a clock's :meth:`~VirtualClock.monotonic` time."""

    due: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        """Do not run the callback (no effect once it ran)."""
        self.cancelled = True


class VirtualClock:
    """The wall clock plus a forward-only offset (see the module doc). Thread-safe."""

    virtual = True

    def __init__(self) -> None:
        self._offset = 0.0
        self._cond = threading.Condition()
        self._calls: list[ScheduledCall] = []
        self._seq = itertools.count()
        self._timer_thread: threading.Thread | None = None
        # held while due callbacks run (by the timer thread or by advance()): advance() returns only
        # after every callback that fell due has finished, even one the timer thread picked up first
        self._running = threading.RLock()

    # -- reading -----------------------------------------------------------------
    @property
    def advanced_s(self) -> float:
        """How far tests have moved this clock ahead of the wall clock, in seconds."""
        return self._offset

    def monotonic(self) -> float:
        """Seconds on a monotonic scale (``time.monotonic()`` plus the offset)."""
        return time.monotonic() + self._offset

    def time(self) -> float:
        """Seconds since the epoch (``time.time()`` plus the offset)."""
        return time.time() + self._offset

    def now(self) -> datetime:
        """The current moment as an aware UTC datetime."""
        return datetime.now(timezone.utc) + timedelta(seconds=self._offset)

    # -- moving ------------------------------------------------------------------
    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` at once and run what fell due; returns the new offset.

        ``ValueError`` (a :class:`~.validation.ValidationError`) for a value that is not a finite number
        from 0 to :data:`MAX_ADVANCE_S`, or that would take the clock more than :data:`MAX_OFFSET_S` ahead
        of the wall clock; the clock then does not move. It never moves backwards.
        """
        seconds = check_advance(seconds)
        with self._cond:
            room = MAX_OFFSET_S - self._offset
            if seconds > room:
                raise ValidationError(
                    f"advance_s must be a finite number from 0 to {room:.15g} now: the clock may run at most "
                    f"{MAX_OFFSET_S:.15g} s (100 years) ahead of the wall clock and is {self._offset:.15g} s ahead, "
                    f"got {seconds:.15g}")
            self._offset += seconds
            self._cond.notify_all()
        self._run_due()
        return self._offset

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass by moving the clock (no real waiting): what a retry's backoff uses."""
        if seconds > 0:
            self.advance(seconds)

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        """Wait until ``event`` is set or ``timeout`` seconds of *this clock* have passed; True if set.

        The timeout passes by real time or by :meth:`advance`, whichever comes first.
        """
        if timeout is None:
            return event.wait()
        deadline = self.monotonic() + max(0.0, timeout)
        while not event.is_set():
            remaining = deadline - self.monotonic()
            if remaining <= 0:
                return False
            event.wait(min(remaining, WAIT_POLL_S))
        return True

    # -- scheduling --------------------------------------------------------------
    def call_later(self, delay_s: float, callback: Callable[[], None]) -> ScheduledCall:
        """Run ``callback`` once ``delay_s`` seconds of this clock have passed; ``cancel()`` the result to stop it."""
        call = ScheduledCall(self.monotonic() + max(0.0, delay_s), next(self._seq), callback)
        with self._cond:
            heapq.heappush(self._calls, call)
            if self._timer_thread is None:
                self._timer_thread = threading.Thread(target=self._timer_loop, name="virtual-clock", daemon=True)
                self._timer_thread.start()
            self._cond.notify_all()
        return call

    def _pop_due(self) -> ScheduledCall | None:
        with self._cond:
            while self._calls and self._calls[0].cancelled:
                heapq.heappop(self._calls)
            if self._calls and self._calls[0].due <= self.monotonic():
                return heapq.heappop(self._calls)
            return None

    def _run_due(self) -> None:
        with self._running:
            while (call := self._pop_due()) is not None:
                try:
                    call.callback()
                except Exception:  # noqa: BLE001 - one failing callback must not stop the others or the timer thread
                    log.exception("virtual clock: scheduled callback %r failed", call.callback)

    def _timer_loop(self) -> None:
        while True:
            with self._cond:
                while self._calls and self._calls[0].cancelled:
                    heapq.heappop(self._calls)
                wait = None if not self._calls else self._calls[0].due - self.monotonic()
                if wait is None or wait > 0:
                    # capped: a far-off (or infinite) due time must not overflow the wait
                    self._cond.wait(None if wait is None else min(wait, MAX_TIMER_WAIT_S))
                    continue
            self._run_due()


def check_advance(seconds: object) -> float:
    """``seconds`` as a float if it is a finite number from 0 to :data:`MAX_ADVANCE_S`, else ``ValueError``
    (a :class:`~.validation.ValidationError` naming ``advance_s``, the range and the value: the clock never
    moves backwards)."""
    return finite_number(seconds, "advance_s", minimum=0.0, maximum=MAX_ADVANCE_S)
