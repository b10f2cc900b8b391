"""The state the SharedState components share: the Redis server and the worker connections of this library."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from atest_support.library import LibraryContext

from .workers import PinnedWorkers

__all__ = ["SharedStateContext", "STORE_LANE", "record"]

#: the timeline lane of the state store
STORE_LANE = "state-store"


def record(kind: str, service: str, **fields: Any) -> None:
    """Record onto the running test's resilience timeline (nothing when no ResilienceTimeline runs it)."""
    from ResilienceTimeline.context import record_event

    record_event(kind, service, **fields)


class SharedStateContext(LibraryContext):
    """The Redis server this library started (one at a time), whether a test started it, and the pinned workers."""

    def __init__(self, timeout: timedelta) -> None:
        super().__init__(timeout)
        self.server: Any = None
        self.in_test = False
        self.started_in_test = False
        self.workers = PinnedWorkers()
        #: worker name -> (thread, its outcome) of a request under way
        self.pending: dict[str, Any] = {}

    def require_server(self) -> Any:
        """The started Redis server, or a failure saying which keyword starts it."""
        if self.server is None:
            raise AssertionError("No Redis server in this suite: start one with 'Start Redis Server'.")
        return self.server

    def stop_server(self) -> None:
        server, self.server = self.server, None
        self.started_in_test = False
        if server is not None:
            server.stop()

    def forget_requests(self) -> None:
        """Wait briefly for requests still under way (their workers answer or the connections close)."""
        pending, self.pending = self.pending, {}
        for thread, _ in pending.values():
            thread.join(5)

    def close_all(self) -> None:
        self.forget_requests()
        self.workers.close()
        self.stop_server()
