"""The base of the keyword libraries: suite scope, and the library is its own listener."""

from __future__ import annotations

from typing import Any

from robotlibcore import DynamicCore

__all__ = ["SuiteLibrary"]


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
