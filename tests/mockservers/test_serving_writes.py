"""How a mock's event loop writes answers (issue 22, item 12: speed on a quiet machine).

:class:`_HeadWithBody`: an answer's status line and headers go out with its first body bytes in one
``writelines`` (one system call, one TCP send), and never later than the end of the loop's step.
"""

from __future__ import annotations

import asyncio

import pytest
import requests

from mockservers.core.server import _HeadWithBody

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
