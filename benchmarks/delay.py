"""Benchmark 2: how closely the mock's injected delay is honoured under load."""

from __future__ import annotations

import time
from typing import Callable, Sequence

from mockservers import PlexMock

from .processes import cores_apart
from .loadgen import LoadGenerator
from .model import BenchConfig, Section
from .targets import plex_targets, warm_up

__all__ = ["run", "DELAY_MS"]

DELAY_MS = 100.0


def run(config: BenchConfig, load: LoadGenerator, *, delay_ms: float = DELAY_MS,
        connections: Sequence[int] | None = None, log: Callable[[str], None] = print) -> Section:
    """Plex items page (JSON) with ``faults.set_delay(delay_ms)``: observed p50/p99 against the configured delay,
    at each connection count (default ``config.delay_connections``)."""
    connections = connections or config.delay_connections
    section = Section(
        key="delay", title="2. Delay accuracy",
        description=(f"Plex items page (JSON) with a {delay_ms:g} ms injected delay, "
                     f"{config.load_duration_s:g} s per point, load engine: {load.engine}."),
        columns=["configured ms", "connections", "p50 ms", "p99 ms", "p50 - configured ms", "p99 - configured ms",
                 "req/s", "ideal req/s", "errors"])
    started = time.perf_counter()
    target = plex_targets()[0]
    with cores_apart() as move_to_load_core, PlexMock() as mock:
        move_to_load_core()  # the mock's threads stay on core 0, wrk (started from here) runs on core 1
        warm_up(mock.url, target)
        mock.faults.set_delay(delay_ms)
        for count in connections:
            result = load.run(target.url(mock.url), headers=target.headers, connections=count,
                              duration_s=max(config.load_duration_s, 3 * delay_ms / 1000))
            section.rows.append({
                "configured ms": delay_ms, "connections": count,
                "p50 ms": round(result["p50_ms"], 2), "p99 ms": round(result["p99_ms"], 2),
                "p50 - configured ms": round(result["p50_ms"] - delay_ms, 2),
                "p99 - configured ms": round(result["p99_ms"] - delay_ms, 2),
                "req/s": round(result["rps"], 1), "ideal req/s": round(count * 1000 / delay_ms, 1),
                "errors": result["errors"], "raw": result})
            log(f"  delay {delay_ms:g} ms c={count}: p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms")
    section.notes.append("The delay is one timer on the mock's event loop (no thread, no lock held while it "
                         "waits), so it holds under concurrency; what exceeds it is the mock's own service time.")
    if load.note:
        section.notes.append(load.note)
    section.elapsed_s = time.perf_counter() - started
    return section
