"""``python -m benchmarks [--quick] [--out results/bench]``: run every benchmark and write the report."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

from . import client_paths, delay, lifecycle, outage, soak, throughput
from .loadgen import LoadGenerator
from .machine import machine_info
from .model import BenchConfig, Section
from .report import write_report

BENCHMARKS = ("throughput", "delay", "client_paths", "lifecycle", "outage", "soak")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 s per load point and fewer repetitions (~40 s)")
    parser.add_argument("--out", type=Path, default=Path("results/bench"), help="output folder (default %(default)s)")
    parser.add_argument("--engine", choices=("auto", "wrk", "python"), default="auto",
                        help="HTTP load generator (auto: wrk if present or installable, else Python)")
    parser.add_argument("--no-install", action="store_true", help="never try to apt-get install wrk")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    return parser.parse_args(argv)


def run_all(config: BenchConfig, only: list[str] | None = None,
            log: Callable[[str], None] = print) -> list[Section]:
    """The selected benchmarks in order; the load generator is set up only if a load benchmark runs."""
    selected = only or list(BENCHMARKS)
    load = None
    if {"throughput", "delay"} & set(selected):
        load = LoadGenerator(config.load_engine, install=config.install_wrk, log=log)
    sections: list[Section] = []
    for name in BENCHMARKS:
        if name not in selected:
            continue
        log(f"[{name}] ...")
        started = time.perf_counter()
        if name == "throughput":
            sections.append(throughput.run(config, load, log=log))
        elif name == "delay":
            sections.append(delay.run(config, load, log=log))
        elif name == "client_paths":
            sections.append(client_paths.run(config, log=log))
        elif name == "lifecycle":
            sections.append(lifecycle.run(config, log=log))
        elif name == "outage":
            sections.append(outage.run(config, log=log))
        elif name == "soak":
            sections.append(soak.run(config, log=log))
        log(f"[{name}] done in {time.perf_counter() - started:.1f} s")
    return sections


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = BenchConfig.for_mode(args.quick, load_engine=args.engine, install_wrk=not args.no_install)
    machine = machine_info()
    started = time.perf_counter()
    sections = run_all(config, args.only)
    machine["benchmark_wall_s"] = round(time.perf_counter() - started, 1)
    written = write_report(args.out, machine, config, sections)
    print(f"wrote {', '.join(str(p) for p in written.values())} in {machine['benchmark_wall_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
