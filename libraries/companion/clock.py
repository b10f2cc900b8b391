"""Where the clients, breakers, caches, status service and dashboard read time.

Everything time-dependent takes a ``clock`` (default :data:`SYSTEM_CLOCK`, the
wall clock). Tests pass a clock they can move instead (any object with the
same five methods, e.g. ``mockservers.core.clock.VirtualClock``), so a 30 s
reset timeout or a 60 s cache TTL passes without waiting.

A companion running as its own process (``python -m companion``) cannot share
the tests' clock object; with the test-only setting ``clock_file`` it reads an
:class:`OffsetFileClock` instead: the wall clock plus the offset the tests wrote
to that file (:func:`write_clock_offset`). Every worker process reads the same
file, so all of them see the same "now". Production never sets it.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

__all__ = ["Clock", "SystemClock", "SYSTEM_CLOCK", "OffsetFileClock", "write_clock_offset", "read_clock_offset"]


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


#: how often :meth:`OffsetFileClock.wait` looks at the clock again while it waits (real seconds)
FILE_CLOCK_POLL_S = 0.02
#: the largest offset a clock file may hold (ten years): more is a mistake, not a test
MAX_CLOCK_OFFSET_S = 10 * 366 * 24 * 3600.0


def read_clock_offset(path: str | os.PathLike[str]) -> float:
    """The offset (seconds) in clock file ``path``: ``{"advanced_s": <finite number from 0 to ten years>}``.

    ``ValueError`` saying what is wrong for anything else; ``OSError`` when the file cannot be read.
    """
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError(f"clock file {os.fspath(path)!r} is not JSON: {text[:80]!r}") from None
    value = data.get("advanced_s") if isinstance(data, dict) else None
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or not 0 <= value <= MAX_CLOCK_OFFSET_S):
        raise ValueError(f"clock file {os.fspath(path)!r} must hold {{\"advanced_s\": a number from 0 to "
                         f"{MAX_CLOCK_OFFSET_S:g}}}, got {text[:80]!r}")
    return float(value)


def write_clock_offset(path: str | os.PathLike[str], advanced_s: float) -> None:
    """Write ``advanced_s`` to clock file ``path`` at once (a new file renamed over the old one), so a reader
    never sees half a file. What the test side calls whenever its clock moves."""
    if (isinstance(advanced_s, bool) or not isinstance(advanced_s, (int, float)) or not math.isfinite(advanced_s)
            or not 0 <= advanced_s <= MAX_CLOCK_OFFSET_S):
        raise ValueError(f"a clock offset must be a number from 0 to {MAX_CLOCK_OFFSET_S:g} s, got {advanced_s!r}")
    target = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"advanced_s": float(advanced_s)}, out)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class OffsetFileClock:
    """The wall clock plus the offset held in a clock file (test-only: the setting ``clock_file``).

    Every read looks at the file's identity and modification time (one ``stat``)
    and reads it again only when it changed, so all the worker processes of one
    app, each with its own ``OffsetFileClock`` on the same file, agree on "now"
    as soon as the tests have written a new offset. The offset never goes back:
    a smaller value, or a file that cannot be read for a moment (while it is
    replaced), keeps the last one. The process never writes the file: its own
    waits (retry backoffs, reconnect delays) pass in real time. The file must
    hold a valid offset when the clock is made (``ValueError`` / ``OSError``).
    """

    virtual = True

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._signature = self._stat()
        self._offset = read_clock_offset(self.path)

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)

    @property
    def advanced_s(self) -> float:
        """How far the tests have moved the clock ahead of the wall clock (seconds), as last written."""
        signature = self._stat()
        if signature is not None and signature != self._signature:
            with self._lock:
                try:
                    offset = read_clock_offset(self.path)
                except (OSError, ValueError):
                    return self._offset  # being replaced: the next read sees the new file
                self._signature = signature
                self._offset = max(self._offset, offset)
        return self._offset

    def monotonic(self) -> float:
        return time.monotonic() + self.advanced_s

    def time(self) -> float:
        return time.time() + self.advanced_s

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + timedelta(seconds=self.advanced_s)

    def sleep(self, seconds: float) -> None:
        """Real waiting (the process does not move the tests' clock)."""
        if seconds > 0:
            time.sleep(seconds)

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        """Wait for ``event`` at most ``timeout`` seconds of this clock: real time or the tests moving it."""
        if timeout is None:
            return event.wait()
        deadline = self.monotonic() + max(0.0, timeout)
        while not event.is_set():
            remaining = deadline - self.monotonic()
            if remaining <= 0:
                return False
            event.wait(min(remaining, FILE_CLOCK_POLL_S))
        return True
