"""Every store that grows with what clients send is bounded in bytes: request heads, the journal, webhook history."""

from __future__ import annotations

import http.client
import asyncio
import socket

import pytest
import requests
from atest_support.waiting import wait_until

from mockservers import OverseerrMock, UptimeKumaMock
from mockservers.core import validation as check
from mockservers.core.bounded import BoundedHistory
from mockservers.core.faults import MAX_PLAN_BYTES, MAX_ROUTES, FaultPlan, FaultSpecError
from mockservers.core.journal import (BODY_LIMIT, ENTRY_COST, HEADERS_LIMIT, QUERY_PARAMS_LIMIT, REDACTED,
                                      VALUE_LIMIT, RequestJournal)

from mockservers.uptime_kuma.data import MAX_MONITORS
from mockservers.uptime_kuma.pump import MAX_QUEUED_BYTES, EventPump, SocketFaults

from .conftest import EchoMock

pytestmark = pytest.mark.timeout(120)
ONE_MB = 1024 * 1024


def raw_exchange(mock, head: bytes) -> bytes:
    """Send ``head`` on a fresh connection and read the whole answer (the mock closes after a refusal)."""
    with socket.create_connection((mock.host, mock.port), timeout=10) as sock:
        sock.sendall(head)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


# -- the request head, limited while it is parsed ----------------------------------------------------------
def test_forty_requests_with_a_1_mb_header_are_431_and_leave_the_journal_empty(echo):
    for _ in range(40):
        answer = requests.get(echo.url + "/items", headers={"X-Big": "a" * ONE_MB}, timeout=10)
        assert answer.status_code == 431
        assert f"at most {check.MAX_HEADER_BYTES} bytes of header names and values" in answer.json()["error"]
    assert echo.journal.size_bytes == 0 and echo.journal.count() == 0
    listing = requests.get(echo.url + "/__admin/journal?limit=5", timeout=10).json()
    assert listing["count"] == 0 and listing["size_bytes"] == 0
    assert requests.get(echo.url + "/items", timeout=5).status_code == 200  # the mock is fine


