"""A test clock that tells its followers whenever it moves: how a companion running as its own process keeps time
with the tests.

The tests' clock is a ``VirtualClock`` in the test process; a companion started
with ``python -m companion`` reads its time from a clock file instead
(``companion.clock.OffsetFileClock``). :meth:`FollowedClock.follow_with_file`
keeps such a file equal to this clock's offset: written at once, then again
after every move (``advance``, and ``sleep``, which moves it too).
"""

from __future__ import annotations

import os
import threading
from typing import Callable

from mockservers.core.clock import VirtualClock

__all__ = ["FollowedClock"]


class FollowedClock(VirtualClock):
    """A ``VirtualClock`` whose moves are reported to its followers (after what fell due has run)."""

    def __init__(self) -> None:
        super().__init__()
        self._followers: list[Callable[[float], None]] = []
        self._followers_lock = threading.Lock()

    def advance(self, seconds: float) -> float:
        offset = super().advance(seconds)
        with self._followers_lock:
            followers = list(self._followers)
        for follower in followers:
            follower(offset)
        return offset

    def follow(self, follower: Callable[[float], None]) -> Callable[[], None]:
        """Call ``follower(offset)`` after every move; returns the function that stops it."""
        with self._followers_lock:
            self._followers.append(follower)

        def unfollow() -> None:
            with self._followers_lock:
                if follower in self._followers:
                    self._followers.remove(follower)

        return unfollow

    def follow_with_file(self, path: str | os.PathLike[str]) -> Callable[[], None]:
        """Keep clock file ``path`` (``companion.clock.write_clock_offset``) at this clock's offset: written now,
        and after every move; returns the function that stops it. Concurrent moves leave the latest offset."""
        from companion.clock import write_clock_offset

        lock = threading.Lock()

        def write(_offset: float) -> None:
            with lock:  # the offset read under the lock: the last write holds the latest one
                write_clock_offset(path, self.advanced_s)

        write(self.advanced_s)
        return self.follow(write)
