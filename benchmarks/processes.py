"""Processes and cores for the benchmarks: a free port, pinning to a core, a server process that is up."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import psutil
import requests

__all__ = ["free_port", "pin", "cores_apart", "serving", "Served", "local_url"]

ROOT = Path(__file__).resolve().parent.parent
#: how long a server process may take to answer its first request (a deadline, not a wait: on a busy shared
#: machine starting Python and importing a server took more than 15 s)
START_DEADLINE_S = 60


def free_port() -> int:
    """A port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pin(pid: int, cpus: set[int]) -> None:
    """Run ``pid`` (0: this thread) on ``cpus`` when the platform can pin and has two cores; else nothing."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(pid, cpus)


@contextmanager
def cores_apart() -> Iterator[Callable[[], None]]:
    """Pin what this thread starts now (a mock's threads) to core 0; call the yielded function to move this
    thread to core 1 before it starts the load generator. The thread's cores are restored afterwards."""
    previous = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    pin(0, {0})
    try:
        yield lambda: pin(0, {1})
    finally:
        if previous is not None:
            os.sched_setaffinity(0, previous)


@dataclass(frozen=True)
class Served:
    """A server process :func:`serving` started, and the port it listens on."""

    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return local_url(self.port)


@contextmanager
def serving(command: Callable[[int], list[str]], path: str = "/", env: dict[str, str] | None = None,
            attempts: int = 3) -> Iterator[Served]:
    """Start ``command(port)`` on a free port, pinned to core 0, wait until it listens on that port itself and
    answers ``path``, yield it, stop it afterwards.

    A port found free can be taken by another process before the server binds it (on a machine running test
    suites that start servers all the time): the server then exits, or another process answers in its place.
    So the server counts as up only once *its own* process holds the listening socket, and a server that
    exits before that is started again on another port, up to ``attempts`` times. ``RuntimeError`` when it
    never comes up within :data:`START_DEADLINE_S`.
    """
    for attempt in range(1, attempts + 1):
        port = free_port()
        argv = command(port)
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            pin(process.pid, {0})
            if _came_up(process, port, path):
                yield Served(process, port)
                return
        finally:
            _stop(process)
        if attempt == attempts:
            raise RuntimeError(f"{argv[0]} did not start serving on a free port ({attempts} tried)")


def _came_up(process: subprocess.Popen, port: int, path: str) -> bool:
    """Wait until ``process`` listens on ``port`` and answers ``path`` there; False when it exited first
    (the port was taken), ``RuntimeError`` past :data:`START_DEADLINE_S`."""
    deadline = time.monotonic() + START_DEADLINE_S
    listening = False
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        listening = listening or _listens(process.pid, port)
        if listening:
            try:
                requests.get(local_url(port) + path, timeout=1)
                return True
            except requests.ConnectionError:
                pass
        time.sleep(0.05)
    raise RuntimeError(f"process {process.pid} did not answer on port {port} within {START_DEADLINE_S} s")


def _listens(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds a listening TCP socket on ``port``."""
    try:
        return any(connection.status == psutil.CONN_LISTEN and connection.laddr and connection.laddr.port == port
                   for connection in psutil.Process(pid).net_connections(kind="tcp"))
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def local_url(port: int) -> str:
    """``http://127.0.0.1:<port>``."""
    return f"http://127.0.0.1:{port}"
