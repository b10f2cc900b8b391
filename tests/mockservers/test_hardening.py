"""Issue 11's reproducers, pinned: every bad input is a clear 4xx, changes nothing, and cannot break a mock later."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests
import socketio

from mockservers import OverseerrMock, PlexMock, UptimeKumaMock
from mockservers.core import validation as check
from mockservers.core.journal import REDACTED, RequestJournal
from mockservers.core.redaction import Redactor

pytestmark = pytest.mark.timeout(60)
HUGE = "9" * 5000
PLEX_TOKEN = {"X-Plex-Token": "mock-token"}
OVERSEERR_KEY = {"X-Api-Key": "mock-api-key"}


def strict(response: requests.Response):
    """The body parsed as strict JSON (NaN/Infinity refused)."""
    def refuse(name):
        raise AssertionError(f"not strict JSON: {name}")
    return json.loads(response.text, parse_constant=refuse)


def send(mock, method, path, raw):
    return requests.request(method, mock.url + path, data=raw, timeout=5,
                            headers={"Content-Type": "application/json"})


@pytest.fixture(scope="module")
def plex():
    with PlexMock() as mock:
        yield mock


@pytest.fixture(scope="module")
def overseerr():
    with OverseerrMock() as mock:
        yield mock


# -- accepted, then broken ---------------------------------------------------------------------
@pytest.mark.parametrize("raw", [
    '{"delay_ms": 1e308}', '{"delay_ms": Infinity}', '{"delay_ms": 1e19}', '{"delay_ms": 9223372036854775808}',
    '{"delay_ms": NaN}', '{"jitter_ms": 1e308}', '{"jitter_ms": Infinity}',
    '{"routes": [{"path": "/items", "action": {"delay_ms": 1e308}}]}',
    '{"routes": [{"path": "/items", "action": {"fault": "dribble", "chunk_delay_ms": Infinity}}]}',
    '{"outage": {"duration_s": NaN}}', '{"outage": {"duration_s": 1e10}}', '{"hang_max_s": Infinity}',
    '{"flapping": {"up_s": NaN, "down_s": 1}}', '{"seed": 1e400}', '{"outage": {"requests": 1e300}}',
])
def test_absurd_fault_numbers_are_refused_and_change_nothing(echo, raw):
    before = echo.faults.to_dict()
    answer = send(echo, "PATCH", "/__admin/faults", raw)
    assert answer.status_code == 400, answer.text
    message = strict(answer)["error"]
    assert " must be a " in message and " got " in message
    assert echo.faults.to_dict() == before
    assert requests.get(echo.url + "/items", timeout=5).status_code == 200


def test_every_limit_is_inclusive(echo):
    echo.faults.update({"delay_ms": 0, "jitter_ms": 3_600_000, "outage": {"duration_s": 86_400, "requests": None}})
    assert echo.faults.to_dict()["outage"]["remaining_s"] == 86_400
    echo.faults.clear()


def test_down_with_a_huge_duration_is_refused_and_the_port_stays_up(echo):
    for raw in ('{"duration_s": 1e10}', '{"duration_s": NaN}', '{"duration_s": Infinity}', '{"duration_s": 0}'):
        answer = send(echo, "POST", "/__admin/down", raw)
        assert answer.status_code == 400 and "duration_s must be a finite number above 0 to 86400" in \
            strict(answer)["error"]
    assert echo.is_running() and requests.get(echo.url + "/items", timeout=5).status_code == 200


def test_a_failing_bring_up_does_not_kill_the_clock(echo):
    port = echo.port
    echo.take_down(duration=10)
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", port))
    blocker.listen(1)
    try:
        echo._listen = lambda port, retry_s=0.0: (_ for _ in ()).throw(OSError("address in use"))
        echo.clock.advance(10)
        assert "address in use" in echo.describe()["bring_up_error"]
    finally:
        blocker.close()
        del echo._listen
    fired = threading.Event()
    echo.clock.call_later(1, fired.set)
    echo.clock.advance(1)
    assert fired.is_set()  # the clock still runs its callbacks
    echo.bring_up()


def test_admin_answers_are_strict_json_even_when_asked_for_nan(echo):
    for raw in ('{"failure_rate": NaN}', '{"delay_ms": -Infinity}', '{"x": NaN}'):
        answer = send(echo, "PATCH", "/__admin/faults", raw)
        assert answer.status_code == 400
        strict(answer)
    assert "NaN" not in requests.get(echo.url + "/__admin/faults", timeout=5).text


# -- header injection and strings ----------------------------------------------------------------
@pytest.mark.parametrize("headers", [
    {"X-A": "a\r\nInjected: 1"}, {"X-A": "a\nb"}, {"X-A": "\x00"}, {"Bad Name": "x"}, {"X-A\r\nB": "x"},
    {"X-A": "snowman \u2603"}, {"": "x"}, {"X-A": ["list"]}, {"X-A": None},
])
def test_header_injection_is_refused(echo, headers):
    answer = requests.post(echo.url + "/__admin/faults/routes", timeout=5,
                           json={"path": "/items", "action": {"status": 429, "headers": headers}})
    assert answer.status_code == 400 and "header" in strict(answer)["error"]
    assert echo.faults.routes == []


def test_a_clean_injected_header_is_sent_alone(echo):
    echo.faults.add_route_fault("/items", {"status": 429, "headers": {"Retry-After": 7}}, times=1)
    answer = requests.get(echo.url + "/items", timeout=5)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "7" and "Injected" not in answer.headers


def test_a_lone_surrogate_token_is_refused_and_plex_keeps_working(plex):
    answer = send(plex, "PUT", "/__admin/plex/token", '{"token": "\\ud800"}')
    assert answer.status_code == 400 and "lone surrogates" in strict(answer)["error"]
    for path in ("/", "/library/sections"):
        assert requests.get(plex.url + path, headers=PLEX_TOKEN, timeout=5).status_code == 200


def test_reset_restores_the_plex_token(plex):
    assert send(plex, "PUT", "/__admin/plex/token", '{"token": "changed-token"}').status_code == 200
    assert requests.get(plex.url + "/library/sections", headers=PLEX_TOKEN, timeout=5).status_code == 401
    assert requests.post(plex.url + "/__admin/reset", timeout=5).status_code == 200
    assert requests.get(plex.url + "/library/sections", headers=PLEX_TOKEN, timeout=5).status_code == 200


# -- service endpoints -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    f"/library/sections/1/all?X-Plex-Container-Start={HUGE}", f"/library/sections/1/all?X-Plex-Container-Size={HUGE}",
    f"/library/sections/1/all?type={HUGE}", f"/library/sections/1/all?limit={HUGE}",
    f"/library/sections/1/all?year={HUGE}", f"/hubs/search?query=a&limit={HUGE}",
    "/library/sections/1/all?year=%C2%B2", "/library/sections/1/all?limit=%D9%A3",
    "/library/sections/1/all?X-Plex-Container-Start=9223372036854775808",
    "/library/sections/1/all?X-Plex-Container-Start=1_0",
])
def test_plex_numbers_too_long_or_not_ascii_are_400(plex, path):
    answer = requests.get(plex.url + path, headers=PLEX_TOKEN, timeout=5)
    assert answer.status_code == 400 and "must be a whole number from 0 to 9223372036854775807" in answer.text


def test_plex_paging_header_of_5000_digits_is_400(plex):
    answer = requests.get(plex.url + "/library/sections/1/all", timeout=5,
                          headers={**PLEX_TOKEN, "X-Plex-Container-Start": HUGE})
    assert answer.status_code == 400


def test_plex_start_at_the_64_bit_limit_is_an_empty_page(plex):
    answer = requests.get(plex.url + "/library/sections/1/all", timeout=5, params={
        "X-Plex-Container-Start": str(check.INT64_MAX)}, headers={**PLEX_TOKEN, "Accept": "application/json"})
    assert answer.status_code == 200 and answer.json()["MediaContainer"]["size"] == 0


@pytest.mark.parametrize("fields, status, says", [(1000, 414, "query string is"), (2000, 414, "request target is over"), (200, 400, "sort takes at most 10 fields, got 200")])
def test_a_long_sort_is_refused_at_once_and_does_not_hold_the_lock(plex, fields, status, says):
    path = "/library/sections/2/all?type=4&sort=" + "titleSort," * fields
    started = time.perf_counter()
    answer = requests.get(plex.url + path, headers=PLEX_TOKEN, timeout=5)
    assert answer.status_code == status and says in answer.text
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("raw, says", [
    ("[" * 50_000 + "]" * 50_000, "nests 50000 levels deep: at most 32"),
    ('{"a":' * 5000 + "1" + "}" * 5000, "nests 5000 levels deep"),
    ('{"mediaType": "movie", "mediaId": ' + HUGE + "}", "not valid JSON"),
    ('{"mediaType": "movie", "mediaId": NaN}', "contains NaN"),
    ('{"mediaType": "\\ud800", "mediaId": 603}', "lone surrogates"),
    ('{"mediaType": "movie", "mediaId": 603, "is4k": [], "status": []}', "is4k must be true or false"),
])
def test_overseerr_request_bodies_are_400_not_500(overseerr, raw, says):
    answer = requests.post(overseerr.url + "/api/v1/request", data=raw, timeout=10,
                           headers={**OVERSEERR_KEY, "Content-Type": "application/json"})
    assert answer.status_code == 400 and says in strict(answer)["message"]


def test_overseerr_admin_status_codes_of_any_type_are_400(overseerr):
    answer = requests.post(overseerr.url + "/__admin/overseerr/requests", timeout=5,
                           json={"mediaType": "movie", "mediaId": 603, "status": [1]})
    assert answer.status_code == 400 and "status must be one of" in strict(answer)["error"]


@pytest.mark.parametrize("query", ["skip=" + "9" * 400, "take=" + "9" * 400, "skip=-1", "take=0", "skip=%C2%B2"])
def test_overseerr_paging_overflow_is_400(overseerr, query):
    answer = requests.get(overseerr.url + "/api/v1/request?" + query, headers=OVERSEERR_KEY, timeout=5)
    assert answer.status_code == 400 and "must be a whole number from" in strict(answer)["message"]


def test_overseerr_paging_at_the_64_bit_limit_works(overseerr):
    answer = requests.get(overseerr.url + f"/api/v1/request?skip={check.INT64_MAX}&take={check.INT64_MAX}",
                          headers=OVERSEERR_KEY, timeout=5)
    assert answer.status_code == 200 and answer.json()["results"] == []


# -- Uptime Kuma -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def kuma():
    with UptimeKumaMock(ping_interval_s=1.0) as mock:
        yield mock


@pytest.fixture(scope="module")
def kuma_client(kuma):
    client = socketio.Client(reconnection=False)
    client.connect(kuma.url, transports=["websocket"], wait_timeout=5)
    yield client
    client.disconnect()


@pytest.mark.parametrize("event, args", [
    ("login", {"username": "\ud800", "password": "admin"}),
    ("login", {"username": "admin", "password": "x" * 100_000}),
    ("loginByToken", "\ud800"),
])
def test_kuma_bad_logins_are_answered(kuma_client, event, args):
    answer = kuma_client.call(event, args, timeout=5)
    assert answer["ok"] is False


@pytest.mark.parametrize("event, args, says", [
    ("getMonitor", "²", "not found"),
    ("getMonitor", "9" * 400, "not found"),
    ("getMonitorBeats", (1, float("nan")), "period must be a finite number above 0 to 87600"),
    ("getMonitorBeats", (1, float("inf")), "period must be"),
    ("getMonitorBeats", (1, 1e308), "period must be"),
    ("getMonitorBeats", (1, "24"), "period must be"),
])
def test_kuma_bad_event_arguments_are_answered(kuma_client, event, args, says):
    answer = kuma_client.call("login", {"username": "admin", "password": "admin", "token": ""}, timeout=5)
    assert answer["ok"]
    deadline = time.monotonic() + 5
    while True:  # logged in once the after-login work ran
        reply = kuma_client.call(event, args, timeout=5)
        if reply.get("msg") != "You are not logged in." or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert reply["ok"] is False and says in reply["msg"]


def test_kuma_monitor_with_a_lone_surrogate_is_refused_and_metrics_keep_working(kuma):
    answer = send(kuma, "POST", "/__admin/uptime-kuma/monitors", '{"name": "bad \\ud800"}')
    assert answer.status_code == 400
    answer = send(kuma, "POST", "/__admin/uptime-kuma/monitors/1/status", '"\\ud800"')
    assert answer.status_code == 400
    metrics = requests.get(kuma.url + "/metrics", auth=("admin", "admin"), timeout=5)
    assert metrics.status_code == 200 and "monitor_status" in metrics.text


# -- sizes and connections ------------------------------------------------------------------------------
def _raw_request(port: int, request: bytes, read_timeout: float = 5.0) -> tuple[bytes, bool]:
    """Send ``request``; return the answer bytes and whether the server closed the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as sock:
        try:
            sock.sendall(request)
        except OSError:
            pass
        data = b""
        closed = False
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    closed = True
                    break
                data += chunk
        except socket.timeout:
            closed = False
        except ConnectionResetError:
            closed = True
        return data, closed


