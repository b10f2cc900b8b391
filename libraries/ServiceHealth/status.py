"""Keywords around the status service: build it, switch Uptime Kuma on/off, check verdicts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret

from atest_support.clock import companion_clock
from atest_support.credentials import credential
from atest_support.settings import TestSettings
from atest_support.waiting import seconds, wait_until

from .context import HealthContext, media_clients_library, robot_variable

ServiceName = Literal["plex", "plextv", "overseerr", "uptime-kuma"]
Verdict = Literal["up", "down", "degraded"]
Source = Literal["uptime-kuma", "poll"]
ClientOrigin = Literal["MediaClients", "own"]


class StatusKeywords:
    """The status service as the dashboard uses it: one verdict per service, with its source."""

    def __init__(self, context: HealthContext) -> None:
        self.ctx = context

    # -- building -------------------------------------------------------------------------
    @staticmethod
    def _borrow_media_clients() -> dict[str, Any]:
        library = media_clients_library()
        if library is None:
            raise AssertionError("Create Status Service uses the clients of the MediaClients library, which this "
                                 "suite does not import: import it (and create the clients with 'Create Plex "
                                 "Client' / 'Create Overseerr Client'), or give clients=own.")
        # MediaClients' ``plex`` / ``overseerr`` / ``sign_in`` are None when none was created in this test
        sign_in = getattr(library, "sign_in", None)
        if library.plex is None and library.overseerr is None and sign_in is None:
            raise AssertionError("The status service is built on this test's Plex and Overseerr clients, and "
                                 "there are none yet: call 'Create Plex Client' and/or 'Create Overseerr Client' "
                                 "first (or give clients=own).")
        return {"plex": library.plex, "overseerr": library.overseerr, "plextv": sign_in, "breakers": library.breakers}

    def _build_own(self, plex_url: str | None, overseerr_url: str | None, plex_token: Secret | str | None,
                   api_key: Secret | str | None) -> dict[str, Any]:
        from companion import CircuitBreakerFactory, OverseerrClient, PlexClient

        settings, clock = TestSettings().as_client_settings(), companion_clock()
        breakers = CircuitBreakerFactory(clock=clock)  # fresh per status service: no state carried over
        plex = (PlexClient(plex_url, credential(plex_token, "plex_token"), settings=settings, breakers=breakers,
                           clock=clock) if plex_url else None)
        overseerr = (OverseerrClient(overseerr_url, credential(api_key, "overseerr_api_key"), settings=settings,
                                     breakers=breakers, clock=clock) if overseerr_url else None)
        self.ctx.own_clients = [c for c in (plex, overseerr) if c is not None]
        return {"plex": plex, "overseerr": overseerr, "breakers": breakers}

    @keyword(tags=["status"])
    def create_status_service(self, use_uptime_kuma: bool = True, clients: ClientOrigin = "MediaClients",
                              slow_threshold: timedelta = timedelta(seconds=1), *, plex_url: str | None = None,
                              overseerr_url: str | None = None, plex_token: Secret | str | None = None,
                              api_key: Secret | str | None = None) -> None:
        """Builds the status service the dashboard reads (replacing a previous one).

        Where its Plex / Overseerr clients come from (``clients``):

        - ``MediaClients`` (default): the clients and the breaker registry of
          the imported ``MediaClients`` library in this test, so a breaker a
          test opens through them shows on the dashboard. With a sign-in with
          Plex (`Create Plex Sign-In`), plex.tv is reported too, as ``plextv``
          (polled: the account read with the token kept; not signed in, or a
          refused token, is ``down`` saying "sign in again"). Create the clients
          first (`Create Plex Client` ...); they, and so this status service,
          live until the end of the test. Without them the keyword fails and
          says what to call;
        - ``own``: new clients built here from ``plex_url`` / ``overseerr_url``
          (default ``${PLEX_URL}`` / ``${OVERSEERR_URL}`` when those mocks run)
          with the test settings of ``atest_support.settings`` and a breaker
          registry of their own; ``plex_token`` / ``api_key`` default to the
          mocks' credentials (give others as ``Secret``). A service without a
          URL is not reported.

        The Uptime Kuma client connected with `Connect To Uptime Kuma` is used
        when ``use_uptime_kuma`` is true; otherwise every service is polled.
        See `Status rules` for the verdicts.

        | `Create Status Service`
        | `Create Status Service`    use_uptime_kuma=${False}
        | `Create Status Service`    clients=own    plex_url=${PLEX_URL}
        """
        from companion.status import StatusService

        self.ctx.close_status()
        if clients == "MediaClients":
            if plex_url or overseerr_url or plex_token or api_key:
                raise AssertionError("URLs and credentials are for clients=own; with clients=MediaClients they "
                                     "come from 'Create Plex Client' / 'Create Overseerr Client'.")
            parts = self._borrow_media_clients()
        else:
            parts = self._build_own(plex_url or robot_variable("${PLEX_URL}"),
                                    overseerr_url or robot_variable("${OVERSEERR_URL}"), plex_token, api_key)
        self.ctx.breakers = parts["breakers"]
        self.ctx.status = StatusService(plex=parts["plex"], overseerr=parts["overseerr"], plextv=parts.get("plextv"),
                                        uptime_kuma=self.ctx.kuma, breakers=parts["breakers"],
                                        use_uptime_kuma=use_uptime_kuma,
                                        slow_threshold_ms=seconds(slow_threshold) * 1000, clock=companion_clock())
        self.ctx.status_clients_owner = clients
        logger.info(f"Status service reports {', '.join(self.ctx.status.services) or 'nothing'} "
                    f"(clients: {clients}, Uptime Kuma {'on' if use_uptime_kuma else 'off'})")

    @keyword(tags=["status"])
    def use_uptime_kuma_for_status(self, enabled: bool) -> None:
        """Switches the status service's Uptime Kuma source on or off (off = every service is polled).

        | `Use Uptime Kuma For Status`    ${False}
        """
        self.ctx.require_status().use_uptime_kuma = enabled

    @keyword(tags=["status"])
    def reset_service_health(self) -> None:
        """Per-test reset: breakers closed and zeroed, client caches cleared, Uptime Kuma source back on.

        Only what this library built or borrowed is reset; the dashboard's webhook
        inbox is cleared too.
        """
        if self.ctx.breakers is not None:
            self.ctx.breakers.reset_all()
        status = self.ctx.status
        if status is not None:
            status.use_uptime_kuma = True
            for client in status.clients.values():
                if client is not None and hasattr(client, "clear_cache"):
                    client.clear_cache()
        if self.ctx.dashboard is not None and self.ctx.dashboard.inbox is not None:
            self.ctx.dashboard.inbox.clear()

    # -- reading ------------------------------------------------------------------------------
    def _status(self, service: str) -> dict[str, Any]:
        """One status check of ``service`` (recorded on the test's resilience timeline when it changed)."""
        entry = self.ctx.require_status().get_status(service)
        self.ctx.status_story.seen([entry])
        return entry

    @keyword(tags=["status"])
    def get_service_status(self, service: ServiceName) -> dict[str, Any]:
        """Returns one status entry of ``service``.

        Keys: ``name``, ``status``, ``response_time_ms``, ``last_check``, ``source``, ``message``.

        | ${status} =    `Get Service Status`    plex
        | Should Be Equal    ${status}[source]    poll
        """
        entry = self._status(service)
        logger.info(f"Status of {service}: {entry}")
        return entry

    @keyword(tags=["status"])
    def get_all_service_statuses(self) -> list[dict[str, Any]]:
        """Returns the status of every configured service (what the dashboard lists)."""
        statuses = self.ctx.require_status().get_all_statuses()
        self.ctx.status_story.seen(statuses)
        logger.info("\n".join(f"{s['name']}: {s['status']} ({s['source']}) {s['message']}" for s in statuses))
        return statuses

    @keyword(tags=["status"])
    def wait_until_service_status_is(self, service: ServiceName, status: Verdict, source: Source | None = None,
                                     message: str | None = None, timeout: timedelta | None = None) -> dict:
        """Waits until the status service reports ``service`` as ``status`` (from ``source``, if given).

        Polls every 50 ms; each poll is a real status check (an Uptime Kuma read, or
        a health call through the client when polling). ``message`` must be part of
        the entry's message. ``timeout`` defaults to the library's. Returns the
        matching entry.

        | `Wait Until Service Status Is`    plex    down
        | `Wait Until Service Status Is`    overseerr    up    source=poll    timeout=10s
        """
        self.ctx.require_status()

        def accept(entry: dict) -> bool:
            return (entry["status"] == status and (source is None or entry["source"] == source)
                    and (message is None or message in str(entry["message"])))

        expected = status + (f" (source {source})" if source else "") + (f" with {message!r}" if message else "")
        entry = wait_until(lambda: self._status(service), accept, what=f"Status of {service}",
                           expected=expected, timeout=self.ctx.timeout_or_default(timeout))
        logger.info(f"Status of {service}: {entry}")
        return entry

    @keyword(tags=["status"])
    def status_source_should_be(self, service: ServiceName, source: Source) -> None:
        """Fails unless the status of ``service`` comes from ``source`` right now (one check, no waiting)."""
        entry = self._status(service)
        if entry["source"] != source:
            raise AssertionError(f"Status of {service} came from {entry['source']!r}, expected {source!r}: {entry}")
