"""A fallback HTTP load generator in plain Python (threads + ``http.client`` keep-alive connections).

Used when ``wrk`` is not available. :func:`run_load` works in-process; the
benchmarks run it in its own interpreter (``python -m benchmarks.pyload``) so
that it does not share the GIL with the in-process mock it measures. Being
Python, it is itself a bottleneck: its req/s are a lower bound.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from typing import Mapping
from urllib.parse import urlsplit

from .stats import summarize_ns

__all__ = ["run_load", "main"]


def _worker(host: str, port: int, target: str, headers: Mapping[str, str], deadline_ns: int,
            latencies: list[int], errors: list[int], timeout_s: float) -> None:
    conn: http.client.HTTPConnection | None = None
    while time.perf_counter_ns() < deadline_ns:
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
        start = time.perf_counter_ns()
        try:
            conn.request("GET", target, headers=dict(headers))
            response = conn.getresponse()
            response.read()
            ok = 200 <= response.status < 300
            if response.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = None
        latencies.append(time.perf_counter_ns() - start)
        if not ok:
            errors[0] += 1
    if conn is not None:
        conn.close()


def run_load(url: str, *, headers: Mapping[str, str], connections: int, duration_s: float,
             timeout_s: float = 10.0) -> dict:
    """``connections`` threads, each a keep-alive connection sending GETs for ``duration_s``.

    Returns the same keys as :func:`benchmarks.wrk.run_wrk`.
    """
    if connections < 1:
        raise ValueError(f"connections must be >= 1, got {connections}")
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"expected an http:// URL, got {url!r}")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    start = time.perf_counter_ns()
    deadline = start + int(duration_s * 1e9)
    per_thread: list[tuple[list[int], list[int]]] = [([], [0]) for _ in range(connections)]
    threads = [threading.Thread(target=_worker, daemon=True,
                                args=(parts.hostname, parts.port or 80, target, headers, deadline, lat, err,
                                      timeout_s))
               for lat, err in per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration_s + timeout_s + 5)
    elapsed_s = (time.perf_counter_ns() - start) / 1e9
    latencies = [x for lat, _ in per_thread for x in lat]
    errors = sum(err[0] for _, err in per_thread)
    summary = summarize_ns(latencies)
    return {"requests": len(latencies), "duration_s": elapsed_s,
            "rps": len(latencies) / elapsed_s if elapsed_s else 0.0,
            "p50_ms": summary["p50_ms"], "p90_ms": summary["p90_ms"], "p99_ms": summary["p99_ms"],
            "mean_ms": summary["mean_ms"], "max_ms": summary["max_ms"], "errors": errors,
            "error_detail": {"failed": errors}, "bytes": None}


def main(argv: list[str] | None = None) -> int:
    """CLI for running the generator in its own process; prints one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pyload", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--duration", type=float, default=1.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, seconds")
    parser.add_argument("--header", action="append", default=[], metavar="NAME:VALUE")
    args = parser.parse_args(argv)
    headers = {}
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep:
            parser.error(f"--header must be NAME:VALUE, got {item!r}")
        headers[name.strip()] = value.strip()
    result = run_load(args.url, headers=headers, connections=args.connections, duration_s=args.duration,
                      timeout_s=args.timeout)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
