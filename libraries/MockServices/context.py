"""The state the MockServices components share: the mocks this suite started."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from atest_support.clock import process_clock
from atest_support.credentials import default_credentials
from atest_support.library import LibraryContext

if TYPE_CHECKING:
    from mockservers.core import MockServer

ServiceName = Literal["plex", "plextv", "overseerr", "uptime-kuma"]

#: suite variable set to each started service's base URL
URL_VARIABLES = {"plex": "${PLEX_URL}", "plextv": "${PLEXTV_URL}", "overseerr": "${OVERSEERR_URL}",
                 "uptime-kuma": "${UPTIME_KUMA_URL}"}


#: the ``mockservers.credentials.Credentials`` fields each mock is started with, by constructor argument
CREDENTIAL_OPTIONS = {"plex": {"token": "plex_token"}, "overseerr": {"api_key": "overseerr_api_key"},
                      "plextv": {"username": "plextv_username", "password": "plextv_password",
                                 "token": "plextv_token"},
                      "uptime-kuma": {"username": "uptime_kuma_username", "password": "uptime_kuma_password"}}


class MockContext(LibraryContext):
    """Registry of the mocks started by one suite (the library's scope)."""

    def __init__(self, timeout: timedelta) -> None:
        super().__init__(timeout)
        self.mocks: dict[str, MockServer] = {}

    def start(self, service: str, **options: Any) -> MockServer:
        """Create and start a mock; a service already started is an error.

        Credentials not in ``options`` are the defaults of ``mockservers.credentials``; the mock reads
        time from the process's clock (``atest_support.clock``), shared with the clients under test.
        """
        from mockservers import MONITOR_NAMES, SERVICES, create_mock

        if service not in SERVICES:  # before the check below, so the message names the valid ones
            raise ValueError(f"unknown service {service!r}: expected one of {', '.join(SERVICES)}")
        if service in self.mocks:
            raise RuntimeError(f"Mock {service} is already running at {self.mocks[service].url}: "
                               "stop it first or use the running one.")
        if service == "uptime-kuma":  # its monitors watch the mocks this suite started
            options.setdefault("service_urls", {MONITOR_NAMES[name]: self.mocks[name].url
                                                for name in MONITOR_NAMES if name in self.mocks})
        if service == "plextv" and "plex" in self.mocks:  # the account's server is this suite's Plex mock
            options.setdefault("plex", self.mocks["plex"])
        defaults = default_credentials()
        for option, field in CREDENTIAL_OPTIONS[service].items():
            if options.get(option) is None:
                options[option] = getattr(defaults, field)
        options.setdefault("clock", process_clock())
        mock = create_mock(service, **options)
        mock.start()
        self.mocks[service] = mock
        return mock

    def get(self, service: str) -> MockServer:
        """The started mock for ``service``, or a failure naming what is running."""
        try:
            return self.mocks[service]
        except KeyError:
            running = ", ".join(self.mocks) or "none"
            raise AssertionError(f"Mock {service} has not been started in this suite (running: {running}). "
                                 f"Start it with 'Start Mock Service    {service}'.") from None

    def stop(self, service: str) -> None:
        """Stop one mock (no error when it is not running)."""
        mock = self.mocks.pop(service, None)
        if mock is not None:
            mock.stop()

    def stop_all(self) -> None:
        """Stop every mock this suite started."""
        for service in list(self.mocks):
            self.stop(service)
