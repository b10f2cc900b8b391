"""Drive ``wrk`` (an external HTTP load generator, in its own process) and read its numbers.

A small Lua script's ``done()`` prints one ``BENCH_JSON {...}`` line with
request counts, errors and the p50/p99 latency, so nothing depends on the
layout of wrk's human-readable output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Mapping

__all__ = ["WrkError", "find_wrk", "run_wrk", "LUA_DONE"]

MARKER = "BENCH_JSON "

LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
"""


class WrkError(RuntimeError):
    """wrk could not be run or printed no result line."""


def find_wrk(*, install: bool = True, log=print) -> str | None:
    """Path of ``wrk``; when missing and running as root, try ``apt-get install -y wrk`` quietly.

    Returns None when wrk is not available (the caller falls back to the
    Python load generator and says so).
    """
    path = shutil.which("wrk")
    if path or not install:
        return path
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        log("note: wrk not found and not root (or no apt-get): not installing it")
        return None
    log("note: wrk not found; trying `apt-get install -y wrk` ...")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for commands in ([["apt-get", "install", "-y", "-qq", "wrk"]],
                     [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]]):
        ok = True
        for command in commands:
            try:
                done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
            except (OSError, subprocess.TimeoutExpired) as exc:
                log(f"note: {' '.join(command)} failed: {type(exc).__name__}")
                ok = False
                break
            if done.returncode != 0:
                ok = False
                break
        if ok and shutil.which("wrk"):
            return shutil.which("wrk")
    log("note: installing wrk failed")
    return None


def run_wrk(wrk: str, url: str, *, headers: Mapping[str, str], connections: int, duration_s: float,
            threads: int | None = None, timeout_s: float = 10.0) -> dict:
    """One wrk run; returns ``{requests, duration_s, rps, p50_ms, p90_ms, p99_ms, mean_ms, max_ms, errors}``."""
    if connections < 1:
        raise ValueError(f"connections must be >= 1, got {connections}")
    threads = max(1, min(connections, threads or (os.cpu_count() or 1)))
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        script = Path(tmp) / "done.lua"
        script.write_text(LUA_DONE, encoding="utf-8")
        command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(duration_s, 0.5):g}s",
                   f"--timeout={timeout_s:g}s", "-s", str(script)]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        command.append(url)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + timeout_s + 30)
        except subprocess.TimeoutExpired:
            raise WrkError(f"wrk did not finish within {duration_s + timeout_s + 30:g}s") from None
    return parse_wrk_output(done.stdout, done.stderr, done.returncode)


def parse_wrk_output(stdout: str, stderr: str = "", returncode: int = 0) -> dict:
    """The numbers of the ``BENCH_JSON`` line (wrk reports microseconds; we report ms)."""
    line = next((ln for ln in stdout.splitlines() if ln.startswith(MARKER)), None)
    if line is None:
        tail = (stderr or stdout).strip().splitlines()[-3:]
        raise WrkError(f"wrk printed no {MARKER.strip()} line (exit {returncode}): {' | '.join(tail)}")
    data = json.loads(line[len(MARKER):])
    duration_s = data["duration_us"] / 1e6
    return {
        "requests": data["requests"],
        "duration_s": duration_s,
        "rps": data["requests"] / duration_s if duration_s else 0.0,
        "p50_ms": data["p50_us"] / 1e3,
        "p90_ms": data["p90_us"] / 1e3,
        "p99_ms": data["p99_us"] / 1e3,
        "mean_ms": data["mean_us"] / 1e3,
        "max_ms": data["max_us"] / 1e3,
        "errors": sum(data["errors"].values()),
        "error_detail": data["errors"],
        "bytes": data["bytes"],
    }
