"""Small statistics helpers: percentiles and a latency summary in milliseconds."""

from __future__ import annotations

import math
import statistics
from typing import Sequence

__all__ = ["percentile", "summarize_ns", "summarize_s", "median_load", "or_na"]


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (0..100) of ``values``, linearly interpolated; NaN when empty."""
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {pct!r}")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize_ns(samples_ns: Sequence[int]) -> dict[str, float]:
    """``{n, p50_ms, p90_ms, p99_ms, mean_ms, max_ms}`` of nanosecond samples."""
    ms = [s / 1e6 for s in samples_ns]
    return _summary(ms)


def summarize_s(samples_s: Sequence[float]) -> dict[str, float]:
    """``{n, p50_ms, p90_ms, p99_ms, mean_ms, max_ms}`` of samples in seconds."""
    return _summary([s * 1e3 for s in samples_s])


def _summary(ms: list[float]) -> dict[str, float]:
    return {"n": len(ms), "p50_ms": percentile(ms, 50), "p90_ms": percentile(ms, 90),
            "p99_ms": percentile(ms, 99), "mean_ms": (sum(ms) / len(ms)) if ms else math.nan,
            "max_ms": max(ms) if ms else math.nan}


def median_load(runs: Sequence[dict]) -> dict[str, float | None]:
    """The median ``rps``, ``p50_ms``, ``p99_ms`` and ``server_cpu_pct`` (None when a run has none) of several
    load runs, and their summed ``errors``."""
    cpu = [r.get("server_cpu_pct") for r in runs]
    return {"rps": statistics.median(r["rps"] for r in runs),
            "p50_ms": statistics.median(r["p50_ms"] for r in runs),
            "p99_ms": statistics.median(r["p99_ms"] for r in runs),
            "server_cpu_pct": None if None in cpu else round(statistics.median(cpu), 1),
            "errors": sum(r["errors"] for r in runs)}


def or_na(value: float | None) -> float | str:
    """``value``, or ``"n/a"`` for a figure that was not measured."""
    return "n/a" if value is None else value
