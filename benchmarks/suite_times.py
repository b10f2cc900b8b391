"""``python -m benchmarks.suite_times [--out results/bench] [--rounds 2]``: which way of running the suites is fastest.

Runs every Robot suite, from the repository root, in each candidate way —
plain serial ``robot``; pabot split by suite, by test (``--testlevelsplit``),
by test in chunks (``--testlevelsplit --chunk``), at 2 and 4 processes; and
pabot with the balanced suite groups of :data:`ORDERING` (``--ordering``) —
``--rounds`` times with the candidates interleaved (round 1: every candidate,
round 2: every candidate, …) so that a busy moment of the machine does not
favour one of them. Prints and writes (``suite_times.json``, which
``python -m benchmarks`` adds to its report) the median wall time of each, its
ratio to serial ``robot``, and the time the serial run spends waiting on
purpose (``Wait Until ...`` keywords and tests tagged ``slow``).

``make acceptance`` uses the winner of this benchmark; ``benchmarks/README.md``
records the table it was chosen by.

``python -m benchmarks.suite_times --write-ordering`` rewrites :data:`ORDERING`:
it runs the suites once with serial ``robot`` and deals them, longest first,
to whichever of ``--groups`` groups has the least time so far (each group is
one pabot process). Run it after adding a suite or when one has grown;
``tests/repository/test_pabot_ordering.py`` fails while a suite is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from robot.api import ExecutionResult, ResultVisitor

ROOT = Path(__file__).resolve().parent.parent
PATHS = ["--pythonpath", ".", "--pythonpath", "libraries"]
#: pabot's ordering file for ``make acceptance``: the suites in balanced groups, one group per process
ORDERING = Path("robot") / "pabot_ordering.txt"
#: the top-level suite's name when robot runs the ``robot`` folder
TOP_SUITE = "Robot"


@dataclass(frozen=True)
class Candidate:
    """One way of running every suite."""

    name: str
    pabot_args: tuple[str, ...] | None  # None: plain serial robot

    def command(self, bin_dir: Path, outdir: str, suites: tuple[str, ...] = ("robot",)) -> list[str]:
        if self.pabot_args is None:
            return [str(bin_dir / "robot"), "--outputdir", outdir, *PATHS, *suites]
        return [str(bin_dir / "pabot"), "--no-pabotlib", *self.pabot_args, "--outputdir", outdir, *PATHS, *suites]


SERIAL = Candidate("robot (serial)", None)
CANDIDATES = (
    SERIAL,
    Candidate("pabot suite-level, 2 processes", ("--processes", "2")),
    Candidate("pabot suite-level, 4 processes", ("--processes", "4")),
    Candidate("pabot --testlevelsplit --chunk, 2 processes", ("--testlevelsplit", "--chunk", "--processes", "2")),
    Candidate("pabot --testlevelsplit --chunk, 4 processes", ("--testlevelsplit", "--chunk", "--processes", "4")),
    Candidate("pabot --testlevelsplit, 4 processes", ("--testlevelsplit", "--processes", "4")),
    Candidate("pabot --ordering (4 suite groups), 4 processes", ("--ordering", str(ORDERING), "--processes", "4")),
)


class _Waits(ResultVisitor):
    """Sums the outermost ``Wait Until ...`` keywords and the tests tagged ``slow``; counts tests and names the
    failed ones with their messages (so a failure in a timed run can be looked into)."""

    def __init__(self) -> None:
        self.polling = timedelta()
        self.slow_tests = timedelta()
        self.tests = 0
        self.failed: list[str] = []
        self._depth = 0

    def start_test(self, test) -> None:
        self.tests += 1
        if test.status == "FAIL":
            self.failed.append(f"{test.full_name}: {test.message[:300]}")
        if "slow" in test.tags:
            self.slow_tests += test.elapsed_time

    def start_keyword(self, keyword) -> None:
        if self._depth == 0 and keyword.name.lower().startswith("wait until"):
            self.polling += keyword.elapsed_time
            self._depth += 1
        elif self._depth:
            self._depth += 1

    def end_keyword(self, keyword) -> None:
        if self._depth:
            self._depth -= 1


def _run(command: list[str]) -> float:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def _outcome(output_xml: Path) -> _Waits:
    waits = _Waits()
    ExecutionResult(str(output_xml)).visit(waits)
    return waits


def measure(rounds: int = 2, candidates: tuple[Candidate, ...] = CANDIDATES,
            suites: tuple[str, ...] = ("robot",)) -> dict:
    """Median wall time per candidate over ``rounds`` interleaved rounds of running ``suites`` (paths; default
    every suite), plus the serial run's waits."""
    bin_dir = Path(sys.executable).parent
    walls: dict[str, list[float]] = {c.name: [] for c in candidates}
    failures: dict[str, list[str]] = {c.name: [] for c in candidates}
    waits = _Waits()
    with tempfile.TemporaryDirectory(prefix="suite-times-") as tmp:
        for round_no in range(rounds):
            for index, candidate in enumerate(candidates):
                outdir = Path(tmp) / f"r{round_no}-c{index}"
                walls[candidate.name].append(_run(candidate.command(bin_dir, str(outdir), suites)))
                outcome = _outcome(outdir / "output.xml")
                failures[candidate.name] += [f"{candidate.name}, round {round_no + 1}: {failed}"
                                             for failed in outcome.failed]
                if candidate is SERIAL:
                    waits = outcome
    serial = statistics.median(walls[SERIAL.name])
    rows = [{"run": name, "median_s": statistics.median(times), "runs_s": times,
             "ratio_to_serial": statistics.median(times) / serial, "failed_tests": failures[name]}
            for name, times in walls.items()]
    return {"rounds": rounds, "tests": waits.tests, "rows": rows,
            "polling_waits_s": waits.polling.total_seconds(), "slow_tests_s": waits.slow_tests.total_seconds()}


