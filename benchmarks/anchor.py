"""Benchmark 7: the Plex mock beside the seed plan's Express mock (the performance anchor), in one run.

Both servers run as their own processes — ``node ../shared/peers/express_plex_mock.js``
and ``python -m mockservers --only plex`` — pinned to the first core while the
load generator (wrk, started from this process) runs on the second, when the
machine has two cores and the platform can pin (``os.sched_setaffinity``).
Rounds are interleaved (round 1: Express, project JSON, project XML; round 2: the
same, …) and the medians are reported with the ratio to Express.

Node and Express come from the machine: when ``node`` is missing and the
benchmark runs as root it installs Debian's ``nodejs`` and ``npm``; Express 4
is installed with npm into a cache folder in the temporary directory. When
either cannot be had, the section says so and shows the project's mock alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import requests

from .loadgen import LoadGenerator
from .model import BenchConfig, Section
from .processes import local_url, pin, serving
from .stats import median_load, or_na
from .targets import PLEX_ITEMS_PATH, Target, plex_targets

__all__ = ["run", "PEER_SCRIPT", "express_modules"]

ROOT = Path(__file__).resolve().parent.parent
#: where the seed plan's Express mock may lie: ``shared/peers/`` beside the repository, or beside the
#: folder of worktrees the repository is checked out in
PEER_PLACES = (ROOT.parent / "shared" / "peers", ROOT.parent.parent / "shared" / "peers")
#: the seed plan's Express mock (the first place that has it)
PEER_SCRIPT = next((place / "express_plex_mock.js" for place in PEER_PLACES
                    if (place / "express_plex_mock.js").is_file()), PEER_PLACES[0] / "express_plex_mock.js")
EXPRESS_DIR = Path(tempfile.gettempdir()) / "express4"
CONNECTIONS = 32
COLUMNS = ["server", "format", "page KB", "req/s", "server CPU %", "p50 ms", "p99 ms", "x Express", "errors"]


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _quiet(command: list[str], cwd: Path | None = None) -> bool:
    return subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          check=False).returncode == 0


def express_modules(log: Callable[[str], None] = print, install: bool = True) -> tuple[str | None, str]:
    """``(node_modules folder, "")`` when node and Express 4 can be had (installing them only if ``install``),
    else ``(None, why not)``."""
    if not PEER_SCRIPT.is_file():
        return None, f"the anchor {PEER_SCRIPT} is not there"
    if not shutil.which("node") and install and _is_root() and shutil.which("apt-get"):
        log("  installing Debian's nodejs and npm for the Express anchor ...")
        _quiet(["apt-get", "install", "-y", "-qq", "nodejs", "npm"])
    if not shutil.which("node"):
        return None, ("node is not installed and could not be installed (not root, or no apt-get)" if install
                      else "node is not installed (installing is off)")
    modules = EXPRESS_DIR / "node_modules"
    if not (modules / "express").is_dir():
        if not install:
            return None, f"Express 4 is not in {EXPRESS_DIR} (installing is off)"
        if not shutil.which("npm"):
            return None, "npm is not installed: cannot install Express 4"
        log(f"  installing express@4 into {EXPRESS_DIR} ...")
        EXPRESS_DIR.mkdir(parents=True, exist_ok=True)
        if not (_quiet(["npm", "init", "-y"], EXPRESS_DIR) and _quiet(["npm", "install", "--silent", "express@4"],
                                                                       EXPRESS_DIR)):
            return None, "npm install express@4 failed (is the npm registry reachable?)"
    return str(modules), ""


def run(config: BenchConfig, load: LoadGenerator, *, rounds: int | None = None,
        log: Callable[[str], None] = print) -> Section:
    """Express anchor, project JSON, project XML at 32 connections; interleaved rounds; medians
    (``rounds`` default: ``config.rounds``)."""
    rounds = rounds or config.rounds
    started = time.perf_counter()
    section = Section(key="anchor", title="7. The Plex mock beside the seed's Express mock",
                      description=(f"GET {PLEX_ITEMS_PATH.split('?')[0]} (50 items) at {CONNECTIONS} connections, "
                                   f"{config.load_duration_s:g} s per point, {rounds} interleaved rounds, medians; "
                                   f"load engine: {load.engine}."),
                      columns=COLUMNS)
    modules, why_not = express_modules(log, install=config.install)
    json_target, xml_target = plex_targets()
    express_target = Target("express", PLEX_ITEMS_PATH, "json", {"Accept": "application/json"})
    if not modules:
        section.notes.append(f"Express anchor not measured: {why_not}. The project's mock is shown alone.")
    previous_affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    with serving(lambda port: [sys.executable, "-m", "mockservers", "--only", "plex", "--plex-port", str(port)],
                 "/identity") as plex, \
            (serving(lambda port: ["node", str(PEER_SCRIPT), str(port)], "/", env=dict(os.environ, NODE_PATH=modules))
             if modules else _nothing()) as express:
        plan: list[tuple[str, Target, int]] = [("project Plex mock", json_target, plex.port),
                                               ("project Plex mock", xml_target, plex.port)]
        pids = {plex.port: plex.process.pid}
        if express is not None:
            plan.insert(0, ("seed Express 4 mock (anchor)", express_target, express.port))
            pids[express.port] = express.process.pid
        samples: dict[int, list[dict]] = {i: [] for i in range(len(plan))}
        pin(0, {1})  # wrk inherits this process's core
        try:
            for index, (_, target, port) in enumerate(plan):
                requests.get(target.url(local_url(port)), headers=target.headers, timeout=10)  # warm up
                section.raw.setdefault("page_bytes", {})[index] = len(
                    requests.get(target.url(local_url(port)), headers=target.headers, timeout=10).content)
            for round_no in range(rounds):
                for index, (name, target, port) in enumerate(plan):
                    result = load.run(target.url(local_url(port)), headers=target.headers, connections=CONNECTIONS,
                                      duration_s=config.load_duration_s, server_pid=pids[port])
                    samples[index].append(result)
                    log(f"  round {round_no + 1} {name} {target.fmt}: {result['rps']:.0f} req/s, "
                        f"server CPU {result['server_cpu_pct']} %, p99 {result['p99_ms']:.1f} ms")
        finally:
            if previous_affinity is not None:
                os.sched_setaffinity(0, previous_affinity)
    medians = {index: median_load(runs) for index, runs in samples.items()}
    anchor_rps = medians[0]["rps"] if modules else None
    for index, (name, target, _) in enumerate(plan):
        m = medians[index]
        section.rows.append({
            "server": name, "format": target.fmt.upper(),
            "page KB": round(section.raw["page_bytes"][index] / 1024, 1),
            "req/s": round(m["rps"]), "server CPU %": or_na(m["server_cpu_pct"]), "p50 ms": round(m["p50_ms"], 2), "p99 ms": round(m["p99_ms"], 2),
            "x Express": round(m["rps"] / anchor_rps, 2) if anchor_rps else "n/a", "errors": m["errors"]})
    section.notes.append("Servers pinned to core 0, the load generator to core 1 (when the platform can pin). "
                         "The project page carries more fields per item than the Express page (page KB). "
                         "server CPU %: the server process's CPU time over the load run, in % of one core "
                         "(below 100 while the load generator keeps it busy: it waited, or other work on the machine had the core).")
    if load.note:
        section.notes.append(load.note)
    section.elapsed_s = time.perf_counter() - started
    return section


@contextmanager
def _nothing() -> Iterator[None]:
    yield None
