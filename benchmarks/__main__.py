"""``python -m benchmarks [--quick | --smoke] [--out results/bench]``: run every benchmark and write the report."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

from . import (anchor, client_paths, delay, health_page, lifecycle, outage, outbox, servers, shared_state, soak,
               throughput, timeline)
from .loadgen import LoadGenerator
from .machine import machine_info
from .model import BenchConfig, Section
from .report import write_report

#: every benchmark by name, in the order they run; ``load``: it needs the HTTP load generator
RUNNERS: dict[str, tuple[bool, Callable[..., Section]]] = {
    "throughput": (True, throughput.run),
    "delay": (True, delay.run),
    "anchor": (True, anchor.run),
    "servers": (True, servers.run),
    "client_paths": (False, client_paths.run),
    "lifecycle": (False, lifecycle.run),
    "outage": (False, outage.run),
    "soak": (False, soak.run),
    "timeline": (False, timeline.run),
    "health_page": (False, health_page.run),
    "outbox": (False, outbox.run),
    "shared_state": (False, shared_state.run),
}
BENCHMARKS = tuple(RUNNERS)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="1 s per load point and fewer repetitions (~1 min)")
    size.add_argument("--smoke", action="store_true",
                      help="seconds: every section runs to its table, the numbers mean nothing (make test runs it)")
    parser.add_argument("--out", type=Path, default=Path("results/bench"), help="output folder (default %(default)s)")
    parser.add_argument("--engine", choices=("auto", "wrk", "python"),
                        help="HTTP load generator (default auto: wrk if present or installable, else Python; "
                             "--smoke: Python, in this process)")
    parser.add_argument("--no-install", action="store_true",
                        help="never install what is missing (wrk, node, Express 4); --smoke never does")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    return parser.parse_args(argv)


def run_all(config: BenchConfig, only: list[str] | None = None,
            log: Callable[[str], None] = print) -> list[Section]:
    """The selected benchmarks in order; the load generator is set up only if a load benchmark runs."""
    selected = only or list(BENCHMARKS)
    load = None
    if any(RUNNERS[name][0] for name in selected):
        load = LoadGenerator(config.load_engine, install=config.install, in_process=config.load_in_process, log=log)
    sections: list[Section] = []
    for name, (needs_load, runner) in RUNNERS.items():
        if name not in selected:
            continue
        log(f"[{name}] ...")
        started = time.perf_counter()
        sections.append(runner(config, load, log=log) if needs_load else runner(config, log=log))
        log(f"[{name}] done in {time.perf_counter() - started:.1f} s")
    return sections


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    overrides: dict = {"load_engine": args.engine} if args.engine else {}
    if args.no_install:
        overrides["install"] = False
    config = BenchConfig.for_mode("smoke" if args.smoke else "quick" if args.quick else "full", **overrides)
    machine = machine_info()
    started = time.perf_counter()
    sections = run_all(config, args.only)
    machine["benchmark_wall_s"] = round(time.perf_counter() - started, 1)
    written = write_report(args.out, machine, config, sections)
    print(f"wrote {', '.join(str(p) for p in written.values())} in {machine['benchmark_wall_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
