"""The mock clock has a bound (dates stay far from year 9999), and a reset always restores a working mock."""

from __future__ import annotations

import math

import pytest
import requests

from mockservers import OverseerrMock, PlexMock, UptimeKumaMock
from mockservers.core.clock import MAX_ADVANCE_S, MAX_OFFSET_S, VirtualClock
from mockservers.core.validation import ValidationError

pytestmark = pytest.mark.timeout(120)
#: enough maximum advances to pass the bound (unbounded, the clock overflowed after about 8,000)
ADVANCES_TO_THE_BOUND = math.ceil(MAX_OFFSET_S / MAX_ADVANCE_S)


def test_the_bound_keeps_every_date_far_from_year_9999():
    assert 50 * 365 * 86400 <= MAX_OFFSET_S <= 200 * 366 * 86400
    clock = VirtualClock()
    clock.advance(0.5)
    for _ in range(ADVANCES_TO_THE_BOUND - 1):
        clock.advance(MAX_ADVANCE_S)
    room = MAX_OFFSET_S - clock.advanced_s
    assert 0 < room < MAX_ADVANCE_S
    with pytest.raises(ValidationError) as refused:
        clock.advance(MAX_ADVANCE_S)
    message = str(refused.value)
    assert f"advance_s must be a finite number from 0 to {room:.15g} now" in message
    assert f"got {MAX_ADVANCE_S:.15g}" in message and f"at most {MAX_OFFSET_S:.15g} s" in message
    assert clock.advanced_s == MAX_OFFSET_S - room  # not moved
    clock.advance(room)
    assert clock.advanced_s == MAX_OFFSET_S and clock.now().year < 2300
    with pytest.raises(ValidationError, match="from 0 to 0 now"):
        clock.sleep(1)
    clock.advance(0)  # nothing to move: allowed at the bound


def advance_to_the_bound(mock) -> requests.Response:
    """Maximum advances over the admin API until one is refused; the refusal."""
    for _ in range(ADVANCES_TO_THE_BOUND + 1):
        answer = requests.post(mock.url + "/__admin/clock", json={"advance_s": MAX_ADVANCE_S}, timeout=10)
        if answer.status_code != 200:
            return answer
    raise AssertionError(f"{ADVANCES_TO_THE_BOUND + 1} maximum advances were all accepted")


def refused_clearly(answer: requests.Response, mock) -> None:
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert "advance_s must be a finite number from 0 to" in error and f"got {MAX_ADVANCE_S:.15g}" in error
    clock = requests.get(mock.url + "/__admin/clock", timeout=5)
    assert clock.status_code == 200 and clock.json()["advanced_s"] <= MAX_OFFSET_S


def test_plex_at_the_bound_still_answers():
    with PlexMock() as plex:
        refused_clearly(advance_to_the_bound(plex), plex)
        token = {"X-Plex-Token": "mock-token", "Accept": "application/json"}
        assert requests.get(plex.url + "/identity", headers=token, timeout=5).status_code == 200
        assert requests.get(plex.url + "/library/sections", headers=token, timeout=5).status_code == 200
        assert requests.post(plex.url + "/__admin/reset", timeout=5).status_code == 200


def test_overseerr_at_the_bound_still_takes_requests():
    with OverseerrMock() as overseerr:
        refused_clearly(advance_to_the_bound(overseerr), overseerr)
        key = {"X-Api-Key": "mock-api-key"}
        made = requests.post(overseerr.url + "/api/v1/request", json={"mediaType": "movie", "mediaId": 603},
                             headers=key, timeout=5)
        assert made.status_code == 201, made.text
        assert made.json()["createdAt"].startswith("21")  # about a century ahead
        assert requests.post(overseerr.url + "/__admin/reset", timeout=5).status_code == 200
        assert requests.get(overseerr.url + "/api/v1/request", headers=key, timeout=5).status_code == 200


def test_uptime_kuma_at_the_bound_resets_to_its_monitors():
    with UptimeKumaMock() as kuma:
        refused_clearly(advance_to_the_bound(kuma), kuma)
        kuma.set_monitor_status("Plex", "down")
        reset = requests.post(kuma.url + "/__admin/reset", timeout=10)
        assert reset.status_code == 200, reset.text
        assert sorted(m["name"] for m in kuma.monitors.values()) == ["Overseerr", "Plex", "Tautulli"]
        assert kuma.monitor_status("Plex") == "up"
        page = requests.get(kuma.url + "/api/status-page/heartbeat/default", timeout=5)
        assert page.status_code == 200 and len(page.json()["heartbeatList"]) == 3


def test_a_reset_that_cannot_read_the_clock_leaves_the_monitors_as_they_were(monkeypatch):
    with UptimeKumaMock() as kuma:
        kuma.set_monitor_status("Plex", "down")

        def broken_now():
            raise OverflowError("date value out of range")

        monkeypatch.setattr(kuma.store, "_clock", broken_now)
        with pytest.raises(OverflowError):
            kuma.store.load_defaults()
        assert sorted(m["name"] for m in kuma.monitors.values()) == ["Overseerr", "Plex", "Tautulli"]
        assert kuma.monitor_status("Plex") == "down"
