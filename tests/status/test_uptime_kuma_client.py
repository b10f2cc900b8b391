"""UptimeKumaClient against the in-process Uptime Kuma mock, over real Socket.IO."""

from __future__ import annotations

import logging
import socket

import pytest

from companion.errors import AuthenticationError, IntegrationError, ServiceUnavailableError

WAIT = 10.0  # generous deadline; every wait returns as soon as the condition holds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_login_ok_makes_the_client_live(kuma, kuma_client_factory):
    client = kuma_client_factory(kuma.url).connect()
    assert client.is_live
    assert client.logins == 1
    assert client.wait_for(lambda: client.info.get("version"), WAIT), client.event_counts


def test_wrong_password_is_an_authentication_error(kuma, kuma_client_factory, caplog):
    caplog.set_level(logging.DEBUG)
    client = kuma_client_factory(kuma.url, password="not-the-password")
    with pytest.raises(AuthenticationError) as err:
        client.connect()
    assert "Incorrect username or password" in str(err.value)
    assert "not-the-password" not in str(err.value)
    assert "not-the-password" not in caplog.text
    assert "not-the-password" not in repr(client)
    assert not client.is_live
    assert client.login_failures == 1


def test_rejected_logins_fault_is_an_authentication_error(kuma, kuma_client_factory):
    kuma.socket_faults.reject_logins = True
    client = kuma_client_factory(kuma.url)
    with pytest.raises(AuthenticationError):
        client.connect()
    assert isinstance(client.login_error, str) or client.login_error is None
    assert not client.is_live


def test_unreachable_server_is_service_unavailable(kuma_client_factory):
    client = kuma_client_factory(f"http://127.0.0.1:{free_port()}", connect_timeout=1.0)
    with pytest.raises(ServiceUnavailableError) as err:
        client.connect()
    assert isinstance(err.value, IntegrationError)
    assert "cannot connect to Uptime Kuma" in str(err.value)
    assert not client.is_live


def test_monitor_list_and_heartbeats_arrive_after_login(kuma, kuma_client_factory):
    client = kuma_client_factory(kuma.url).connect()
    assert client.wait_for(lambda: client.monitor_status("Plex") == "up"
                           and client.monitor_status("Overseerr") == "up", WAIT), client.event_counts
    monitors = client.monitors
    assert {monitors[1]["name"], monitors[2]["name"]} == {"Plex", "Overseerr"}
    assert all(isinstance(mid, int) for mid in monitors)
    assert client.monitor_status("plex") == client.monitor_status(1) == client.monitor_status("1") == "up"
    assert client.latest_heartbeat("Plex")["monitorID"] == 1


def test_unknown_monitor_names_the_known_ones(kuma, kuma_client_factory):
    client = kuma_client_factory(kuma.url).connect()
    assert client.wait_for(lambda: client.monitors, WAIT)
    with pytest.raises(KeyError, match="no Uptime Kuma monitor 'Jellyfin'.*'Plex'"):
        client.monitor_status("Jellyfin")
    assert client.find_monitor("Jellyfin") is None


@pytest.mark.parametrize(("status", "expected"), [("down", "down"), (0, "down"), ("pending", "pending"),
                                                  (3, "maintenance")])
def test_live_heartbeat_changes_the_status(kuma, kuma_client_factory, status, expected):
    client = kuma_client_factory(kuma.url).connect()
    assert client.wait_for(lambda: client.monitor_status("Plex") == "up", WAIT)
    kuma.set_monitor_status(1, status, msg="connect ECONNREFUSED")
    assert client.wait_for(lambda: client.monitor_status("Plex") == expected, WAIT), client.latest_heartbeat(1)
    assert client.monitor_status("Overseerr") == "up"
    assert client.latest_heartbeat(1)["msg"] == "connect ECONNREFUSED"


def test_wait_for_gives_up_at_its_deadline(kuma, kuma_client_factory):
    client = kuma_client_factory(kuma.url).connect()
    assert client.wait_for(lambda: client.monitor_status("Plex") == "maintenance", 0.05) is False


