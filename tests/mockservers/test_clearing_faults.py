"""Clearing faults lets a waiting request finish at once with the real answer; only stopping the server cuts it."""

from __future__ import annotations

import threading

import pytest
import requests
from atest_support.waiting import wait_until

pytestmark = pytest.mark.timeout(60)

ONE_MINUTE_MS = 60_000


class InFlight:
    """One ``GET /items`` sent from a thread: its answer or its error once it ends."""

    def __init__(self, mock, timeout: float = 30) -> None:
        self.answer: requests.Response | None = None
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._call, args=(mock.url + "/items", timeout), daemon=True)
        self._thread.start()
        wait_until(lambda: mock.requests_waiting, lambda n: n >= 1, what="requests waiting in a fault",
                   expected="1", timeout=10, interval=0.01)

    def _call(self, url: str, timeout: float) -> None:
        try:
            self.answer = requests.get(url, timeout=timeout)
        except requests.RequestException as exc:
            self.error = exc

    def result(self) -> requests.Response | Exception:
        self._thread.join(20)
        assert not self._thread.is_alive(), "the request is still waiting"
        return self.answer if self.answer is not None else self.error


def clear_by_admin(method, path, body=None):
    def clear(mock):
        answer = requests.request(method, mock.url + path, json=body, timeout=5)
        assert answer.status_code == 200, answer.text
    return clear


CLEARING = {
    "DELETE /__admin/faults": clear_by_admin("DELETE", "/__admin/faults"),
    "PUT /__admin/faults {}": clear_by_admin("PUT", "/__admin/faults", {}),
    "POST /__admin/reset": clear_by_admin("POST", "/__admin/reset"),
    "faults.clear()": lambda mock: mock.faults.clear(),
    "faults.replace({})": lambda mock: mock.faults.replace({}),
    "mock.reset()": lambda mock: mock.reset(),
}


@pytest.mark.parametrize("clear", CLEARING.values(), ids=CLEARING.keys())
def test_a_request_waiting_in_a_delay_gets_the_real_answer_when_faults_are_cleared(echo, clear):
    echo.faults.set_delay(ONE_MINUTE_MS)
    call = InFlight(echo)
    clear(echo)
    answer = call.result()
    assert isinstance(answer, requests.Response), f"the request was cut: {answer!r}"
    assert answer.status_code == 200 and answer.json()["total"] == 40
    assert echo.requests_waiting == 0


@pytest.mark.parametrize("action", ["hang", {"delay_ms": ONE_MINUTE_MS}, {"status": 503, "delay_ms": 0}])
def test_a_route_fault_waiting_when_faults_are_cleared_answers_for_real(echo, action):
    echo.faults.add_route_fault("/items", action)
    if action == {"status": 503, "delay_ms": 0}:  # a status fault behind the global delay: the delay holds it
        echo.faults.set_delay(ONE_MINUTE_MS)
    call = InFlight(echo)
    echo.faults.clear()
    answer = call.result()
    assert isinstance(answer, requests.Response) and answer.status_code == 200
    entry = echo.journal.wait_for("GET", "/items", count=1, timeout=5)[0]
    assert entry.status == 200 and entry.fault.endswith("faults cleared"), entry.fault


def test_a_hanging_post_gets_its_body_to_the_real_handler_when_faults_are_cleared(echo):
    echo.faults.add_route_fault("/items", "hang", method="POST")
    answers = []
    caller = threading.Thread(target=lambda: answers.append(
        requests.post(echo.url + "/items", json={"title": "x"}, timeout=30)), daemon=True)
    caller.start()
    wait_until(lambda: echo.requests_waiting, lambda n: n >= 1, what="requests waiting in a fault",
               expected="1", timeout=10, interval=0.01)
    echo.faults.clear()
    caller.join(20)
    assert answers and answers[0].status_code == 201 and answers[0].json() == {"created": True}
    assert echo.journal.wait_for("POST", "/items", timeout=5)[0].body == '{"title": "x"}'


def test_a_dribbled_answer_sends_the_rest_at_once_when_faults_are_cleared(echo):
    echo.faults.add_route_fault("/items", {"fault": "dribble", "chunk_size": 8, "chunk_delay_ms": ONE_MINUTE_MS})
    call = InFlight(echo)
    echo.faults.clear()
    answer = call.result()
    assert isinstance(answer, requests.Response) and answer.json()["total"] == 40


def test_a_request_in_flight_during_a_reset_is_not_in_the_fresh_journal(echo):
    echo.faults.set_delay(ONE_MINUTE_MS)
    call = InFlight(echo)
    echo.reset()
    assert call.result().status_code == 200
    assert requests.get(echo.url + "/items", timeout=5).status_code == 200
    entries = echo.journal.wait_for("GET", "/items", count=1, timeout=5)
    assert len(entries) == 1 and entries[0].fault is None  # only the request made after the reset


@pytest.mark.parametrize("how", ["stop", "take_down"])
def test_stopping_still_cuts_a_waiting_request(echo, how):
    echo.faults.set_delay(ONE_MINUTE_MS)
    call = InFlight(echo)
    getattr(echo, how)()
    assert isinstance(call.result(), requests.ConnectionError)


def test_changing_other_settings_leaves_a_delay_waiting(echo):
    echo.faults.set_delay(ONE_MINUTE_MS)
    call = InFlight(echo)
    echo.faults.update({"failure_rate": 0.5, "seed": 1})
    echo.faults.add_route_fault("/other", 503)
    requests.get(echo.url + "/__admin/health", timeout=5)  # served on the loop after any wake-up of the waits
    assert echo.requests_waiting == 1
    echo.faults.clear()
    assert call.result().status_code == 200
