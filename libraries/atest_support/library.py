"""The base of the keyword libraries: suite scope, the library is its own listener, one waiting timeout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from robotlibcore import DynamicCore

from .waiting import DEFAULT_TIMEOUT

__all__ = ["SuiteLibrary", "LibraryContext"]


class LibraryContext:
    """What every component of one library shares; subclasses add their own state.

    ``timeout`` is the library's ``timeout`` import argument: every keyword that
    waits uses it unless the call gives its own.
    """

    def __init__(self, timeout: timedelta = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout

    def timeout_or_default(self, timeout: timedelta | None) -> timedelta:
        """``timeout`` when given, else the library's."""
        return self.timeout if timeout is None else timeout


class SuiteLibrary(DynamicCore):
    """A ``DynamicCore`` library with suite scope that listens to its own suite (listener API 3).

    Subclasses pass their keyword components and implement the listener hooks
    they need, e.g. ``close()`` (the suite ended: stop what it started) and
    ``end_test(data, result)``. Hooks are plain methods, not keywords.
    """

    ROBOT_LIBRARY_SCOPE = "SUITE"
    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, components: list[Any]) -> None:
        super().__init__(components)
        self.ROBOT_LIBRARY_LISTENER = self
