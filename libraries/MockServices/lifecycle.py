"""Keywords that start, stop, take down and bring up the mock services."""

from __future__ import annotations

import secrets
from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret
from robot.libraries.BuiltIn import BuiltIn

from atest_support.secret import reveal
from atest_support.waiting import seconds

from .context import URL_VARIABLES, MockContext, ServiceName


class LifecycleKeywords:
    """Start/stop and outage control of whole mock services."""

    def __init__(self, context: MockContext) -> None:
        self.ctx = context

    @keyword
    def make_up_a_credential(self) -> Secret:
        """Returns a credential no mock accepts (random, new at every call), as a ``Secret``.

        For tests of refused credentials: a wrong token, API key or password never
        shows in Robot output, as the right ones don't.

        | ${token} =    `Make Up A Credential`
        | `Create Plex Client`    ${PLEX_URL}    token=${token}
        """
        return Secret(secrets.token_urlsafe(16))

    @keyword
    def start_mock_service(self, service: ServiceName, port: int = 0, token: Secret | str | None = None,
                           api_key: Secret | str | None = None, username: str | None = None,
                           password: Secret | str | None = None) -> str:
        """Starts the ``service`` mock on a free port and returns its base URL.

        The URL is also set as a suite variable: ``${PLEX_URL}``, ``${PLEXTV_URL}``,
        ``${OVERSEERR_URL}`` or ``${UPTIME_KUMA_URL}``. Credentials default to
        ``mockservers.credentials.DEFAULT_CREDENTIALS``; give others as
        ``Secret`` values so that no log shows them. ``port`` 0 means a free
        port; tests should not fix ports (pabot runs suites side by side).

        plex.tv (``plextv``) takes ``username``, ``password`` and ``token`` (what the account is signed in with
        on the web); started after Plex, its account lists that Plex mock as its server.

        The mock is stopped at the end of the suite even without a teardown.

        | ${url} =    `Start Mock Service`    plex
        | `Start Mock Service`    overseerr    api_key=another-key
        """
        credentials = {"plex": {"token": token}, "overseerr": {"api_key": api_key},
                       "plextv": {"token": token, "username": username, "password": password},
                       "uptime-kuma": {"username": username, "password": password}}.get(service, {})
        options = {name: reveal(value) for name, value in credentials.items() if value is not None}
        mock = self.ctx.start(service, port=port, **options)
        BuiltIn().set_suite_variable(URL_VARIABLES[service], mock.url)
        logger.info(f"Mock {service} listening at {mock.url}")
        return mock.url

    @keyword
    def start_mock_services(self, *services: ServiceName) -> None:
        """Starts several mocks at once (see `Start Mock Service`), plex.tv after Plex so that its account
        lists that Plex mock, Uptime Kuma last so that its Plex and Overseerr monitors watch the mocks started here.

        | `Start Mock Services`    plex    overseerr    uptime-kuma
        """
        from mockservers import SERVICES

        for service in sorted(services, key=list(SERVICES).index):
            self.start_mock_service(service)

    @keyword
    def stop_mock_service(self, service: ServiceName) -> None:
        """Stops the ``service`` mock (nothing happens if it is not running)."""
        self.ctx.stop(service)

    @keyword
    def stop_all_mock_services(self) -> None:
        """Stops every mock this suite started. Also runs by itself at suite end."""
        self.ctx.stop_all()

    @keyword
    def get_mock_url(self, service: ServiceName) -> str:
        """Returns the base URL of a started mock, e.g. ``http://127.0.0.1:40123``."""
        return self.ctx.get(service).url

    @keyword
    def take_mock_service_down(self, service: ServiceName, duration: timedelta | None = None) -> None:
        """Closes the mock's listening socket: callers get *connection refused*.

        Data, faults and the journal are kept. With ``duration`` the service
        comes back by itself on the same port; otherwise use `Bring Mock Service Up`.

        | `Take Mock Service Down`    plex
        | `Take Mock Service Down`    overseerr    duration=2s
        """
        self.ctx.get(service).take_down(None if duration is None else seconds(duration))

    @keyword
    def bring_mock_service_up(self, service: ServiceName) -> None:
        """Listens again, on the same port, after `Take Mock Service Down` (no error when it is listening).

        Faults set meanwhile stay: see `Clear Mock Faults`.
        """
        self.ctx.get(service).bring_up()

    @keyword
    def reset_mock_service(self, service: ServiceName) -> None:
        """Clears faults and the journal, and puts the service's data back to its defaults.

        A mock taken down stays down: call `Bring Mock Service Up` too (the
        resources' "back to normal" steps do both).
        """
        self.ctx.get(service).reset()

    @keyword
    def mock_service_should_be_running(self, service: ServiceName) -> None:
        """Fails unless the mock is started and listening."""
        if not self.ctx.get(service).is_running():
            raise AssertionError(f"Mock {service} is not listening (taken down or stopped).")
