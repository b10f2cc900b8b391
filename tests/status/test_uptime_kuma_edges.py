"""UptimeKumaClient edges: time parsing, arguments, lookups, getters, odd server pushes, reconnect and close paths."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone

import pytest
import socketio

from atest_support.waiting import WaitTimeout, wait_until
from companion.errors import ServiceTimeoutError, ServiceUnavailableError
from companion.uptime_kuma import UptimeKumaClient, parse_kuma_time

WAIT = 10.0


def eventually(predicate, timeout: float = WAIT) -> bool:
    """Poll ``predicate`` until it is truthy or ``timeout`` passes (for state no condition variable announces)."""
    try:
        wait_until(predicate, bool, what="condition", expected="true", timeout=timeout, interval=0.02)
    except WaitTimeout:
        return False
    return True


def reconnect_threads(url: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"uptime-kuma-reconnect:{url}" and t.is_alive()]


@pytest.fixture
def settled(kuma, kuma_client_factory):
    """A logged-in client that has received every after-login push (the last one is monitor 3's 30-day uptime)."""
    client = kuma_client_factory(kuma.url).connect()
    assert client.wait_for(lambda: client.uptime(3, 720) is not None, WAIT), client.event_counts
    return client


# -- parse_kuma_time -----------------------------------------------------------------------------------
UTC = timezone.utc


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-12-16 21:13:58.123", datetime(2024, 12, 16, 21, 13, 58, 123000, tzinfo=UTC)),
    ("2024-12-16 21:13:58", datetime(2024, 12, 16, 21, 13, 58, tzinfo=UTC)),
    ("2024-12-16T21:13:58.500Z", datetime(2024, 12, 16, 21, 13, 58, 500000, tzinfo=UTC)),
    ("2024-12-16T23:13:58+02:00", datetime(2024, 12, 16, 21, 13, 58, tzinfo=UTC)),
    ("2024-12-16", datetime(2024, 12, 16, tzinfo=UTC)),
])
def test_kuma_times_parse_to_aware_utc_moments(text, expected):
    parsed = parse_kuma_time(text)
    assert parsed == expected and parsed.utcoffset() is not None


@pytest.mark.parametrize("value", [None, "", 1734383638, "yesterday", "2024-13-45 99:00:00"])
def test_unreadable_kuma_times_are_none(value):
    assert parse_kuma_time(value) is None


# -- arguments --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("options", "message"), [
    ({"reconnect_backoff": (0, 1)}, r"reconnect_backoff must be \(initial > 0, max >= initial\), got \(0, 1\)"),
    ({"reconnect_backoff": (2, 1)}, r"reconnect_backoff must be .*got \(2, 1\)"),
    ({"connect_timeout": 0}, "connect_timeout must be > 0, got 0"),
])
def test_bad_constructor_arguments_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        UptimeKumaClient("http://127.0.0.1:1", "admin", "admin", **options)


def test_connecting_twice_is_an_error_and_keeps_the_session(kuma, kuma_client_factory):
    client = kuma_client_factory(kuma.url).connect()
    with pytest.raises(RuntimeError, match="already connected"):
        client.connect()
    assert client.is_live and client.logins == 1


def test_the_client_is_a_context_manager(kuma, kuma_client_factory):
    with kuma_client_factory(kuma.url) as client:
        assert client.is_live and client.is_logged_in and client.wait_until_live(0.1)
    assert not client.is_connected and not client.is_logged_in
    assert client.wait_until_live(0.05) is False


# -- lookups and getters ---------------------------------------------------------------------------------------
def test_monitors_are_found_by_id_or_by_name(kuma, settled):
    client = settled
    assert client.find_monitor(" pLEX ")["id"] == 1
    assert client.find_monitor(2)["name"] == "Overseerr"
    assert client.find_monitor("3")["name"] == "Tautulli"
    assert client.find_monitor(99) is None and client.find_monitor("99") is None
    assert client.monitor_id("overseerr") == 2 and client.monitor_id("1") == 1
    with pytest.raises(KeyError, match=r"no Uptime Kuma monitor 99; known monitors: 1 'Plex', 2 'Overseerr', "
                                       r"3 'Tautulli'"):
        client.monitor_id(99)


def test_a_numeric_name_that_is_no_id_matches_by_name(kuma, settled):
    monitor_id = kuma.add_monitor("404")
    assert settled.wait_for(lambda: settled.find_monitor("404") is not None, WAIT)
    assert settled.find_monitor("404")["id"] == monitor_id != 404


