"""Two companions on one Redis (two workers of one app, in-process), a real Plex mock, a virtual clock.

What the shared-state suite proves against ``python -m companion --workers 2``, here through each
companion's web app: the breaker, the fallback cache and the webhook inbox hold across workers, across
a restart, and while Redis is killed or paused. Requests reaching Plex are read from the mock's journal.
"""

from __future__ import annotations

import time

import pytest

from companion import ClientSettings
from companion.app import Companion
from companion.app_settings import AppSettings, SecretText
from companion.dashboard import DASHBOARD_PATH, PLEX_LIBRARIES_PATH, WEBHOOK_PATH, mint_token

from .conftest import TIMEOUT_S

JWT = "a-dashboard-signing-secret-of-40-chars!!"
CLIENT = ClientSettings(connect_timeout_s=0.5, read_timeout_s=10, retry_seed=1, retry_initial_backoff_s=0.2,
                        fail_max=3, reset_timeout_s=30, cache_ttl_s=60)
LIBRARIES = "/library/sections"


@pytest.fixture
def companions(own_redis, plex_mock, clock, prefix, request):
    """Opens companions ("workers") on ``own_redis``; all closed at the end."""
    def open_one() -> Companion:
        settings = AppSettings(jwt_secret=SecretText(JWT), plex_url=plex_mock.url,
                               plex_token=SecretText("mock-token"), state_url=own_redis.url,
                               state_timeout_s=TIMEOUT_S, client=CLIENT)
        companion = Companion(settings, clock=clock)
        request.addfinalizer(companion.close)
        return companion

    return open_one


def libraries(companion, clock) -> dict:
    answer = companion.web_app.test_client().get(PLEX_LIBRARIES_PATH, headers=bearer(clock))
    assert answer.status_code == 200, answer.json
    return answer.json


def dashboard(companion, clock) -> dict:
    answer = companion.web_app.test_client().get(DASHBOARD_PATH, headers=bearer(clock))
    assert answer.status_code == 200, answer.json
    return {service["name"]: service for service in answer.json["data"]["services"]}


def bearer(clock) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(JWT, now=clock.now())}"}


def reached_plex(plex_mock) -> int:
    return plex_mock.journal.count(path=LIBRARIES)


def test_a_plex_breaker_opened_through_worker_a_makes_worker_b_fail_fast_without_a_request(
        companions, plex_mock, clock):
    a, b = companions(), companions()
    plex_mock.faults.add_route_fault(LIBRARIES, 503)
    for _ in range(CLIENT.fail_max):
        assert libraries(a, clock)["errorType"] == "ServiceUnavailableError"
    before = reached_plex(plex_mock)
    answer = libraries(b, clock)
    assert answer["errorType"] == "CircuitOpenError" and "Circuit breaker is OPEN for plex" in answer["error"]
    assert reached_plex(plex_mock) == before == CLIENT.fail_max * CLIENT.retry_attempts


def test_exactly_one_half_open_probe_runs_across_both_workers(companions, plex_mock, clock):
    import threading

    a, b = companions(), companions()
    assert libraries(a, clock)["success"]  # cached: a rejected caller is answered stale
    plex_mock.faults.add_route_fault(LIBRARIES, 503)
    clock.advance(CLIENT.cache_ttl_s)
    for _ in range(CLIENT.fail_max):
        libraries(a, clock)
    plex_mock.faults.clear()
    plex_mock.faults.set_delay(3000)  # A's probe takes 3 s: B asks meanwhile
    clock.advance(CLIENT.reset_timeout_s)
    before = reached_plex(plex_mock)
    answers = {}
    prober = threading.Thread(target=lambda: answers.__setitem__("a", libraries(a, clock)))
    prober.start()
    deadline = time.monotonic() + 10
    while b.breakers.get("plex").probes_in_flight != 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    answers["b"] = libraries(b, clock)
    prober.join(10)
    assert reached_plex(plex_mock) - before == 1
    assert not answers["a"]["data"]["stale"] and answers["b"]["data"]["stale"]
    assert "half-open, 1 probe(s) in flight" in answers["b"]["data"]["staleReason"]
    assert a.breakers.get("plex").state == "closed"


def test_a_stale_answer_cached_by_worker_a_is_served_by_worker_b(companions, plex_mock, clock):
    a, b = companions(), companions()
    fresh = libraries(a, clock)["data"]
    plex_mock.take_down()
    clock.advance(CLIENT.cache_ttl_s)
    answer = libraries(b, clock)["data"]
    assert answer["stale"] and "connection refused" in answer["staleReason"]
    assert answer["libraries"] == fresh["libraries"] and not fresh["stale"]


def test_a_restarted_companion_still_serves_the_cached_answer_stale_while_plex_is_down(companions, plex_mock, clock):
    first = companions()
    fresh = libraries(first, clock)["data"]["libraries"]
    first.close()
    plex_mock.take_down()
    clock.advance(CLIENT.cache_ttl_s)
    answer = libraries(companions(), clock)["data"]
    assert answer["stale"] and answer["libraries"] == fresh


def test_with_redis_killed_both_workers_keep_serving_and_report_the_state_store_degraded_then_up(
        companions, plex_mock, own_redis, clock):
    a, b = companions(), companions()
    libraries(a, clock)
    libraries(b, clock)  # each worker keeps a copy of what it read
    own_redis.kill()
    plex_mock.take_down()
    clock.advance(CLIENT.cache_ttl_s)
    for worker in (a, b):
        answer = libraries(worker, clock)["data"]
        assert answer["stale"] and [s["title"] for s in answer["libraries"]] == ["Movies", "TV Shows"]
        store = dashboard(worker, clock)["state-store"]
        assert store["status"] == "degraded" and "own memory" in store["message"]
    own_redis.start()
    clock.advance(1)
    assert [dashboard(w, clock)["state-store"]["status"] for w in (a, b)] == ["up", "up"]


def test_with_redis_paused_no_request_waits_longer_than_the_timeout(companions, plex_mock, own_redis, clock):
    a = companions()
    libraries(a, clock)
    own_redis.pause(30)
    started = time.monotonic()
    clock.advance(CLIENT.cache_ttl_s)
    answer = libraries(a, clock)
    took = time.monotonic() - started
    assert answer["success"] and not own_redis.answers(timeout_s=0.05)  # answered while Redis still paused
    assert dashboard(a, clock)["state-store"]["status"] == "degraded"
    print(f"with Redis paused the request took {took * 1000:.0f} ms (Redis timeout {TIMEOUT_S * 1000:.0f} ms)")


def test_a_webhook_received_by_one_worker_is_listed_by_the_other(companions, clock):
    a, b = companions(), companions()
    notification = {"notification_type": "TEST_NOTIFICATION", "subject": "hello", "message": "from A"}
    assert a.web_app.test_client().post(WEBHOOK_PATH, json=notification).status_code == 202
    listed = b.web_app.test_client().get(WEBHOOK_PATH).json["data"]
    assert listed["count"] == 1 and listed["notifications"][0]["subject"] == "hello"
    assert b.inbox.wait_for("TEST_NOTIFICATION", timeout=1)["payload"]["message"] == "from A"
