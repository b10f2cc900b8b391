"""A real Redis per test process (and a private one for the tests that break it); stores on it.

Nothing here is a fake: ``redis_server`` is a ``valkey-server`` process this pytest process
(or xdist worker) started on a free port and stops at the end; every test gets its own key
prefix on it. Tests that kill, pause or freeze Redis use ``own_redis``: a server of their own,
stopped when the test ends, even when it fails.
"""

from __future__ import annotations

import uuid
from typing import Callable

import pytest

from atest_support.redis_server import RedisServer
from companion.state import FallbackStore, MemoryStore, RedisStore, StateStore
from mockservers.core.clock import VirtualClock

#: Redis command timeout in these tests: generous for a loaded 2-core machine, still far below a pause
TIMEOUT_S = 1.0


@pytest.fixture(scope="session")
def redis_server():
    """One real server for this test process."""
    with RedisServer() as server:
        yield server


@pytest.fixture
def own_redis():
    """A server of this test's own (it may be killed, paused or frozen); stopped at the end."""
    with RedisServer() as server:
        yield server


@pytest.fixture
def prefix() -> str:
    """A key prefix of this test's own on the shared server."""
    return f"t-{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def redis_store(redis_server, prefix, request) -> Callable[[], RedisStore]:
    """Opens RedisStores on the shared server under this test's prefix (closed at the end)."""
    def make() -> RedisStore:
        store = RedisStore(redis_server.url, timeout_s=TIMEOUT_S, prefix=prefix)
        request.addfinalizer(store.close)
        return store

    return make


@pytest.fixture(params=["memory", "redis"])
def store(request, redis_store) -> StateStore:
    """Each contract test runs against both implementations."""
    return MemoryStore() if request.param == "memory" else redis_store()


@pytest.fixture
def worker_store(own_redis, prefix, clock, request) -> Callable[[], FallbackStore]:
    """What one worker opens for ``redis://`` (Redis with its own memory as fallback), on ``own_redis``."""
    def make() -> FallbackStore:
        store = FallbackStore(RedisStore(own_redis.url, timeout_s=TIMEOUT_S, prefix=prefix), clock=clock)
        request.addfinalizer(store.close)
        return store

    return make