@pytest.mark.parametrize("path", ["/nope", "/__admin/nope", "/items"])
def test_a_large_body_on_any_path_is_answered_and_the_connection_closes(echo, path):
    body = b"x" * (2 * 1024 * 1024)
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    started = time.perf_counter()
    data, closed = _raw_request(echo.port, head + body)
    assert data.startswith(b"HTTP/1.1 413") and b"at most 1048576 bytes" in data
    assert closed and time.perf_counter() - started < 3


def test_a_100_kb_body_on_an_unrouted_path_keeps_the_connection_usable(echo):
    with requests.Session() as session:
        assert session.post(echo.url + "/nope", data=b"x" * 100_000, timeout=3).status_code == 404
        assert session.get(echo.url + "/items", timeout=3).status_code == 200


def test_a_huge_query_string_is_414(echo):
    answer = requests.get(echo.url + "/items?q=" + "x" * 10_000, timeout=5)
    assert answer.status_code == 414 and "at most 8192" in strict(answer)["error"]


def test_a_401_to_a_5_mb_body_is_answered(plex):
    body = b"x" * (5 * 1024 * 1024)
    head = f"POST /library/sections HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    data, closed = _raw_request(plex.port, head + body)
    assert data.startswith(b"HTTP/1.1 413") and closed


