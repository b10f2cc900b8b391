"""ServiceHealth: the Uptime Kuma client, the status service and the health dashboard, as keywords."""

from __future__ import annotations

from atest_support.library import SuiteLibrary

from .context import HealthContext
from .dashboard import DashboardKeywords
from .status import StatusKeywords
from .uptime_kuma import UptimeKumaKeywords

__version__ = "0.1.0"


class ServiceHealth(SuiteLibrary):
    """Drives the code that answers "is each service up?": Uptime Kuma client, status service, dashboard.

    %TOC%

    = Parts =

    | *Part*             | *Build with*              | *Check with* |
    | Uptime Kuma client | `Connect To Uptime Kuma`  | `Uptime Kuma Client Should See Monitor`, `Wait Until Uptime Kuma Client Has Reconnected` |
    | status service     | `Create Status Service`   | `Service Status Should Be`, `Status Source Should Be` |
    | dashboard          | `Start Dashboard`         | `Get Dashboard`, `Dashboard Should Refuse`, `Dashboard Summary Should Be` |
    | webhook receiver   | (part of the dashboard)   | `Webhook Inbox Should Contain`, `Webhook Inbox Should Be Empty` |

    The status service takes its Plex/Overseerr clients and breakers from the
    ``MediaClients`` library when the suite imports it, or builds its own from
    the mock URLs (see `Create Status Service`). It uses the connected Uptime
    Kuma client unless switched off with `Use Uptime Kuma For Status`.

    = Secrets =

    The dashboard's JWT and webhook secrets are read from the test variables
    ``${DASHBOARD_JWT_SECRET}`` and ``${DASHBOARD_WEBHOOK_SECRET}``; tokens are
    returned as ``Secret`` values and every request log shows ``*****``.

    = Waiting =

    Keywords that wait poll every 50 ms until a deadline (``timeout``, e.g.
    ``5s``) and then fail with one format:
    ``<what> did not become <expected> in <timeout>: last seen <actual>``.

    = Scope =

    Suite scope: what a suite builds (client, dashboard) is closed when the suite
    ends. Call `Reset Service Health` in a test setup for per-test state
    (breakers, caches, webhook inbox).

    = Example =

    | *** Settings ***
    | Library    MockServices
    | Library    ServiceHealth
    | Resource   variables.resource
    |
    | *** Test Cases ***
    | Plex Down In Uptime Kuma Shows On The Dashboard
    |     `Start Mock Services`    uptime-kuma    plex    overseerr
    |     `Connect To Uptime Kuma`
    |     `Create Status Service`
    |     `Start Dashboard`
    |     Set Uptime Kuma Monitor Status    Plex    down
    |     `Dashboard Summary Should Be`    servicesDown=1
    """

    ROBOT_LIBRARY_VERSION = __version__

    def __init__(self) -> None:
        self._context = HealthContext()
        super().__init__([UptimeKumaKeywords(self._context), StatusKeywords(self._context),
                          DashboardKeywords(self._context)])

    def end_test(self, data: object, result: object) -> None:
        """Listener hook: a status service built on MediaClients' per-test clients ends with the test."""
        if self._context.status_clients_owner == "MediaClients":
            self._context.close_status()

    def close(self) -> None:
        """Listener hook: the suite ended, close the client and stop the dashboard."""
        self._context.close_all()
