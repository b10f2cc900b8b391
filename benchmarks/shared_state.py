"""Benchmark: the state store's cost per call, Redis next to memory, and what a paused Redis costs a caller.

Every path runs twice, once with breakers and cache in this process's memory
(``memory://``) and once in a real Redis (a ``valkey-server`` this benchmark
starts on a free port; the store a ``redis://`` companion worker opens, with its
memory as the fallback), each call timed with ``time.perf_counter_ns``:

- breaker, closed: one successful call through ``ServiceBreaker.call`` (admission and bookkeeping);
- breaker, open: fail fast with ``CircuitOpenError`` (one read of the record, one ``rejected`` + 1);
- ``PlexClient.get_libraries`` answered from a fresh cache entry (no request to Plex);
- ``PlexClient.get_libraries`` with the breaker open, answered stale from the cache.

Then Redis is paused (``CLIENT PAUSE``) under an attached worker: the first call
waits for the Redis timeout (the store's production default), later calls run
on the worker's memory at once.
"""

from __future__ import annotations

import time
from typing import Callable

from atest_support.redis_server import RedisServer
from companion import CircuitBreakerFactory, CircuitOpenError, ClientSettings, IntegrationError, PlexClient
from companion.state import DEFAULT_TIMEOUT_S, MemoryStore, StateStore, open_store
from mockservers import PlexMock

from .client_paths import LIBRARIES_PATH, measure
from .model import BenchConfig, Section
from .stats import summarize_ns
from .targets import PLEX_TOKEN

__all__ = ["run"]


def _settings(cache_ttl_s: float) -> ClientSettings:
    return ClientSettings(connect_timeout_s=1.0, read_timeout_s=5.0, retry_attempts=1, cache_ttl_s=cache_ttl_s,
                          fail_max=1, reset_timeout_s=3600.0)


def _paths(store_name: str, make_store: Callable[[], StateStore], mock: PlexMock, calls: int) -> dict[str, list[int]]:
    """Timings (ns) of the four paths with breakers and cache in ``make_store()``."""
    samples: dict[str, list[int]] = {}
    breakers = CircuitBreakerFactory(store=make_store())
    closed = breakers.create("bench-closed", fail_max=1, reset_timeout=3600)
    samples["breaker, closed: one successful call"] = measure(calls, lambda: closed.call("op", lambda: None))

    opened = breakers.create("bench-open", fail_max=1, reset_timeout=3600)
    try:
        opened.call("op", _fail)
    except IntegrationError:
        pass
    samples["breaker, open: fail fast (CircuitOpenError)"] = measure(
        calls, lambda: opened.call("op", lambda: None), expect=CircuitOpenError)

    fresh = PlexClient(mock.url, PLEX_TOKEN, settings=_settings(3600.0), breakers=CircuitBreakerFactory(
        store=make_store()))
    stale = PlexClient(mock.url, PLEX_TOKEN, settings=_settings(0.0), breakers=CircuitBreakerFactory(
        store=make_store()))
    try:
        fresh.get_libraries()
        samples["get_libraries, fresh cache hit"] = measure(calls, fresh.get_libraries)
        stale.get_libraries()
        rule = mock.faults.add_route_fault(LIBRARIES_PATH, 503)
        try:
            stale.get_libraries()
        finally:
            mock.faults.remove_route_fault(rule.id)
        if stale.breaker.state != "open":
            raise RuntimeError(f"{store_name}: could not open the breaker, it is {stale.breaker.state}")
        samples["get_libraries, breaker open: stale from the cache"] = measure(calls, stale.get_libraries)
    finally:
        fresh.close()
        stale.close()
    return samples


def _fail() -> None:
    from companion import ServiceUnavailableError

    raise ServiceUnavailableError("bench", "op", "HTTP 503")


