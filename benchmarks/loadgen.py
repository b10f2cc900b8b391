"""One entry point for HTTP load: wrk when available, else the Python generator in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Mapping

import psutil

from . import pyload
from .wrk import find_wrk, run_wrk

__all__ = ["LoadGenerator"]

_REPO_ROOT = Path(__file__).resolve().parent.parent


class LoadGenerator:
    """Chooses the engine once (``auto``: wrk, installing it if allowed; ``python``; ``wrk``).

    ``engine`` is ``"wrk"``, ``"python (subprocess)"`` or ``"python (in-process)"``;
    ``note`` says why when it is not wrk.
    """

    def __init__(self, preference: str = "auto", *, install: bool = True, in_process: bool = False,
                 log: Callable[[str], None] = print) -> None:
        if preference not in ("auto", "wrk", "python"):
            raise ValueError(f"load engine must be auto, wrk or python, got {preference!r}")
        self.note = ""
        self._wrk: str | None = None
        self._in_process = in_process
        if preference != "python":
            self._wrk = find_wrk(install=install, log=log)
            if self._wrk is None and preference == "wrk":
                raise RuntimeError("wrk was asked for (--engine wrk) but is not installed and could not be installed")
        if self._wrk:
            self.engine = "wrk"
        else:
            self.engine = "python (in-process)" if in_process else "python (subprocess)"
            self.note = ("wrk not available: load comes from the Python thread-pool generator "
                         f"({self.engine}); it is itself slow, so its req/s are a lower bound"
                         if preference == "auto" else f"load from the Python thread-pool generator ({self.engine})")
            log(f"note: {self.note}")

    def run(self, url: str, *, headers: Mapping[str, str], connections: int, duration_s: float,
            timeout_s: float = 10.0, server_pid: int | None = None) -> dict:
        """One load point; the dict has ``requests, rps, p50_ms, p99_ms, errors, ...`` and ``server_cpu_pct``:
        the CPU time the server process ``server_pid`` used during the run, in % of one core (None without a
        pid, or when the server is this process and the load comes from this process too)."""
        measurable = server_pid is not None and not (self._in_process and not self._wrk and server_pid == os.getpid())
        server = psutil.Process(server_pid) if measurable else None
        cpu_before = _cpu_seconds(server) if server else 0.0
        started = time.perf_counter()
        result = self._load(url, headers, connections, duration_s, timeout_s)
        wall_s = time.perf_counter() - started
        result["server_cpu_pct"] = round(100 * (_cpu_seconds(server) - cpu_before) / wall_s, 1) if server else None
        return result

    def _load(self, url: str, headers: Mapping[str, str], connections: int, duration_s: float,
              timeout_s: float) -> dict:
        if self._wrk:
            return run_wrk(self._wrk, url, headers=headers, connections=connections, duration_s=duration_s,
                           timeout_s=timeout_s)
        if self._in_process:
            return pyload.run_load(url, headers=headers, connections=connections, duration_s=duration_s,
                                   timeout_s=timeout_s)
        return self._run_subprocess(url, headers, connections, duration_s, timeout_s)

    @staticmethod
    def _run_subprocess(url: str, headers: Mapping[str, str], connections: int, duration_s: float,
                        timeout_s: float) -> dict:
        command = [sys.executable, "-m", "benchmarks.pyload", url, "--connections", str(connections),
                   "--duration", f"{duration_s:g}", "--timeout", f"{timeout_s:g}"]
        for name, value in headers.items():
            command += ["--header", f"{name}: {value}"]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO_ROOT), env.get("PYTHONPATH", "")]))
        done = subprocess.run(command, capture_output=True, text=True, env=env,
                              timeout=duration_s + timeout_s + 60)
        if done.returncode != 0:
            tail = " | ".join(done.stderr.strip().splitlines()[-3:])
            raise RuntimeError(f"python load generator failed (exit {done.returncode}): {tail}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def _cpu_seconds(process: psutil.Process) -> float:
    """User + system CPU seconds of ``process`` (its own threads, not its children)."""
    times = process.cpu_times()
    return times.user + times.system
