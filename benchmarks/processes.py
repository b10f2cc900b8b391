"""Processes and cores for the benchmarks: a free port, pinning to a core, a server process that is up."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import requests

__all__ = ["free_port", "pin", "cores_apart", "serving", "local_url"]

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


@contextmanager
def serving(command: list[str], url: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """Start a server process pinned to core 0, wait until ``url`` answers, yield it, stop it afterwards.

    ``RuntimeError`` when it exits or does not answer within :data:`START_DEADLINE_S`."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        pin(process.pid, {0})
        deadline = time.monotonic() + START_DEADLINE_S
        while True:
            try:
                requests.get(url, timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not start serving {url}") from None
                time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def local_url(port: int) -> str:
    """``http://127.0.0.1:<port>``."""
    return f"http://127.0.0.1:{port}"
