"""Benchmark 5: how fast the Plex breaker opens in an outage and closes when Plex returns.

A client polls ``test_connection`` every ``poll_s`` (a period: the next call
starts ``poll_s`` after the previous one started, or at once if it took
longer). After a few good polls the outage starts; the moment the breaker is
seen open the service returns, and the poll continues until the breaker is
closed again. So:

- detection = outage start -> end of the call after which the breaker is open,
  expected about ``(fail_max - 1) * max(failed call, poll) + failed call``;
- recovery = service back -> end of the call that closed the breaker (the
  half-open probe), expected about ``reset_timeout`` (plus up to one poll).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from mockservers import PlexMock

from companion import CircuitBreakerFactory, ClientSettings, IntegrationError, PlexClient

from .model import BenchConfig, Section
from .stats import percentile
from .targets import PLEX_TOKEN

__all__ = ["run", "run_once", "OutageTiming", "MODES"]

MODES = ("503", "take_down")
POLL_S = 0.02
FAIL_MAX = 3
RESET_TIMEOUT_S = 0.5
SETTINGS = ClientSettings(connect_timeout_s=0.5, read_timeout_s=1.0, retry_attempts=3, retry_initial_backoff_s=0.01,
                          retry_max_backoff_s=0.05, retry_max_total_s=2.0, retry_seed=7, cache_ttl_s=60.0,
                          fail_max=FAIL_MAX, reset_timeout_s=RESET_TIMEOUT_S, success_threshold=1)


@dataclass
class OutageTiming:
    """One outage: when things happened (seconds) and what the failed calls cost."""

    mode: str
    detection_s: float
    recovery_s: float
    failed_call_s: list[float] = field(default_factory=list)
    polls: int = 0

    @property
    def mean_failed_call_s(self) -> float:
        return sum(self.failed_call_s) / len(self.failed_call_s) if self.failed_call_s else 0.0

    def expected_detection_s(self, fail_max: int, poll_s: float) -> float:
        call = self.mean_failed_call_s
        return (fail_max - 1) * max(call, poll_s) + call


def _outage_start(mock: PlexMock, mode: str) -> None:
    if mode == "503":
        mock.faults.set_outage(duration_s=3600, action=503)
    else:
        mock.take_down()


def _outage_end(mock: PlexMock, mode: str) -> None:
    if mode == "503":
        mock.faults.update({"outage": None})
    else:
        mock.bring_up()


def run_once(mock: PlexMock, mode: str, *, poll_s: float = POLL_S, settings: ClientSettings = SETTINGS,
             warm_polls: int = 5, limit_s: float = 20.0) -> OutageTiming:
    """One outage and recovery against a running ``mock``; raises TimeoutError past ``limit_s``."""
    if mode not in MODES:
        raise ValueError(f"outage mode must be one of {MODES}, got {mode!r}")
    client = PlexClient(mock.url, PLEX_TOKEN, settings=settings, breakers=CircuitBreakerFactory())
    clock = time.perf_counter
    phase, good = "warm", 0
    t_down = t_back = None
    failed: list[float] = []
    polls = 0
    deadline = clock() + limit_s
    try:
        while True:
            tick = clock()
            if tick > deadline:
                raise TimeoutError(f"outage benchmark ({mode}) stuck in phase {phase!r} after {limit_s:g}s; "
                                   f"breaker is {client.breaker.state}")
            if phase == "warm" and good >= warm_polls:
                _outage_start(mock, mode)
                t_down, phase = clock(), "down"
                tick = t_down
            ok = True
            try:
                client.test_connection()
            except IntegrationError:
                ok = False
            done = clock()
            polls += 1
            state = client.breaker.state
            if phase == "warm":
                good += ok
            elif phase == "down":
                if not ok:
                    failed.append(done - tick)
                if state != "closed":
                    detection = done - t_down
                    _outage_end(mock, mode)
                    t_back, phase = clock(), "recovering"
            elif phase == "recovering" and state == "closed" and ok:
                return OutageTiming(mode, detection, done - t_back, failed, polls)
            time.sleep(max(0.0, tick + poll_s - clock()))
    finally:
        client.close()
        if phase == "down":
            _outage_end(mock, mode)


def run(config: BenchConfig, *, repeats: int | None = None, log: Callable[[str], None] = print) -> Section:
    """``repeats`` outages of each mode; median detection and recovery next to the expected values."""
    repeats = repeats or config.outage_repeats
    section = Section(
        key="outage", title="5. Outage detection and recovery (Plex, breaker)",
        description=(f"test_connection polled every {POLL_S * 1000:g} ms; fail_max={FAIL_MAX}, "
                     f"reset_timeout={RESET_TIMEOUT_S:g} s, retry_attempts={SETTINGS.retry_attempts} "
                     f"(backoff {SETTINGS.retry_initial_backoff_s:g}-{SETTINGS.retry_max_backoff_s:g} s); "
                     f"{repeats} outage(s) per mode."),
        columns=["outage", "runs", "failed call ms", "detection ms", "expected detection ms",
                 "recovery ms", "expected recovery ms"])
    started = time.perf_counter()
    with PlexMock(token=PLEX_TOKEN) as mock:
        for mode in MODES:
            timings = [run_once(mock, mode) for _ in range(repeats)]
            detection = percentile([t.detection_s for t in timings], 50) * 1e3
            recovery = percentile([t.recovery_s for t in timings], 50) * 1e3
            call = percentile([t.mean_failed_call_s for t in timings], 50) * 1e3
            expected = percentile([t.expected_detection_s(FAIL_MAX, POLL_S) for t in timings], 50) * 1e3
            label = "HTTP 503 (fault outage)" if mode == "503" else "take_down (connection refused)"
            section.rows.append({
                "outage": label, "runs": repeats, "failed call ms": round(call, 1),
                "detection ms": round(detection, 1), "expected detection ms": round(expected, 1),
                "recovery ms": round(recovery, 1), "expected recovery ms": round(RESET_TIMEOUT_S * 1e3, 1),
                "raw": [t.__dict__ for t in timings]})
            log(f"  {label}: detection {detection:.0f} ms (expected ~{expected:.0f}), "
                f"recovery {recovery:.0f} ms (expected ~{RESET_TIMEOUT_S * 1e3:.0f})")
    section.notes += [
        "Detection is measured from the outage start to the end of the call after which the breaker reads open; "
        "expected = (fail_max - 1) x max(failed call, poll period) + failed call, where one failed call includes "
        "its retries and backoff.",
        "The service returns as soon as the breaker is seen open, so recovery ~ reset_timeout (+ up to one poll): "
        "pybreaker lets the half-open probe through only on the first call after reset_timeout.",
        "Medians over the runs; values in the table are milliseconds.",
    ]
    section.raw = {"poll_s": POLL_S, "fail_max": FAIL_MAX, "reset_timeout_s": RESET_TIMEOUT_S,
                   "retry_attempts": SETTINGS.retry_attempts}
    section.elapsed_s = time.perf_counter() - started
    return section
