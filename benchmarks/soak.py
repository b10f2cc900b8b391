"""Benchmark 6: soak — 64 concurrent clients for 30 s against each mock with faults on.

Each mock runs on loopback with a fault plan that *answers* badly but never
drops a connection on its own: a 5 ms delay with 5 ms seeded jitter and a
10 % seeded failure rate (503). One route, :data:`DROP_PATH`, is faulted with
``reset``: every request to it asks for a dropped connection. Every client
(one thread, one keep-alive ``requests.Session``) sends a seeded mix of
normal requests and requests to :data:`DROP_PATH` until the time is up, then
stops by itself.

Counted per mock: requests, answers by class, injected 503s, drops asked for
(connection errors on :data:`DROP_PATH`) and **unasked drops**: connection
errors or timeouts on any other path, which the faults did not ask for. The
target is 0 unasked drops.
"""

from __future__ import annotations

import ipaddress
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence

import requests

from mockservers import OverseerrMock, PlexMock, UptimeKumaMock
from mockservers.credentials import DEFAULT_CREDENTIALS

from .model import BenchConfig, Section

__all__ = ["run", "soak", "SoakResult", "CLIENTS", "DURATION_S", "DROP_PATH", "FAULTS"]

CLIENTS = 64
DURATION_S = 30.0
#: the one path whose requests ask for a dropped connection (a ``reset`` route fault)
DROP_PATH = "/soak-drop-me"
#: share of requests each client sends to :data:`DROP_PATH`
DROP_SHARE = 0.05
#: the fault plan every mock gets (seeded: the same faults every run)
FAULTS = {"delay_ms": 5, "jitter_ms": 5, "failure_rate": 0.1, "failure_status": 503, "seed": 1,
          "routes": [{"path": DROP_PATH, "action": "reset"}]}
#: connect and read timeouts of every request (a request that waits longer counts as dropped)
TIMEOUTS = (5.0, 10.0)

Target = tuple[str, dict[str, str], tuple[str, str] | None]  # path, headers, basic auth

PLEX = {"X-Plex-Token": DEFAULT_CREDENTIALS.plex_token}
OVERSEERR = {"X-Api-Key": DEFAULT_CREDENTIALS.overseerr_api_key}
KUMA_AUTH = (DEFAULT_CREDENTIALS.uptime_kuma_username, DEFAULT_CREDENTIALS.uptime_kuma_password)
#: mock class -> the normal requests its clients send
TARGETS: dict[type, list[Target]] = {
    PlexMock: [("/identity", {}, None), ("/library/sections", PLEX, None),
               ("/library/sections/1/all?X-Plex-Container-Start=0&X-Plex-Container-Size=20", PLEX, None),
               ("/hubs/search?query=the&limit=5", PLEX, None)],
    OverseerrMock: [("/api/v1/status", {}, None), ("/api/v1/search?query=the", OVERSEERR, None),
                    ("/api/v1/request?take=10", OVERSEERR, None)],
    UptimeKumaMock: [("/api/status-page/default", {}, None), ("/api/status-page/heartbeat/default", {}, None),
                     ("/metrics", {}, KUMA_AUTH), ("/api/badge/1/status", {}, None)],
}


@dataclass
class SoakResult:
    """What the clients of one soak saw."""

    mock: str
    clients: int
    seconds: float
    statuses: Counter = field(default_factory=Counter)
    asked_drops: int = 0
    unasked_drops: int = 0
    errors: Counter = field(default_factory=Counter)  # unasked drops by exception type and path

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.asked_drops + self.unasked_drops


