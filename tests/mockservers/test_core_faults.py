"""The fault plan on its own: parsing, validation, lifetimes, seeds, outages (driven clock)."""

from __future__ import annotations

import pytest

from mockservers.core.faults import Action, FaultPlan, FaultSpecError


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def kinds(plan: FaultPlan, n: int, path: str = "/x", method: str = "GET") -> list[str]:
    return [plan.decide(method, path).action.describe() for _ in range(n)]


@pytest.mark.parametrize("spec, expected", [
    (200, Action("pass")),
    (503, Action("status", status=503)),
    ("503", Action("status", status=503)),
    ("reset", Action("reset")),
    ("HANG", Action("hang")),
    ({"status": 429, "headers": {"Retry-After": "2"}}, Action("status", status=429, headers={"Retry-After": "2"})),
    ({"delay_ms": 250}, Action("delay", delay_ms=250.0)),
    ({"fault": "dribble", "chunk_size": 4}, Action("dribble", chunk_size=4)),
])
def test_action_compact_forms(spec, expected):
    assert Action.parse(spec) == expected
    assert Action.parse(Action.parse(spec).to_dict()) == expected


@pytest.mark.parametrize("spec, message", [
    ("explode", "unknown fault 'explode'"),
    (99, "action status must be a whole number from 200 to 599, got 99"),
    (600, "action status must be a whole number from 200 to 599, got 600"),
    (True, "action must be a status"),
    ({"color": "red"}, "unknown action field(s) ['color']"),
    ({}, "needs 'status', 'fault' or 'delay_ms'"),
    ({"delay_ms": -5}, "delay_ms must be a finite number from 0 to 3600000, got -5"),
    ({"status": 503, "headers": ["x"]}, "headers must be an object"),
    ([1], "action must be a status"),
])
def test_bad_actions_say_what_was_wrong(spec, message):
    with pytest.raises(FaultSpecError) as err:
        Action.parse(spec)
    assert message in str(err.value)


@pytest.mark.parametrize("spec, message", [
    ({"delay_ms": -1}, "delay_ms must be a finite number from 0 to 3600000, got -1"),
    ({"failure_rate": 1.5}, "failure_rate must be a finite number from 0 to 1, got 1.5"),
    ({"failure_rate": "half"}, "failure_rate must be a finite number from 0 to 1, got 'half'"),
    ({"seed": "abc"}, "seed must be a whole number from -9223372036854775808 to 9223372036854775807"),
    ({"nonsense": 1}, "unknown fault setting(s) ['nonsense']"),
    ({"routes": {}}, "routes must be a list"),
    ({"routes": [{"path": "nope"}]}, "path must be a string starting with '/'"),
    ({"routes": [{"path": "/a", "times": 0}]}, "times must be a whole number from 1 to 9223372036854775807, got 0"),
    ({"routes": [{"path": "/a", "sequence": []}]}, "sequence must be a non-empty list"),
    ({"routes": [{"path": "/a", "action": 503, "sequence": [503]}]}, "not both"),
    ({"outage": {}}, "outage needs 'duration_s'"),
    ({"outage": {"duration_s": 0}}, "outage duration_s must be a finite number above 0 to 86400, got 0"),
    ({"flapping": {"up_s": 1}}, "flapping needs both"),
    ({"flapping": {"up_s": 1, "down_s": 1, "start": "sideways"}}, "flapping start must be 'up' or 'down'"),
])
def test_bad_plans_are_rejected_whole(spec, message):
    plan = FaultPlan()
    plan.set_delay(5)
    with pytest.raises(FaultSpecError) as err:
        plan.replace(spec)
    assert message in str(err.value)
    assert plan.delay_ms == 5  # nothing half-applied


def test_route_fault_for_next_n_requests_then_passes():
    plan = FaultPlan()
    plan.add_route_fault("/library/*", 503, times=2)
    assert kinds(plan, 3, "/library/sections") == ["status 503", "status 503", "pass"]
    assert plan.routes == []


