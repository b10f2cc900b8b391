"""Fixtures for the timeline tests: one VirtualClock shared by the mocks, the breakers and the timeline."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from companion import CircuitBreakerFactory, ClientSettings, PlexClient
from mockservers import PlexMock
from mockservers.core.clock import VirtualClock
from ResilienceTimeline.context import TimelineContext


def settings(**overrides: Any) -> ClientSettings:
    """Production-like breaker (3 failures, 30 s reset), millisecond retries, no fresh cache."""
    options: dict[str, Any] = dict(connect_timeout_s=0.5, read_timeout_s=0.5, retry_attempts=2,
                                   retry_initial_backoff_s=0.001, retry_max_backoff_s=0.002, retry_max_total_s=2.0,
                                   retry_seed=1, cache_ttl_s=0, fail_max=3, reset_timeout_s=30.0)
    options.update(overrides)
    return ClientSettings(**options)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def plex(clock) -> Iterator[PlexMock]:
    with PlexMock(token="mock-token", clock=clock) as mock:
        yield mock


@pytest.fixture
def breakers(clock) -> CircuitBreakerFactory:
    return CircuitBreakerFactory(clock=clock)


@pytest.fixture
def plex_client(plex, breakers, clock) -> Iterator[PlexClient]:
    client = PlexClient(plex.url, "mock-token", settings=settings(), breakers=breakers, clock=clock)
    yield client
    client.close()


@pytest.fixture
def context(clock, plex, breakers, plex_client) -> Iterator[TimelineContext]:
    """A timeline context watching the Plex mock and the breakers, begun (as at a test's start)."""
    ctx = TimelineContext(clock=clock)
    ctx.watch_mock("plex", plex)
    ctx.watch_breakers(breakers)
    ctx.begin("pytest")
    yield ctx
    ctx.close()


def fail_calls(call: Callable[[], Any], times: int) -> list[str]:
    """Make ``times`` calls expected to fail; the errors' class names."""
    errors = []
    for _ in range(times):
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - the class is what the test checks
            errors.append(type(exc).__name__)
        else:
            errors.append("no error")
    return errors


@pytest.fixture(autouse=True)
def no_timeline_left_running() -> Iterator[None]:
    """Each test starts with no running timeline and leaves none (the active one is process-wide)."""
    from ResilienceTimeline import context as timeline_context

    timeline_context._ACTIVE = None
    yield
    timeline_context._ACTIVE = None