def test_important_heartbeats_are_newest_first_by_name_or_id(kuma, settled):
    client = settled
    before = len(client.important_heartbeats("Plex"))
    kuma.set_monitor_status("Plex", "down", msg="went down")
    assert client.wait_for(lambda: len(client.important_heartbeats(1)) == before + 1, WAIT)
    newest = client.important_heartbeats("plex")[0]
    assert (newest["status"], newest["msg"], newest["important"]) == (0, "went down", True)
    assert client.important_heartbeats("Plex") == client.important_heartbeats(1)
    kuma.set_monitor_status("Plex", "down", msg="still down")  # no change of status: not important
    assert client.wait_for(lambda: client.latest_heartbeat(1)["msg"] == "still down", WAIT)
    assert len(client.important_heartbeats(1)) == before + 1
    with pytest.raises(KeyError, match="Jellyfin"):
        client.important_heartbeats("Jellyfin")


def test_event_counts_and_last_event_time_follow_the_pushes(kuma, kuma_client_factory):
    started = datetime.now(timezone.utc)
    client = kuma_client_factory(kuma.url).connect()
    assert client.wait_for(lambda: client.uptime(3, 720) is not None, WAIT)
    counts = client.event_counts
    assert counts["monitorList"] == 1 and counts["heartbeatList"] == counts["importantHeartbeatList"] == 3
    assert counts["notificationList"] == 1  # events without a handler of their own are counted too
    first = client.last_event_at
    assert started <= first <= datetime.now(timezone.utc)
    kuma.set_monitor_status(2, "down")
    assert client.wait_for(lambda: client.event_counts.get("heartbeat", 0) == 1, WAIT)
    assert client.last_event_at >= first
    counts["heartbeat"] = 99  # a copy
    assert client.event_counts["heartbeat"] == 1


def test_average_ping_and_uptime_are_kept_per_monitor(kuma, settled):
    assert isinstance(settled.avg_ping(1), (int, float)) and settled.avg_ping(1) >= 0
    assert 0.0 <= settled.uptime(1) <= 1.0 and 0.0 <= settled.uptime(1, 720) <= 1.0
    assert settled.avg_ping(99) is None and settled.uptime(1, hours=1) is None


# -- odd pushes from the server ------------------------------------------------------------------------------------
def test_malformed_pushes_are_counted_but_change_nothing(kuma, settled):
    client = settled
    monitors, beat, important = client.monitors, client.latest_heartbeat(1), client.important_heartbeats(1)
    ping, uptime, info = client.avg_ping(1), client.uptime(1), client.info
    emit = kuma.sockets.sio.emit
    emit("monitorList", "not an object")
    emit("heartbeatList", ("abc", [{"status": 0}], False))
    emit("heartbeatList", (1, [], False))
    emit("heartbeatList", (1, ["not a row"], False))
    emit("importantHeartbeatList", ("abc", [{"status": 0}], True))
    emit("importantHeartbeatList", (1, "not a list", True))
    emit("heartbeat", "not an object")
    emit("heartbeat", {"monitorID": "abc", "status": 0})
    emit("avgPing", ("abc", 5))
    emit("uptime", (1, "a day", 0.5))
    emit("info", "not an object")
    emit("sentinel", {})
    assert client.wait_for(lambda: client.event_counts.get("sentinel") == 1, WAIT), client.event_counts
    assert client.monitors == monitors and client.latest_heartbeat(1) == beat
    assert client.important_heartbeats(1) == important
    assert (client.avg_ping(1), client.uptime(1), client.info) == (ping, uptime, info)
    assert client.is_live and client.event_counts["heartbeatList"] == 6


def test_odd_but_usable_pushes_are_understood(kuma, settled):
    client = settled
    emit = kuma.sockets.sio.emit
    emit("heartbeat", {"monitor_id": "2", "status": "0", "time": "2024-12-16 21:13:58.000", "msg": "boom"})
    emit("importantHeartbeatList", (2, [{"status": 0, "msg": "only one"}, "junk"], True))
    emit("monitorList", {"7": {"name": "Keyed by id"}, "8": "junk", "9": {"id": "x", "name": "Bad id"}})
    emit("sentinel", {})
    assert client.wait_for(lambda: client.event_counts.get("sentinel") == 1, WAIT), client.event_counts
    assert client.latest_heartbeat(2)["msg"] == "boom" and client.latest_heartbeat(2)["status"] == 0
    assert [b["msg"] for b in client.important_heartbeats(2)] == ["only one"]
    assert client.monitors == {7: {"name": "Keyed by id", "id": 7}}
    with pytest.raises(KeyError, match="known monitors: 7 'Keyed by id'"):
        client.monitor_status("Plex")


