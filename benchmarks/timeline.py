"""Benchmark: what the resilience timeline costs (per event, per request, per keyword, per test) and its render time.

``python -m benchmarks.timeline [--quick] [--html demo.html]`` prints the table; ``--html``
also writes the demo story (three services, a fault schedule, a breaker that opens, probes
too early, re-opens and closes) as a page, the source of ``docs/timeline.png``.

Every timing is the median of interleaved rounds (with / without the timeline one after the
other), so a busy machine slows both sides alike.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from pathlib import Path
from typing import Any, Callable

from companion import CircuitBreakerFactory, ClientSettings, OverseerrClient, PlexClient
from mockservers import OverseerrMock, PlexMock, UptimeKumaMock
from mockservers.core.clock import VirtualClock
from mockservers.credentials import DEFAULT_CREDENTIALS
from ResilienceTimeline import observe_call, parse_rows, render_html
from ResilienceTimeline.context import TimelineContext
from ResilienceTimeline.timeline import Timeline

from .model import BenchConfig, Section

__all__ = ["run", "build_demo_story"]

#: a suite's time per test the overhead is compared with: issue 10's target (10 s serial for 57 tests)
SUITE_TEST_S = 10.0 / 57
#: library keywords a resilience test runs (each one triggers a look at the mocks and breakers)
KEYWORDS_PER_TEST = 15


def _median_ns(action: Callable[[], Any], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter_ns()
        action()
        samples.append(time.perf_counter_ns() - started)
    return statistics.median(samples)


def _settings(**overrides: Any) -> ClientSettings:
    options: dict[str, Any] = dict(connect_timeout_s=0.5, read_timeout_s=0.5, retry_attempts=2,
                                   retry_initial_backoff_s=0.001, retry_max_backoff_s=0.002, retry_seed=1,
                                   cache_ttl_s=0, fail_max=3, reset_timeout_s=30)
    options.update(overrides)
    return ClientSettings(**options)


def measure(calls: int, rounds: int = 5) -> dict[str, float]:
    """Every number of the table, in microseconds (render and per-test in milliseconds)."""
    out: dict[str, float] = {}
    clock = VirtualClock()

    timeline = Timeline(clock, maxlen=calls * 20)
    out["record_us"] = _median_ns(lambda: timeline.record("note", "plex", n=1), calls * 10) / 1000

    bare, watched = CircuitBreakerFactory(), CircuitBreakerFactory()
    for factory in (bare, watched):
        factory.create("plex", fail_max=3, reset_timeout=30)
    ctx = TimelineContext(clock=clock, maxlen=calls * 20)
    ctx.watch_breakers(watched)
    ctx.begin("bench")
    plain_call = [_median_ns(lambda: bare.get("plex").call("op", lambda: None), calls) for _ in range(rounds)]
    heard_call = [_median_ns(lambda: watched.get("plex").call("op", lambda: None), calls) for _ in range(rounds)]
    out["breaker_call_us"] = statistics.median(plain_call) / 1000
    out["breaker_call_listened_us"] = statistics.median(heard_call) / 1000

    with PlexMock(clock=clock, journal_size=calls * 4) as plex, OverseerrMock(clock=clock) as overseerr:
        plain = PlexClient(plex.url, DEFAULT_CREDENTIALS.plex_token, settings=_settings(), breakers=CircuitBreakerFactory())
        factory = CircuitBreakerFactory()
        heard = PlexClient(plex.url, DEFAULT_CREDENTIALS.plex_token, settings=_settings(), breakers=factory)
        for client in (plain, heard):
            for _ in range(20):
                client.test_connection()  # warm up the pools and Flask
        ctx = TimelineContext(clock=clock, maxlen=calls * 20)
        ctx.watch_mock("plex", plex)
        ctx.watch_mock("overseerr", overseerr)
        ctx.watch_breakers(factory)
        ctx.begin("bench")
        without, with_ = [], []
        for _ in range(rounds):
            without.append(_median_ns(plain.test_connection, calls // rounds))
            with_.append(_median_ns(heard.test_connection, calls // rounds))
        out["request_us"] = statistics.median(without) / 1000
        out["request_timeline_us"] = statistics.median(with_) / 1000
        entries = len(ctx.timeline.events("request"))
        collect = _median_ns(ctx.timeline.events, 5)
        out["collect_per_request_us"] = collect / 1000 / max(entries, 1)
        out["collected_requests"] = entries
        out["look_us"] = _median_ns(ctx.look, 200) / 1000

        def one_test() -> None:  # begin, the keywords' looks, end, read once (an assertion)
            ctx.begin("a test")
            for _ in range(KEYWORDS_PER_TEST):
                ctx.look()
            ctx.end()
            ctx.timeline.events()
        out["per_test_ms"] = _median_ns(one_test, 50) / 1e6
        plain.close()
        heard.close()

    story = _synthetic_story(clock, 300)
    out["render_300_ms"] = _median_ns(lambda: render_html(story), 20) / 1e6
    out["render_events"] = len(story.events())
    return out


def _synthetic_story(clock: VirtualClock, events: int) -> Timeline:
    timeline = Timeline(clock)
    t0 = timeline.started_at
    for i in range(events):
        service = ("plex", "overseerr", "uptime-kuma")[i % 3]
        timeline.record("request", service, at=t0 + i * 0.2, method="GET", path="/library/sections",
                        status=(200, 503, 0)[i % 5 % 3], duration_ms=1.0)
        if i % 10 == 0:
            timeline.record("breaker", "plex", at=t0 + i * 0.2, from_state="closed", to_state="open",
                            reset_timeout_s=1)
    return timeline


def run(config: BenchConfig, *, log: Callable[[str], None] = print) -> Section:
    """The timeline's costs as a benchmark section (``python -m benchmarks`` can list it)."""
    calls = config.timeline_calls
    started = time.perf_counter()
    m = measure(calls)
    # what the timeline adds to one request: the listener on its breaker call, and collecting its journal entry
    per_request = m["breaker_call_listened_us"] - m["breaker_call_us"] + m["collect_per_request_us"]
    share = m["per_test_ms"] / 1000 / SUITE_TEST_S
    section = Section(
        key="timeline", title="Resilience timeline: cost of collecting events, render time",
        description=f"Medians of interleaved rounds; {calls} calls per side; a test = begin, "
                    f"{KEYWORDS_PER_TEST} keyword looks (3 mocks would cost more, 2 here), end, one read.",
        columns=["what", "cost", "compared with"],
        rows=[
            {"what": "record one event", "cost": f"{m['record_us']:.2f} µs", "compared with": ""},
            {"what": "breaker call, listener attached", "cost": f"{m['breaker_call_listened_us']:.1f} µs",
             "compared with": f"{m['breaker_call_us']:.1f} µs without"},
            {"what": "client request (HTTP to the mock) with the timeline",
             "cost": f"{m['request_timeline_us']:.0f} µs", "compared with": f"{m['request_us']:.0f} µs without"},
            {"what": "collecting one journal entry into the timeline",
             "cost": f"{m['collect_per_request_us']:.2f} µs", "compared with": f"{m['collected_requests']:.0f} entries"},
            {"what": "timeline cost per request (listener + collection)", "cost": f"{per_request:.1f} µs",
             "compared with": f"{100 * per_request / m['request_us']:.1f} % of a request"},
            {"what": "one look after a keyword (2 mocks, 1 breaker)", "cost": f"{m['look_us']:.1f} µs",
             "compared with": ""},
            {"what": "per test", "cost": f"{m['per_test_ms']:.2f} ms",
             "compared with": f"{100 * share:.2f} % of {SUITE_TEST_S * 1000:.0f} ms per test"},
            {"what": f"render picture + table, {m['render_events']:.0f} events", "cost": f"{m['render_300_ms']:.1f} ms",
             "compared with": "target 50 ms"},
        ],
        raw=m)
    section.notes.append("The per-test share is against issue 10's serial target (10 s for 57 tests): the "
                         "budget is 5 %.")
    section.elapsed_s = time.perf_counter() - started
    log(f"timeline: {per_request:.1f} µs per request, {m['per_test_ms']:.2f} ms per test, "
        f"render {m['render_300_ms']:.1f} ms")
    return section