def as_section(m: dict) -> dict:
    """The ``suite_times.json`` form the benchmark report reads."""
    fastest = min(m["rows"], key=lambda row: row["median_s"])
    rows = [{"run": row["run"], "wall s": round(row["median_s"], 1),
             "x serial": round(row["ratio_to_serial"], 2), "failed tests": len(row["failed_tests"])}
            for row in m["rows"]]
    failed = [f"failed: {failed}" for row in m["rows"] for failed in row["failed_tests"]]
    return {"title": "6. Suite wall time by way of running", "columns": ["run", "wall s", "x serial", "failed tests"],
            "rows": rows,
            "description": f"All {m['tests']} acceptance tests from the repository root; median of {m['rounds']} "
                           "interleaved rounds.",
            "notes": [f"fastest: {fastest['run']} ({fastest['median_s']:.1f} s)",
                      f"deliberate waits in the serial run: polling {m['polling_waits_s']:.1f} s, "
                      f"tests tagged slow {m['slow_tests_s']:.1f} s", *failed]}


def suite_seconds(output_xml: Path) -> dict[str, float]:
    """Wall seconds of each top-level suite in a run's ``output.xml``, by suite name."""
    top = ExecutionResult(str(output_xml)).suite
    return {suite.name: suite.elapsed_time.total_seconds() for suite in top.suites}


def balanced_groups(seconds: dict[str, float], groups: int) -> list[list[str]]:
    """The suites dealt into ``groups`` groups, longest first, each to the group with the least time so far
    (the longest-processing-time rule); empty groups are left out."""
    loads: list[tuple[float, list[str]]] = [(0.0, []) for _ in range(groups)]
    for name in sorted(seconds, key=lambda suite: (-seconds[suite], suite)):
        index = min(range(groups), key=lambda i: loads[i][0])
        total, names = loads[index]
        loads[index] = (total + seconds[name], [*names, name])
    return [names for _, names in loads if names]


def ordering_text(groups: list[list[str]]) -> str:
    """pabot's ordering file for ``groups``: one ``{ ... }`` block of ``--suite`` lines per group."""
    blocks = ["{\n" + "".join(f"--suite {TOP_SUITE}.{name}\n" for name in names) + "}\n" for names in groups]
    return "".join(blocks)


def write_ordering(groups: int, path: Path = ROOT / ORDERING) -> list[list[str]]:
    """Run the suites once with serial robot and write the balanced groups to ``path``."""
    with tempfile.TemporaryDirectory(prefix="suite-groups-") as tmp:
        _run(SERIAL.command(Path(sys.executable).parent, tmp))
        seconds = suite_seconds(Path(tmp) / "output.xml")
    grouped = balanced_groups(seconds, groups)
    path.write_text(ordering_text(grouped), encoding="utf-8")
    for names in grouped:
        print(f"{sum(seconds[n] for n in names):5.2f} s  {', '.join(names)}")
    return grouped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suite_times", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/bench"))
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (default %(default)s)")
    parser.add_argument("--write-ordering", action="store_true",
                        help=f"only rewrite {ORDERING.as_posix()} from one serial run's suite times")
    parser.add_argument("--groups", type=int, default=4, help="groups for --write-ordering (default %(default)s)")
    args = parser.parse_args(argv)
    if args.write_ordering:
        write_ordering(args.groups)
        return 0
    section = as_section(measure(args.rounds))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "suite_times.json").write_text(json.dumps(section, indent=2), encoding="utf-8")
    print(f"{'run':<48} {'wall s':>7} {'x serial':>9} {'failed':>7}")
    for row in section["rows"]:
        print(f"{row['run']:<48} {row['wall s']:>7.1f} {row['x serial']:>9.2f} {row['failed tests']:>7}")
    for note in section["notes"]:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
