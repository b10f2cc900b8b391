"""Issue 14 (mock side): preview what a failure-rate seed will do; health says whether the port is taken down."""

from __future__ import annotations

import pytest
import requests

from benchmarks.soak import soak
from mockservers import PlexMock
from mockservers.core.faults import MAX_PREVIEW, FaultPlan


def outcomes(plan: FaultPlan, n: int) -> list[str]:
    return [plan.decide("GET", "/x").action.describe() for _ in range(n)]


def test_preview_lists_the_next_decisions_without_consuming_them():
    plan = FaultPlan()
    plan.set_failure_rate(0.5, status=502, seed=7)
    preview = plan.preview_failures(12)
    assert preview == plan.preview_failures(12)  # nothing consumed
    expected = ["status 502" if p["outcome"] == "fail" else "pass" for p in preview]
    assert outcomes(plan, 12) == expected
    assert {p["status"] for p in preview if p["outcome"] == "fail"} == {502}
    assert all(p["status"] is None for p in preview if p["outcome"] == "pass")
    assert [p["request"] for p in preview] == list(range(1, 13))


def test_preview_continues_where_the_sequence_is():
    plan = FaultPlan()
    plan.set_failure_rate(0.3, seed=42)
    whole = plan.preview_failures(20)
    outcomes(plan, 5)
    assert [p["outcome"] for p in plan.preview_failures(15)] == [p["outcome"] for p in whole[5:]]


def test_route_faults_do_not_shift_the_preview():
    plan = FaultPlan()
    plan.set_failure_rate(0.5, seed=3)
    preview = plan.preview_failures(4)
    plan.add_route_fault("/other", 500, times=2)
    plan.decide("GET", "/other")
    plan.decide("GET", "/other")
    assert plan.preview_failures(4) == preview


def test_without_a_failure_rate_every_request_passes():
    assert {p["outcome"] for p in FaultPlan().preview_failures(5)} == {"pass"}


@pytest.mark.parametrize("n", [0, -1, MAX_PREVIEW + 1, 1.5, "3", None])
def test_preview_size_is_bounded(n):
    with pytest.raises(ValueError, match=rf"n must be a whole number from 1 to {MAX_PREVIEW}"):
        FaultPlan().preview_failures(n)


def test_admin_preview_route(echo):
    echo.faults.set_failure_rate(0.3, seed=42)
    answer = requests.get(echo.url + "/__admin/faults/preview?n=10", timeout=5)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["failure_rate"], body["failure_status"], body["seed"]) == (0.3, 503, 42)
    assert body["decisions"] == echo.faults.preview_failures(10)
    statuses = [requests.get(echo.url + "/items", timeout=5).status_code for _ in range(10)]
    assert statuses == [503 if d["outcome"] == "fail" else 200 for d in body["decisions"]]
    assert len(requests.get(echo.url + "/__admin/faults/preview", timeout=5).json()["decisions"]) == 10


@pytest.mark.parametrize("query", ["n=0", "n=1001", "n=abc", "n=-3", "n=" + "9" * 50, "n=%C2%B2"])
def test_admin_preview_refuses_a_bad_n(echo, query):
    answer = requests.get(echo.url + "/__admin/faults/preview?" + query, timeout=5)
    assert answer.status_code == 400 and "n must be a whole number from 1 to 1000" in answer.json()["error"]


def test_health_says_whether_the_port_is_taken_down_and_faults_are_set(echo):
    health = requests.get(echo.url + "/__admin/health", timeout=5).json()
    assert (health["running"], health["taken_down"], health["faults_active"]) == (True, False, False)
    echo.faults.set_delay(10)
    assert requests.get(echo.url + "/__admin/health", timeout=5).json()["faults_active"] is True
    echo.take_down(duration=45)
    described = echo.describe()
    assert described["taken_down"] is True and described["running"] is False
    assert described["back_in_s"] == pytest.approx(45, abs=0.5)
    echo.clock.advance(45)
    echo.faults.clear()
    health = requests.get(echo.url + "/__admin/health", timeout=5).json()
    assert (health["running"], health["taken_down"], health["faults_active"], health["back_in_s"]) == \
        (True, False, False, None)


def test_a_stopped_mock_is_not_taken_down():
    mock = PlexMock()
    assert mock.describe()["taken_down"] is False and mock.describe()["running"] is False
    mock.start()
    mock.stop()
    assert mock.is_taken_down() is False


def test_soak_smoke_drops_only_what_the_faults_ask_for():
    result = soak(PlexMock, clients=4, duration_s=0.5)
    # how many requests fit in 0.5 s is the machine's business (7 on a heavily loaded one): not asserted
    assert result.requests > 0 and result.unasked_drops == 0, dict(result.errors)
    assert sum(result.statuses.values()) + result.asked_drops == result.requests
