"""Benchmark 1: mock throughput and latency under 1, 8 and 32 concurrent connections."""

from __future__ import annotations

import os
import time
from typing import Callable, Sequence

from mockservers import OverseerrMock, PlexMock

from .processes import cores_apart
from .loadgen import LoadGenerator
from .model import BenchConfig, Section
from .stats import or_na
from .targets import Target, overseerr_target, plex_targets, warm_up

__all__ = ["run", "CONNECTIONS", "COLUMNS"]

CONNECTIONS: tuple[int, ...] = (1, 8, 32)
COLUMNS = ["service", "endpoint", "format", "connections", "req/s", "server CPU %", "p50 ms", "p99 ms", "requests",
           "errors"]


def run(config: BenchConfig, load: LoadGenerator, *, connections: Sequence[int] | None = None,
        log: Callable[[str], None] = print) -> Section:
    """Plex items page (JSON, XML) and Overseerr search, each at every connection count
    (default ``config.throughput_connections``)."""
    connections = connections or config.throughput_connections
    section = Section(
        key="throughput", title="1. Mock throughput and latency",
        description=("GET of the Plex items page (50 items, JSON and XML) and of Overseerr search, "
                     f"{config.load_duration_s:g} s per point, load engine: {load.engine}."),
        columns=COLUMNS)
    started = time.perf_counter()
    plan: list[tuple[type, Target]] = [(PlexMock, t) for t in plex_targets()] + [(OverseerrMock, overseerr_target())]
    for mock_class, target in plan:
        with cores_apart() as move_to_load_core, mock_class() as mock:
            move_to_load_core()  # the mock's threads stay on core 0, wrk (started from here) runs on core 1
            warm_up(mock.url, target)
            for count in connections:
                result = load.run(target.url(mock.url), headers=target.headers, connections=count,
                                  duration_s=config.load_duration_s, server_pid=os.getpid())
                section.rows.append(_row(target, count, result))
                log(f"  {target.service} {target.fmt} c={count}: {result['rps']:.0f} req/s, "
                    f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms")
    section.notes += [
        "The mock runs in the benchmark's own process: uvicorn's httptools protocol on an asyncio (uvloop) loop "
        "in a background thread, HTTP/1.1 keep-alive; a repeated GET is served as ready bytes (rendered once "
        "per data version), so it is one Python thread doing parsing, faults, journal and a memory copy.",
        "The mock's threads are pinned to core 0 and wrk to core 1 (when the platform can pin); other work on "
        "the machine still competes for both.",
        "Every request also passes the fault middleware and is written to the request journal.",
        "server CPU %: the CPU time of the mock's process (all its threads; the benchmark's own thread only "
        "waits for the load generator) over the load run, in % of one core; n/a when the load generator runs "
        "in the same process.",
    ]
    if load.note:
        section.notes.append(load.note)
    section.elapsed_s = time.perf_counter() - started
    return section


def _row(target: Target, connections: int, result: dict) -> dict:
    return {"service": target.service, "endpoint": target.path.split("?")[0], "format": target.fmt,
            "connections": connections, "req/s": round(result["rps"], 1),
            "server CPU %": or_na(result["server_cpu_pct"]), "p50 ms": round(result["p50_ms"], 2),
            "p99 ms": round(result["p99_ms"], 2), "requests": result["requests"], "errors": result["errors"],
            "raw": result}
