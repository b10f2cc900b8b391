"""MediaClients: drive the resilient Plex and Overseerr clients and the sign-in with Plex (the system under test)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from atest_support.library import SuiteLibrary
from atest_support.settings import TestSettings
from atest_support.waiting import DEFAULT_TIMEOUT

from .breakers import BreakerKeywords
from .clients import ClientKeywords
from .context import ClientContext
from .failures import FailureKeywords
from .outbox import OutboxKeywords
from .overseerr import OverseerrKeywords
from .plex import PlexKeywords
from .results import ResultKeywords
from .signin import SignInKeywords

__version__ = "0.1.0"
__all__ = ["MediaClients"]


class MediaClients(SuiteLibrary):
    """Calls the resilient Plex and Overseerr clients and checks how they cope with failures.

    %TOC%

    Keywords about one service or part carry its tag (``plex``, ``overseerr`` and ``sign-in``): the
    tag list below the keywords shows every keyword about it; keywords that
    take the service as an argument work for every service.

    = Clients =

    `Create Plex Client` and `Create Overseerr Client` create the clients
    under test (``companion.PlexClient`` / ``OverseerrClient``) against a
    URL, usually a mock's (``${PLEX_URL}`` from MockServices). Credentials
    default to the mocks' and are never logged. Every client of a library
    instance shares one ``CircuitBreakerFactory``.

    Clients live for one test: at the end of every test the library closes
    them and resets every breaker (closed, counters zeroed), so no test sees
    another's breaker state or cache. `Reset Clients` does the same mid-test.

    = Signing in with Plex =

    `Create Plex Sign-In` builds the app's sign-in (``companion.signin.PlexSignIn``)
    against plex.tv (``${PLEXTV_URL}``), with this library's settings, breakers
    (``plextv`` and ``plex``) and the test clock. `Start Plex Sign-In` returns the
    auth URL the user opens; once the user approved (MockServices' `Approve Plex
    Sign-In`), `Finish Plex Sign-In` looks at the PIN (pauses growing on the test
    clock), reads the account, lists its servers and chooses the connection that
    answers (local, then remote, then relay). The signed-in server's client then
    *is* the test's Plex client: `Get Plex Libraries`, `Plex Call Should Fail
    With` ... call it, through the chosen connection; when it stops answering the
    client rediscovers the server once before its breaker and cache take over.
    A revoked token fails every Plex call with ``SignInRequiredError`` ("sign in
    again"), never a breaker failure. Expected sign-in failures: `Plex Sign-In
    Should Fail With` (``PinDeniedError``, ``PinExpiredError``,
    ``ServiceUnavailableError`` ...).

    = Settings =

    The defaults (see `Importing`) are the project's one set of test settings
    (``atest_support.settings.TestSettings``, also what the ServiceHealth
    library builds its clients with): durations that pass on the test clock
    are production-size, a retry backoff from 200 ms doubling up to 2 s
    (at most 15 s of retrying per call), a 60 s cache TTL, and a breaker that
    opens after 3 failed calls and lets a probe through after 30 s; only the
    network timeouts are test-sized (connect 500 ms, read 2 s). Tests let the
    durations pass with ``Advance Time By`` instead of waiting.
    `Create Plex Client` and `Create Overseerr Client` may override the
    timeouts, retry attempts and backoff, cache TTL and breaker settings for
    one client (the breaker of its service is reconfigured; it is reset, not
    recreated, between tests).

    = Calls and results =

    One keyword per client call (`Get Plex Libraries`, `Submit Overseerr Request`,
    ...) returns what the client returned. A result served from the cache
    because the service failed or the breaker was open has ``stale`` set:
    ``${result.stale}``, `Result Should Be Stale`, `Result Should Be Fresh`.

    Expected failures are checked by type, service and message:

    | `Plex Call Should Fail With`    CircuitOpenError    get libraries    message=Circuit breaker is OPEN for plex

    = Circuit breakers =

    `Circuit Breaker Should Be`, `Circuit Breaker Metrics Should Be` and
    `Get Circuit Breaker Metrics` read the *effective* state (open with the
    reset timeout passed reads ``half-open``). `Wait Until Circuit Breaker Is`
    polls by calling through the client, because pybreaker only changes state
    when a call arrives.

    = Example =

    | *** Settings ***
    | Library    MockServices
    | Library    MediaClients
    |
    | *** Test Cases ***
    | Open Breaker Fails Fast
    |     `Start Mock Service`    plex
    |     `Create Plex Client`    ${PLEX_URL}
    |     Take Mock Service Down    plex
    |     `Plex Call Should Fail With`    ServiceUnavailableError    get libraries    times=3
    |     `Plex Call Should Fail With`    CircuitOpenError    get libraries    message=Circuit breaker is OPEN
    |     `Circuit Breaker Metrics Should Be`    plex    failures=3    rejected=1

    = Request outbox =

    `Create Request Outbox` builds the companion's durable outbox for media requests
    (``companion.outbox.RequestOutbox``) over this test's Overseerr client, in a SQLite file
    or a PostgreSQL database (`Create Outbox Database`; the library starts a real PostgreSQL
    server on a free port on first use and stops it at the end of the suite).
    `Submit Media Request` answers ``delivered``, ``queued`` (Overseerr unavailable: kept,
    with an id) or ``rejected`` (with Overseerr's reason); `Deliver Queued Media Requests`
    runs a delivery round; `Submissions Should Each Be In Overseerr Once` checks the
    exactly-once promise against what the Overseerr mock holds. Keywords ending in
    ``To The Companion`` and the write-barrier keywords work on a ``python -m companion``
    process (the CompanionProcess library) and its database.

    = For other libraries =

    The library instance exposes ``plex``, ``overseerr`` (the clients of the
    current test, ``None`` when not created), ``sign_in`` (the sign-in with
    Plex, ``None`` when not created) and ``breakers`` (the shared
    factory), e.g. to build a ``StatusService`` from them:

    | lib = BuiltIn().get_library_instance("MediaClients")
    | StatusService(plex=lib.plex, overseerr=lib.overseerr, breakers=lib.breakers)

    ``ResilienceTimeline``, when the suite imports it, watches the ``breakers``
    and records every client call a keyword makes (answered fresh or stale,
    rejected by the open breaker) on the test's resilience timeline.
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(self, connect_timeout: timedelta = TestSettings.connect_timeout,
                 read_timeout: timedelta = TestSettings.read_timeout, retry_attempts: int = TestSettings.retry_attempts,
                 retry_backoff: timedelta = TestSettings.retry_backoff,
                 retry_max_backoff: timedelta = TestSettings.retry_max_backoff,
                 retry_max_total: timedelta = TestSettings.retry_max_total,
                 cache_ttl: timedelta = TestSettings.cache_ttl, fail_max: int = TestSettings.fail_max,
                 reset_timeout: timedelta = TestSettings.reset_timeout,
                 success_threshold: int = TestSettings.success_threshold, timeout: timedelta = DEFAULT_TIMEOUT) -> None:
        """Sets the default client settings for this library instance, and how long keywords wait.

        Timeouts are Robot times (``500ms``, ``2s``). ``retry_attempts`` counts
        every attempt (3 = one call and up to two retries); ``retry_backoff``
        is the first backoff, doubling up to ``retry_max_backoff``;
        ``retry_max_total`` bounds one call with its retries. ``fail_max``
        failed calls open a breaker, which lets a probe through after
        ``reset_timeout``; ``success_threshold`` successful probes close it.
        ``timeout`` is how long `Wait Until Circuit Breaker Is` waits unless
        a call gives its own.

        | Library    MediaClients    read_timeout=1s    fail_max=5    timeout=10s
        """
        defaults = TestSettings().with_overrides(
            connect_timeout=connect_timeout, read_timeout=read_timeout, retry_attempts=retry_attempts,
            retry_backoff=retry_backoff, retry_max_backoff=retry_max_backoff, retry_max_total=retry_max_total,
            cache_ttl=cache_ttl, fail_max=fail_max, reset_timeout=reset_timeout,
            success_threshold=success_threshold)
        self._context = ClientContext(defaults, timeout)
        super().__init__([ClientKeywords(self._context), PlexKeywords(self._context),
                          OverseerrKeywords(self._context), FailureKeywords(self._context),
                          BreakerKeywords(self._context), ResultKeywords(), SignInKeywords(self._context),
                          OutboxKeywords(self._context)])

    # -- for other libraries (e.g. ServiceHealth) ---------------------------------
    @property
    def plex(self) -> Any:
        """The ``PlexClient`` of the current test, or None when none was created."""
        return self._context.clients.get("plex")

    @property
    def overseerr(self) -> Any:
        """The ``OverseerrClient`` of the current test, or None when none was created."""
        return self._context.clients.get("overseerr")

    @property
    def sign_in(self) -> Any:
        """The app's sign-in with Plex (``companion.signin.PlexSignIn``) of the current test, or None."""
        return self._context.sign_in

    @property
    def breakers(self) -> Any:
        """The ``CircuitBreakerFactory`` shared by this instance's clients."""
        return self._context.breakers

    def has_client(self, service: str) -> bool:
        """True when a client for ``service`` exists in the current test."""
        return service in self._context.clients

    # -- listener ------------------------------------------------------------------
    def end_test(self, data: Any, result: Any) -> None:
        """Listener hook: every test leaves no client, cache or breaker state behind."""
        self._context.reset()

    def close(self) -> None:
        """Listener hook: the library's scope ended, close whatever is still open (the PostgreSQL server too)."""
        self._context.reset()
        self._context.outbox.close()
