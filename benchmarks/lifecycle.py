"""Benchmark 4: how long one mock takes to start (bind + serve) and to stop (shutdown + join)."""

from __future__ import annotations

import time
from typing import Callable, Sequence

from mockservers import OverseerrMock, PlexMock, UptimeKumaMock
from mockservers.core.server import SHUTDOWN_POLL_S

from .model import BenchConfig, Section
from .stats import summarize_s

__all__ = ["run", "time_lifecycle", "MOCKS"]

MOCKS: tuple[type, ...] = (PlexMock, OverseerrMock, UptimeKumaMock)


def time_lifecycle(mock_class: type, repeats: int) -> dict[str, list[float]]:
    """``repeats`` fresh instances: seconds for ``start()`` and for ``stop()`` (construction untimed)."""
    starts: list[float] = []
    stops: list[float] = []
    for _ in range(repeats):
        mock = mock_class()
        t0 = time.perf_counter()
        mock.start()
        t1 = time.perf_counter()
        mock.stop()
        t2 = time.perf_counter()
        starts.append(t1 - t0)
        stops.append(t2 - t1)
    return {"start_s": starts, "stop_s": stops, "total_s": [a + b for a, b in zip(starts, stops)]}


def run(config: BenchConfig, *, mocks: Sequence[type] = MOCKS, repeats: int | None = None,
        log: Callable[[str], None] = print) -> Section:
    """Median and p90 of start, stop and start + stop for each mock."""
    repeats = repeats or config.lifecycle_repeats
    section = Section(
        key="lifecycle", title="4. Mock start + stop",
        description=f"{repeats} fresh instances per mock; start() includes building the app on first start.",
        columns=["mock", "runs", "start p50 ms", "start p90 ms", "stop p50 ms", "stop p90 ms",
                 "start+stop p50 ms", "start+stop p90 ms"])
    started = time.perf_counter()
    for mock_class in mocks:
        mock_class().start().stop()  # imports and first-use costs outside the measurement
        times = time_lifecycle(mock_class, repeats)
        start, stop, total = (summarize_s(times[k]) for k in ("start_s", "stop_s", "total_s"))
        section.rows.append({
            "mock": mock_class.__name__, "runs": repeats,
            "start p50 ms": round(start["p50_ms"], 2), "start p90 ms": round(start["p90_ms"], 2),
            "stop p50 ms": round(stop["p50_ms"], 2), "stop p90 ms": round(stop["p90_ms"], 2),
            "start+stop p50 ms": round(total["p50_ms"], 2), "start+stop p90 ms": round(total["p90_ms"], 2),
            "raw": times})
        log(f"  {mock_class.__name__}: start+stop p50 {total['p50_ms']:.1f} ms, p90 {total['p90_ms']:.1f} ms")
    section.notes.append("start() starts an event loop thread and listens on a pre-bound socket; stop() closes "
                         "the listener and idle connections, waits for busy ones (re-checked every "
                         f"{SHUTDOWN_POLL_S * 1000:g} ms, mockservers.core.server.SHUTDOWN_POLL_S) and joins the "
                         "thread. Target: start + stop at most 50 ms.")
    rss = resident_mb(config.warm_requests)
    section.raw["resident_mb"] = rss
    section.notes.append(f"Resident memory of one mock process (python -m mockservers --only plex, after "
                         f"{config.warm_requests} requests over keep-alive): "
                         + (f"{rss:.1f} MB (target: at most 80 MB)." if rss else "not measured (needs /proc)."))
    log(f"  one Plex mock process: {rss if rss else 'n/a'} MB resident")
    section.elapsed_s = time.perf_counter() - started
    return section


def resident_mb(warm_requests: int) -> float | None:
    """VmRSS of a ``python -m mockservers --only plex`` process after ``warm_requests`` requests (Linux; else
    None)."""
    import sys
    from pathlib import Path

    import requests

    from .processes import serving
    from .targets import plex_targets

    if not Path("/proc/self/status").exists():
        return None
    try:
        with serving(lambda port: [sys.executable, "-m", "mockservers", "--only", "plex", "--plex-port", str(port)],
                     "/identity") as mock, requests.Session() as session:
            for index in range(warm_requests):
                target = plex_targets()[index % 2]
                session.get(target.url(mock.url), headers=target.headers, timeout=10)
            for line in Path(f"/proc/{mock.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except RuntimeError:
        return None  # the mock did not start: the report shows no figure
    return None
