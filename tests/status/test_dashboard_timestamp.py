"""The dashboard's ``timestamp`` is when its statuses were known, not when the request arrived (issue 22, item 9f)."""

from __future__ import annotations

import requests

from companion.dashboard import DASHBOARD_PATH, build_dashboard, mint_token
from companion.timeutil import iso_utc


class SlowStatusService:
    """Checking the services takes 2 s of the clock (a poll retrying, say); each status says when it was checked."""

    def __init__(self, clock) -> None:
        self.clock = clock

    def get_all_statuses(self):
        self.clock.advance(seconds=2)
        return [{"name": "plex", "status": "up", "last_check": iso_utc(self.clock.now()), "source": "poll",
                 "message": "plex is up"}]


def test_the_timestamp_is_taken_after_the_statuses_it_reports(make_dashboard, fakes, clock):
    server = make_dashboard(SlowStatusService(clock), None, clock=clock)
    token = mint_token(fakes.jwt_secret, now=clock.now())
    data = requests.get(server.url + DASHBOARD_PATH, headers={"Authorization": f"Bearer {token}"},
                        timeout=5).json()["data"]
    assert data["services"][0]["last_check"] == "2025-01-15T12:00:02.000Z"
    assert data["timestamp"] == "2025-01-15T12:00:02.000Z"  # not 12:00:00, when the request came in


def test_build_dashboard_reads_the_clock_once_the_statuses_are_in(clock):
    data = build_dashboard(SlowStatusService(clock), None, clock=clock)
    assert data["timestamp"] == data["services"][0]["last_check"] == "2025-01-15T12:00:02.000Z"
