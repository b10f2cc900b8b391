"""``python -m benchmarks.suite_times [--out results/bench]``: suite wall time, pabot against serial robot.

Runs every suite twice from the repository root — with pabot (``--testlevelsplit``,
4 processes, as ``make acceptance``) and with plain serial ``robot`` — into a
temporary folder, times both, and reads the serial run's ``output.xml`` for the
time the suites spend waiting on purpose: polling keywords (``Wait Until ...``:
reset timeouts to elapse, reconnects, processes to start) and the tests tagged
``slow`` (injected delays beyond a read timeout). Writes ``suite_times.json``,
which ``python -m benchmarks`` adds to its report.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from robot.api import ExecutionResult, ResultVisitor

ROOT = Path(__file__).resolve().parent.parent
PATHS = ["--pythonpath", ".", "--pythonpath", "libraries"]


class _Waits(ResultVisitor):
    """Sums the outermost ``Wait Until ...`` keywords and the tests tagged ``slow``."""

    def __init__(self) -> None:
        self.polling = timedelta()
        self.slow_tests = timedelta()
        self.tests = 0
        self._depth = 0

    def start_test(self, test) -> None:
        self.tests += 1
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
    completed = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        print(f"warning: {' '.join(command[:3])} ... exited {completed.returncode}", file=sys.stderr)
    return elapsed


def measure(processes: int = 4) -> dict:
    """Both runs' wall times and the serial run's deliberate waits (seconds)."""
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="suite-times-") as tmp:
        pabot = _run([str(bin_dir / "pabot"), "--no-pabotlib", "--testlevelsplit", "--processes", str(processes),
                      "--outputdir", f"{tmp}/pabot", *PATHS, "robot"])
        serial = _run([str(bin_dir / "robot"), "--outputdir", f"{tmp}/serial", *PATHS, "robot"])
        waits = _Waits()
        ExecutionResult(f"{tmp}/serial/output.xml").visit(waits)
    return {"pabot_s": pabot, "serial_s": serial, "processes": processes, "tests": waits.tests,
            "polling_waits_s": waits.polling.total_seconds(), "slow_tests_s": waits.slow_tests.total_seconds()}


def as_section(m: dict) -> dict:
    """The ``suite_times.json`` form the benchmark report reads."""
    deliberate = m["polling_waits_s"] + m["slow_tests_s"]
    rows = [
        {"run": f"pabot --testlevelsplit --processes {m['processes']}", "wall s": round(m["pabot_s"], 1)},
        {"run": "robot (serial)", "wall s": round(m["serial_s"], 1)},
        {"run": "deliberate waits in the serial run: polling (Wait Until ...)", "wall s": round(m["polling_waits_s"], 1)},
        {"run": "deliberate waits in the serial run: tests tagged slow", "wall s": round(m["slow_tests_s"], 1)},
        {"run": "serial overhead above the deliberate waits", "wall s": round(m["serial_s"] - deliberate, 1)},
    ]
    return {"title": "6. Suite wall time", "columns": ["run", "wall s"], "rows": rows,
            "description": f"All {m['tests']} acceptance tests, from the repository root, on this machine.",
            "notes": ["pabot --testlevelsplit starts one Python process per test (about 0.7 s of CPU each), "
                      "so on 2 cores it does not beat a serial run whose time is mostly waiting; "
                      "it wins where there are more cores."]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suite_times", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/bench"))
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args(argv)
    section = as_section(measure(args.processes))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "suite_times.json").write_text(json.dumps(section, indent=2), encoding="utf-8")
    for row in section["rows"]:
        print(f"{row['run']:<66} {row['wall s']:>6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