def test_route_fault_sequence_is_ordered_and_consumed():
    plan = FaultPlan()
    plan.add_route_fault("/a", sequence=[503, "reset", 200, 429])
    assert kinds(plan, 5, "/a") == ["status 503", "reset", "pass", "status 429", "pass"]


def test_route_fault_always_and_method_filter():
    plan = FaultPlan()
    plan.add_route_fault("/a", 500, method="post")
    assert kinds(plan, 3, "/a", "POST") == ["status 500"] * 3
    assert kinds(plan, 1, "/a", "GET") == ["pass"]
    assert kinds(plan, 1, "/b", "POST") == ["pass"]


def test_same_seed_same_failure_sequence():
    first, second, other = FaultPlan(), FaultPlan(), FaultPlan()
    first.set_failure_rate(0.3, seed=42)
    second.set_failure_rate(0.3, seed=42)
    other.set_failure_rate(0.3, seed=43)
    run = kinds(first, 200)
    assert run == kinds(second, 200)
    assert run != kinds(other, 200)
    assert 40 <= run.count("status 503") <= 80  # about 30 %


def test_resetting_the_seed_restarts_the_sequence():
    plan = FaultPlan()
    plan.set_failure_rate(0.5, seed=7)
    first = kinds(plan, 30)
    plan.set_failure_rate(0.5, seed=7)
    assert kinds(plan, 30) == first


def test_exempt_paths_skip_delay_and_failure_rate_but_not_outages():
    plan = FaultPlan()
    plan.update({"delay_ms": 100, "failure_rate": 1.0})
    decision = plan.decide("GET", "/socket.io/", exempt=True)
    assert (decision.action.kind, decision.delay_s) == ("pass", 0.0)
    plan.set_outage(requests=1)
    assert plan.decide("GET", "/socket.io/", exempt=True).source == "outage"


def test_delay_and_seeded_jitter():
    plan = FaultPlan()
    plan.update({"delay_ms": 100, "jitter_ms": 50, "seed": 3, "failure_rate": 0})
    delays = [plan.decide("GET", "/").delay_s for _ in range(50)]
    assert all(0.1 <= d <= 0.15 for d in delays)
    assert len(set(delays)) > 1


def test_outage_for_n_requests():
    plan = FaultPlan()
    plan.set_outage(requests=2, action="reset")
    assert kinds(plan, 3) == ["reset", "reset", "pass"]
    assert plan.to_dict()["outage"] is None


def test_outage_for_a_duration():
    clock = Clock()
    plan = FaultPlan(clock)
    plan.set_outage(duration_s=2)
    assert plan.to_dict()["outage"]["remaining_s"] == 2
    clock.now += 1.9
    assert kinds(plan, 1) == ["status 503"]
    clock.now += 0.2
    assert kinds(plan, 1) == ["pass"]


def test_flapping_alternates_phases():
    clock = Clock()
    plan = FaultPlan(clock)
    plan.set_flapping(up_s=1, down_s=0.5)
    phases = []
    for _ in range(6):
        phases.append(kinds(plan, 1)[0])
        clock.now += 0.5
    assert phases == ["status 503", "pass", "pass", "status 503", "pass", "pass"]


def test_to_dict_round_trips_through_replace():
    plan = FaultPlan()
    plan.update({"delay_ms": 10, "failure_rate": 0.1, "seed": 1,
                 "routes": [{"path": "/a", "sequence": [503, 200]}, {"path": "/b", "action": "hang", "times": 1}]})
    copy = FaultPlan()
    spec = plan.to_dict()
    spec["routes"] = [{k: v for k, v in r.items() if k in ("path", "method", "action", "times", "sequence")}
                      for r in spec["routes"]]
    spec["outage"] = spec["flapping"] = None
    copy.replace(spec)
    assert [r.to_dict()["path"] for r in copy.routes] == ["/a", "/b"]
    assert copy.failure_rate == 0.1 and copy.delay_ms == 10


def test_clear_releases_hanging_requests():
    plan = FaultPlan()
    event = plan.hang_event
    plan.clear()
    assert event.is_set()
    assert not plan.hang_event.is_set()
