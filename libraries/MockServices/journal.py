"""Keywords that check what a mock received (its request journal)."""

from __future__ import annotations

from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from atest_support.waiting import WaitTimeout, wait_until

from .context import MockContext, ServiceName


class JournalKeywords:
    """Checks on the requests a mock served. Secrets are redacted in every entry."""

    def __init__(self, context: MockContext) -> None:
        self.ctx = context

    @keyword
    def mock_should_have_received(self, service: ServiceName, method: str, path: str, count: int | None = None,
                                  status: int | None = None) -> None:
        """Fails unless the mock received ``method path`` (``*`` glob), ``count`` times if given.

        On failure the message lists the closest requests the mock did receive.

        | `Mock Should Have Received`    plex    GET    /library/sections    count=1
        | `Mock Should Have Received`    overseerr    POST    /api/v1/request    count=1    status=201
        """
        self.ctx.get(service).journal.assert_received(method, path, count=count, status=status)

    @keyword
    def mock_should_not_have_received(self, service: ServiceName, method: str, path: str) -> None:
        """Fails if the mock received any ``method path`` request (e.g. while a breaker is open)."""
        self.ctx.get(service).journal.assert_received(method, path, count=0)

    @keyword
    def wait_until_mock_has_received(self, service: ServiceName, method: str, path: str, count: int = 1,
                                     timeout: timedelta | None = None) -> None:
        """Waits until the mock has received at least ``count`` ``method path`` requests.

        For requests a fault still holds (a delay, a hang): they are journaled
        when their answer ends. ``timeout`` defaults to the library's (see
        `Importing`). Fails like every wait, followed by the closest
        requests recorded:

        | Mock plex GET /library/sections requests did not become at least 3 in 5 s: last seen 1. Closest ...

        | `Wait Until Mock Has Received`    plex    GET    /library/sections    count=3    timeout=3s
        """
        journal = self.ctx.get(service).journal
        try:
            wait_until(lambda: journal.count(method, path), lambda seen: seen >= count,
                       what=f"Mock {service} {method.upper()} {path} requests", expected=f"at least {count}",
                       timeout=self.ctx.timeout_or_default(timeout))
        except WaitTimeout as exc:
            raise WaitTimeout(f"{exc}. {journal.describe_closest(method, path)}") from None

    @keyword
    def get_mock_request_count(self, service: ServiceName, method: str | None = None, path: str | None = None,
                               status: int | None = None) -> int:
        """Returns how many recorded requests match the filters given."""
        return self.ctx.get(service).journal.count(method, path, status)

    @keyword
    def clear_mock_journal(self, service: ServiceName) -> None:
        """Forgets the requests recorded so far."""
        self.ctx.get(service).journal.clear()

    @keyword
    def log_mock_journal(self, service: ServiceName) -> None:
        """Logs the recorded requests, one per line (secrets already redacted)."""
        entries = self.ctx.get(service).journal.entries()
        logger.info("\n".join(e.describe() for e in entries) or f"Mock {service} recorded no requests.")
