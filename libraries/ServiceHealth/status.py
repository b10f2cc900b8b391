"""Keywords around the status service: build it, switch Uptime Kuma on/off, check verdicts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from robot.api import logger
from robot.api.deco import keyword

from atest_support.waiting import seconds, wait_until
from companion.status import StatusService

from .context import HealthContext, media_clients_library, robot_variable

ServiceName = Literal["plex", "overseerr", "uptime-kuma"]
Verdict = Literal["up", "down", "degraded"]
Source = Literal["uptime-kuma", "poll"]
ClientOrigin = Literal["auto", "MediaClients", "own"]

#: resilience settings of the clients this library builds itself: small, so tests stay short
TEST_SETTINGS = {"connect_timeout_s": 1.0, "read_timeout_s": 2.0, "retry_attempts": 2,
                 "retry_initial_backoff_s": 0.05, "retry_max_backoff_s": 0.2, "retry_max_total_s": 2.0,
                 "cache_ttl_s": 60.0, "fail_max": 3, "reset_timeout_s": 60.0, "success_threshold": 1}


class StatusKeywords:
    """The status service as the dashboard uses it: one verdict per service, with its source."""

    def __init__(self, context: HealthContext) -> None:
        self.ctx = context

    # -- building -------------------------------------------------------------------------
    def _borrow_media_clients(self) -> dict[str, Any] | None:
        library = media_clients_library()
        if library is None:
            return None
        # MediaClients' ``plex`` / ``overseerr`` are None when no client was created in this test
        found = {"plex": library.plex, "overseerr": library.overseerr, "breakers": library.breakers}
        if found["plex"] is None and found["overseerr"] is None:
            return None
        return found

    def _build_own(self, plex_url: str | None, overseerr_url: str | None, plex_token: str,
                   api_key: str) -> dict[str, Any]:
        from companion import CircuitBreakerFactory, ClientSettings, OverseerrClient, PlexClient

        settings = ClientSettings(**TEST_SETTINGS)
        breakers = CircuitBreakerFactory()  # fresh per status service: no state carried over
        plex = PlexClient(plex_url, plex_token, settings=settings, breakers=breakers) if plex_url else None
        overseerr = (OverseerrClient(overseerr_url, api_key, settings=settings, breakers=breakers)
                     if overseerr_url else None)
        self.ctx.own_clients = [c for c in (plex, overseerr) if c is not None]
        return {"plex": plex, "overseerr": overseerr, "breakers": breakers}

    @keyword
    def create_status_service(self, plex_url: str | None = None, overseerr_url: str | None = None,
                              use_uptime_kuma: bool = True, clients: ClientOrigin = "auto",
                              slow_threshold: timedelta = timedelta(seconds=1), plex_token: str = "mock-token",
                              api_key: str = "mock-api-key") -> None:
        """Builds the status service the dashboard reads (replacing a previous one).

        Where its Plex / Overseerr clients come from (``clients``):

        - ``MediaClients``: the clients and breakers of the imported
          ``MediaClients`` library (its settings, its breaker registry). That
          library's clients live for one test: create them (``Create Plex Client``
          ...) and then this status service in the same test;
        - ``own``: new clients built here from ``plex_url`` / ``overseerr_url``
          (default ``${PLEX_URL}`` / ``${OVERSEERR_URL}`` when those mocks run),
          with small test settings (2 attempts, breaker opens after 3 failed calls);
        - ``auto`` (default): ``MediaClients`` when that library is imported and
          no URL is given, else ``own``.

        A service without a URL (and no mock running) is not reported.
        The Uptime Kuma client connected with `Connect To Uptime Kuma` is used
        when ``use_uptime_kuma`` is true; otherwise every service is polled.

        | `Create Status Service`
        | `Create Status Service`    plex_url=${PLEX_URL}    use_uptime_kuma=${False}
        """
        self.ctx.close_status()
        parts = None
        if clients in ("auto", "MediaClients") and not (plex_url or overseerr_url):
            parts = self._borrow_media_clients()
            if parts is None and clients == "MediaClients":
                raise AssertionError("clients=MediaClients, but the MediaClients library is not imported "
                                     "or has no Plex/Overseerr client.")
        origin = "MediaClients"
        if parts is None:
            origin = "own"
            parts = self._build_own(plex_url or robot_variable("${PLEX_URL}"),
                                    overseerr_url or robot_variable("${OVERSEERR_URL}"), plex_token, api_key)
        if parts["breakers"] is not None:
            self.ctx.breakers = parts["breakers"]
        self.ctx.status = StatusService(plex=parts["plex"], overseerr=parts["overseerr"], uptime_kuma=self.ctx.kuma,
                                        breakers=parts["breakers"], use_uptime_kuma=use_uptime_kuma,
                                        slow_threshold_ms=seconds(slow_threshold) * 1000)
        self.ctx.status_clients_owner = origin
        logger.info(f"Status service reports {', '.join(self.ctx.status.services) or 'nothing'} "
                    f"(clients: {origin}, Uptime Kuma {'on' if use_uptime_kuma else 'off'})")

    @keyword
    def use_uptime_kuma_for_status(self, enabled: bool) -> None:
        """Switches the status service's Uptime Kuma source on or off (off = every service is polled).

        | `Use Uptime Kuma For Status`    ${False}
        """
        self.ctx.require_status().use_uptime_kuma = enabled

    @keyword
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
    @keyword
    def get_service_status(self, service: ServiceName) -> dict[str, Any]:
        """Returns one status entry of ``service``.

        Keys: ``name``, ``status``, ``response_time_ms``, ``last_check``, ``source``, ``message``.

        | ${status} =    `Get Service Status`    plex
        | Should Be Equal    ${status}[source]    poll
        """
        entry = self.ctx.require_status().get_status(service)
        logger.info(f"Status of {service}: {entry}")
        return entry

    @keyword
    def get_all_service_statuses(self) -> list[dict[str, Any]]:
        """Returns the status of every configured service (what the dashboard lists)."""
        statuses = self.ctx.require_status().get_all_statuses()
        logger.info("\n".join(f"{s['name']}: {s['status']} ({s['source']}) {s['message']}" for s in statuses))
        return statuses

    @keyword
    def service_status_should_be(self, service: ServiceName, status: Verdict, source: Source | None = None,
                                 message: str | None = None, timeout: timedelta = timedelta(seconds=5)) -> dict:
        """Waits until the status service reports ``service`` as ``status`` (from ``source``, if given).

        Polls every 50 ms; each poll is a real status check (an Uptime Kuma read, or
        a health call through the client when polling). ``message`` must be part of
        the entry's message. Returns the matching entry.

        | `Service Status Should Be`    plex    down
        | `Service Status Should Be`    overseerr    up    source=poll    timeout=10s
        """
        service_status = self.ctx.require_status()

        def accept(entry: dict) -> bool:
            return (entry["status"] == status and (source is None or entry["source"] == source)
                    and (message is None or message in str(entry["message"])))

        expected = status + (f" (source {source})" if source else "") + (f" with {message!r}" if message else "")
        entry = wait_until(lambda: service_status.get_status(service), accept, what=f"Status of {service}",
                           expected=expected, timeout=timeout)
        logger.info(f"Status of {service}: {entry}")
        return entry

    @keyword
    def status_source_should_be(self, service: ServiceName, source: Source) -> None:
        """Fails unless the status of ``service`` comes from ``source`` right now (one check, no waiting)."""
        entry = self.ctx.require_status().get_status(service)
        if entry["source"] != source:
            raise AssertionError(f"Status of {service} came from {entry['source']!r}, expected {source!r}: {entry}")

    @keyword
    def circuit_breaker_state_should_be(self, service: str, state: Literal["closed", "open", "half-open"]) -> None:
        """Fails unless the breaker of ``service`` (as registered) is in ``state`` (effective state)."""
        if self.ctx.breakers is None:
            raise AssertionError("No circuit breakers: create the status service first.")
        metrics = self.ctx.breakers.all_metrics()
        if service not in metrics:
            raise AssertionError(f"No breaker {service!r}; known: {', '.join(metrics) or 'none'}")
        if metrics[service]["state"] != state:
            raise AssertionError(f"Breaker {service!r} is {metrics[service]['state']}, expected {state}: "
                                 f"{metrics[service]}")
