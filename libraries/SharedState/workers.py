"""One kept-alive HTTP connection to each worker of a companion process, so a request goes to the worker named.

The workers of ``python -m companion --workers N`` share one listening port and
the kernel hands each new connection to one of them; a connection then stays
with its worker. :class:`PinnedWorkers` opens connections and asks ``GET
/health`` (which has no side effect) until it holds one per worker, and names
them ``A``, ``B``, ... in the order the process printed their pids. Every
answer carries ``X-Companion-Worker``: it is checked against the worker named.
A connection the worker closed while idle is pinned again (with ``/health``)
before the request is sent.
"""

from __future__ import annotations

import http.client
import json
import string
import time
from typing import Mapping
from urllib.parse import urlsplit

__all__ = ["PinnedWorkers", "WorkerAnswer"]

WORKER_HEADER = "X-Companion-Worker"
_GONE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest)


class WorkerAnswer(dict):
    """A worker's JSON answer, with ``worker`` (its name), ``pid``, ``http_status`` and ``elapsed_s`` (wall clock)."""


class PinnedWorkers:
    """Connections to each worker of one companion process, by name (see the module doc)."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.pids: dict[str, int] = {}
        self._connections: dict[str, http.client.HTTPConnection] = {}

    def pin(self, url: str, pids: list[int], timeout_s: float = 10.0) -> dict[str, int]:
        """Hold one connection to each of ``pids`` (named A, B, ... in that order); returns name -> pid."""
        self.close()
        self.url = url
        self.pids = {string.ascii_uppercase[index]: pid for index, pid in enumerate(pids)}
        for name in self.pids:
            self._connections[name] = self._connect_to(self.pids[name], timeout_s)
        return dict(self.pids)

    def _connect_to(self, pid: int, timeout_s: float) -> http.client.HTTPConnection:
        parts = urlsplit(self.url or "")
        deadline = time.monotonic() + timeout_s
        seen: set[int] = set()
        while time.monotonic() < deadline:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)
            connection.request("GET", "/health")
            response = connection.getresponse()
            answered = json.loads(response.read()).get("pid")
            if answered == pid:
                return connection
            seen.add(answered)
            connection.close()
        raise AssertionError(f"No connection reached companion worker {pid} in {timeout_s:g} s "
                             f"(workers answering: {sorted(seen)})")

    def get(self, name: str, path: str, headers: Mapping[str, str] | None = None,
            timeout_s: float = 30.0) -> WorkerAnswer:
        """``GET path`` on worker ``name``'s connection; the JSON answer with ``worker``, ``pid``, ``http_status``,
        ``elapsed_s``."""
        if name not in self.pids:
            known = ", ".join(self.pids) or "none (connect to the workers first)"
            raise AssertionError(f"No companion worker named {name!r}; known: {known}")
        for attempt in (1, 2):
            connection = self._connections[name]
            connection.timeout = timeout_s
            started = time.monotonic()
            try:
                connection.request("GET", path, headers=dict(headers or {}))
                response = connection.getresponse()
                body = response.read()
            except _GONE:  # the worker closed the idle connection before this request: pin it again
                connection.close()
                if attempt == 2:
                    raise
                self._connections[name] = self._connect_to(self.pids[name], timeout_s)
                continue
            elapsed = time.monotonic() - started
            answered = int(response.getheader(WORKER_HEADER, "0"))
            if answered != self.pids[name]:
                raise AssertionError(f"Worker {name} (pid {self.pids[name]}) was asked, but pid {answered} answered")
            answer = WorkerAnswer(json.loads(body) if body else {})
            answer.update(worker=name, pid=answered, http_status=response.status, elapsed_s=elapsed)
            return answer
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()
        self.pids = {}
