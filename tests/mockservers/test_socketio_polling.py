"""Socket.IO long-polling holds no worker thread: 60 polling clients leave the Uptime Kuma mock fully usable."""

from __future__ import annotations

import http.client
import json
import socket
import threading

import pytest
import requests
import socketio
from atest_support.waiting import wait_until

from mockservers import UptimeKumaMock
from mockservers.core.server import SERVICE_WORKERS

pytestmark = pytest.mark.timeout(120)
POLLING_CLIENTS = 60  # each held a worker thread of 32 for up to 25 s before
PING_INTERVAL_S = 60.0  # no ping answers a held poll during the test: only the mock's design can


class RawPollingClient:
    """An Engine.IO 4 client over plain sockets: handshake, Socket.IO connect, then one long-poll after another.

    Each poll waits on the server until it has something to send; :attr:`answered` counts the polls answered.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.answered = 0
        self.closed = threading.Event()
        handshake = self._exchange("GET", "/socket.io/?EIO=4&transport=polling")
        self.sid = json.loads(handshake[handshake.index(b"{"):])["sid"]
        self._exchange("POST", f"/socket.io/?EIO=4&transport=polling&sid={self.sid}", b"40")
        self._thread = threading.Thread(target=self._poll_forever, daemon=True)
        self._thread.start()

    def _exchange(self, method: str, target: str, body: bytes = b"") -> bytes:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=PING_INTERVAL_S * 2)
        self._connection = connection
        try:
            connection.request(method, target, body=body)
            answer = connection.getresponse()
            payload = answer.read()
        finally:
            connection.close()
        assert answer.status == 200, (answer.status, payload)
        return payload

    def _poll_forever(self) -> None:
        target = f"/socket.io/?EIO=4&transport=polling&sid={self.sid}"
        try:
            while not self.closed.is_set():
                self._exchange("GET", target)
                self.answered += 1
        except (OSError, AssertionError, http.client.HTTPException):
            pass

    def close(self) -> None:
        self.closed.set()
        sock = self._connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def kuma():
    with UptimeKumaMock(ping_interval_s=PING_INTERVAL_S, heartbeat_interval_s=None) as mock:
        yield mock


def test_sixty_polling_clients_hold_no_threads_and_the_mock_answers_everyone_else(kuma):
    clients = [RawPollingClient(kuma.host, kuma.port) for _ in range(POLLING_CLIENTS)]
    try:
        wait_until(lambda: kuma.polls_waiting, lambda n: n == POLLING_CLIENTS, what="long-polls held",
                   expected=str(POLLING_CLIENTS), timeout=30, interval=0.05)
        answered = [c.answered for c in clients]

        page = requests.get(kuma.url + "/api/status-page/heartbeat/default", timeout=10)
        assert page.status_code == 200 and set(page.json()["heartbeatList"]) == {"1", "2", "3"}
        for transports in (["websocket"], ["polling"]):
            client = socketio.Client(reconnection=False)
            try:
                client.connect(kuma.url, transports=transports, wait_timeout=10)
                assert client.call("login", {"username": "admin", "password": "admin", "token": ""},
                                   timeout=10)["ok"] is True
            finally:
                client.disconnect()

        assert kuma.polls_waiting >= POLLING_CLIENTS > SERVICE_WORKERS
        assert [c.answered for c in clients] == answered  # none was answered meanwhile: all still held
    finally:
        for client in clients:
            client.close()


def test_a_held_poll_is_answered_when_the_server_has_something_to_send(kuma):
    client = RawPollingClient(kuma.host, kuma.port)
    try:
        wait_until(lambda: kuma.polls_waiting, lambda n: n == 1, what="long-polls held", expected="1", timeout=10)
        before = client.answered
        kuma.drop_connections()  # a Socket.IO DISCONNECT packet for every client
        wait_until(lambda: client.answered, lambda n: n > before, what="polls answered", expected=f"> {before}",
                   timeout=10)
        assert kuma.connected_clients == 0
    finally:
        client.close()