# -- redaction ----------------------------------------------------------------------------------------------
SECRET = "s3cr3t-Value!"


@pytest.mark.parametrize("record", [
    dict(query={"key": SECRET}), dict(query={"plexToken": SECRET}), dict(query={"pass": SECRET}),
    dict(headers={"X-Plex-Token ": SECRET}), dict(headers={"X-Auth-Token": SECRET}),
    dict(headers={"Proxy-Authorization": SECRET}), dict(headers={"x_plex_token": SECRET}),
    dict(body=f"user=a&password={SECRET}"), dict(body=f'{{"passwd": "{SECRET}"}}'),
    dict(body=f'{{"Authorization": "{SECRET}"}}'), dict(body=f'{{"data": "{{\\"password\\": \\"{SECRET}\\"}}"}}'),
    dict(body=f'{{" Password ": "{SECRET}"}}'), dict(body=f'{{"token": 12345{SECRET}}}'),
    dict(body="x" * 2040 + f'{{"password": "{SECRET}"}}'),
])
def test_the_journal_redacts_secret_names_in_any_form(record):
    journal = RequestJournal()
    fields = dict(method="POST", path="/x", query={}, status=200, duration_ms=1.0, headers={}, body="")
    fields.update(record)
    entry = journal.record(**fields)
    text = json.dumps(entry.to_dict())
    for n in range(4, len(SECRET) + 1):
        assert SECRET[:n] not in text, f"{SECRET[:n]!r} leaked"


