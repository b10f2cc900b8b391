"""Time in the mocks is the mock's clock: tests advance it (production-size durations), nothing waits for real."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import jwt
import pytest
import requests
import socketio

from mockservers import OverseerrMock, UptimeKumaMock
from mockservers.core.clock import VirtualClock

from .conftest import EchoMock

#: every test here must finish far below the durations it lets pass
FAST_S = 5.0
pytestmark = pytest.mark.timeout(30)


def get(mock, path="/items", **kwargs):
    kwargs.setdefault("timeout", 2)
    return requests.get(mock.url + path, **kwargs)


def refused(mock) -> bool:
    try:
        get(mock, timeout=1)
    except requests.ConnectionError:
        return True
    return False


# -- fault plan --------------------------------------------------------------------------------
def test_an_outage_of_30_s_ends_when_the_clock_passes_it(echo):
    started = time.monotonic()
    echo.faults.set_outage(duration_s=30)
    assert get(echo).status_code == 503
    echo.clock.advance(29)
    assert echo.faults.to_dict()["outage"]["remaining_s"] == pytest.approx(1.0, abs=0.05)
    assert get(echo).status_code == 503
    echo.clock.advance(1)
    assert get(echo).status_code == 200
    assert echo.faults.to_dict()["outage"] is None
    assert time.monotonic() - started < FAST_S


def test_flapping_phases_follow_the_clock(echo):
    echo.faults.set_flapping(up_s=60, down_s=30)
    phases = []
    for step in (0, 30, 30, 30, 30):
        echo.clock.advance(step)
        phases.append(get(echo).status_code)
    assert phases == [503, 200, 200, 503, 200]


def test_take_down_for_30_s_is_back_when_advance_returns(echo):
    started = time.monotonic()
    echo.take_down(duration=30)
    assert refused(echo)
    health = echo.describe()
    assert health["taken_down"] is True and health["running"] is False
    assert health["back_in_s"] == pytest.approx(30, abs=0.1)
    echo.clock.advance(29.0)  # a second short of it (real time passes too: a busy machine may take a while)
    assert refused(echo)
    echo.clock.advance(1.0)
    assert get(echo).status_code == 200  # back before advance returned: no waiting, no polling
    assert echo.describe()["taken_down"] is False and echo.describe()["back_in_s"] is None
    assert time.monotonic() - started < FAST_S


def test_bring_up_cancels_the_timed_bring_up(echo):
    echo.take_down(duration=30)
    echo.bring_up()
    echo.take_down()
    echo.clock.advance(31)
    assert refused(echo)  # the first timer no longer applies
    echo.bring_up()


@pytest.mark.parametrize("duration", [0, -1, float("nan"), float("inf"), 1e10, 86_401, "30", True])
def test_take_down_refuses_a_bad_duration_and_changes_nothing(echo, duration):
    with pytest.raises(ValueError, match=r"duration must be a finite number above 0 to 86400, got"):
        echo.take_down(duration=duration)
    assert get(echo).status_code == 200


def test_journal_times_come_from_the_clock(echo):
    echo.clock.advance(3600)
    get(echo)
    assert echo.journal.last().time == pytest.approx(time.time() + 3600, abs=5)


# -- admin clock route ------------------------------------------------------------------------------
def test_admin_clock_reads_and_advances(echo):
    before = requests.get(echo.url + "/__admin/clock", timeout=2).json()
    assert before["advanced_s"] == 0
    echo.faults.set_outage(duration_s=30)
    answer = requests.post(echo.url + "/__admin/clock", json={"advance_s": 30}, timeout=2)
    assert answer.status_code == 200 and answer.json()["advanced_s"] == 30
    now = datetime.fromisoformat(answer.json()["now"])
    assert now - datetime.fromisoformat(before["now"]) >= timedelta(seconds=30)
    assert get(echo).status_code == 200  # the 30 s outage passed


@pytest.mark.parametrize("body, says", [
    ("{}", "advance_s is required"),
    ('{"advance_s": -1}', "advance_s must be a finite number from 0 to 31622400, got -1"),
    ('{"advance_s": NaN}', "advance_s must be a finite number from 0 to 31622400, got NaN"),
    ('{"advance_s": Infinity}', "advance_s must be a finite number from 0 to 31622400, got Infinity"),
    ('{"advance_s": -Infinity}', "advance_s must be a finite number from 0 to 31622400, got -Infinity"),
    ('{"advance_s": "30"}', "advance_s must be a finite number from 0 to 31622400, got '30'"),
    ('{"advance_s": true}', "advance_s must be a finite number from 0 to 31622400, got True"),
    ('{"advance_s": null}', "advance_s must be a finite number from 0 to 31622400, got None"),
    ('{"advance_s": 1e10}', "advance_s must be a finite number from 0 to 31622400, got 10000000000.0"),
    ('{"advance_s": 1e999}', "advance_s must be a finite number from 0 to 31622400, got Infinity"),
    ('{"advance_s": 30, "backwards": true}', "unknown field(s) 'backwards': expected advance_s"),
    ("[30]", "request body must be a JSON object"),
    ("30s", "request body is not valid JSON"),
])
def test_admin_clock_refuses_bad_input_and_never_moves(echo, body, says):
    answer = requests.post(echo.url + "/__admin/clock", data=body, timeout=2,
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert says in answer.json()["error"]
    assert echo.clock.advanced_s == 0


def test_one_clock_can_be_shared_by_several_mocks():
    clock = VirtualClock()
    with EchoMock(clock=clock) as first, EchoMock(clock=clock) as second:
        first.faults.set_outage(duration_s=60)
        second.take_down(duration=60)
        clock.advance(60)
        assert get(first).status_code == 200 and get(second).status_code == 200


# -- Uptime Kuma ---------------------------------------------------------------------------------------
@pytest.fixture
def kuma():
    with UptimeKumaMock(heartbeat_interval_s=60) as mock:
        yield mock


def test_a_60_s_heartbeat_interval_passes_by_advancing_the_clock(kuma):
    assert [len(kuma.heartbeats(m)) for m in (1, 2, 3)] == [5, 5, 5]
    kuma.clock.advance(59)
    assert len(kuma.heartbeats(1)) == 5
    kuma.clock.advance(1)
    assert [len(kuma.heartbeats(m)) for m in (1, 2, 3)] == [6, 6, 6]
    kuma.set_monitor_status("Plex", "down", msg="timeout")
    kuma.clock.advance(600)  # ten intervals, each beat stamped at its own moment
    beats = kuma.heartbeats(1)
    assert len(beats) == 17 and [b["status"] for b in beats[-10:]] == [0] * 10
    times = [datetime.strptime(b["time"], "%Y-%m-%d %H:%M:%S.%f") for b in beats[-10:]]
    assert all(later - earlier == timedelta(seconds=60) for earlier, later in zip(times, times[1:]))
    assert kuma.monitors[1]["interval"] == 60


def test_heartbeats_are_pushed_to_logged_in_clients_when_the_clock_advances(kuma):
    client = socketio.Client(reconnection=False)
    beats: list[dict] = []
    arrived = threading.Event()
    client.on("heartbeat", lambda row: (beats.append(row), arrived.set()))
    client.connect(kuma.url, transports=["websocket"], wait_timeout=5)
    try:
        assert client.call("login", {"username": "admin", "password": "admin", "token": ""}, timeout=5)["ok"]
        # logged in: wait until the mock marked the client (after the login ack)
        deadline = time.monotonic() + FAST_S
        while kuma.logged_in_clients < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        kuma.clock.advance(60)
        assert arrived.wait(FAST_S)
    finally:
        client.disconnect()
    assert {row["monitorID"] for row in beats} >= {1}


def test_minted_tokens_carry_the_clock_time(kuma):
    kuma.clock.advance(10_000)
    client = socketio.Client(reconnection=False)
    client.connect(kuma.url, transports=["websocket"], wait_timeout=5)
    try:
        answer = client.call("login", {"username": "admin", "password": "admin", "token": ""}, timeout=5)
    finally:
        client.disconnect()
    claims = jwt.decode(answer["token"], options={"verify_signature": False})
    assert claims["iat"] == pytest.approx(time.time() + 10_000, abs=5)


def test_event_delay_follows_the_clock(kuma):
    kuma.socket_faults.event_delay_s = 30.0  # a 30 s push latency, passed by advancing
    sent: list[str] = []
    kuma.sockets.pump._emit = lambda event, data, to: sent.append(event)
    kuma.sockets.pump.push("sid", "info", {})
    time.sleep(0.05)
    assert sent == []
    kuma.clock.advance(30)
    deadline = time.monotonic() + FAST_S
    while not sent and time.monotonic() < deadline:
        time.sleep(0.005)
    assert sent == ["info"]


def test_no_periodic_heartbeats_while_taken_down():
    with UptimeKumaMock(heartbeat_interval_s=60) as kuma:
        kuma.take_down()
        kuma.clock.advance(120)
        assert len(kuma.heartbeats(1)) == 5
        kuma.bring_up()
        kuma.clock.advance(60)
        assert len(kuma.heartbeats(1)) == 6


# -- Overseerr -------------------------------------------------------------------------------------------
def test_overseerr_timestamps_come_from_the_clock():
    with OverseerrMock() as overseerr:
        overseerr.clock.advance(366 * 24 * 3600)
        created = overseerr.add_request("movie", 603)["createdAt"]
    stamp = datetime.strptime(created, "%Y-%m-%dT%H:%M:%S.%fZ")
    assert stamp - datetime.utcnow() > timedelta(days=365)