def test_more_header_fields_than_allowed_is_431(echo):
    fields = b"".join(b"X-%d: 1\r\n" % n for n in range(check.MAX_HEADER_COUNT + 1))
    answer = raw_exchange(echo, b"GET /items HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert b"request has over 100 header fields: at most 100 are accepted" in answer


def test_a_hundred_thousand_header_fields_are_refused_early(echo):
    fields = b"".join(b"X-%d: 1\r\n" % n for n in range(100_000))
    answer = raw_exchange(echo, b"GET /items HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert echo.journal.count() == 0


def test_a_request_target_over_the_limit_is_414(echo):
    answer = raw_exchange(echo, b"GET /items?" + b"q" * check.MAX_URL_BYTES + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 414 URI Too Long\r\n")
    assert f"at most {check.MAX_URL_BYTES} are accepted".encode() in answer


def test_heads_within_the_limits_are_served_and_keep_the_connection(echo):
    connection = http.client.HTTPConnection(echo.host, echo.port, timeout=10)
    try:
        big = {"X-Big": "b" * (check.MAX_HEADER_BYTES - 200)}
        many = {f"X-{n}": "1" for n in range(check.MAX_HEADER_COUNT - 3)}
        statuses = []
        for headers in (big, many):
            connection.request("GET", "/items", headers=headers)
            answer = connection.getresponse()
            answer.read()
            statuses.append(answer.status)
    finally:
        connection.close()
    assert statuses == [200, 200]


class ConnectionSide(asyncio.Transport):
    """A connection as the mock's HTTP protocol sees it: the test decides its reads; what the mock writes is kept."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def get_extra_info(self, name: str, default=None):
        return {"sockname": ("127.0.0.1", 80), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def write(self, data: bytes) -> None:
        self.written += data

    def writelines(self, parts) -> None:
        for part in parts:
            self.written += part

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    abort = close

    def can_write_eof(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def answers_to_reads(mock, reads: list[bytes], answers: int) -> bytes:
    """What ``mock`` writes back once it has read exactly ``reads`` on one connection and sent ``answers``
    status lines (its own HTTP protocol, on its own loop, with a connection whose reads the test decides)."""
    side = ConnectionSide()

    async def connect_and_feed():
        protocol = mock._serving._protocol()
        protocol.connection_made(side)
        for data in reads:
            protocol.data_received(data)
        return protocol

    protocol = mock._serving.call(connect_and_feed())
    try:
        return wait_until(lambda: bytes(side.written), lambda written: written.count(b"HTTP/1.1 ") >= answers,
                          what="the mock's answers", expected=f"{answers} status lines", timeout=10)
    finally:
        async def disconnect():
            protocol.connection_lost(None)

        mock._serving.call(disconnect())


@pytest.mark.parametrize("cut", [1, 2, 1000], ids=["before-the-last-byte", "before-the-blank-line", "mid-field"])
def test_a_head_over_the_limit_is_431_wherever_its_reads_end(echo, cut):
    # 33 fields of 1 KB: within the field count, over the bytes; most of it in one read, the end in another
    fields = b"".join(b"X-%d: %s\r\n" % (n, b"v" * 1000) for n in range(33))
    head = b"GET /items HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n"
    answer = answers_to_reads(echo, [head[:-cut], head[-cut:]], answers=1)
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer[:200]
    assert echo.journal.count() == 0


def test_a_head_that_begins_in_the_read_of_a_large_body_is_served(echo):
    # the next request's head begins in the read that carried the body before it (those bytes are not its
    # own) and is still unfinished after the read that follows
    body = b"b" * (check.MAX_URL_BYTES + check.MAX_HEADER_BYTES)
    post = b"POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    following = b"GET /items HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: p\r\n" * 50 + b"\r\n"
    answer = answers_to_reads(echo, [post + following[:100], following[100:200], following[200:]],
                              answers=2)
    assert answer.startswith(b"HTTP/1.1 201 ") and answer.count(b"HTTP/1.1 200 ") == 1, answer[:300]


# -- the journal: each entry bounded, and the whole in bytes ------------------------------------------------
def test_an_entry_keeps_bounded_headers_query_and_body_and_says_what_it_cut():
    journal = RequestJournal(secret_values=lambda: ["hunter22secret"])
    long_value = "a" * (VALUE_LIMIT - 5) + "hunter22secret" + "z" * ONE_MB  # the secret straddles the cut
    query = "&".join(f"p{n}=v" for n in range(500)).encode()
    headers = [(b"x-big", long_value.encode()), (b"accept", b"application/json")]
    journal.record_raw("POST", "/upload", query, 200, 1.0, headers, b"x" * (20 * 1024), None)
    entry = journal.last()
    assert len(entry.headers["X-Big"]) == VALUE_LIMIT and "hunter2" not in entry.headers["X-Big"]
    assert entry.headers["X-Big"].endswith(REDACTED[:5]) and entry.headers["Accept"] == "application/json"
    assert len(entry.query) == QUERY_PARAMS_LIMIT and len(entry.body) == BODY_LIMIT
    assert entry.truncated == ("query", "header X-Big", "body")
    assert entry.to_dict()["truncated"] == ["query", "header X-Big", "body"]
    assert journal.size_bytes == entry.size < 40 * 1024


def test_the_journal_keeps_at_most_its_bytes_dropping_the_oldest():
    journal = RequestJournal(maxlen=1000, max_bytes=256 * 1024)
    headers = [(f"x-h{n}".encode(), b"v" * VALUE_LIMIT) for n in range(HEADERS_LIMIT)]
    for n in range(40):
        journal.record_raw("GET", f"/items/{n}", b"", 200, 1.0, headers, b"", None)
    kept = journal.entries()
    assert journal.size_bytes <= journal.max_bytes
    assert journal.size_bytes == sum(entry.size for entry in kept)
    assert journal.dropped == 40 - len(kept) > 0
    assert kept[-1].path == "/items/39" and [e.path for e in kept] == [f"/items/{n}" for n in range(40 - len(kept), 40)]
    journal.clear()
    assert (journal.size_bytes, journal.dropped, journal.count()) == (0, 0, 0)


def test_a_mock_journal_stays_within_its_bytes_under_heads_at_the_limit():
    with EchoMock(journal_bytes=ONE_MB) as echo:
        headers = {f"X-{n}": "h" * 1000 for n in range(30)}  # about 30 KB: within the head limits
        with requests.Session() as session:
            for _ in range(120):
                assert session.get(echo.url + "/items", headers=headers, timeout=10).status_code == 200
        listing = requests.get(echo.url + "/__admin/journal?limit=5", timeout=10).json()
        assert listing["count"] == 5 and listing["max_bytes"] == ONE_MB
        assert listing["size_bytes"] <= ONE_MB and listing["dropped"] > 0
        assert listing["total_recorded"] == 120
        assert echo.journal.size_bytes <= ONE_MB


def test_limit_reads_only_the_newest_entries():
    journal = RequestJournal()
    for n in range(10):
        journal.record_raw("GET", f"/n/{n}", b"", 200 if n % 2 else 503, 1.0, [], b"", None)
    assert [e.path for e in journal.entries(limit=3)] == ["/n/7", "/n/8", "/n/9"]
    assert [e.path for e in journal.entries(status=503, limit=2)] == ["/n/6", "/n/8"]
    assert len(journal.entries(limit=50)) == 10


# -- the Overseerr mock's webhook delivery history ------------------------------------------------------------
def test_the_webhook_history_is_bounded_in_count_and_bytes():
    history = BoundedHistory(max_count=5, max_bytes=1000)
    for n in range(8):
        history.append({"n": n})
    assert [r["n"] for r in history.records()] == [3, 4, 5, 6, 7] and history.dropped == 3
    history.append({"big": "x" * 980})  # 992 bytes: room for one 7-byte record beside it
    assert [list(r) for r in history.records()] == [["n"], ["big"]] and history.size_bytes <= 1000
    history.append({"huge": "y" * 5000})  # larger than the bound alone: the newest is kept
    assert len(history) == 1 and history.size_bytes > 1000


def test_large_webhook_posts_keep_the_history_within_its_bytes():
    with OverseerrMock() as overseerr:
        overseerr.delivery_history.max_bytes = ONE_MB  # the same mechanism, a smaller bound: a quicker test
        filler = {"extra": [{"name": "n", "value": "v" * 100} for _ in range(2000)]}  # ~250 KB of small items
        for _ in range(20):
            answer = requests.post(overseerr.url + "/__admin/overseerr/webhooks", timeout=20, json={
                "url": f"http://127.0.0.1:{unused_port()}/hook", "notification_type": "TEST_NOTIFICATION",
                "timeout": 1, "payload_overrides": filler})
            assert answer.status_code == 200, answer.text
        listing = requests.get(overseerr.url + "/__admin/overseerr/webhooks", timeout=20)
        body = listing.json()
        assert len(listing.content) < 2 * ONE_MB
        assert body["size_bytes"] <= ONE_MB and body["dropped"] == 20 - len(body["deliveries"]) > 0
        assert body["max_deliveries"] == 200 and len(overseerr.webhook_deliveries) == len(body["deliveries"])


def test_a_payload_override_that_is_not_json_is_refused():
    with OverseerrMock() as overseerr:
        with pytest.raises(ValueError, match="payload_overrides must be JSON"):
            overseerr.send_webhook("http://127.0.0.1:9/hook", "TEST_NOTIFICATION",
                                   payload_overrides={"x": float("nan")})
        assert overseerr.webhook_deliveries == []


def unused_port() -> int:
    """A port nothing listens on (bound, then closed): the delivery fails at once with connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_entry_cost_counts_for_an_empty_entry():
    journal = RequestJournal()
    journal.record_raw("GET", "/", b"", 200, 1.0, [], b"", None)
    assert journal.size_bytes == ENTRY_COST + 1


# -- the fault plan ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("action, per_route", [
    ({"status": 503, "body": "x" * 65536}, 16),  # large injected bodies
    (503, 1000),  # many small actions: each costs its object
])
def test_route_faults_hold_at_most_the_plans_bytes(action, per_route):
    plan = FaultPlan()
    added = 0
    with pytest.raises(FaultSpecError, match=f"route faults may hold at most {MAX_PLAN_BYTES} bytes") as refused:
        for _ in range(MAX_ROUTES):
            plan.add_route_fault("/items", sequence=[action] * per_route)
            added += 1
    assert "clear some first" in str(refused.value)
    assert len(plan.routes) == added and sum(rule.size for rule in plan.routes) <= MAX_PLAN_BYTES
    with pytest.raises(FaultSpecError, match="at most"):
        plan.replace({"routes": [{"path": "/items", "sequence": [action] * per_route}] * (added + 1)})
    assert len(plan.routes) == added  # a refused change changes nothing


def test_an_oversized_plan_is_a_400_over_the_admin_api(echo):
    sequence = [{"status": 503, "body": "x" * 60000}] * 16  # under 1 MiB per request
    answers = [requests.post(echo.url + "/__admin/faults/routes", json={"path": "/items", "sequence": sequence},
                             timeout=20).status_code for _ in range(18)]
    assert answers[-1] == 400 and set(answers) == {201, 400}
    assert sum(rule.size for rule in echo.faults.routes) <= MAX_PLAN_BYTES


# -- the Uptime Kuma mock: monitors and the queue of events waiting to be pushed --------------------------------
def test_uptime_kuma_holds_at_most_its_monitors():
    with UptimeKumaMock(heartbeat_interval_s=None) as kuma:
        for n in range(MAX_MONITORS - len(kuma.monitors)):
            kuma.add_monitor(f"extra {n}")
        answer = requests.post(kuma.url + "/__admin/uptime-kuma/monitors", json={"name": "one too many"}, timeout=5)
        assert answer.status_code == 400
        assert f"at most {MAX_MONITORS} monitors, it has {MAX_MONITORS}" in answer.json()["error"]
        assert len(kuma.monitors) == MAX_MONITORS
        assert requests.post(kuma.url + "/__admin/reset", timeout=10).status_code == 200
        assert len(kuma.monitors) == 3


def test_the_event_queue_holds_at_most_its_bytes():
    sent = []
    faults = SocketFaults()
    faults.event_delay_s = 3600.0  # every event waits: the queue fills
    pump = EventPump(lambda event, data, to: sent.append(event), faults)
    try:
        payload = ["x" * ONE_MB]
        for _ in range(20):
            pump.push("sid", "heartbeatList", 1, payload, False)
        assert pump.dropped == 20 - MAX_QUEUED_BYTES // (ONE_MB + 100) > 0
        assert MAX_QUEUED_BYTES - ONE_MB < pump.queued_bytes <= MAX_QUEUED_BYTES
    finally:
        pump.close()
    assert pump.queued_bytes == 0 and sent == []
