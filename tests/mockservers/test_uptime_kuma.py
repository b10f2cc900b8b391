"""The Uptime Kuma mock over real Socket.IO (websocket and polling) and HTTP."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from typing import Any, Callable

import pytest
import requests
import socketio
import websocket
from atest_support.waiting import wait_until

from mockservers import OverseerrMock, PlexMock, UptimeKumaMock

WAIT = 10.0  # generous deadline; every wait returns as soon as its condition holds
TIME_FORMAT = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$")
ROW_KEYS = {"id", "monitor_id", "status", "msg", "time", "ping", "important", "duration", "down_count"}
#: after-login pushes for the 3 default monitors: 8 lists + heartbeatList, importantHeartbeatList, avgPing and
#: two uptime per monitor
AFTER_LOGIN = {"monitorList": 1, "maintenanceList": 1, "notificationList": 1, "proxyList": 1,
               "dockerHostList": 1, "apiKeyList": 1, "statusPageList": 1, "heartbeatList": 3,
               "importantHeartbeatList": 3, "avgPing": 3, "uptime": 6}


class Probe:
    """A python-socketio client that records every event it receives (in arrival order)."""

    def __init__(self, url: str, transports: list[str]) -> None:
        self.url, self.transports = url, transports
        self.sio = socketio.Client(reconnection=False, request_timeout=5)
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        self.cond = threading.Condition()
        self.disconnected = threading.Event()
        self.sio.on("*", self._record)
        self.sio.on("disconnect", lambda *args: self.disconnected.set())

    def _record(self, event: str, *args: Any) -> None:
        with self.cond:
            self.events.append((event, args))
            self.cond.notify_all()

    def connect(self) -> "Probe":
        self.sio.connect(self.url, transports=self.transports, wait_timeout=5, retry=False)
        return self

    def login(self, username: str = "admin", password: str = "admin") -> dict[str, Any]:
        return self.sio.call("login", {"username": username, "password": password, "token": ""}, timeout=5)

    def call(self, event: str, *args: Any) -> Any:
        return self.sio.call(event, args if len(args) > 1 else args[0], timeout=5)

    def named(self, event: str) -> list[tuple[Any, ...]]:
        with self.cond:
            return [args for name, args in self.events if name == event]

    def count(self, event: str) -> int:
        return len(self.named(event))

    def wait_for(self, predicate: Callable[[], Any], timeout: float = WAIT) -> Any:
        with self.cond:
            return self.cond.wait_for(predicate, timeout)

    def has_after_login_pushes(self) -> bool:
        return (all(self.count(event) >= n for event, n in AFTER_LOGIN.items())
                and any("version" in args[0] for args in self.named("info")))

    def close(self) -> None:
        self.sio.disconnect()


@pytest.fixture(scope="module")
def plex_mock():
    """The Plex mock the monitors watch: one for the module (the tests read only its URL)."""
    with PlexMock(token="mock-token") as mock:
        yield mock


@pytest.fixture(scope="module")
def overseerr_mock():
    """The Overseerr mock the monitors watch: one for the module (the tests read only its URL)."""
    with OverseerrMock(api_key="mock-api-key") as mock:
        yield mock


@pytest.fixture
def kuma(plex_mock, overseerr_mock):
    # a short ping interval: a polling client that loses its own close packet waits for the next ping;
    # the Plex and Overseerr monitors watch the mocks started on free ports
    with UptimeKumaMock(password="s3cret-pw", ping_interval_s=1.0,
                        service_urls={"Plex": plex_mock.url, "Overseerr": overseerr_mock.url}) as mock:
        yield mock


@pytest.fixture(params=[["websocket"], ["polling"]], ids=["websocket", "polling"])
def transports(request) -> list[str]:
    return request.param


@pytest.fixture
def probes(kuma, transports):
    """Make connected probes on the kuma mock with the parametrised transport; all closed afterwards."""
    made: list[Probe] = []

    def make(connect: bool = True) -> Probe:
        probe = Probe(kuma.url, transports)
        made.append(probe)
        return probe.connect() if connect else probe

    yield make
    for probe in made:
        probe.close()


def logged_in(probes, kuma) -> Probe:
    probe = probes()
    assert probe.login("admin", "s3cret-pw")["ok"] is True
    assert probe.wait_for(probe.has_after_login_pushes), probe.events
    return probe


# -- login and the after-login pushes -------------------------------------------------------
def test_connect_pushes_info_without_version(probes, transports):
    probe = probes()
    assert probe.sio.transport() == transports[0]
    assert probe.wait_for(lambda: probe.count("info") == 1)
    info = probe.named("info")[0][0]
    assert "version" not in info and info["serverTimezone"] == "UTC"


def test_polling_upgrades_to_websocket_like_real_clients_do(kuma):
    probe = Probe(kuma.url, ["polling", "websocket"]).connect()
    try:
        assert wait_until(probe.sio.transport, lambda transport: transport == "websocket", what="the transport",
                          expected="websocket", timeout=WAIT), probe.sio.transport()
        assert probe.login("admin", "s3cret-pw")["ok"] is True
        assert probe.wait_for(probe.has_after_login_pushes), probe.events
    finally:
        probe.close()


def test_login_acks_a_jwt_and_pushes_the_state(kuma, probes, plex_mock, overseerr_mock):
    probe = probes()
    answer = probe.login("admin", "s3cret-pw")
    assert answer["ok"] is True
    header, payload, signature = answer["token"].split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(base64.urlsafe_b64decode(payload + "=="))["username"] == "admin" and signature
    assert probe.wait_for(probe.has_after_login_pushes), probe.events
    assert probe.named("info")[-1][0]["version"] == "1.23.16"
    assert kuma.logged_in_clients == 1 and kuma.connected_clients == 1
    monitors = probe.named("monitorList")[0][0]
    assert list(monitors) == ["1", "2", "3"]
    assert [m["name"] for m in monitors.values()] == ["Plex", "Overseerr", "Tautulli"]
    plex = monitors["1"]
    assert plex["id"] == 1 and plex["type"] == "http" and plex["url"] == plex_mock.url + "/identity"
    assert plex["notificationIDList"] == {} and plex["tags"] == [] and plex["accepted_statuscodes"] == ["200-299"]
    assert monitors["2"]["url"] == overseerr_mock.url + "/api/v1/status"
    assert probe.named("statusPageList")[0][0]["1"]["slug"] == "default"
    assert sorted(args[:2] for args in probe.named("uptime")) == [(1, 24), (1, 720), (2, 24), (2, 720), (3, 24),
                                                                   (3, 720)]
    assert all(args[2] == 1.0 for args in probe.named("uptime"))
    assert {args[0]: args[1] for args in probe.named("avgPing")} == {1: 12.4, 2: 21.0, 3: 32.0}


def test_wrong_password_is_refused_and_nothing_is_pushed(kuma, probes):
    probe = probes()
    assert probe.login("admin", "wrong") == {"ok": False, "msg": "Incorrect username or password."}
    assert probe.login("nobody", "s3cret-pw")["ok"] is False
    assert probe.call("getMonitor", 1) == {"ok": False, "msg": "You are not logged in."}
    assert kuma.logged_in_clients == 0
    assert probe.count("monitorList") == 0


def test_login_by_token_works_and_a_bad_token_does_not(kuma, probes):
    token = probes().login("admin", "s3cret-pw")["token"]
    again = probes()
    assert again.call("loginByToken", "not-a-token") == {"ok": False, "msg": "Invalid token."}
    assert again.call("loginByToken", token) == {"ok": True}
    assert again.wait_for(again.has_after_login_pushes), again.events


def test_requests_before_login_are_refused(probes):
    probe = probes()
    assert probe.call("getMonitor", 1) == {"ok": False, "msg": "You are not logged in."}
    assert probe.call("getMonitorBeats", 1, 24) == {"ok": False, "msg": "You are not logged in."}
    assert probe.call("addMonitor", {"name": "x"}) == {"ok": False, "msg": "You are not logged in."}


def test_heartbeat_lists_have_three_args_and_real_rows(kuma, probes):
    probe = logged_in(probes, kuma)
    lists = {args[0]: args for args in probe.named("heartbeatList")}
    assert set(lists) == {1, 2, 3}
    monitor_id, rows, overwrite = lists[1]
    assert (monitor_id, overwrite, len(rows)) == (1, False, 5)
    assert all(set(row) == ROW_KEYS and TIME_FORMAT.match(row["time"]) for row in rows)
    assert [row["time"] for row in rows] == sorted(row["time"] for row in rows)  # oldest -> newest
    assert [row["ping"] for row in rows] == [12, 14, 11, 13, 12]
    assert {row["status"] for row in rows} == {1} and rows[0]["important"] == 1 and rows[1]["important"] == 0
    important = {args[0]: args for args in probe.named("importantHeartbeatList")}
    assert important[1][1] == [rows[0]] and important[1][2] is False


def test_get_monitor_and_its_beats(kuma, probes):
    probe = logged_in(probes, kuma)
    answer = probe.call("getMonitor", 2)
    assert answer["ok"] is True and answer["monitor"]["name"] == "Overseerr"
    beats = probe.call("getMonitorBeats", 2, 24)
    assert beats["ok"] is True and [row["ping"] for row in beats["data"]] == [21, 19, 23, 20, 22]
    missing = probe.call("getMonitor", 99)
    assert missing["ok"] is False and "99" in missing["msg"]
    assert probe.call("getMonitorBeats", 99, 24)["ok"] is False


# -- live changes -----------------------------------------------------------------------------------
def test_set_monitor_status_pushes_a_live_heartbeat(kuma, probes):
    probe = logged_in(probes, kuma)
    row = kuma.set_monitor_status("plex", "down", msg="connect ECONNREFUSED")
    assert row["status"] == 0 and row["important"] == 1 and row["ping"] is None and row["down_count"] == 1
    assert probe.wait_for(lambda: probe.count("heartbeat") == 1)
    beat = probe.named("heartbeat")[0][0]
    assert beat == {"monitorID": 1, "status": 0, "time": row["time"], "msg": "connect ECONNREFUSED",
                    "ping": None, "important": True, "duration": row["duration"]}
    kuma.set_monitor_status(1, 0, msg="still down")
    assert probe.wait_for(lambda: probe.count("heartbeat") == 2)
    assert probe.named("heartbeat")[1][0]["important"] is False
    assert kuma.monitor_status("Plex") == "down" and kuma.heartbeats(1)[-1]["down_count"] == 2


def test_set_monitor_status_rejects_unknown_monitors_and_statuses(kuma):
    with pytest.raises(ValueError, match=r"unknown monitor 'Jellyfin'.*'Plex'.*'Overseerr'"):
        kuma.set_monitor_status("Jellyfin", "down")
    with pytest.raises(ValueError, match="unknown monitor status 'sideways'.*up, down, pending, maintenance"):
        kuma.set_monitor_status(1, "sideways")
    with pytest.raises(ValueError, match="unknown monitor status 7"):
        kuma.set_monitor_status(1, 7)
    assert kuma.monitor_status(1) == "up"


def test_add_monitor_pushes_a_fresh_monitor_list(kuma, probes):
    probe = logged_in(probes, kuma)
    new_id = kuma.add_monitor("Jellyfin", url="http://127.0.0.1:8096/health", status="pending")
    assert new_id == 4 and kuma.monitors[4]["name"] == "Jellyfin"
    assert probe.wait_for(lambda: probe.count("monitorList") == 2)
    assert probe.named("monitorList")[1][0]["4"]["url"] == "http://127.0.0.1:8096/health"
    assert probe.wait_for(lambda: any(args[0]["monitorID"] == 4 for args in probe.named("heartbeat")))
    with pytest.raises(ValueError, match="unknown monitor type 'carrier-pigeon'"):
        kuma.add_monitor("Birds", type="carrier-pigeon")


# -- socket faults ------------------------------------------------------------------------------------
def test_reject_logins_fault(kuma, probes):
    kuma.socket_faults.reject_logins = True
    probe = probes()
    assert probe.login("admin", "s3cret-pw") == {"ok": False, "msg": "Incorrect username or password."}
    kuma.socket_faults.clear()
    assert probe.login("admin", "s3cret-pw")["ok"] is True


def test_stop_events_keeps_acks_but_pushes_nothing(kuma, probes):
    kuma.socket_faults.stop_events = True
    probe = probes()
    assert probe.login("admin", "s3cret-pw")["ok"] is True  # acks are still answered
    kuma.set_monitor_status(1, "down", msg="while stopped")
    assert probe.call("getMonitor", 1)["ok"] is True
    kuma.socket_faults.stop_events = False
    kuma.set_monitor_status(1, "up", msg="after")
    assert probe.wait_for(lambda: probe.count("heartbeat") >= 1)
    assert [args[0]["msg"] for args in probe.named("heartbeat")] == ["after"]
    assert probe.count("monitorList") == 0 and probe.count("info") == 0


def test_event_delay_holds_back_every_push(kuma, probes):
    kuma.socket_faults.event_delay_s = 0.3
    probe = probes()
    started = time.monotonic()
    assert probe.login("admin", "s3cret-pw")["ok"] is True
    assert probe.wait_for(lambda: probe.count("monitorList") == 1)
    assert time.monotonic() - started >= 0.3
    assert probe.wait_for(probe.has_after_login_pushes)
    before = time.monotonic()
    kuma.set_monitor_status(2, "down")
    assert probe.wait_for(lambda: probe.count("heartbeat") == 1)
    assert time.monotonic() - before >= 0.3


def test_drop_connections_disconnects_every_client(kuma, probes):
    first, second = logged_in(probes, kuma), probes()
    assert kuma.connected_clients == 2
    assert kuma.drop_connections() == 2
    assert first.disconnected.wait(WAIT) and second.disconnected.wait(WAIT)
    assert wait_until(lambda: kuma.connected_clients == 0, bool, what="no client connected", expected="true",
                      timeout=WAIT)
    assert kuma.drop_connections() == 0


def test_take_down_drops_sockets_and_bring_up_accepts_again(kuma, probes):
    probe = logged_in(probes, kuma)
    port = kuma.port
    kuma.take_down()
    assert probe.disconnected.wait(WAIT)
    assert kuma.connected_clients == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(kuma.url + "/metrics", timeout=1)
    kuma.bring_up()
    assert kuma.port == port
    again = logged_in(probes, kuma)
    assert again.sio.connected and kuma.logged_in_clients == 1


def test_ack_comes_before_the_pushes_on_the_wire(kuma):
    """Raw Engine.IO over a websocket: packets are read in the exact order the server wrote them."""
    ws = websocket.create_connection(f"ws://127.0.0.1:{kuma.port}/socket.io/?EIO=4&transport=websocket", timeout=5)
    try:
        assert ws.recv().startswith("0{")  # engine.io open
        ws.send("40")
        packets = []
        while not (any(p.startswith("40{") for p in packets) and any('"info"' in p for p in packets)):
            packets.append(ws.recv())  # the connect ack and the connect-time info
        ws.send('420["login",{"username":"admin","password":"s3cret-pw","token":""}]')
        names = []
        while len(names) < 1 + sum(AFTER_LOGIN.values()) + 1:
            packet = ws.recv()
            if packet == "2":  # engine.io ping
                ws.send("3")
                continue
            if packet.startswith("430"):
                names.append("<ack>")
            elif packet.startswith("42"):
                names.append(json.loads(packet[2:])[0])
    finally:
        ws.close()
    assert names[:10] == ["<ack>", "monitorList", "info", "maintenanceList", "notificationList", "proxyList",
                          "dockerHostList", "apiKeyList", "statusPageList", "heartbeatList"]
    assert names[10:] == ["heartbeatList"] * 2 + ["importantHeartbeatList"] * 3 + ["avgPing", "uptime", "uptime"] * 3


# -- HTTP ---------------------------------------------------------------------------------------------
def test_status_page_and_unknown_slug(kuma):
    page = requests.get(kuma.url + "/api/status-page/default", timeout=5).json()
    assert set(page) == {"config", "incident", "publicGroupList", "maintenanceList"}
    assert page["config"]["slug"] == "default" and page["incident"] is None
    group = page["publicGroupList"][0]
    assert {"id", "name", "weight", "monitorList"} <= set(group)
    assert [(m["id"], m["name"], m["type"]) for m in group["monitorList"]] == [(1, "Plex", "http"),
                                                                               (2, "Overseerr", "http"),
                                                                               (3, "Tautulli", "http")]
    missing = requests.get(kuma.url + "/api/status-page/nope", timeout=5)
    assert missing.status_code == 404 and missing.json() == {"status": "fail", "msg": "Status Page Not Found"}


def test_status_page_heartbeats_follow_status_changes(kuma):
    kuma.set_monitor_status("Tautulli", "down", msg="timeout")
    body = requests.get(kuma.url + "/api/status-page/heartbeat/default", timeout=5).json()
    assert set(body["heartbeatList"]) == {"1", "2", "3"}
    newest = body["heartbeatList"]["3"][-1]
    assert newest == {"status": 0, "time": kuma.heartbeats(3)[-1]["time"], "msg": "timeout", "ping": None}
    assert body["uptimeList"]["1_24"] == 1.0 and body["uptimeList"]["3_24"] == pytest.approx(5 / 6, abs=1e-3)
    assert requests.get(kuma.url + "/api/status-page/heartbeat/nope", timeout=5).status_code == 404


def test_metrics_need_basic_auth(kuma, plex_mock):
    anonymous = requests.get(kuma.url + "/metrics", timeout=5)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Basic")
    assert requests.get(kuma.url + "/metrics", auth=("admin", "wrong"), timeout=5).status_code == 401
    kuma.set_monitor_status(2, "down")
    text = requests.get(kuma.url + "/metrics", auth=("admin", "s3cret-pw"), timeout=5).text
    assert (f'monitor_status{{monitor_name="Plex",monitor_type="http",monitor_url="{plex_mock.url}/identity",'
            'monitor_hostname="null",monitor_port="null"} 1') in text
    assert re.search(r'monitor_status\{monitor_name="Overseerr",[^}]*\} 0\n', text)
    assert re.search(r'monitor_response_time\{monitor_name="Plex",[^}]*\} 12\n', text)


def test_badge_is_an_svg_with_the_status(kuma):
    answer = requests.get(kuma.url + "/api/badge/1/status", timeout=5)
    assert answer.headers["Content-Type"].startswith("image/svg+xml") and ">Up<" in answer.text
    kuma.set_monitor_status(1, "maintenance")
    assert ">Maintenance<" in requests.get(kuma.url + "/api/badge/1/status", timeout=5).text
    assert ">N/A<" in requests.get(kuma.url + "/api/badge/42/status", timeout=5).text


def test_http_faults_leave_the_socket_alone(kuma, probes):
    kuma.faults.set_failure_rate(1.0, status=503, seed=7)
    assert requests.get(kuma.url + "/api/status-page/default", timeout=5).status_code == 503
    probe = logged_in(probes, kuma)  # Socket.IO still works
    assert probe.sio.connected


def test_password_is_not_journaled_or_shown(kuma):
    probe = Probe(kuma.url, ["polling"]).connect()
    try:
        assert probe.login("admin", "s3cret-pw")["ok"] is True
        token = probe.login("admin", "s3cret-pw")["token"]
        assert probe.call("loginByToken", token)["ok"] is True
    finally:
        probe.close()
    journaled = json.dumps([entry.to_dict() for entry in kuma.journal.entries()])
    assert "/socket.io/" in journaled
    assert "s3cret-pw" not in journaled and token not in journaled
    assert "s3cret-pw" not in repr(kuma) and "s3cret-pw" not in repr(kuma.socket_faults)


# -- admin API ----------------------------------------------------------------------------------------
def admin(kuma, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(method, f"{kuma.url}/__admin/uptime-kuma{path}", json=body, timeout=5)


def test_admin_sets_a_status_and_adds_a_monitor(kuma, probes):
    probe = logged_in(probes, kuma)
    answer = admin(kuma, "POST", "/monitors/Overseerr/status", {"status": "down", "msg": "HTTP 502"})
    assert answer.status_code == 200 and answer.json()["heartbeat"]["status"] == 0
    assert probe.wait_for(lambda: probe.count("heartbeat") == 1)
    assert probe.named("heartbeat")[0][0]["msg"] == "HTTP 502"
    created = admin(kuma, "POST", "/monitors", {"name": "Sonarr", "url": "http://127.0.0.1:8989"})
    assert created.status_code == 201 and created.json()["id"] == 4
    assert admin(kuma, "GET", "/monitors").json()["monitors"][3]["name"] == "Sonarr"


@pytest.mark.parametrize(("method", "path", "body", "status", "says"), [
    ("POST", "/monitors/Jellyfin/status", {"status": "down"}, 404, "unknown monitor 'Jellyfin'"),
    ("POST", "/monitors/1/status", {"status": "sideways"}, 400, "unknown monitor status"),
    ("POST", "/monitors/1/status", {"msg": "x"}, 400, "status is required"),
    ("POST", "/monitors/1/status", {"status": "up", "ping": "fast"}, 400, "ping must be"),
    ("POST", "/monitors", {"type": "http"}, 400, "name is required"),
    ("POST", "/monitors", {"name": "X", "type": "carrier-pigeon"}, 400, "unknown monitor type"),
    ("POST", "/monitors", {"name": "Plex"}, 400, "already exists"),
    ("POST", "/monitors", {"name": "X", "colour": "red"}, 400, "unknown field(s) colour"),
    ("PUT", "/socket-faults", {"reject_logins": "yes"}, 400, "reject_logins must be true or false"),
    ("PUT", "/socket-faults", {"event_delay_ms": -5}, 400, "event_delay_ms must be"),
    ("PUT", "/socket-faults", {"drop": True}, 400, "unknown socket fault field(s) drop"),
    ("PUT", "/socket-faults", [1, 2], 400, "must be a JSON object"),
])
def test_admin_rejects_bad_input(kuma, method, path, body, status, says):
    answer = admin(kuma, method, path, body)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["error"]
    assert len(kuma.monitors) == 3 and kuma.socket_faults.to_dict()["reject_logins"] is False


def test_admin_socket_faults_and_drop_connections(kuma, probes):
    answer = admin(kuma, "PUT", "/socket-faults", {"reject_logins": True, "event_delay_ms": 250})
    assert answer.json() == {"reject_logins": True, "event_delay_ms": 250.0, "stop_events": False}
    assert kuma.socket_faults.event_delay_s == 0.25
    assert admin(kuma, "PATCH", "/socket-faults", {"stop_events": True}).json()["reject_logins"] is True
    assert admin(kuma, "GET", "/socket-faults").json()["stop_events"] is True
    assert probes().login("admin", "s3cret-pw")["ok"] is False
    assert admin(kuma, "DELETE", "/socket-faults").json() == {"reject_logins": False, "event_delay_ms": 0.0,
                                                              "stop_events": False}
    probe = probes()
    assert admin(kuma, "POST", "/drop-connections").json() == {"dropped": 2}
    assert probe.disconnected.wait(WAIT)


def test_admin_reset_restores_monitors_and_clears_socket_faults(kuma):
    kuma.add_monitor("Sonarr")
    kuma.set_monitor_status(1, "down")
    kuma.socket_faults.reject_logins = True
    assert requests.post(kuma.url + "/__admin/reset", timeout=5).status_code == 200
    assert [m["name"] for m in kuma.monitors.values()] == ["Plex", "Overseerr", "Tautulli"]
    assert kuma.monitor_status(1) == "up" and len(kuma.heartbeats(1)) == 5
    assert kuma.socket_faults.reject_logins is False
