"""Measure: 8 concurrent ``test_connection()`` calls through one Plex client (one breaker) to a mock
delaying every answer by 500 ms. A measurement, not a test (nothing asserts speed)::

    .venv/bin/python tests/companion/measure_concurrent_calls.py [--runs 5] [--callers 8] [--delay-ms 500]

Serialised calls would take callers x delay (4 s for 8 x 500 ms); concurrent ones about one delay.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "libraries")]

from companion import CircuitBreakerFactory, ClientSettings, PlexClient  # noqa: E402
from mockservers import PlexMock  # noqa: E402


def measure(callers: int, delay_ms: int, runs: int) -> list[float]:
    times = []
    with PlexMock() as plex:
        plex.faults.set_delay(delay_ms)
        client = PlexClient(plex.url, "mock-token", settings=ClientSettings(retry_seed=1),
                            breakers=CircuitBreakerFactory())
        with ThreadPoolExecutor(callers) as pool:
            list(pool.map(lambda _: client.test_connection(), range(callers)))  # warm the connection pool
            for _ in range(runs):
                started = time.perf_counter()
                answers = list(pool.map(lambda _: client.test_connection(), range(callers)))
                times.append(time.perf_counter() - started)
                assert all(a["machine_identifier"] for a in answers)
        client.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--callers", type=int, default=8)
    parser.add_argument("--delay-ms", type=int, default=500)
    args = parser.parse_args()
    times = measure(args.callers, args.delay_ms, args.runs)
    print(f"{args.callers} concurrent test_connection() calls, mock delay {args.delay_ms} ms, {args.runs} runs: "
          f"median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s "
          f"(serialised would be {args.callers * args.delay_ms / 1000:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
