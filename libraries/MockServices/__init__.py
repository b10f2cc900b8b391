"""MockServices: start, steer and check the mock Plex, plex.tv, Overseerr and Uptime Kuma servers."""

from __future__ import annotations

from datetime import timedelta

from atest_support.library import SuiteLibrary
from atest_support.waiting import DEFAULT_TIMEOUT

from .clock import ClockKeywords
from .context import MockContext
from .faults import FaultKeywords
from .journal import JournalKeywords
from .lifecycle import LifecycleKeywords
from .plextv import PlexTvKeywords
from .services import ServiceKeywords

__version__ = "0.1.0"


class MockServices(SuiteLibrary):
    """Starts, steers and checks the fault-injecting mock servers.

    %TOC%

    Keywords about one service or part carry its tag (``uptime-kuma``, ``overseerr``, ``plextv`` and ``time``): the
    tag list below the keywords shows every keyword about it; keywords that
    take the service as an argument work for every service.

    = Mock services =

    Four services are mocked: ``plex``, ``plextv`` (plex.tv: sign-in with a PIN,
    the account, its servers), ``overseerr`` and ``uptime-kuma``.
    `Start Mock Service` starts one on a free port of 127.0.0.1 and sets its
    URL as a suite variable (``${PLEX_URL}``, ``${PLEXTV_URL}``, ``${OVERSEERR_URL}``,
    ``${UPTIME_KUMA_URL}``). plex.tv started after Plex lists that Plex mock
    as the account's server, with a local, a remote and a relay connection, each
    on a port of its own (`Set Plex Connection` makes one refuse, hang or be slow);
    the Plex mock then accepts the account's tokens until they are revoked
    (`Revoke Plex Tokens`). `Approve Plex Sign-In` and `Decline Plex Sign-In`
    are the user's side of the browser. The library has suite scope: every mock a suite
    starts is stopped when the suite ends, so suites never share a mock and
    run side by side under pabot.

    Credentials default to ``mockservers.credentials.DEFAULT_CREDENTIALS``
    (the one place they are written); keywords that take another accept a
    ``Secret``, which Robot never logs.

    = Faults =

    One fault plan per mock, the same for every service:

    | *Fault*                   | *Keyword*                 | *Caller sees* |
    | fixed delay (+ jitter)    | `Set Mock Delay`          | slow answers, read timeouts |
    | failure rate (seeded)     | `Set Mock Failure Rate`, `Preview Mock Failures` | e.g. 30 % 503, same sequence per seed |
    | per-route status/sequence | `Add Route Fault`, `Add Route Fault Sequence` | 503, 503, 200 ... |
    | connection faults         | `Set Connection Fault`    | reset, hang, truncated/malformed body, dribble |
    | outage window             | `Start Mock Outage`       | 503 (or reset) for a time or N requests |
    | flapping                  | `Start Mock Flapping`     | alternating down/up phases |
    | connection refused        | `Take Mock Service Down`  | refused until `Bring Mock Service Up` |

    `Clear Mock Faults` removes every fault of the plan; a mock taken down
    stays down until `Bring Mock Service Up`. `Reset Mock Service` also
    empties the journal and restores the data (again without bringing the
    mock up).

    = Admin API request bodies =

    Each mock also takes the same changes over HTTP on its own port (for a
    mock started from the CLI in another process). Bodies are JSON; a bad one
    answers 400 with ``error`` naming the field, the value and what is allowed.

    | *Route*                                               | *Body (example)* |
    | ``PUT`` / ``PATCH /__admin/faults``                   | ``{"delay_ms": 200, "failure_rate": 0.3, "failure_status": 503, "seed": 42}`` |
    | ``GET /__admin/faults/preview?n=10``                  | (none): the next 10 failure-rate decisions, ``[{"request": 1, "outcome": "fail", "status": 503}, ...]`` |
    | ``POST /__admin/faults/routes``                       | ``{"path": "/identity", "sequence": [503, 503, 200]}`` or ``{"path": "/api/v1/request", "action": "reset", "times": 1, "method": "POST"}`` |
    | ``PATCH /__admin/faults`` (outage, flapping)          | ``{"outage": {"duration_s": 30, "action": 503}}``, ``{"outage": {"requests": 9}}``, ``{"flapping": {"up_s": 20, "down_s": 10}}`` |
    | ``POST /__admin/down``                                | ``{"duration_s": 30}`` (connection refused; omit for "until brought up") |
    | ``POST /__admin/reset``, ``DELETE /__admin/faults``, ``DELETE /__admin/journal`` | (none) |
    | ``POST /__admin/clock``                               | ``{"advance_s": 30}`` (moves the mock's clock; never backwards) |
    | ``PUT /__admin/plex/library``                         | a whole library, shaped like ``mockservers/plex/fixtures/small_library.json``: ``{"server": {"friendlyName": "Test Plex"}, "sections": [{"key": "1", "title": "Films", "type": "movie", "items": [{"title": "Heat", "year": 1995}]}]}`` |
    | ``POST /__admin/plex/sections/<key>/items``           | ``{"title": "Heat", "year": 1995, "genres": ["Crime"]}`` (fixture item keys; ``title`` required) |
    | ``PUT /__admin/plex/token``                           | ``{"token": "<the new X-Plex-Token>"}`` |
    | ``POST /__admin/overseerr/requests``                  | ``{"mediaType": "movie", "mediaId": 603, "status": 1}`` (status 1 pending, 2 approved, 3 declined; ``seasons`` for tv) |
    | ``PUT /__admin/overseerr/requests/<id>/status``       | ``{"status": 2}`` or ``{"media_status": 5}`` |
    | ``POST /__admin/overseerr/webhooks``                  | ``{"url": "http://127.0.0.1:8000/hook", "notification_type": "MEDIA_APPROVED", "request_id": 1, "authorization": "<secret>"}`` |
    | ``POST /__admin/uptime-kuma/monitors``                | ``{"name": "Jellyfin", "type": "http", "url": "http://127.0.0.1:8096", "status": "up"}`` (only ``name`` required) |
    | ``POST /__admin/uptime-kuma/monitors/<id or name>/status`` | ``{"status": "down", "msg": "connect ECONNREFUSED", "ping": 12}`` |
    | ``PUT`` / ``PATCH /__admin/uptime-kuma/socket-faults`` | ``{"reject_logins": true, "event_delay_ms": 500, "stop_events": false}`` |
    | ``POST /__admin/plextv/pins/<id, code or latest>/approve`` (or ``/deny``) | (none): the user approves (declines) the sign-in |
    | ``POST /__admin/plextv/tokens/revoke``                | ``{"issued_to": "<client identifier>"}`` or ``{"token": "<token>"}`` |
    | ``POST /__admin/plextv/servers``                      | ``{"name": "Attic", "clientIdentifier": "attic-1", "target": "http://127.0.0.1:32400", "presence": true, "connections": [{"location": "local", "behaviour": "refuses"}, {"location": "remote"}]}`` |
    | ``PATCH /__admin/plextv/servers/<clientIdentifier>``  | ``{"presence": false}`` or ``{"connections": [{"location": "remote"}]}`` (the server moved) |
    | ``PATCH /__admin/plextv/servers/<clientIdentifier>/connections/<index or location>`` | ``{"behaviour": "slow", "delay_ms": 3000}`` (``answers``, ``refuses``, ``slow``, ``hangs``) |

    = Time =

    Every mock this library starts, and every client, breaker, cache and
    status service the other keyword libraries build, reads one clock per
    Robot process (a ``VirtualClock``: the wall clock plus a forward-only
    offset). `Advance Time By` moves it, so production-size durations (a 30 s
    reset timeout, a 60 s cache TTL) pass at once; left alone it runs at the
    wall clock's pace. The domain form is ``When 30 Seconds Pass``
    (``resources/clock.resource``). A ``real-clock`` suite calls `Use The Wall
    Clock` instead: what it builds then reads the wall clock, as in production.

    = Journal =

    Every request a mock serves is recorded with secrets redacted.
    `Mock Should Have Received` fails with the closest requests the mock did
    see, e.g.:

    | expected 1 request(s) GET /library/sectionz, got 0. Closest recorded requests (2 recorded):
    |   GET /library/sections -> 200 1.2 ms

    = For other libraries =

    The library instance exposes ``mocks`` (service name -> the running
    ``MockServer``), e.g. for ``ResilienceTimeline``, which shows what each
    mock received on the test's resilience timeline.

    = Example =

    | *** Settings ***
    | Library    MockServices
    |
    | *** Test Cases ***
    | Plex Outage Is Seen As Connection Refused
    |     `Start Mock Service`    plex
    |     `Take Mock Service Down`    plex
    |     ...
    |     `Bring Mock Service Up`    plex
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(self, timeout: timedelta = DEFAULT_TIMEOUT) -> None:
        """``timeout`` is how long keywords that wait (`Wait Until Mock Has Received`) or send
        (`Send Overseerr Webhook`) give up after, unless a call gives its own.

        | Library    MockServices    timeout=10s
        """
        self._context = MockContext(timeout)
        self._clock = ClockKeywords()
        super().__init__([LifecycleKeywords(self._context), FaultKeywords(self._context),
                          JournalKeywords(self._context), ServiceKeywords(self._context),
                          PlexTvKeywords(self._context), self._clock])

    # -- for other libraries (e.g. ResilienceTimeline) ---------------------------------
    @property
    def mocks(self) -> dict:
        """The mocks this suite started and has not stopped: service name -> ``MockServer`` (a copy)."""
        return dict(self._context.mocks)

    def close(self) -> None:
        """Listener hook: the suite ended, stop whatever it started (and leave the wall clock)."""
        self._context.stop_all()
        self._clock.restore()
