"""The state the MockServices components share: the mocks this suite started."""

from __future__ import annotations

from typing import Any, Literal

from mockservers import MONITOR_NAMES, create_mock
from mockservers.core import MockServer

ServiceName = Literal["plex", "overseerr", "uptime-kuma"]

#: suite variable set to each started service's base URL
URL_VARIABLES = {"plex": "${PLEX_URL}", "overseerr": "${OVERSEERR_URL}", "uptime-kuma": "${UPTIME_KUMA_URL}"}


class MockContext:
    """Registry of the mocks started by one suite (the library's scope)."""

    def __init__(self) -> None:
        self.mocks: dict[str, MockServer] = {}

    def start(self, service: str, **options: Any) -> MockServer:
        """Create and start a mock; a service already started is an error."""
        if service in self.mocks:
            raise RuntimeError(f"Mock {service} is already running at {self.mocks[service].url}: "
                               "stop it first or use the running one.")
        if service == "uptime-kuma":  # its monitors watch the mocks this suite started
            options.setdefault("service_urls", {MONITOR_NAMES[name]: self.mocks[name].url
                                                for name in MONITOR_NAMES if name in self.mocks})
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
