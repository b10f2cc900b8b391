"""The state the ServiceHealth components share: one Uptime Kuma client, status service and dashboard."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from atest_support.library import LibraryContext
from atest_support.secret import reveal

from .story import StatusRecorder

log = logging.getLogger("ServiceHealth")

#: test variables the library reads its secrets from when they are set (never passed as arguments, never logged);
#: unset, each library instance makes up its own random ones
JWT_SECRET_VARIABLE = "${DASHBOARD_JWT_SECRET}"
WEBHOOK_SECRET_VARIABLE = "${DASHBOARD_WEBHOOK_SECRET}"
PAGE_ADMIN_PASSWORD_VARIABLE = "${HEALTH_PAGE_ADMIN_PASSWORD}"
PAGE_USER_PASSWORD_VARIABLE = "${HEALTH_PAGE_USER_PASSWORD}"
#: the health page's accounts: an admin, and a non-admin who may sign in but is refused the page
PAGE_ADMIN, PAGE_USER = "admin", "viewer"


def robot_variable(name: str, default: Any = None) -> Any:
    """A Robot variable's value, or ``default`` when it is unset or Robot is not running."""
    try:
        return BuiltIn().get_variable_value(name, default)
    except RobotNotRunningError:
        return default


def media_clients_library() -> Any | None:
    """The ``MediaClients`` keyword library instance when the suite imports it, else None."""
    try:
        return BuiltIn().get_library_instance("MediaClients")
    except (RuntimeError, RobotNotRunningError):
        return None


class HealthContext(LibraryContext):
    """What one suite built: the Uptime Kuma client, the status service, the dashboard.

    Clients the library built itself (``own_clients``) are closed with it; clients
    borrowed from the MediaClients library are left to that library.
    """

    def __init__(self, timeout: timedelta) -> None:
        super().__init__(timeout)
        self.kuma: Any = None
        self.status: Any = None
        self.status_clients_owner: str = "none"
        self.own_clients: list[Any] = []
        self.breakers: Any = None
        self.dashboard: Any = None
        #: records the status results on the running test's resilience timeline
        self.status_story = StatusRecorder()
        self._made_up_secrets: dict[str, str] = {}
        self._page_accounts: Any = None

    def dashboard_secret(self, variable: str) -> str:
        """The secret in test variable ``variable`` (a ``Secret`` or text) if set, else one made up for this
        library instance (random, so no file holds it), the same for every later call."""
        value = reveal(robot_variable(variable))
        if value:
            return str(value)
        return self._made_up_secrets.setdefault(variable, secrets.token_urlsafe(32))

    def page_accounts(self) -> Any:
        """The health page's accounts (``companion.dashboard.Accounts``): ``admin`` (role admin) and
        ``viewer`` (role user), passwords from :meth:`dashboard_secret`; hashed once per library instance."""
        if self._page_accounts is None:
            from companion.dashboard import Accounts

            self._page_accounts = Accounts.from_passwords({
                PAGE_ADMIN: (self.dashboard_secret(PAGE_ADMIN_PASSWORD_VARIABLE), "admin"),
                PAGE_USER: (self.dashboard_secret(PAGE_USER_PASSWORD_VARIABLE), "user")})
        return self._page_accounts

    # -- required parts, with a failure that says which keyword builds them ---------------
    def require_kuma(self) -> Any:
        """The connected Uptime Kuma client or a clear failure."""
        if self.kuma is None:
            raise AssertionError("No Uptime Kuma client: connect first with 'Connect To Uptime Kuma'.")
        return self.kuma

    def require_status(self) -> Any:
        """The status service or a clear failure."""
        if self.status is None:
            raise AssertionError("No status service in this test: create it first with 'Create Status Service' "
                                 "(after 'Create Plex Client' / 'Create Overseerr Client', whose clients it uses).")
        return self.status

    def require_dashboard(self) -> Any:
        """The running dashboard server or a clear failure."""
        if self.dashboard is None or not self.dashboard.is_running():
            raise AssertionError("The dashboard is not running: start it first with 'Start Dashboard'.")
        return self.dashboard

    # -- cleanup --------------------------------------------------------------------------
    def close_kuma(self) -> None:
        """Disconnect the Uptime Kuma client (if any)."""
        kuma, self.kuma = self.kuma, None
        if kuma is not None:
            kuma.close()
        if self.status is not None:
            self.status.uptime_kuma = None

    def close_status(self) -> None:
        """Forget the status service and close the clients this library built for it."""
        clients, self.own_clients = self.own_clients, []
        for client in clients:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - cleanup must go on
                log.debug("closing %r failed", client, exc_info=True)
        self.status = None
        self.status_clients_owner = "none"

    def stop_dashboard(self) -> None:
        """Stop the dashboard server (if running)."""
        dashboard, self.dashboard = self.dashboard, None
        if dashboard is not None:
            dashboard.stop()

    def close_all(self) -> None:
        """Stop and close everything, dashboard first."""
        self.stop_dashboard()
        self.close_kuma()
        self.close_status()
        self.breakers = None
