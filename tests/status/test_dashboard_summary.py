"""The dashboard body: services with their breaker metrics, and the summary counts."""

from __future__ import annotations

import pytest
import requests

from companion.dashboard import DASHBOARD_PATH, mint_token, summarize


def read_dashboard(server, secret, now=None):
    token = mint_token(secret, now=now)
    response = requests.get(server.url + DASHBOARD_PATH, headers={"Authorization": "Bearer " + token}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    return response.json()["data"]


def breaker(state, **extra):
    return {"state": state, "failures": 0, "successes": 0, "rejected": 0, "last_failure": None, "opened_at": None,
            **extra}


def test_summary_counts_each_state(make_dashboard, fakes):
    service = fakes.StatusService([fakes.status("plex", "down"), fakes.status("overseerr", "up"),
                                   fakes.status("uptime-kuma", "degraded", source="uptime-kuma")])
    data = read_dashboard(make_dashboard(service, fakes.Breakers({})), fakes.jwt_secret)
    assert data["summary"] == {"totalServices": 3, "servicesUp": 1, "servicesDown": 1, "servicesDegraded": 1,
                               "circuitBreakersOpen": 0}


def test_services_carry_their_breaker_metrics_or_null(make_dashboard, fakes):
    service = fakes.StatusService([fakes.status("plex", "down"), fakes.status("uptime-kuma", "up")])
    breakers = fakes.Breakers({"plex": breaker("open", failures=3)})
    data = read_dashboard(make_dashboard(service, breakers), fakes.jwt_secret)
    by_name = {s["name"]: s for s in data["services"]}
    assert by_name["plex"]["circuitBreaker"]["state"] == "open"
    assert by_name["plex"]["circuitBreaker"]["failures"] == 3
    assert by_name["uptime-kuma"]["circuitBreaker"] is None
    assert set(by_name["plex"]) >= {"name", "status", "response_time_ms", "last_check", "source", "message",
                                    "circuitBreaker"}


def test_breaker_names_map_services_to_breakers(make_dashboard, fakes):
    service = fakes.StatusService([fakes.status("plex", "up")])
    service.breaker_names = {"plex": "plex-api"}
    data = read_dashboard(make_dashboard(service, fakes.Breakers({"plex-api": breaker("closed")})), fakes.jwt_secret)
    assert data["services"][0]["circuitBreaker"]["state"] == "closed"


@pytest.mark.parametrize(("states", "expected_open"), [
    ({"plex": "closed", "overseerr": "closed"}, 0),
    ({"plex": "open", "overseerr": "closed"}, 1),
    ({"plex": "open", "overseerr": "open"}, 2),
    ({"plex": "half-open", "overseerr": "open"}, 1),  # half-open is not counted as open
])
def test_open_breakers_are_counted_half_open_ones_are_not(states, expected_open):
    metrics = {name: breaker(state) for name, state in states.items()}
    assert summarize([], metrics)["circuitBreakersOpen"] == expected_open


def test_timestamp_comes_from_the_clock(make_dashboard, fakes, clock):
    data = read_dashboard(make_dashboard(fakes.StatusService([]), None, clock=clock), fakes.jwt_secret, clock.now())
    assert data["timestamp"] == "2025-01-15T12:00:00.000Z"
    assert data["summary"]["totalServices"] == 0


def test_a_failing_status_service_gives_a_json_500(make_dashboard, fakes):
    class Broken:
        def get_all_statuses(self):
            raise RuntimeError("status backend exploded")

    server = make_dashboard(Broken(), None)
    response = requests.get(server.url + DASHBOARD_PATH,
                            headers={"Authorization": "Bearer " + mint_token(fakes.jwt_secret)}, timeout=5)
    assert response.status_code == 500
    assert response.json() == {"success": False,
                               "error": "could not build the dashboard: RuntimeError: status backend exploded"}


def test_unknown_route_is_a_json_404(make_dashboard, fakes):
    server = make_dashboard(fakes.StatusService([]), None)
    response = requests.get(server.url + "/api/v1/nope", timeout=5)
    assert response.status_code == 404
    assert response.json()["success"] is False
