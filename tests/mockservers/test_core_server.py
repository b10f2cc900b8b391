"""The core mechanism over real sockets: lifecycle, every fault type, journal, admin API."""

from __future__ import annotations

import gc
import socket
import threading
import time
import warnings

import pytest
import requests
from atest_support.waiting import wait_until

from mockservers.core import MockServerError
from mockservers.core.journal import REDACTED, RequestJournal

from .conftest import EchoMock


def get(mock, path="/items", **kwargs):
    kwargs.setdefault("timeout", 5)
    return requests.get(mock.url + path, **kwargs)


# -- lifecycle ------------------------------------------------------------------------
def test_port_zero_binds_a_free_port_and_reads_it_back():
    with EchoMock() as first, EchoMock() as second:
        assert first.port != second.port and first.port > 0
        assert get(first).json()["total"] == 40
        assert first.is_running()
    assert not first.is_running()
    with pytest.raises(requests.ConnectionError):
        requests.get(first.url, timeout=1)


def test_health_token_is_new_on_every_start():
    mock = EchoMock()
    mock.start()
    token = get(mock, "/__admin/health").json()["token"]
    mock.stop()
    mock.start()
    try:
        health = get(mock, "/__admin/health").json()
        assert health["token"] == mock.health_token != token
        assert health["service"] == "echo" and health["running"] is True
    finally:
        mock.stop()


def test_second_start_is_an_error_and_stop_is_idempotent(echo):
    with pytest.raises(MockServerError, match="already running"):
        echo.start()
    echo.stop()
    echo.stop()


def test_url_before_start_is_an_error():
    with pytest.raises(MockServerError, match="has not been started"):
        EchoMock().url


def test_take_down_refuses_connections_and_bring_up_uses_the_same_port(echo):
    port = echo.port
    get(echo)
    echo.take_down()
    assert not echo.is_running()
    with pytest.raises(requests.ConnectionError) as err:
        get(echo, timeout=1)
    assert "refused" in str(err.value).lower()
    echo.bring_up()
    assert echo.port == port
    assert get(echo).status_code == 200
    assert echo.journal.count("GET", "/items") == 2  # state kept across the outage


def test_take_down_for_a_duration_comes_back_by_itself(echo):
    echo.take_down(duration=0.2)
    with pytest.raises(requests.ConnectionError):
        get(echo, timeout=1)
    status = wait_until(lambda: get(echo, timeout=1).status_code, lambda code: code == 200,
                        what="the echo mock", expected="back up", timeout=5)
    assert status == 200


def test_fixed_port_is_reused_after_stop():
    with EchoMock() as mock:
        port = mock.port
    with EchoMock(port=port) as again:
        assert again.port == port
        assert get(again).status_code == 200


