"""CompanionProcess: the companion app run as its own process (``python -m companion``), as keywords."""

from __future__ import annotations

from datetime import timedelta

from atest_support.library import SuiteLibrary
from atest_support.waiting import DEFAULT_TIMEOUT

from .keywords import CompanionProcessKeywords, ProcessContext

__version__ = "0.1.0"


class CompanionProcess(SuiteLibrary):
    """Starts, stops, kills and restarts the companion app as its own process, and asks it questions over HTTP.

    %TOC%

    = The process =

    `Start Companion Process` runs ``python -m companion --workers N`` from the
    project root with the venv's interpreter. The app binds a free port itself
    (read back from the line it prints when every worker serves), and the
    keyword returns once ``GET /health`` answers with the instance that line
    named: the answer comes from this start of this app. It points at the mocks
    this suite started (``${PLEX_URL}``, ``${OVERSEERR_URL}``,
    ``${UPTIME_KUMA_URL}``) with the mocks' credentials and the one set of test
    client settings (``atest_support.settings``: production durations, small
    network timeouts, a fixed retry seed).

    Every setting reaches the process as a ``COMPANION_*`` environment
    variable, never as a flag, and its JWT and webhook secrets are made up for
    each start of the library: no secret is in the process list or in Robot's
    output. What the process prints goes to a file in the output directory.

    The process is always stopped, even after a failure (killed if SIGTERM does
    not stop it): at the end of the test that started it, or at the end of the
    suite when a suite setup started it. Tests that stop or kill it themselves
    say so in their names.

    = Time =

    The process keeps time with this Robot process's clock: it reads a clock
    file that follows that clock (``COMPANION_CLOCK_FILE``), so `Advance Time
    By` moves the clock of every worker at once (a token's expiry, a breaker's
    reset timeout, a cached answer's age). In a ``real-clock`` suite (`Use The
    Wall Clock`) the process reads the wall clock, as in production.

    = Waiting =

    Only keywords named ``Wait Until ...`` poll (until the library's
    ``timeout``, see `Importing`); starting and stopping wait for the process
    itself, at most ``start_timeout`` / ``stop_timeout``.
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(self, timeout: timedelta = DEFAULT_TIMEOUT, start_timeout: timedelta = timedelta(seconds=30),
                 stop_timeout: timedelta = timedelta(seconds=20)) -> None:
        """``timeout``: how long ``Wait Until ...`` keywords poll; ``start_timeout`` / ``stop_timeout``: how long
        the process may take to answer after a start / to end after SIGTERM."""
        self._context = ProcessContext(timeout, start_timeout, stop_timeout)
        super().__init__([CompanionProcessKeywords(self._context)])

    def start_test(self, data: object, result: object) -> None:
        """Listener hook: a process started from now on belongs to this test."""
        self._context.in_test = True

    def end_test(self, data: object, result: object) -> None:
        """Listener hook: the test ended, stop the process it started (pass or fail)."""
        self._context.in_test = False
        if self._context.started_in_test:
            self._context.close_all()

    def close(self) -> None:
        """Listener hook: the suite ended, stop the companion process it started."""
        self._context.close_all()
