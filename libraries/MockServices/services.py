"""Service-specific mock control: Uptime Kuma monitors and socket faults, Overseerr requests and webhooks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret

from atest_support.secret import reveal
from atest_support.waiting import seconds

from .context import MockContext

MonitorState = Literal["up", "down", "pending", "maintenance"]
MediaType = Literal["movie", "tv"]
RequestStatus = Literal["pending", "approved", "declined"]
REQUEST_STATUS_CODES = {"pending": 1, "approved": 2, "declined": 3}


class ServiceKeywords:
    """What only one mock can do: Uptime Kuma monitors and sockets, Overseerr requests and webhooks."""

    def __init__(self, context: MockContext) -> None:
        self.ctx = context

    # -- Uptime Kuma ----------------------------------------------------------------------------
    @keyword(tags=["uptime-kuma"])
    def set_uptime_kuma_monitor_status(self, monitor: str, status: MonitorState, msg: str = "",
                                       ping: float | None = None) -> dict:
        """Adds a heartbeat with ``status`` to ``monitor`` (name or id) and pushes it to logged-in clients.

        Default monitors: 1 ``Plex``, 2 ``Overseerr``, 3 ``Tautulli``, all up.
        Returns the heartbeat row.

        | `Set Uptime Kuma Monitor Status`    Plex    down    msg=connect ECONNREFUSED
        """
        try:
            row = self.ctx.get("uptime-kuma").set_monitor_status(monitor, status, msg=msg, ping=ping)
        except ValueError as exc:
            raise AssertionError(f"Cannot set monitor {monitor!r} to {status}: {exc}") from None
        logger.info(f"Uptime Kuma monitor {monitor!r} is now {status}: {row}")
        return row

    @keyword(tags=["uptime-kuma"])
    def add_uptime_kuma_monitor(self, name: str, status: MonitorState = "up", type: str = "http",  # noqa: A002
                                url: str | None = None) -> int:
        """Adds a monitor (logged-in clients get a new monitor list); returns its id.

        | ${id} =    `Add Uptime Kuma Monitor`    Jellyfin    status=down
        """
        return self.ctx.get("uptime-kuma").add_monitor(name, type=type, url=url, status=status)

    @keyword(tags=["uptime-kuma"])
    def get_uptime_kuma_mock_monitors(self) -> dict[int, dict]:
        """Returns the mock's monitors by id (what the server holds, not what a client saw)."""
        return self.ctx.get("uptime-kuma").monitors

    @keyword(tags=["uptime-kuma"])
    def reject_uptime_kuma_logins(self, reject: bool = True) -> None:
        """Makes the Uptime Kuma mock answer every ``login`` with ``{ok: false, msg}`` (or stop doing so).

        | `Reject Uptime Kuma Logins`
        | `Reject Uptime Kuma Logins`    ${False}
        """
        self.ctx.get("uptime-kuma").socket_faults.reject_logins = reject

    @keyword(tags=["uptime-kuma"])
    def delay_uptime_kuma_events(self, delay: timedelta) -> None:
        """Delays every Socket.IO event the mock pushes by ``delay``.

        | `Delay Uptime Kuma Events`    500ms
        """
        self.ctx.get("uptime-kuma").socket_faults.event_delay_s = seconds(delay)

    @keyword(tags=["uptime-kuma"])
    def stop_uptime_kuma_events(self, stop: bool = True) -> None:
        """Makes the mock drop every pushed event (the connection stays up, it just goes quiet)."""
        self.ctx.get("uptime-kuma").socket_faults.stop_events = stop

    @keyword(tags=["uptime-kuma"])
    def clear_uptime_kuma_socket_faults(self) -> None:
        """Logins accepted again, events pushed at once."""
        self.ctx.get("uptime-kuma").socket_faults.clear()

    @keyword(tags=["uptime-kuma"])
    def drop_uptime_kuma_connections(self) -> int:
        """Disconnects every Socket.IO client from the server side; returns how many were connected.

        | ${dropped} =    `Drop Uptime Kuma Connections`
        | Should Be True    ${dropped} >= 1
        """
        dropped = self.ctx.get("uptime-kuma").drop_connections()
        logger.info(f"Dropped {dropped} Uptime Kuma connection(s)")
        return dropped

    @keyword(tags=["uptime-kuma"])
    def get_uptime_kuma_logged_in_clients(self) -> int:
        """Returns how many Socket.IO clients are connected and logged in right now."""
        return self.ctx.get("uptime-kuma").logged_in_clients

    # -- Overseerr ------------------------------------------------------------------------------
    @keyword(tags=["overseerr"])
    def create_overseerr_request(self, media_type: MediaType, media_id: int,
                                 status: RequestStatus = "pending") -> dict:
        """Stores a media request in the Overseerr mock as ``POST /request`` would; returns it.

        ``media_id`` is a TMDB id of the mock's catalogue (e.g. movie ``603``).

        | ${request} =    `Create Overseerr Request`    movie    603
        | Should Be Equal As Integers    ${request}[media][tmdbId]    603
        """
        try:
            return self.ctx.get("overseerr").add_request(media_type, media_id, status=REQUEST_STATUS_CODES[status])
        except ValueError as exc:
            raise AssertionError(f"Cannot create the {media_type} {media_id} request: {exc}") from None

    @keyword(tags=["overseerr"])
    def get_overseerr_mock_requests(self) -> list[dict]:
        """Returns every request the Overseerr mock holds, oldest first, as ``GET /request/{id}`` shows them.

        | ${held} =    `Get Overseerr Mock Requests`
        | Length Should Be    ${held}    1
        """
        return self.ctx.get("overseerr").requests

    @keyword(tags=["overseerr"])
    def send_overseerr_webhook(self, url: str, notification_type: str, request_id: int | None = None,
                               authorization: Secret | str | None = None, expected_status: int | str = "2xx",
                               timeout: timedelta | None = None) -> Any:
        """Makes the Overseerr mock POST a ``notification_type`` notification to ``url``; returns the delivery.

        Media notifications (``MEDIA_APPROVED`` ...) describe the stored request
        ``request_id``, first put in the state Overseerr sends them in
        (``MEDIA_APPROVED`` approves it, so its media is ``PROCESSING``;
        ``MEDIA_AVAILABLE`` makes its media ``AVAILABLE``; ``MEDIA_DECLINED``
        declines it); ``TEST_NOTIFICATION`` needs none. The delivery's ``url``
        and ``error`` hide credentials in the URL. ``authorization`` is the
        ``Authorization`` header value (a ``Secret`` is best: it is never logged).
        The answer must have ``expected_status`` (default any 2xx; ``any`` = no
        check). ``timeout`` bounds the POST (default: the library's). The
        delivery has ``status_code``, ``payload``, ``error`` and ``response_text``.

        | ${delivery} =    `Send Overseerr Webhook`    ${url}    MEDIA_APPROVED    request_id=${request}[id]
        | `Send Overseerr Webhook`    ${url}    TEST_NOTIFICATION    authorization=${secret}    expected_status=401
        """
        try:
            delivery = self.ctx.get("overseerr").send_webhook(url, notification_type, request_id=request_id,
                                                              authorization=reveal(authorization),
                                                              timeout=seconds(self.ctx.timeout_or_default(timeout)))
        except ValueError as exc:
            raise AssertionError(f"Cannot send the {notification_type} webhook: {exc}") from None
        logger.info(f"Overseerr webhook {notification_type} -> {delivery.status_code} "
                    f"{delivery.error or ''} {delivery.response_text[:500]}")
        expected = str(expected_status).lower()
        if expected == "any":
            return delivery
        code = delivery.status_code
        ok = (code is not None and 200 <= code < 300) if expected == "2xx" else str(code) == expected
        if not ok:
            raise AssertionError(f"Webhook {notification_type} to {delivery.url} answered {code} "
                                 f"({delivery.error or delivery.response_text[:300]!r}), expected {expected_status}.")
        return delivery