def _paused(server: RedisServer, mock: PlexMock, repeats: int) -> dict[str, list[int]]:
    """First and later calls of an attached worker right after Redis is paused (each repeat a fresh Redis)."""
    samples: dict[str, list[int]] = {"first call after Redis paused": [], "later calls (this worker's memory)": []}
    for _ in range(repeats):
        store = open_store(server.url, timeout_s=DEFAULT_TIMEOUT_S)
        client = PlexClient(mock.url, PLEX_TOKEN, settings=_settings(3600.0),
                            breakers=CircuitBreakerFactory(store=store))
        try:
            client.get_libraries()
            server.pause(30)
            start = time.perf_counter_ns()
            client.get_libraries()
            samples["first call after Redis paused"].append(time.perf_counter_ns() - start)
            samples["later calls (this worker's memory)"] += measure(20, client.get_libraries)
            if store.health()["status"] != "degraded":
                raise RuntimeError("the store did not report Redis paused")
        finally:
            client.close()
            store.close()
            server.kill()  # ends the pause; an empty server for the next repeat
            server.start()
    return samples


def run(config: BenchConfig, *, calls: int | None = None, repeats: int | None = None, rounds: int | None = None,
        log: Callable[[str], None] = print) -> Section:
    """Memory and Redis side by side (``calls`` per path and store, in ``rounds`` interleaved rounds), then the
    paused-Redis cost (``repeats`` pauses)."""
    calls = calls or max(config.client_calls // 2, 10)
    rounds = rounds or config.shared_state_rounds
    repeats = repeats or config.shared_state_pauses
    per_round = max(1, calls // rounds)
    section = Section(
        key="shared_state", title="Shared state: breaker and cache through Redis next to memory",
        description=f"{per_round * rounds} calls per path and store in {rounds} interleaved rounds (memory, Redis, "
                    f"memory, ...), each timed with time.perf_counter_ns; the figures are the median of the rounds' "
                    f"p50 / p99 / mean. A real valkey-server on loopback; then {repeats} pauses of Redis "
                    f"(CLIENT PAUSE) under a worker with the production Redis timeout ({DEFAULT_TIMEOUT_S * 1000:.0f} "
                    f"ms).",
        columns=["path", "store", "calls", "p50 ms", "p99 ms", "mean ms"])
    started = time.perf_counter()
    summaries: dict[str, dict[str, list[dict]]] = {"memory://": {}, "redis://": {}}
    with PlexMock(token=PLEX_TOKEN) as mock, RedisServer() as server:
        prefix = iter(range(1_000_000))
        stores = {"memory://": MemoryStore,
                  "redis://": lambda: open_store(server.url, prefix=f"bench{next(prefix)}:")}
        for _ in range(rounds):
            for store, make in stores.items():
                for path, samples in _paths(store, make, mock, per_round).items():
                    summaries[store].setdefault(path, []).append(summarize_ns(samples))
        paused = _paused(server, mock, repeats)
    for path in summaries["memory://"]:
        for store, by_path in summaries.items():
            _row(section, path, store, by_path[path], log)
    for path, samples in paused.items():
        _row(section, path, "redis:// paused", [summarize_ns(samples)], log)
    section.notes += [
        "Redis: a closed breaker's call reads the record to admit it, then takes the breaker's lock in Redis, "
        "reads and writes the record (5 round trips in all); fail fast is one script (read, count the rejection).",
        "A paused Redis costs the first caller one Redis timeout; that call detaches the worker, and every later "
        "call runs on the worker's memory until the reconnect backoff (1 s, doubling to 30 s) has passed.",
        "Cached answers are JSON in both stores (memory keeps the text, so a caller can never change what is cached).",
        "Every Redis round trip needs the valkey-server process scheduled: on a busy 2-core machine the p99 is "
        "mostly the wait for a core (compare the load average in the machine facts).",
    ]
    section.elapsed_s = time.perf_counter() - started
    return section


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _row(section: Section, path: str, store: str, summaries: list[dict], log: Callable[[str], None]) -> None:
    p50, p99 = _median([s["p50_ms"] for s in summaries]), _median([s["p99_ms"] for s in summaries])
    mean = _median([s["mean_ms"] for s in summaries])
    section.rows.append({"path": path, "store": store, "calls": sum(s["n"] for s in summaries),
                         "p50 ms": round(p50, 4), "p99 ms": round(p99, 4), "mean ms": round(mean, 4),
                         "raw": summaries})
    log(f"  {path} [{store}]: p50 {p50:.3f} ms, p99 {p99:.3f} ms (median of {len(summaries)} round(s))")
