"""Wire fidelity: the real PyPI client ``uptime_kuma_api`` works against the Uptime Kuma mock unmodified."""

from __future__ import annotations

import pytest
from atest_support.waiting import wait_until
from uptime_kuma_api import MonitorStatus, MonitorType, UptimeKumaApi, UptimeKumaException

from mockservers import UptimeKumaMock


TIMEOUT = 5.0  # the client's wait for connection, events and acks
WAIT_EVENTS = 0.05  # how long the client waits for more events of one kind


@pytest.fixture
def kuma(plex_mock):
    """Uptime Kuma (admin/admin) whose Plex monitor watches the Plex mock on its free port."""
    with UptimeKumaMock(service_urls={"Plex": plex_mock.url}) as mock:
        yield mock


@pytest.fixture
def api(kuma):
    client = UptimeKumaApi(kuma.url, timeout=TIMEOUT, wait_events=WAIT_EVENTS)
    try:
        yield client
    finally:
        client.disconnect()


def test_login_returns_a_token(api):
    answer = api.login("admin", "admin")
    assert answer["token"].count(".") == 2


def test_get_monitors_returns_the_three_defaults(api, plex_mock):
    api.login("admin", "admin")
    monitors = api.get_monitors()
    assert [m["name"] for m in monitors] == ["Plex", "Overseerr", "Tautulli"]
    plex = monitors[0]
    assert plex["type"] == MonitorType.HTTP and plex["active"] is True
    assert plex["url"] == plex_mock.url + "/identity" and plex["notificationIDList"] == []
    assert api.get_monitor(2)["name"] == "Overseerr"


def test_heartbeats_and_important_heartbeats(api, kuma):
    api.login("admin", "admin")
    # one heartbeat list per monitor: on a busy machine the last may come after the client's WAIT_EVENTS
    beats = wait_until(api.get_heartbeats, lambda got: set(got) == {1, 2, 3}, what="heartbeat lists",
                       expected="one for each of monitors 1, 2, 3", timeout=TIMEOUT)
    assert set(beats) == {1, 2, 3}
    assert len(beats[1]) == 5 and all(row["status"] == MonitorStatus.UP for row in beats[1])
    assert beats[1][-1]["time"] == kuma.heartbeats(1)[-1]["time"]
    important = api.get_important_heartbeats()
    assert [row["important"] for row in important[2]] == [True]
    assert api.info()["version"] == "1.23.16"
    assert api.avg_ping()[1] == 12.4 and api.uptime()[3] == {24: 1.0, 720: 1.0}


def test_live_heartbeat_reaches_the_client(api, kuma):
    api.login("admin", "admin")
    # one heartbeat list per monitor: on a busy machine monitor 3's may come after the client's WAIT_EVENTS
    wait_until(lambda: len(api.get_heartbeats().get(3, ())), lambda count: count == 5,
               what="Tautulli's heartbeat list in the client", expected="5 heartbeats", timeout=TIMEOUT)
    kuma.set_monitor_status("Tautulli", "down", msg="connect ECONNREFUSED")
    wait_until(lambda: len(api.get_heartbeats()[3]), lambda count: count >= 6,  # each call waits WAIT_EVENTS
               what="Tautulli's heartbeats in the client", expected=">= 6", timeout=TIMEOUT)
    newest = api.get_heartbeats()[3][-1]  # the live ``heartbeat`` event, appended by the client
    assert newest["status"] == MonitorStatus.DOWN and newest["msg"] == "connect ECONNREFUSED"
    assert newest["monitorID"] == 3 and newest["important"] is True
    assert api.get_important_heartbeats()[3][0]["msg"] == "connect ECONNREFUSED"
    beats = api.get_monitor_beats(3, 1)
    assert beats[-1]["status"] == MonitorStatus.DOWN and len(beats) == 6


def test_wrong_password_raises_the_clients_error(api):
    with pytest.raises(UptimeKumaException, match="Incorrect username or password."):
        api.login("admin", "wrong")


def test_unknown_monitor_raises_the_clients_error(api):
    api.login("admin", "admin")
    with pytest.raises(UptimeKumaException, match="not found"):
        api.get_monitor(99)


def test_login_by_token(kuma):
    first = UptimeKumaApi(kuma.url, timeout=TIMEOUT, wait_events=WAIT_EVENTS)
    try:
        token = first.login("admin", "admin")["token"]
    finally:
        first.disconnect()
    second = UptimeKumaApi(kuma.url, timeout=TIMEOUT, wait_events=WAIT_EVENTS)
    try:
        assert second.login_by_token(token) == {}
        assert len(second.get_monitors()) == 3
    finally:
        second.disconnect()
