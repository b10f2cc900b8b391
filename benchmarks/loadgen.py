"""One entry point for HTTP load: wrk when available, else the Python generator in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Mapping

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
            timeout_s: float = 10.0) -> dict:
        """One load point; the dict has ``requests, rps, p50_ms, p99_ms, errors, ...``."""
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
