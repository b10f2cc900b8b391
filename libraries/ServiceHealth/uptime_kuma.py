"""Keywords that drive the Uptime Kuma client (the code under test) against the mock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret

from atest_support.credentials import credential
from atest_support.clock import companion_clock
from atest_support.settings import TestSettings
from atest_support.waiting import seconds, wait_until

from .context import HealthContext, robot_variable
from .story import uptime_kuma_event

MonitorState = Literal["up", "down", "pending", "maintenance"]


class UptimeKumaKeywords:
    """Connect, log in, and read the monitors the way the app's Uptime Kuma client sees them."""

    def __init__(self, context: HealthContext) -> None:
        self.ctx = context

    def _new_client(self, url: str | None, username: str | None, password: Secret | str | None,
                    timeout: timedelta | None) -> Any:
        from companion.uptime_kuma import UptimeKumaClient

        url = url or robot_variable("${UPTIME_KUMA_URL}")
        if not url:
            raise AssertionError("No Uptime Kuma URL: give url=... or start the mock first "
                                 "('Start Mock Service    uptime-kuma' sets ${UPTIME_KUMA_URL}).")
        return UptimeKumaClient(url, credential(username, "uptime_kuma_username"),
                                credential(password, "uptime_kuma_password"),
                                settings=TestSettings().as_client_settings(), clock=companion_clock(),
                                connect_timeout=seconds(self.ctx.timeout_or_default(timeout)),
                                on_event=uptime_kuma_event)

    @keyword(tags=["uptime-kuma"])
    def connect_to_uptime_kuma(self, url: str | None = None, username: str | None = None,
                               password: Secret | str | None = None, timeout: timedelta | None = None) -> None:
        """Connects the Uptime Kuma client over Socket.IO and logs in; fails if either does not work.

        ``url`` defaults to ``${UPTIME_KUMA_URL}`` (set by `Start Mock Service`),
        ``username`` / ``password`` to the mock's (``mockservers.credentials``;
        give another password as a ``Secret``: never logged), ``timeout`` to the
        library's. The client reconnects by itself with the production backoff
        (about 1 s, doubling up to 30 s, seeded jitter) on the process's clock:
        a test lets the wait pass with `Advance Time By` (or waits it out in
        real time). Returns once the server's first pushes have arrived too (the
        monitor list and a heartbeat per monitor), so a status service reading
        Uptime Kuma right after sees every monitor. A status service created
        with `Create Status Service` uses this client. A previous client is
        closed first.

        | `Connect To Uptime Kuma`
        | `Connect To Uptime Kuma`    ${url}    username=viewer    password=${VIEWER_PASSWORD}    timeout=3s
        """
        from companion.errors import IntegrationError

        self.ctx.close_kuma()
        client = self._new_client(url, username, password, timeout)
        try:
            client.connect()
        except IntegrationError as exc:
            raise AssertionError(f"Connecting to Uptime Kuma at {client.url} failed: {exc}") from None
        self.ctx.kuma = client
        if self.ctx.status is not None:
            self.ctx.status.uptime_kuma = client

        def initial_state() -> dict:
            return {mid: client.latest_heartbeat(mid) is not None for mid in client.monitors}

        wait_until(initial_state, lambda seen: bool(seen) and all(seen.values()),
                   what="The monitor list and heartbeats Uptime Kuma pushes after the login (monitor id: heartbeat "
                        "received)", expected="all received", timeout=self.ctx.timeout_or_default(timeout))
        logger.info(f"Logged in to Uptime Kuma at {client.url} as {client.username!r}; "
                    f"{len(client.monitors)} monitor(s) with their heartbeats received")

    @keyword(tags=["uptime-kuma"])
    def uptime_kuma_login_should_be_rejected(self, url: str | None = None, username: str | None = None,
                                             password: Secret | str | None = None, message: str = "",
                                             timeout: timedelta | None = None) -> str:
        """Fails unless logging in to Uptime Kuma fails with an authentication error; returns its message.

        Arguments default as in `Connect To Uptime Kuma`. ``message`` (optional)
        must be part of the error, which must not contain the password. The
        client is left closed: a rejected login is not retried.

        | ${error} =    `Uptime Kuma Login Should Be Rejected`    password=wrong
        | `Uptime Kuma Login Should Be Rejected`    message=Incorrect username or password
        """
        from companion.errors import AuthenticationError, IntegrationError

        client = self._new_client(url, username, password, timeout)
        try:
            client.connect()
        except AuthenticationError as exc:
            error = str(exc)
        except IntegrationError as exc:
            raise AssertionError(f"Expected the login to be rejected, but it failed otherwise: "
                                 f"{type(exc).__name__}: {exc}") from None
        else:
            client.close()
            raise AssertionError(f"Expected Uptime Kuma at {client.url} to reject the login of "
                                 f"{client.username!r}, but it was accepted.")
        plain = credential(password, "uptime_kuma_password")
        if plain and plain != client.username and plain in error:
            raise AssertionError("The login error message contains the password.")
        if message and message not in error:
            raise AssertionError(f"Login error {error!r} does not contain {message!r}.")
        logger.info(f"Login rejected as expected: {error}")
        return error

    @keyword(tags=["uptime-kuma"])
    def disconnect_from_uptime_kuma(self) -> None:
        """Closes the Uptime Kuma client (no error when none is connected)."""
        self.ctx.close_kuma()

    @keyword(tags=["uptime-kuma"])
    def wait_until_uptime_kuma_client_is_live(self, timeout: timedelta | None = None) -> None:
        """Waits until the client is connected and logged in (e.g. after a dropped connection).

        | `Wait Until Uptime Kuma Client Is Live`    timeout=10s
        """
        kuma = self.ctx.require_kuma()
        wait_until(lambda: kuma.is_live, bool, what="The Uptime Kuma client", expected="connected and logged in",
                   timeout=self.ctx.timeout_or_default(timeout))

    @keyword(tags=["uptime-kuma"])
    def wait_until_uptime_kuma_client_has_been_disconnected(self, times: int = 1,
                                                            timeout: timedelta | None = None) -> None:
        """Waits until the client has seen its connection end at least ``times`` times in all.

        After a server-side drop this is the moment its reconnect wait starts:
        moving the clock from here on lets that wait pass (see `Advance Time By`).

        | `Drop Uptime Kuma Connections`
        | `Wait Until Uptime Kuma Client Has Been Disconnected`
        | `Advance Time By`    1s
        """
        kuma = self.ctx.require_kuma()
        wait_until(lambda: kuma.counters()["disconnects"], lambda seen: seen >= times,
                   what="The Uptime Kuma client's disconnects", expected=f"at least {times}",
                   timeout=self.ctx.timeout_or_default(timeout))

    @keyword(tags=["uptime-kuma"])
    def uptime_kuma_client_should_be_live(self) -> None:
        """Fails unless the client is connected and logged in right now."""
        kuma = self.ctx.require_kuma()
        if not kuma.is_live:
            raise AssertionError(f"The Uptime Kuma client is not live: connected={kuma.is_connected}, "
                                 f"logged in={kuma.is_logged_in}, last disconnect: {kuma.last_disconnect_reason}")

    @keyword(tags=["uptime-kuma"])
    def get_uptime_kuma_monitor_names(self, timeout: timedelta | None = None) -> list[str]:
        """Returns the monitor names the client received, in id order.

        Waits up to ``timeout`` (default: the library's) for the monitor list,
        which the server pushes right after the login.

        | ${names} =    `Get Uptime Kuma Monitor Names`
        | Should Be Equal    ${names}    ${{["Plex", "Overseerr", "Tautulli"]}}
        """
        kuma = self.ctx.require_kuma()
        monitors = wait_until(lambda: kuma.monitors, bool, what="The client's monitor list",
                              expected="non-empty", timeout=self.ctx.timeout_or_default(timeout))
        return [str(monitors[mid].get("name")) for mid in sorted(monitors)]

    @keyword(tags=["uptime-kuma"])
    def wait_until_uptime_kuma_client_sees_monitor(self, monitor: str, status: MonitorState,
                                                   timeout: timedelta | None = None) -> None:
        """Waits until the client's latest heartbeat for ``monitor`` (name or id) has ``status``.

        Heartbeats are pushed over Socket.IO, so they arrive a moment after
        the mock sends them. ``timeout`` defaults to the library's.

        | `Wait Until Uptime Kuma Client Sees Monitor`    Plex    down
        """
        kuma = self.ctx.require_kuma()

        def probe() -> str | None:
            return kuma.monitor_status(monitor)

        wait_until(probe, lambda seen: seen == status, what=f"Monitor {monitor!r} as seen by the client",
                   expected=status, timeout=self.ctx.timeout_or_default(timeout))

    @keyword(tags=["uptime-kuma"])
    def get_uptime_kuma_client_heartbeat_count(self) -> int:
        """Returns how many ``heartbeat`` events the client has received since it connected."""
        return self.ctx.require_kuma().event_counts.get("heartbeat", 0)

    @keyword(tags=["uptime-kuma"])
    def wait_until_uptime_kuma_client_has_received_heartbeats(self, count: int,
                                                              timeout: timedelta | None = None) -> None:
        """Waits until the client has received at least ``count`` ``heartbeat`` events since it connected.

        The mock repeats every monitor's status once per heartbeat interval (60 s
        of the test clock) and pushes it over Socket.IO, so the events arrive a
        moment after the clock passed the interval. ``timeout`` defaults to the
        library's.

        | ${seen} =    `Get Uptime Kuma Client Heartbeat Count`
        | `Advance Time By`    60s
        | `Wait Until Uptime Kuma Client Has Received Heartbeats`    ${{ $seen + 3 }}
        """
        kuma = self.ctx.require_kuma()
        wait_until(lambda: kuma.event_counts.get("heartbeat", 0), lambda seen: seen >= count,
                   what="The heartbeats the Uptime Kuma client received", expected=f"at least {count}",
                   timeout=self.ctx.timeout_or_default(timeout))

    @keyword(tags=["uptime-kuma"])
    def get_uptime_kuma_client_counters(self) -> dict[str, int]:
        """Returns the client's ``reconnects``, ``logins``, ``login_failures`` and ``disconnects`` counters."""
        counters = self.ctx.require_kuma().counters()
        logger.info(f"Uptime Kuma client counters: {counters}")
        return counters

    @keyword(tags=["uptime-kuma"])
    def wait_until_uptime_kuma_client_has_reconnected(self, times: int = 1, timeout: timedelta | None = None) -> None:
        """Waits until the client has reconnected and logged in again at least ``times`` times.

        ``timeout`` defaults to the library's.

        | `Drop Uptime Kuma Connections`
        | `Wait Until Uptime Kuma Client Has Reconnected`
        """
        kuma = self.ctx.require_kuma()

        def probe() -> dict[str, int]:
            return {**kuma.counters(), "live": int(kuma.is_live)}

        wait_until(probe, lambda c: c["reconnects"] >= times and c["logins"] > times and c["live"],
                   what="The Uptime Kuma client", expected=f"reconnected and logged in again ({times}x)",
                   timeout=self.ctx.timeout_or_default(timeout))