# -- connect / close failure paths ------------------------------------------------------------------------------------
def test_a_login_that_cannot_be_sent_times_out(kuma, kuma_client_factory, monkeypatch, caplog):
    from socketio import exceptions as sio_exceptions

    caplog.set_level(logging.INFO, logger="companion.uptime_kuma")
    client = kuma_client_factory(kuma.url, password="pw-never-logged", connect_timeout=1.0)
    real_emit = client._sio.emit

    def emit(event, *args, **kwargs):
        if event == "login":
            raise sio_exceptions.BadNamespaceError("/ is not a connected namespace.")
        return real_emit(event, *args, **kwargs)

    monkeypatch.setattr(client._sio, "emit", emit)
    with pytest.raises(ServiceTimeoutError, match="no answer to the login of user 'admin' .* in 1 s"):
        client.connect()
    assert "could not send the login" in caplog.text and "pw-never-logged" not in caplog.text
    assert not client.is_connected and not client.is_live


def test_a_connection_closed_during_login_is_unavailable(kuma, kuma_client_factory, monkeypatch):
    client = kuma_client_factory(kuma.url, reconnect_backoff=(5.0, 5.0))
    real_emit = client._sio.emit

    def emit(event, *args, **kwargs):
        if event == "login":  # instead of answering, the server hangs up
            threading.Thread(target=kuma.drop_connections, daemon=True).start()
            return None
        return real_emit(event, *args, **kwargs)

    monkeypatch.setattr(client._sio, "emit", emit)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailableError, match="closed the connection during login"):
        client.connect()
    assert time.monotonic() - started < 4.5, "close() waited for the reconnect delay"
    assert not client.is_connected and not reconnect_threads(client.url)


def test_close_survives_a_failing_socket_shutdown(kuma, kuma_client_factory, monkeypatch):
    client = kuma_client_factory(kuma.url).connect()

    def broken_shutdown():
        raise OSError("socket already gone")

    monkeypatch.setattr(client._sio, "shutdown", broken_shutdown)
    client.close()
    assert not client.is_live and not client.is_logged_in
    monkeypatch.undo()
    client.close()
    assert client.wait_for(lambda: not client.is_connected, WAIT)


# -- reconnection ---------------------------------------------------------------------------------------------------
def test_failed_reconnect_attempts_are_retried_until_the_server_is_back(kuma, kuma_client_factory, caplog):
    caplog.set_level(logging.INFO, logger="companion.uptime_kuma")
    client = kuma_client_factory(kuma.url, reconnect_backoff=(1.0, 1.0)).connect()
    kuma.drop_connections()  # server-initiated: the client's own supervisor reconnects
    assert client.wait_for(lambda: not client.is_connected, WAIT)
    assert client.last_disconnect_reason == socketio.Client.reason.SERVER_DISCONNECT
    kuma.take_down()  # well inside the first 1 s delay
    assert eventually(lambda: "reconnect to Uptime Kuma at" in caplog.text and "failed" in caplog.text), caplog.text
    assert not client.is_live
    kuma.bring_up()
    assert client.wait_for(lambda: client.is_live, WAIT), client.counters()
    counters = client.counters()
    assert counters["reconnects"] >= 1 and counters["logins"] >= 2 and counters["disconnects"] >= 1
    assert "admin" not in repr(client) and "username='*****', password='*****'" in repr(client)  # admin/admin


def test_close_stops_a_waiting_reconnect_at_once(kuma, kuma_client_factory):
    client = kuma_client_factory(kuma.url, reconnect_backoff=(5.0, 5.0)).connect()
    kuma.drop_connections()
    assert client.wait_for(lambda: not client.is_connected, WAIT)
    assert eventually(lambda: reconnect_threads(client.url), WAIT)
    started = time.monotonic()
    client.close()
    assert time.monotonic() - started < 4.5, "close() waited for the reconnect delay"
    assert not reconnect_threads(client.url)
    assert not client.wait_for(lambda: client.is_connected, 0.2)