def test_redaction_happens_before_truncation():
    journal = RequestJournal()
    body = "x" * 2040 + f'"password": "{SECRET}"'
    entry = journal.record(method="POST", path="/x", query={}, status=200, duration_ms=1.0, headers={}, body=body)
    assert len(entry.body) == 2048 and "s3cr" not in entry.body


def test_secret_values_are_redacted_wherever_they_appear():
    redactor = Redactor(values=lambda: [SECRET, "xy"])
    text = redactor.text(f'free text {SECRET} and {json.dumps(SECRET)} and q=s3cr3t-Value%21 and a "note": "{SECRET}"')
    assert "s3cr3t" not in text and text.count(REDACTED) == 4
    assert redactor.text("xy stays") == "xy stays"  # shorter than MIN_SECRET_LENGTH: by name only


def test_plex_journal_redacts_a_token_set_through_the_admin_api():
    with PlexMock() as plex:
        requests.put(plex.url + "/__admin/plex/token", json={"token": "brand-new-token"}, timeout=5)
        requests.get(plex.url + "/library/sections?note=brand-new-token", timeout=5,
                     headers={"X-Custom": "Bearer brand-new-token"})
        requests.post(plex.url + "/library/x", json={"anything": "brand-new-token"}, timeout=5)
        requests.get(plex.url + "/library/sections", headers={"X-Custom": "mock-token"}, timeout=5)
        dump = json.dumps([e.to_dict() for e in plex.journal.entries()])
    assert "brand-new-token" not in dump and "mock-token" not in dump


def test_overseerr_and_kuma_secrets_are_redacted_by_value(kuma):
    with OverseerrMock(api_key="my-api-key-123") as overseerr:
        requests.get(overseerr.url + "/api/v1/status?q=my-api-key-123", timeout=5)
        assert "my-api-key-123" not in json.dumps([e.to_dict() for e in overseerr.journal.entries()])
    client = socketio.Client(reconnection=False)
    client.connect(kuma.url, transports=["websocket"], wait_timeout=5)
    try:
        token = client.call("login", {"username": "admin", "password": "admin", "token": ""}, timeout=5)["token"]
    finally:
        client.disconnect()
    requests.get(kuma.url + "/api/status-page/default", timeout=5, headers={"X-Forward": token},
                 params={"password-ish": "admin:admin"})
    requests.get(kuma.url + "/metrics", timeout=5, headers={"X-Other": "Basic YWRtaW46YWRtaW4="})
    dump = json.dumps([e.to_dict() for e in kuma.journal.entries()])
    assert token not in dump and "YWRtaW46YWRtaW4=" not in dump and "admin:admin" not in dump


def test_echo_mock_records_requests_with_unicode_paths_safely(echo):
    answer = requests.get(echo.url + "/%ED%A0%80?x=%ED%A0%80", timeout=5)
    assert answer.status_code == 404
    assert json.dumps([e.to_dict() for e in echo.journal.entries()])


def test_failure_rate_preview_is_documented_next_to_the_fault():
    from mockservers.core.faults import FaultPlan

    assert "preview_failures" in FaultPlan.set_failure_rate.__doc__
