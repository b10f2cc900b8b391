"""Fixtures for the client tests: in-process mocks on free ports and test-sized client settings."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from companion import CircuitBreakerFactory, ClientSettings, OverseerrClient, PlexClient


def fast_settings(**overrides: Any) -> ClientSettings:
    """Small timeouts and backoffs so that every failure path takes milliseconds."""
    options: dict[str, Any] = dict(connect_timeout_s=0.5, read_timeout_s=0.5, retry_attempts=3,
                                   retry_initial_backoff_s=0.01, retry_max_backoff_s=0.02, retry_max_total_s=3.0,
                                   retry_seed=1, cache_ttl_s=60.0, fail_max=3, reset_timeout_s=0.2,
                                   success_threshold=1)
    options.update(overrides)
    return ClientSettings(**options)


@pytest.fixture
def settings() -> Callable[..., ClientSettings]:
    return fast_settings


@pytest.fixture
def breakers() -> CircuitBreakerFactory:
    return CircuitBreakerFactory()


@pytest.fixture
def make_plex(plex_mock, breakers, request) -> Callable[..., PlexClient]:
    """PlexClient against the mock; keyword arguments override the fast settings. Closed at teardown."""
    def make(token: str = "mock-token", **overrides: Any) -> PlexClient:
        client = PlexClient(plex_mock.url, token, settings=fast_settings(**overrides), breakers=breakers)
        request.addfinalizer(client.close)
        return client

    return make


@pytest.fixture
def make_overseerr(overseerr_mock, breakers, request) -> Callable[..., OverseerrClient]:
    """OverseerrClient against the mock; keyword arguments override the fast settings. Closed at teardown."""
    def make(api_key: str = "mock-api-key", **overrides: Any) -> OverseerrClient:
        client = OverseerrClient(overseerr_mock.url, api_key, settings=fast_settings(**overrides), breakers=breakers)
        request.addfinalizer(client.close)
        return client

    return make
