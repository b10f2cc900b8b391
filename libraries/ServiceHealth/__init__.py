"""ServiceHealth: the Uptime Kuma client, the status service and the health dashboard, as keywords."""

from __future__ import annotations

from datetime import timedelta

from atest_support.library import SuiteLibrary
from atest_support.waiting import DEFAULT_TIMEOUT

from .context import HealthContext
from .dashboard import DashboardKeywords
from .status import StatusKeywords
from .uptime_kuma import UptimeKumaKeywords

__version__ = "0.1.0"


class ServiceHealth(SuiteLibrary):
    """Drives the code that answers "is each service up?": Uptime Kuma client, status service, dashboard.

    %TOC%

    Keywords about one service or part carry its tag (``uptime-kuma``, ``status``, ``dashboard`` and ``webhooks``): the
    tag list below the keywords shows every keyword about it; keywords that
    take the service as an argument work for every service.

    = Parts =

    | *Part*             | *Build with*              | *Check with* |
    | Uptime Kuma client | `Connect To Uptime Kuma`  | `Uptime Kuma Client Should Be Live`, `Wait Until Uptime Kuma Client Sees Monitor`, `Wait Until Uptime Kuma Client Has Reconnected` |
    | status service     | `Create Status Service`   | `Wait Until Service Status Is`, `Status Source Should Be`, `Get Service Status` |
    | dashboard          | `Start Dashboard`         | `Get Dashboard`, `Dashboard Should Refuse`, `Wait Until Dashboard Summary Is`, `Summary Should Show` |
    | webhook receiver   | (part of the dashboard)   | `Webhook Inbox Should Contain`, `Webhook Inbox Should Be Empty`, `Get Received Webhook Notifications` |
    | health page        | (part of the dashboard, ``${HEALTH_PAGE_URL}``) | a browser (``resources/health_page.resource``) signed in with `Get Health Page Credentials`; `Restart Dashboard` |

    The status service is built by default on the Plex/Overseerr clients and
    the breaker registry of the ``MediaClients`` library in the current test
    (create them first), so a breaker a test opens is the one the dashboard
    counts; ``clients=own`` builds separate ones (see `Create Status Service`).
    It uses the connected Uptime Kuma client unless switched off with
    `Use Uptime Kuma For Status`. A status or dashboard keyword used before the
    status service exists fails and says what to call first.

    = Status rules =

    The status service gives each service one verdict, ``up``, ``down`` or
    ``degraded``, from one of two sources, chosen per service at every check:

    - *Uptime Kuma* (source ``uptime-kuma``): when the status service uses
      Uptime Kuma (`Use Uptime Kuma For Status`, on by default), its client is
      connected and logged in, and the service's monitor (``Plex``,
      ``Overseerr``) has a heartbeat. No request reaches the service.
    - *polling* (source ``poll``): otherwise. The service's health call
      (Plex ``test connection``, Overseerr ``get status``, never cached) goes
      through the test's client, so through its retries and its breaker.

    | *source*    | *what it sees*                                  | *breaker closed* | *breaker half-open* | *breaker open* |
    | Uptime Kuma | monitor UP                                      | up               | degraded            | degraded       |
    | Uptime Kuma | monitor UP, ping above ``slow_threshold``       | degraded         | degraded            | degraded       |
    | Uptime Kuma | monitor PENDING or MAINTENANCE                  | degraded         | degraded            | degraded       |
    | Uptime Kuma | monitor DOWN                                    | down             | down                | down           |
    | polling     | health call answered, fresh, fast, first try    | up               | (the call is the probe: up once it closes the breaker, degraded while it stays half-open) | down: fails fast with ``CircuitOpenError`` |
    | polling     | answered slower than ``slow_threshold``, or only after retries, or from the cache | degraded | degraded | degraded |
    | polling     | health call failed (refused, timeout, 5xx, bad answer, rejected credentials) | down | down (the failed probe re-opens it) | down |

    The breaker is the service's breaker in the registry the status service
    was built with (by default the MediaClients library's, so a breaker a test
    opens through its clients counts). The dashboard's ``circuitBreakersOpen``
    counts the breakers whose effective state is ``open``.

    Which services are listed, in this order: ``plex`` and ``overseerr`` when
    the status service has a client for them, then ``uptime-kuma`` only while
    Uptime Kuma is in use (a client connected with `Connect To Uptime Kuma` and
    not switched off): it is ``up`` when its client is connected and logged in,
    ``down`` otherwise. With Uptime Kuma switched off, two services are listed.
    Each entry's ``message`` says why (e.g. ``Uptime Kuma monitor 'Plex' is UP;
    circuit breaker is open``, ``plex degraded: served stale cached data because
    ...``).

    = Webhooks =

    The dashboard receives Overseerr's webhook at ``/api/v1/webhooks/overseerr``.
    Every method there takes the same credential, the webhook secret, in
    ``Authorization`` (401 otherwise); no admin token:

    | *request*                                   | *answer* |
    | ``POST`` an Overseerr notification          | 202 ``{"success": true, "data": {"id", "notification_type", "received_at"}}``; 400 naming what is wrong, 413 above 64 KiB |
    | ``GET`` (``?type=MEDIA_APPROVED`` to filter) | 200 ``{"success": true, "data": {"count": n, "notifications": [record, ...]}}``, oldest first; 400 for an unknown type |
    | ``DELETE``                                  | 200 ``{"success": true, "data": {"count": 0}}``: the inbox is empty |

    A record is ``{"id", "received_at", "notification_type", "subject", "payload"}``
    (see `Get Received Webhook Notifications`). `Webhook Inbox Should Contain`
    and `Webhook Inbox Should Be Empty` read the same inbox in-process;
    `Get Received Webhook Notifications` reads it over HTTP.

    = Secrets =

    The dashboard's JWT and webhook secrets are made up at random for each
    suite (no file holds them), or read from the test variables
    ``${DASHBOARD_JWT_SECRET}`` and ``${DASHBOARD_WEBHOOK_SECRET}`` when a run
    sets them (best as ``Secret``: ``--variable "DASHBOARD_JWT_SECRET: Secret:..."``).
    Tokens and the webhook secret are returned as ``Secret`` values, every
    credential argument accepts a ``Secret``, and every request log shows
    ``*****``: no secret reaches Robot's output, whatever the log level.

    = Waiting =

    Only keywords named ``Wait Until ...`` poll; every other check reads once.
    They poll every 50 ms until a deadline (their ``timeout``, by default the
    library's ``timeout`` import argument, see `Importing`) and then fail with
    one format:
    ``<what> did not become <expected> in <timeout>: last seen <actual>``.

    = Resilience timeline =

    When the suite imports ``ResilienceTimeline`` (``resources/resilience.resource``
    does), the test's timeline gets the status results, one ``status`` event
    whenever a service's verdict or source changes (from the status keywords
    and from every dashboard read), and what the Uptime Kuma client reports
    through its ``on_event`` hook: connects, reconnects, logins, drops and
    live pushes (heartbeats, monitor lists), on the ``uptime-kuma`` lane.

    = Scope =

    Suite scope: what a suite builds (client, dashboard) is closed when the suite
    ends. Call `Reset Service Health` in a test setup for per-test state
    (breakers, caches, webhook inbox).

    = Example =

    | *** Settings ***
    | Library    MockServices
    | Library    MediaClients
    | Library    ServiceHealth
    | Resource   variables.resource
    |
    | *** Test Cases ***
    | Plex Down In Uptime Kuma Shows On The Dashboard
    |     `Start Mock Services`    uptime-kuma    plex    overseerr
    |     `Connect To Uptime Kuma`
    |     Create Plex Client    ${PLEX_URL}
    |     Create Overseerr Client    ${OVERSEERR_URL}
    |     `Create Status Service`
    |     `Start Dashboard`
    |     Set Uptime Kuma Monitor Status    Plex    down
    |     `Wait Until Dashboard Summary Is`    servicesDown=1
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(self, timeout: timedelta = DEFAULT_TIMEOUT) -> None:
        """``timeout`` is how long every keyword that waits (``Wait Until ...``, connecting to Uptime
        Kuma, the dashboard's HTTP calls) gives up after, unless a call gives its own.

        | Library    ServiceHealth    timeout=10s
        """
        self._context = HealthContext(timeout)
        super().__init__([UptimeKumaKeywords(self._context), StatusKeywords(self._context),
                          DashboardKeywords(self._context)])

    def end_test(self, data: object, result: object) -> None:
        """Listener hook: a status service built on MediaClients' per-test clients ends with the test."""
        if self._context.status_clients_owner == "MediaClients":
            self._context.close_status()

    def close(self) -> None:
        """Listener hook: the suite ended, close the client and stop the dashboard."""
        self._context.close_all()
