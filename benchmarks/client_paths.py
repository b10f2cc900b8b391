"""Benchmark 3: in-process latency of PlexClient.get_libraries on each resilience path.

Four paths, each timed per call with ``time.perf_counter_ns``:

- cache miss: a real HTTP call to the Plex mock (the cache is cleared before each call, untimed);
- fresh cache hit: no request at all;
- open breaker, stale cache: the breaker is open, the last good value comes back marked stale;
- open breaker, no cache: ``CircuitOpenError`` without any network request (fail-fast).
"""

from __future__ import annotations

import time
from typing import Callable

from mockservers import PlexMock

from companion import CircuitBreakerFactory, CircuitOpenError, ClientSettings, IntegrationError, PlexClient

from .model import BenchConfig, Section
from .stats import summarize_ns
from .targets import PLEX_TOKEN

__all__ = ["run", "measure"]

LIBRARIES_PATH = "/library/sections"


def _settings(cache_ttl_s: float) -> ClientSettings:
    # one attempt, one failure opens the breaker, which then stays open for the whole measurement
    return ClientSettings(connect_timeout_s=1.0, read_timeout_s=5.0, retry_attempts=1, cache_ttl_s=cache_ttl_s,
                          fail_max=1, reset_timeout_s=3600.0)


def measure(calls: int, call: Callable[[], object], *, before: Callable[[], None] | None = None,
            expect: type[BaseException] | None = None) -> list[int]:
    """``calls`` timings in ns; ``before`` runs untimed before each; ``expect`` is an exception every call raises."""
    samples: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        if before is not None:
            before()
        if expect is None:
            start = clock()
            call()
            samples.append(clock() - start)
        else:
            start = clock()
            try:
                call()
            except expect:
                samples.append(clock() - start)
            else:
                raise AssertionError(f"expected {expect.__name__} from every call, the call succeeded")
    return samples


def _open_breaker(client: PlexClient, mock: PlexMock) -> None:
    """Make /library/sections fail once so the breaker (fail_max 1) opens; then clear the fault."""
    rule = mock.faults.add_route_fault(LIBRARIES_PATH, 503)
    try:
        client.get_libraries()
    except IntegrationError:
        pass
    finally:
        mock.faults.remove_route_fault(rule.id)
    if client.breaker.state != "open":
        raise RuntimeError(f"could not open the plex breaker for the benchmark: it is {client.breaker.state}")


def run(config: BenchConfig, *, calls: int | None = None, log: Callable[[str], None] = print) -> Section:
    """The four paths; ``calls`` per path (default ``config.client_calls``)."""
    calls = calls or config.client_calls
    section = Section(
        key="client_paths", title="3. Client paths (in-process, PlexClient.get_libraries)",
        description=f"{calls} calls per path, each timed with time.perf_counter_ns.",
        columns=["path", "calls", "p50 ms", "p90 ms", "p99 ms", "mean ms", "requests sent"])
    started = time.perf_counter()
    results: dict[str, dict] = {}
    with PlexMock(token=PLEX_TOKEN, journal_size=calls + 100) as mock:  # room to count every request
        fresh = PlexClient(mock.url, PLEX_TOKEN, settings=_settings(60.0), breakers=CircuitBreakerFactory())
        stale = PlexClient(mock.url, PLEX_TOKEN, settings=_settings(0.0), breakers=CircuitBreakerFactory())
        try:
            for _ in range(5):  # warm the connection pool and Flask
                fresh.clear_cache()
                fresh.get_libraries()

            mock.journal.clear()
            results["cache miss (real HTTP call)"] = _path(
                mock, measure(calls, fresh.get_libraries, before=fresh.clear_cache))
            fresh.get_libraries()
            mock.journal.clear()
            results["fresh cache hit"] = _path(mock, measure(calls, fresh.get_libraries))

            stale.get_libraries()              # remembers the last good value (ttl 0: never fresh)
            _open_breaker(stale, mock)
            first = stale.get_libraries()
            if not getattr(first, "stale", False):
                raise RuntimeError("expected a stale fallback value while the breaker is open, got a fresh one")
            mock.journal.clear()
            results["open breaker -> stale cache fallback"] = _path(mock, measure(calls, stale.get_libraries))

            stale.clear_cache()
            mock.journal.clear()
            results["open breaker -> fail fast (CircuitOpenError)"] = _path(
                mock, measure(calls, stale.get_libraries, expect=CircuitOpenError))
        finally:
            fresh.close()
            stale.close()
    for name, summary in results.items():
        section.rows.append({"path": name, "calls": summary["n"], "p50 ms": round(summary["p50_ms"], 4),
                             "p90 ms": round(summary["p90_ms"], 4), "p99 ms": round(summary["p99_ms"], 4),
                             "mean ms": round(summary["mean_ms"], 4), "requests sent": summary["requests_sent"],
                             "raw": summary})
        log(f"  {name}: p50 {summary['p50_ms']:.3f} ms, p99 {summary['p99_ms']:.3f} ms")
    section.notes += [
        "Cached values are deep-copied in and out (ReadCache), which is most of a cache hit's cost.",
        "'requests sent' is what the mock's journal recorded during the timed loop.",
        "The mock answers from the same process, so the cache-miss figure includes its server-side time too.",
    ]
    section.elapsed_s = time.perf_counter() - started
    return section


def _path(mock: PlexMock, samples: list[int]) -> dict:
    summary = summarize_ns(samples)
    summary["requests_sent"] = mock.journal.count()
    return summary