class HeldAnswerMock(EchoMock):
    """``GET /held`` answers only once :attr:`release` is set, which stopping the mock does (just before it
    ends serving)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.release, self.answered = threading.Event(), threading.Event(), threading.Event()

    def create_app(self):
        app = super().create_app()

        @app.get("/held")
        def held():
            self.entered.set()
            self.release.wait(5)
            self.answered.set()
            return {"held": True}

        return app

    def on_take_down(self) -> None:
        self.release.set()


def test_stop_lets_a_call_whose_client_went_away_finish_cleanly():
    mock = HeldAnswerMock().start()
    with socket.create_connection(("127.0.0.1", mock.port)) as client:
        client.sendall(b"GET /held HTTP/1.1\r\nHost: mock\r\n\r\n")
        assert mock.entered.wait(5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mock.stop()
        gc.collect()
    assert mock.answered.is_set()
    assert [str(w.message) for w in caught if "never awaited" in str(w.message)] == []


# -- faults over the wire -----------------------------------------------------------------
def test_status_fault_has_json_body_and_headers(echo):
    echo.faults.add_route_fault("/items", {"status": 429, "headers": {"Retry-After": "3"}}, times=1)
    answer = get(echo)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "3"
    assert answer.json() == {"error": "Too Many Requests", "status": 429, "injected": True}
    assert get(echo).status_code == 200


def test_sequence_503_503_200(echo):
    echo.faults.add_route_fault("/items", sequence=[503, 503, 200])
    assert [get(echo).status_code for _ in range(4)] == [503, 503, 200, 200]


def test_reset_is_a_connection_error(echo):
    echo.faults.add_route_fault("/items", "reset", times=1)
    with pytest.raises(requests.ConnectionError) as err:
        get(echo)
    assert "reset" in str(err.value).lower() or "aborted" in str(err.value).lower()
    assert echo.journal.last().status == 0
    assert get(echo).status_code == 200  # the server is fine afterwards


def test_hang_lasts_until_the_client_gives_up(echo):
    echo.faults.add_route_fault("/items", "hang", times=1)
    started = time.perf_counter()
    with pytest.raises(requests.ReadTimeout):
        get(echo, timeout=(1, 0.3))
    assert 0.3 <= time.perf_counter() - started < 2
    entry = echo.journal.wait_for("GET", "/items", count=1, timeout=5)[0]
    assert entry.status == 0 and "hang" in entry.fault


def test_hang_is_released_by_clearing_faults(echo):
    echo.faults.add_route_fault("/items", "hang")
    errors, answers = [], []

    def call():
        try:
            answers.append(get(echo, timeout=10))
        except requests.RequestException as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    wait_until(lambda: echo.faults.routes[0].hits, bool, what="the hang fault", expected="hit", timeout=5,
               interval=0.01)
    echo.faults.clear()
    caller.join(5)
    assert not caller.is_alive()
    assert not errors and answers[0].status_code == 200  # the real answer, at once


def test_truncated_body_breaks_the_read(echo):
    echo.faults.add_route_fault("/items", "truncate", times=1)
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        get(echo)


@pytest.mark.parametrize("path, parse", [("/items", lambda r: r.json()), ("/xml", lambda r: __import__(
    "xml.etree.ElementTree", fromlist=["x"]).fromstring(r.content))])
def test_malformed_body_is_a_200_that_does_not_parse(echo, path, parse):
    echo.faults.add_route_fault(path, "malformed", times=1)
    answer = get(echo, path)
    assert answer.status_code == 200
    with pytest.raises(Exception) as err:
        parse(answer)
    assert "JSON" in type(err.value).__name__ or "Parse" in type(err.value).__name__


def test_dribble_sends_the_whole_body_slowly(echo):
    echo.faults.add_route_fault("/items", {"fault": "dribble", "chunk_size": 40, "chunk_delay_ms": 20}, times=1)
    started = time.perf_counter()
    answer = get(echo)
    elapsed = time.perf_counter() - started
    assert answer.json()["total"] == 40
    chunks = -(-len(answer.content) // 40)
    assert elapsed >= (chunks - 1) * 0.02 * 0.9


def test_dribble_beyond_read_timeout_times_out(echo):
    echo.faults.add_route_fault("/items", {"fault": "dribble", "chunk_size": 1, "chunk_delay_ms": 400}, times=1)
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError, requests.Timeout)):
        requests.get(echo.url + "/items", timeout=(1, 0.2)).content


def test_fixed_delay(echo):
    echo.faults.set_delay(150)
    started = time.perf_counter()
    assert get(echo).status_code == 200
    assert time.perf_counter() - started >= 0.15
    assert "delay 150 ms" in echo.journal.last().fault


def test_delay_does_not_apply_to_the_admin_api(echo):
    echo.faults.set_delay(2000)
    started = time.perf_counter()
    assert get(echo, "/__admin/health").status_code == 200
    assert time.perf_counter() - started < 1.5


def test_seeded_failure_rate_is_reproducible_over_http(echo):
    echo.faults.set_failure_rate(0.3, seed=11)
    first = [get(echo).status_code for _ in range(30)]
    echo.faults.set_failure_rate(0.3, seed=11)
    assert [get(echo).status_code for _ in range(30)] == first
    assert 3 <= first.count(503) <= 18
    assert echo.journal.count(status=503) == 2 * first.count(503)


def test_outage_for_next_requests(echo):
    echo.faults.set_outage(requests=2)
    assert [get(echo).status_code for _ in range(3)] == [503, 503, 200]


# -- journal ----------------------------------------------------------------------------------
def test_journal_records_and_redacts_secrets(echo):
    get(echo, "/items?X-Plex-Token=secret-token&page=2", headers={"X-Api-Key": "k3y", "Authorization": "Bearer t"})
    requests.post(echo.url + "/items", json={"username": "admin", "password": "hunter2"}, timeout=5)
    first, second = echo.journal.entries()
    assert first.query == {"X-Plex-Token": REDACTED, "page": "2"}
    assert first.headers["X-Api-Key"] == REDACTED and first.headers["Authorization"] == REDACTED
    assert second.status == 201 and "hunter2" not in second.body and '"password": "*****"' in second.body
    dump = str(echo.journal.entries()) + str(get(echo, "/__admin/journal").json())
    for secret in ("secret-token", "k3y", "Bearer t", "hunter2"):
        assert secret not in dump


def test_journal_is_bounded():
    journal = RequestJournal(maxlen=3)
    for i in range(5):
        journal.record(method="get", path=f"/{i}", query={}, status=200, duration_ms=1, headers={})
    assert [e.path for e in journal.entries()] == ["/2", "/3", "/4"]
    assert journal.total_recorded == 5


def test_failed_expectation_names_the_closest_requests(echo):
    get(echo, "/items")
    get(echo, "/xml")
    with pytest.raises(AssertionError) as err:
        echo.journal.assert_received("GET", "/itemz", count=1)
    message = str(err.value)
    assert "expected 1 request(s) GET /itemz, got 0" in message
    assert message.index("GET /items") < message.index("GET /xml")


def test_journal_filters_by_glob_method_and_status(echo):
    echo.faults.add_route_fault("/xml", 500, times=1)
    get(echo, "/items")
    get(echo, "/xml")
    get(echo, "/xml")
    assert echo.journal.count(path="/x*") == 2
    assert echo.journal.count("GET", status=500) == 1
    assert echo.journal.count("POST") == 0
    echo.journal.clear()
    assert echo.journal.count() == 0


def test_concurrent_requests_are_all_journaled(echo):
    threads = [threading.Thread(target=get, args=(echo,)) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert echo.journal.count("GET", "/items", status=200) == 20


# -- admin API ---------------------------------------------------------------------------------
def test_admin_sets_reads_and_clears_faults(echo):
    url = echo.url + "/__admin/faults"
    assert requests.put(url, json={"delay_ms": 0, "routes": [{"path": "/items", "sequence": [502, 200]}]},
                        timeout=5).status_code == 200
    assert requests.get(url, timeout=5).json()["routes"][0]["sequence"][0] == {"kind": "status", "status": 502}
    assert get(echo).status_code == 502
    added = requests.post(url + "/routes", json={"path": "/items", "action": "reset", "times": 1}, timeout=5)
    assert added.status_code == 201 and added.json()["action"] == {"kind": "reset"}
    assert requests.delete(url, timeout=5).json()["routes"] == []


def test_admin_journal_and_reset(echo):
    get(echo)
    journal = get(echo, "/__admin/journal?method=GET&path=/items").json()
    assert journal["count"] == 1 and journal["entries"][0]["status"] == 200
    assert requests.post(echo.url + "/__admin/reset", timeout=5).json() == {"reset": True}
    assert get(echo, "/__admin/journal").json()["count"] == 0


def test_admin_takes_the_server_down_for_a_while(echo):
    answer = requests.post(echo.url + "/__admin/down", json={"duration_s": 0.3}, timeout=5)
    assert answer.json() == {"down": True, "duration_s": 0.3}
    with pytest.raises(requests.ConnectionError):
        get(echo, timeout=1)
    echo.bring_up()
    assert get(echo).status_code == 200


@pytest.mark.parametrize("method, path, body, message", [
    ("PUT", "/faults", "{not json", "not valid JSON"),
    ("PUT", "/faults", "[1, 2]", "must be a JSON object"),
    ("PUT", "/faults", "", "request body is empty"),
    ("PATCH", "/faults", '{"delay_ms": -5}', "delay_ms must be a finite number from 0 to 3600000, got -5"),
    ("PATCH", "/faults", '{"failure_rate": 3}', "failure_rate must be a finite number from 0 to 1, got 3"),
    ("PATCH", "/faults", '{"explode": true}', "unknown fault setting(s) ['explode']"),
    ("PATCH", "/faults", '{"service": "plex", "delay_ms": 1}', "unknown service 'plex': this is the echo mock"),
    ("POST", "/faults/routes", '{"path": "/a", "action": "melt"}', "unknown fault 'melt'"),
    ("GET", "/journal?status=abc", None, "status must be a whole number from 0 to 599, got 'abc'"),
    ("POST", "/down", '{"duration_s": -1}', "duration_s must be a finite number above 0 to 86400, got -1"),
])
def test_admin_bad_input_is_a_400_with_a_message(echo, method, path, body, message):
    answer = requests.request(method, echo.url + "/__admin" + path, data=body, timeout=5,
                              headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert message in answer.json()["error"]


def test_admin_unknown_route_is_a_json_404(echo):
    answer = get(echo, "/__admin/nope")
    assert answer.status_code == 404 and "error" in answer.json()


def test_admin_requests_are_not_journaled_or_faulted(echo):
    echo.faults.set_failure_rate(1.0)
    assert get(echo, "/__admin/health").status_code == 200
    assert echo.journal.count() == 0


def test_raw_socket_garbage_does_not_kill_the_server(echo):
    with socket.create_connection(("127.0.0.1", echo.port), timeout=2) as sock:
        sock.sendall(b"\x00\x01garbage\r\n\r\n")
        sock.recv(100)
    assert get(echo).status_code == 200


def test_journal_keeps_no_body_under_an_opaque_prefix():
    from mockservers.core.journal import OPAQUE_BODY, RequestJournal

    journal = RequestJournal(opaque_body_prefixes=("/socket.io",))
    common = dict(method="POST", query={}, status=200, duration_ms=1.0, headers={})
    journal.record(path="/socket.io/", body='42["login",{"password":"hunter2"}]', **common)
    journal.record(path="/api/x", body='{"name": "kept"}', **common)
    assert [entry.body for entry in journal.entries()] == [OPAQUE_BODY, '{"name": "kept"}']