# -- the demo story (docs/timeline.png) --------------------------------------------------------------
def build_demo_story() -> tuple[Timeline, str]:
    """Three real mocks on one virtual clock, a Plex and an Overseerr client, a fault schedule; returns the
    timeline and its HTML (picture and table)."""
    import socketio

    clock = VirtualClock()
    with PlexMock(clock=clock) as plex, OverseerrMock(clock=clock) as overseerr, UptimeKumaMock(clock=clock) as kuma:
        factory = CircuitBreakerFactory(clock=clock)
        plex_client = PlexClient(plex.url, DEFAULT_CREDENTIALS.plex_token, settings=_settings(), breakers=factory,
                                 clock=clock)
        overseerr_client = OverseerrClient(overseerr.url, DEFAULT_CREDENTIALS.overseerr_api_key, settings=_settings(),
                                           breakers=factory, clock=clock)
        ctx = TimelineContext(clock=clock)
        for service, mock in (("plex", plex), ("overseerr", overseerr), ("uptime-kuma", kuma)):
            ctx.watch_mock(service, mock)
        ctx.watch_breakers(factory)
        ctx.begin("demo")
        socket = socketio.Client(reconnection=False)
        dropped = threading.Event()
        socket.on("disconnect", lambda *args: dropped.set())
        socket.connect(kuma.url, transports=["polling"], wait_timeout=5)

        def read(times: int = 1) -> None:
            for _ in range(times):
                for service, call in (("plex", plex_client.get_libraries), ("overseerr", overseerr_client.get_status)):
                    try:
                        observe_call(ctx.timeline, service, call.__name__, call)
                    except Exception:  # noqa: BLE001 - the timeline shows it
                        pass
            ctx.look()

        def let_pass(seconds: float) -> None:
            clock.advance(seconds)
            ctx.look()

        read()                      # t = 0: both answer, the caches hold good values
        ctx.play(parse_rows(["2s", "plex", "503", "38s",
                             "12s", "overseerr", "reset", "10s",
                             "24s", "uptime-kuma", "drop-sockets", "-"]))
        let_pass(2)
        read(5)                     # t = 2: plex fails 3 times (2 requests each), opens; then rejected, stale
        ctx.timeline.record("status", "plex", status="down", source="poll", message="503 while the breaker opened")
        let_pass(10)
        read(4)                     # t = 12: plex rejected; overseerr's answers are cut (reset), it opens
        let_pass(12)                # t = 24: Uptime Kuma drops its sockets; the client connects again
        dropped.wait(5)
        ctx.look()
        socket.disconnect()
        socket = socketio.Client(reconnection=False)
        socket.connect(kuma.url, transports=["polling"], wait_timeout=5)
        let_pass(8)
        read(1)                     # t = 32: plex probes while its outage is still on: open again
        let_pass(12)
        read(2)                     # t = 44: overseerr's probe succeeds; plex still rejected
        let_pass(18)
        read(2)                     # t = 62: plex's probe succeeds: closed
        ctx.timeline.record("status", "plex", status="up", source="poll")
        socket.disconnect()
        ctx.end()
        html = render_html(ctx.timeline, title="Resilience timeline: three services under one fault schedule")
        plex_client.close()
        overseerr_client.close()
        return ctx.timeline, html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.timeline", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="300 calls per side instead of 2000")
    parser.add_argument("--html", type=Path, help="also write the demo story's picture and table to this page")
    args = parser.parse_args(argv)
    section = run(BenchConfig.for_mode("quick" if args.quick else "full"))
    print(f"\n{section.title}\n{section.description}\n")
    print("| " + " | ".join(section.columns) + " |\n|" + "---|" * len(section.columns))
    for row in section.rows:
        print("| " + " | ".join(str(row[c]) for c in section.columns) + " |")
    for note in section.notes:
        print(f"\n{note}")
    if args.html:
        _, html = build_demo_story()
        args.html.write_text(f'<!doctype html><meta charset="utf-8"><body style="margin:8px">{html}</body>',
                             encoding="utf-8")
        print(f"\ndemo page: {args.html}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
