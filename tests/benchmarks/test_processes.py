"""``benchmarks.processes.serving``: a benchmarked server counts as up only on a port its own process holds."""

from __future__ import annotations

import socket
import sys

import pytest
import requests

from benchmarks.processes import _listens, serving

pytestmark = pytest.mark.timeout(120)
#: a plain HTTP server on the port it is given
HTTP_SERVER = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1"]
EXIT_AT_ONCE = [sys.executable, "-c", "raise SystemExit(1)"]


def test_a_server_that_exits_before_listening_is_started_again_on_another_port():
    ports: list[int] = []

    def command(port: int) -> list[str]:
        ports.append(port)
        return EXIT_AT_ONCE if len(ports) == 1 else [*HTTP_SERVER, str(port)]  # as if the first port was taken

    with serving(command, "/") as server:
        assert server.port == ports[-1] and len(ports) == 2
        assert requests.get(server.url + "/", timeout=5).status_code == 200
        assert _listens(server.process.pid, server.port)
    assert server.process.poll() is not None  # stopped afterwards


def test_a_server_that_never_listens_is_an_error_after_the_attempts():
    calls: list[int] = []
    with pytest.raises(RuntimeError, match=r"did not start serving on a free port \(3 tried\)"):
        with serving(lambda port: calls.append(port) or EXIT_AT_ONCE, "/"):
            pass
    assert len(calls) == 3


def test_another_process_answering_on_the_port_is_not_the_server():
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with serving(lambda own_port: [*HTTP_SERVER, str(own_port)], "/") as server:
            assert not _listens(server.process.pid, port)  # this test holds that one
            assert server.port != port
