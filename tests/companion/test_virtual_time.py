"""Every time read of the companion goes through its clock: production durations pass by ``advance``.

The companion never imports ``mockservers``; the tests hand it a ``VirtualClock``
(duck-typed ``companion.clock.Clock``).
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import requests

from companion import CircuitBreakerFactory, ClientSettings, PlexClient, ServiceUnavailableError, StatusService
from companion.retry import EqualJitterBackoff
from mockservers.core.clock import VirtualClock

SECTIONS = "/library/sections"
WAIT = 10.0
#: production settings (30 s reset timeout, 60 s cache TTL, 0.2 s / 0.4 s backoffs) with a seed
PRODUCTION = ClientSettings(retry_seed=1, fail_max=3)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def plex(plex_mock, clock, request):
    def make(**overrides) -> PlexClient:
        settings = ClientSettings(**{**PRODUCTION.__dict__, **overrides})
        client = PlexClient(plex_mock.url, "mock-token", settings=settings, clock=clock,
                            breakers=CircuitBreakerFactory(clock=clock))
        request.addfinalizer(client.close)
        return client
    return make


def test_a_30_s_reset_timeout_passes_by_advancing_the_clock(plex, plex_mock, clock):
    client = plex(cache_ttl_s=0, retry_attempts=1)
    plex_mock.faults.add_route_fault(SECTIONS, 503, times=3)
    started = time.perf_counter()
    for _ in range(3):
        with pytest.raises(ServiceUnavailableError):
            client.get_libraries()
    assert client.breaker.state == "open" and client.breaker.retry_after_s() == pytest.approx(30, abs=0.5)
    clock.advance(29)
    assert client.breaker.state == "open"
    clock.advance(1)
    assert client.breaker.state == "half-open"
    assert client.get_libraries()[0]["title"] == "Movies"  # the probe
    assert client.breaker.state == "closed"
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"open -> half-open -> closed took {elapsed:.3f} s of real time"


def test_a_60_s_cache_ttl_expires_on_advance_60(plex, plex_mock, clock):
    client = plex()
    client.get_libraries()
    clock.advance(59)
    assert client.get_libraries().stale is False
    assert plex_mock.journal.count("GET", SECTIONS) == 1  # still answered from the cache
    clock.advance(1)
    client.get_libraries()
    assert plex_mock.journal.count("GET", SECTIONS) == 2


def test_retries_with_production_backoff_take_no_real_time(plex, plex_mock, clock):
    client = plex(cache_ttl_s=0)
    plex_mock.faults.add_route_fault(SECTIONS, sequence=[503, 503, 200])
    started = time.perf_counter()
    assert len(client.get_libraries()) == 2
    assert time.perf_counter() - started < 1.0
    backoff = EqualJitterBackoff(0.2, 2.0, seed=1)
    assert client.last_call_attempts == 3
    assert clock.advanced_s == pytest.approx(backoff.delay(1) + backoff.delay(2))


def test_the_uptime_kuma_reconnect_wait_passes_on_the_clock(kuma, clock, request):
    from companion import UptimeKumaClient

    settings = ClientSettings(reconnect_initial_backoff_s=30, reconnect_max_backoff_s=300, retry_seed=2)
    client = UptimeKumaClient(kuma.url, "admin", "admin", settings=settings, clock=clock)
    request.addfinalizer(client.close)
    client.connect()
    kuma.drop_connections()
    assert client.wait_for(lambda: not client.is_connected, WAIT)
    assert client.reconnects == 0
    clock.advance(30)  # the first wait is 15-30 s (equal jitter)
    advanced_to = clock.now()
    assert client.wait_for(lambda: client.is_live and client.reconnects == 1, WAIT), client.counters()
    # the server's pushes after the reconnect are stamped on the clock; each is handled in a thread of its
    # own (python-engineio), so the login's answer may come first: wait for one, do not expect it already
    assert client.wait_for(lambda: (client.last_event_at or advanced_to - timedelta(1)) >= advanced_to, WAIT), \
        f"no event stamped at or after {advanced_to}: last {client.last_event_at}"
    assert client.last_event_at < advanced_to + timedelta(seconds=WAIT)


def test_status_last_check_and_response_times_read_the_clock(plex, plex_mock, clock):
    service = StatusService(plex=plex(cache_ttl_s=0), clock=clock)
    plex_mock.faults.add_route_fault("/", sequence=[503, 200])
    clock.advance(7200)
    status = service.get_status("plex")
    assert status["last_check"][:13] == clock.now().isoformat()[:13]  # two hours ahead of the wall clock
    assert status["response_time_ms"] >= 100  # the retry's 0.1-0.2 s wait passed on the clock
    assert status["status"] == "degraded" and "2 attempts" in status["message"]


def test_dashboard_jwt_expiry_timestamps_and_webhook_times_read_the_clock(clock):
    from companion.dashboard import DashboardServer, create_dashboard_app, mint_token

    class NoServices:
        def get_all_statuses(self):
            return []

    secret = "virtual-time-jwt-secret-0123456789abcdef"
    app = create_dashboard_app(NoServices(), None, jwt_secret=secret, webhook_secret=None, clock=clock)
    clock.advance(86_400)
    token = mint_token(secret, expires_in=timedelta(minutes=5), now=clock.now())
    with DashboardServer(app) as server:
        url = server.url + "/api/v1/admin/service-health/dashboard"
        answer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert answer.status_code == 200 and answer.json()["data"]["timestamp"][:13] == clock.now().isoformat()[:13]
        posted = requests.post(server.url + "/api/v1/webhooks/overseerr", timeout=5,
                               json={"notification_type": "TEST_NOTIFICATION", "subject": "hi"})
        assert posted.json()["data"]["received_at"][:13] == clock.now().isoformat()[:13]
        clock.advance(300)
        expired = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert expired.status_code == 401 and "expired" in expired.json()["error"]


def test_breaker_probe_time_is_the_clock_not_the_wall_clock(clock):
    breaker = CircuitBreakerFactory(clock=clock).create("plex", fail_max=1, reset_timeout=30)
    with pytest.raises(ServiceUnavailableError):
        breaker.call("op", lambda: (_ for _ in ()).throw(ServiceUnavailableError("plex", "op", "down")))
    done = threading.Event()
    clock.call_later(30, done.set)
    clock.advance(30)
    assert done.is_set() and breaker.state == "half-open"


@pytest.mark.parametrize("module", ["companion", "companion.plex", "companion.overseerr", "companion.status"])
def test_importing_the_clients_loads_neither_flask_nor_jwt_nor_socketio(module):
    code = (f"import sys, {module}; "
            "print(sorted(m for m in ('flask', 'jwt', 'socketio', 'engineio', 'werkzeug') if m in sys.modules))")
    libraries = str(pathlib.Path(__file__).parents[2] / "libraries")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": libraries})
    assert out.stdout.strip() == "[]", out.stderr
