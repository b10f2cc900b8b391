"""How a mock's event loop writes answers and waits for requests (issue 22, item 12: speed on a quiet machine).

- :class:`_HeadWithBody`: an answer's status line and headers go out with its first body bytes in one
  ``writelines`` (one system call, one TCP send), and never later than the end of the loop's step.
- :class:`_BusyPoll`: a request that arrives while another is in progress keeps the loop polling for
  ``BUSY_POLL_S``; a client sending one request at a time never starts it.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
import requests
from atest_support.waiting import wait_until

from mockservers.core.server import BUSY_POLL_S, _BusyPoll, _HeadWithBody

from .conftest import EchoMock

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n"


class RecordingTransport:
    """What a response cycle did to its connection, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def writelines(self, parts) -> None:
        self.calls.append(("writelines", tuple(parts)))

    def close(self) -> None:
        self.closing = True
        self.calls.append(("close",))

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str):
        return f"info:{name}"


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def step(loop: asyncio.AbstractEventLoop) -> None:
    """Let the loop run the callbacks that are ready now (one step)."""
    loop.run_until_complete(asyncio.sleep(0))


def test_the_head_goes_out_with_the_first_body_bytes_in_one_call(loop):
    transport = RecordingTransport()
    cycle_side = _HeadWithBody(transport, loop)
    cycle_side.write(HEAD)
    assert transport.calls == []
    cycle_side.write(b"body")
    cycle_side.write(b"more")
    step(loop)
    assert transport.calls == [("writelines", (HEAD, b"body")), ("write", b"more")]


def test_a_head_without_body_in_the_same_step_goes_out_at_the_end_of_the_step(loop):
    transport = RecordingTransport()
    cycle_side = _HeadWithBody(transport, loop)
    cycle_side.write(HEAD)
    step(loop)
    assert transport.calls == [("write", HEAD)]
    cycle_side.write(b"body")  # e.g. after an injected delay
    assert transport.calls == [("write", HEAD), ("write", b"body")]


def test_close_sends_a_held_head_first_and_a_closed_connection_gets_nothing(loop):
    transport = RecordingTransport()
    cycle_side = _HeadWithBody(transport, loop)
    cycle_side.write(HEAD)
    cycle_side.close()
    assert transport.calls == [("write", HEAD), ("close",)]

    reset = RecordingTransport()
    cycle_side = _HeadWithBody(reset, loop)
    cycle_side.write(HEAD)
    reset.closing = True  # the fault middleware reset the connection meanwhile
    step(loop)
    assert reset.calls == []


def test_everything_else_is_the_transports_own(loop):
    transport = RecordingTransport()
    cycle_side = _HeadWithBody(transport, loop)
    assert cycle_side.get_extra_info("peername") == "info:peername"
    assert cycle_side.is_closing() is False


def test_answers_over_keep_alive_arrive_whole():
    """Ready bytes (head and body in one write), a Flask answer and a delayed one, on one connection."""
    with EchoMock() as mock, requests.Session() as session:
        for _ in range(3):
            answer = session.get(mock.url + "/items", timeout=5)
            assert answer.status_code == 200 and answer.json()["total"] == 40
        mock.faults.set_delay(30)
        answer = session.get(mock.url + "/xml", timeout=5)
        assert answer.status_code == 200 and answer.text.endswith("</MediaContainer>")


def test_polling_stops_by_itself_after_the_busy_spell(loop):
    poll = _BusyPoll(loop)
    poll.request_started()
    assert not poll.polling
    poll.request_started()
    poll.request_started()
    assert poll.polling and poll.started == 1 and poll.in_progress == 3
    poll.requests_ended(3)
    loop.run_until_complete(asyncio.sleep(BUSY_POLL_S * 4))
    assert not poll.polling
    poll.overlap()
    assert poll.started == 2


def test_one_request_at_a_time_never_starts_polling():
    with EchoMock() as mock, requests.Session() as session:
        for _ in range(30):
            assert session.get(mock.url + "/items", timeout=5).status_code == 200
        assert mock._serving.busy_poll.started == 0 and mock._serving.busy_poll.in_progress == 0


def test_a_request_arriving_while_another_is_in_progress_starts_polling_which_then_stops():
    with EchoMock() as mock:
        busy_poll = mock._serving.busy_poll
        mock.faults.add_route_fault("/xml", "hang")
        answers: list[int] = []
        hanging = threading.Thread(target=lambda: answers.append(requests.get(mock.url + "/xml", timeout=10)
                                                                 .status_code))
        hanging.start()
        wait_until(lambda: mock.faults.routes[0].hits, bool, what="the hang fault", expected="hit", timeout=5,
                   interval=0.01)
        assert busy_poll.started == 0 and busy_poll.in_progress == 1
        assert requests.get(mock.url + "/items", timeout=5).status_code == 200
        assert busy_poll.started == 1
        wait_until(lambda: busy_poll.polling, lambda polling: not polling, what="the loop's polling",
                   expected="stopped", timeout=5, interval=0.01)
        mock.faults.clear()  # the hanging request goes on with the real answer
        hanging.join(5)
        assert not hanging.is_alive() and answers == [200]
        wait_until(lambda: busy_poll.in_progress, lambda count: count == 0, what="requests in progress",
                   expected="0", timeout=5, interval=0.01)
