"""Test data: a Plex and an Overseerr mock, a PlexClient and its breakers on one VirtualClock, handed to
ResilienceTimeline through its Python API (``watch_mock``, ``watch_breakers``, ``use_clock``, ``observe_call``)."""

from __future__ import annotations

import inspect

from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn

from companion import CircuitBreakerFactory, ClientSettings, PlexClient
from mockservers import OverseerrMock, PlexMock
from mockservers.core.clock import VirtualClock


def _with_clock(cls, clock, **kwargs):
    """``cls(**kwargs, clock=clock)`` when the class takes a clock yet."""
    if "clock" in inspect.signature(cls).parameters:
        kwargs["clock"] = clock
    return cls(**kwargs)


@library(scope="SUITE", auto_keywords=False)
class TimelineDemo:
    """Services for the timeline's example suite."""

    def __init__(self) -> None:
        self.clock = VirtualClock()
        self.mocks: dict = {}
        self.breakers = None
        self.plex = None

    @keyword
    def start_demo_services(self) -> None:
        """Starts the Plex and Overseerr mocks, a Plex client (3 failures open its breaker for 30 s)."""
        self.mocks = {"plex": PlexMock(clock=self.clock).start(), "overseerr": OverseerrMock(clock=self.clock).start()}
        self.breakers = _with_clock(CircuitBreakerFactory, self.clock)
        settings = ClientSettings(connect_timeout_s=0.5, read_timeout_s=0.5, retry_attempts=2,
                                  retry_initial_backoff_s=0.001, retry_max_backoff_s=0.002, retry_seed=1,
                                  cache_ttl_s=0, fail_max=3, reset_timeout_s=30)
        self.plex = _with_clock(PlexClient, self.clock, base_url=self.mocks["plex"].url, token="mock-token",
                                settings=settings, breakers=self.breakers)
        timeline = BuiltIn().get_library_instance("ResilienceTimeline")
        timeline.use_clock(self.clock)
        for service, mock in self.mocks.items():
            timeline.watch_mock(service, mock)
        timeline.watch_breakers(self.breakers)

    @keyword
    def stop_demo_services(self) -> None:
        """Stops what `Start Demo Services` started."""
        if self.plex is not None:
            self.plex.close()
        for mock in self.mocks.values():
            mock.stop()

    @keyword
    def reset_demo_services(self) -> None:
        """Clears the mocks' faults and closes the breakers."""
        for mock in self.mocks.values():
            mock.faults.clear()
        self.breakers.reset_all()
        self.breakers.configure("plex", reset_timeout=30)
        self.plex.clear_cache()

    @keyword("Plex Answers Every Request With 503 For ${seconds:\\d+} Seconds")
    def plex_answers_every_request_with_503(self, seconds: int) -> None:
        """Starts a Plex outage that ends by itself ``seconds`` later on the clock."""
        self.mocks["plex"].faults.set_outage(duration_s=int(seconds))

    @keyword("Plex Libraries Are Read ${times:\\d+ Times?}")
    def plex_libraries_are_read(self, times: str) -> None:
        """Reads the libraries ``times`` times through ResilienceTimeline's ``observe_call`` (errors ignored)."""
        timeline = BuiltIn().get_library_instance("ResilienceTimeline")
        for _ in range(int(times.split()[0])):
            try:
                timeline.observe_call("plex", "get_libraries", self.plex.get_libraries)
            except Exception:  # noqa: BLE001 - the timeline records what happened
                pass

    @keyword("${seconds:\\d+} Seconds Pass")
    def seconds_pass(self, seconds: int) -> None:
        """Moves the clock; a breaker not yet on the clock gets its reset timeout passed through ``configure``."""
        self.clock.advance(int(seconds))
        if "clock" not in inspect.signature(CircuitBreakerFactory).parameters:
            breaker = self.breakers.get("plex")
            if breaker.metrics()["opened_at"] and int(seconds) >= 30:
                breaker.configure(reset_timeout=1e-6)