def _client(base: str, targets: Sequence[Target], seed: int, deadline: float, result: SoakResult,
            lock: threading.Lock) -> None:
    rng = random.Random(seed)
    statuses: Counter = Counter()
    errors: Counter = Counter()
    asked = unasked = 0
    with requests.Session() as session:
        while time.monotonic() < deadline:
            drop = rng.random() < DROP_SHARE
            path, headers, auth = (DROP_PATH, {}, None) if drop else rng.choice(targets)
            try:
                answer = session.get(base + path, headers=headers, auth=auth, timeout=TIMEOUTS)
                statuses[answer.status_code] += 1
            except requests.RequestException as exc:
                if drop:
                    asked += 1
                else:
                    unasked += 1
                    errors[f"{type(exc).__name__} on {path.split('?')[0]}"] += 1
    with lock:
        result.statuses.update(statuses)
        result.errors.update(errors)
        result.asked_drops += asked
        result.unasked_drops += unasked


def soak(mock_class: type, *, clients: int = CLIENTS, duration_s: float = DURATION_S) -> SoakResult:
    """Run one soak against a fresh ``mock_class`` on loopback; returns what the clients saw."""
    with mock_class(host="127.0.0.1", port=0) as mock:
        if not ipaddress.ip_address(mock.host).is_loopback:  # never load anything but this machine
            raise RuntimeError(f"the soak only runs against loopback, not {mock.host}")
        mock.faults.replace(FAULTS)
        result = SoakResult(mock_class.__name__, clients, duration_s)
        lock = threading.Lock()
        deadline = time.monotonic() + duration_s
        threads = [threading.Thread(target=_client, args=(mock.url, TARGETS[mock_class], seed, deadline, result, lock),
                                    name=f"soak-client-{seed}", daemon=True) for seed in range(clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(duration_s + sum(TIMEOUTS) + 5)
        result.seconds = time.monotonic() - started
    return result


def run(config: BenchConfig, *, mocks: Sequence[type] = tuple(TARGETS), clients: int | None = None,
        duration_s: float | None = None, log: Callable[[str], None] = print) -> Section:
    """One soak per mock; the table counts answers, asked drops and unasked drops (the target: 0).
    ``clients`` and ``duration_s`` default to ``config.soak_clients`` and ``config.soak_duration_s``."""
    clients = clients or config.soak_clients
    duration_s = duration_s or config.soak_duration_s
    section = Section(
        key="soak", title="6. Soak: concurrent clients with faults on",
        description=(f"{clients} concurrent clients for {duration_s:g} s per mock on 127.0.0.1; faults: "
                     f"delay 5 ms + jitter 5 ms, 10 % seeded 503s, `reset` on {DROP_PATH} "
                     f"({DROP_SHARE:.0%} of requests)."),
        columns=["mock", "clients", "seconds", "requests", "req/s", "2xx", "503", "other", "asked drops",
                 "unasked drops"])
    started = time.perf_counter()
    for mock_class in mocks:
        result = soak(mock_class, clients=clients, duration_s=duration_s)
        ok = sum(n for status, n in result.statuses.items() if 200 <= status < 300)
        unavailable = result.statuses.get(503, 0)
        section.rows.append({
            "mock": result.mock, "clients": clients, "seconds": round(result.seconds, 1),
            "requests": result.requests, "req/s": round(result.requests / max(result.seconds, 1e-9), 1),
            "2xx": ok, "503": unavailable, "other": sum(result.statuses.values()) - ok - unavailable,
            "asked drops": result.asked_drops, "unasked drops": result.unasked_drops,
            "raw": {"statuses": {str(k): v for k, v in result.statuses.items()},
                    "unasked_errors": dict(result.errors)}})
        log(f"  {result.mock}: {result.requests} requests, {result.asked_drops} asked drops, "
            f"{result.unasked_drops} unasked drops {dict(result.errors) or ''}")
    section.notes += [
        "An asked drop is a connection error on the path faulted with `reset`; an unasked drop is a connection "
        "error or timeout anywhere else. Target: 0 unasked drops.",
        f"Timeouts: connect {TIMEOUTS[0]:g} s, read {TIMEOUTS[1]:g} s. Clients and faults are seeded.",
    ]
    section.raw = {"clients": clients, "duration_s": duration_s, "faults": FAULTS, "drop_share": DROP_SHARE}
    section.elapsed_s = time.perf_counter() - started
    return section