def test_reconnects_and_logs_in_again_after_dropped_connections(kuma, kuma_client_factory):
    client = kuma_client_factory(kuma.url).connect()
    assert client.wait_for(lambda: client.monitor_status("Plex") == "up", WAIT)
    kuma.drop_connections()
    assert client.wait_for(lambda: client.reconnects >= 1 and client.is_live, WAIT), client.counters()
    assert client.logins >= 2
    kuma.set_monitor_status(2, "down")
    assert client.wait_for(lambda: client.monitor_status("Overseerr") == "down", WAIT)


def test_reconnects_after_the_server_comes_back(kuma, kuma_client_factory):
    client = kuma_client_factory(kuma.url).connect()
    assert client.wait_for(lambda: client.monitor_status("Plex") == "up", WAIT)
    kuma.take_down()
    assert client.wait_for(lambda: not client.is_live, WAIT), client.counters()
    kuma.set_monitor_status(1, "down")  # changed while the client is away
    kuma.bring_up()
    assert client.wait_for(lambda: client.is_live and client.reconnects >= 1, WAIT), client.counters()
    assert client.logins >= 2
    # the after-login pushes bring the state that changed while disconnected
    assert client.wait_for(lambda: client.monitor_status("Plex") == "down", WAIT), client.latest_heartbeat(1)


def test_a_rejected_relogin_leaves_the_client_connected_but_not_live(kuma, kuma_client_factory):
    client = kuma_client_factory(kuma.url).connect()
    kuma.socket_faults.reject_logins = True
    kuma.drop_connections()
    assert client.wait_for(lambda: client.login_failures >= 1, WAIT), client.counters()
    assert not client.is_live
    kuma.socket_faults.reject_logins = False
    kuma.drop_connections()
    assert client.wait_for(lambda: client.is_live, WAIT), client.counters()


def test_close_stops_the_client(kuma, kuma_client_factory):
    client = kuma_client_factory(kuma.url).connect()
    client.close()
    assert not client.is_live
    assert not client.is_connected
    client.close()  # twice is fine


def test_on_event_hears_connect_login_pushes_drop_and_reconnect(kuma, kuma_client_factory):
    import threading

    heard: list[tuple[str, str]] = []
    lock = threading.Lock()

    def on_event(event: str, detail: str) -> None:
        with lock:
            heard.append((event, detail))

    def events() -> list[str]:
        with lock:
            return [event for event, _ in heard]

    client = kuma_client_factory(kuma.url, on_event=on_event).connect()
    assert client.wait_for(lambda: client.latest_heartbeat("Plex") is not None, WAIT)
    assert events()[0] == "connect" and "login" in events()
    assert ("push", "monitorList") in heard
    kuma.set_monitor_status("Plex", "down", msg="refused")
    assert client.wait_for(lambda: client.monitor_status("Plex") == "down", WAIT)
    assert client.wait_for(lambda: any(d.startswith("heartbeat monitor 1 down") for e, d in list(heard)), WAIT), heard
    kuma.drop_connections()
    assert client.wait_for(lambda: client.reconnects >= 1 and client.is_live, WAIT), client.counters()
    assert client.wait_for(lambda: "reconnect" in events(), WAIT)
    assert client.wait_for(lambda: events().count("login") == 2, WAIT), heard
    seen = events()
    assert seen.index("disconnect") < seen.index("reconnect")
    assert [e for e in seen if e in ("connect", "disconnect", "reconnect")] == ["connect", "disconnect", "reconnect"]
    assert all("admin" not in detail or "*****" in detail for _, detail in heard)


def test_a_failing_on_event_never_breaks_the_client(kuma, kuma_client_factory):
    def on_event(event: str, detail: str) -> None:
        raise RuntimeError("observer broken")

    client = kuma_client_factory(kuma.url, on_event=on_event).connect()
    assert client.is_live
    assert client.wait_for(lambda: client.monitors, WAIT)
