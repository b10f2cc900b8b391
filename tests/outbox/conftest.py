"""Fixtures for the outbox tests: both stores (a SQLite file; a real PostgreSQL server started here, one per
test process, a fresh database per test), the Overseerr mock, and a client on a clock the test moves."""

from __future__ import annotations

import itertools
from typing import Any, Callable

import pytest

from atest_support.postgres import PostgresServer
from companion import CircuitBreakerFactory, ClientSettings, OverseerrClient
from companion.outbox import RequestOutbox, open_store
from mockservers.core.clock import VirtualClock

STORES = ("sqlite", "postgresql")
_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server for this test process (a temporary directory, a free port); stopped at the end."""
    server = PostgresServer().start()
    yield server
    server.cleanup()


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh, empty database on the test process's server."""
    return pg_server.create_database(f"outbox_{next(_databases)}")


@pytest.fixture(params=STORES)
def database_url(request, tmp_path) -> str:
    """Each test that takes it runs once per store."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'outbox.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def make_store(request) -> Callable[[str], Any]:
    def make(url: str) -> Any:
        store = open_store(url)
        request.addfinalizer(store.close)
        return store

    return make


@pytest.fixture
def store(database_url, make_store):
    return make_store(database_url)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


def outbox_settings(**overrides: Any) -> ClientSettings:
    """Production-size breaker and backoff durations (the test moves the clock), test-sized network timeouts."""
    options: dict[str, Any] = dict(connect_timeout_s=0.5, read_timeout_s=1.0, retry_attempts=3, fail_max=3,
                                   reset_timeout_s=30.0, retry_seed=1)
    options.update(overrides)
    return ClientSettings(**options)


@pytest.fixture
def make_client(overseerr_mock, clock, request) -> Callable[..., OverseerrClient]:
    def make(breakers: CircuitBreakerFactory | None = None, **overrides: Any) -> OverseerrClient:
        client = OverseerrClient(overseerr_mock.url, "mock-api-key", settings=outbox_settings(**overrides),
                                 breakers=breakers or CircuitBreakerFactory(clock=clock), clock=clock)
        request.addfinalizer(client.close)
        return client

    return make


@pytest.fixture
def make_outbox(make_client, clock, request) -> Callable[..., RequestOutbox]:
    """A RequestOutbox over ``store`` (a store object or a URL) and a new client; closed at teardown."""
    def make(store: Any, *, worker: str = "worker-1", client: OverseerrClient | None = None, **options: Any):
        if isinstance(store, str):
            store = open_store(store)
        outbox = RequestOutbox(store, client or make_client(), clock=clock, worker=worker, **options)
        request.addfinalizer(outbox.close)
        return outbox

    return make


@pytest.fixture
def outbox(make_outbox, database_url) -> RequestOutbox:
    return make_outbox(database_url)
