"""Smoke test of the benchmarks: every section runs to its table on every ``make test``, in seconds.

``python -m benchmarks --smoke`` runs each section registered in :data:`benchmarks.__main__.RUNNERS`
with tiny sizes (:meth:`BenchConfig.for_mode`), and ``benchmarks.suite_times`` runs a one-test
suite; the report is written as ``make bench`` writes it. The tests assert shapes and correctness
facts (every row measured, a cache hit sends no request, no unasked drop), never speed.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import pkgutil

import pytest

import benchmarks
from benchmarks import outage, report, suite_times
from benchmarks.__main__ import RUNNERS, main, parse_args
from benchmarks.model import BenchConfig
from benchmarks.servers import CANDIDATES
from benchmarks.stats import median_load, or_na, percentile
from benchmarks.wrk import WrkError, parse_wrk_output

# the smoke run takes about 10 s of CPU (several Python processes start): a bound, not a speed, for a shared
# machine at load 40
pytestmark = [pytest.mark.timeout(300), pytest.mark.untraced]

ONE_TEST_SUITE = """*** Test Cases ***
One Passing Test
    [Documentation]    What the suite-times benchmark runs in the smoke test.
    Should Be Equal    ${1}    ${1}
"""


#: why the smoke run failed, once it has: the other tests then fail at once instead of running it again
FAILED_RUN: list[str] = []


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """``python -m benchmarks --smoke --out DIR`` after a smoke run of ``benchmarks.suite_times`` into ``DIR``;
    returns the folder and the report's JSON document."""
    if FAILED_RUN:
        pytest.fail(f"the smoke run failed (see the first error): {FAILED_RUN[0]}")
    try:
        return run_smoke(tmp_path_factory.mktemp("bench"))
    except BaseException as exc:  # noqa: BLE001 - a timeout from pytest-timeout too: remembered, then raised
        FAILED_RUN.append(f"{type(exc).__name__}: {exc}")
        raise


def run_smoke(out):
    """The suite-times smoke run and ``python -m benchmarks --smoke`` into ``out``; (out, bench.json)."""
    suite = out / "one_test.robot"
    suite.write_text(ONE_TEST_SUITE, encoding="utf-8")
    measured = suite_times.measure(rounds=1, candidates=(suite_times.SERIAL, suite_times.CANDIDATES[1]),
                                   suites=(str(suite),))
    (out / report.SUITE_TIMES_FILE).write_text(json.dumps(suite_times.as_section(measured)), encoding="utf-8")
    assert main(["--smoke", "--out", str(out)]) == 0
    return out, json.loads((out / "bench.json").read_text(encoding="utf-8"))


def section(document: dict, key: str) -> dict:
    return document["benchmarks"][key]


def test_every_registered_section_runs_to_its_table(smoke):
    _, document = smoke
    assert list(document["benchmarks"]) == [*RUNNERS, "suite_times"]
    for key, table in document["benchmarks"].items():
        assert table["rows"], f"{key}: no rows"
        for row in table["rows"]:
            missing = [column for column in table["columns"] if row.get(column) is None]
            assert not missing, f"{key}: row {row} has no {missing}"


def test_every_benchmark_module_with_a_section_is_registered():
    """A new section module (one with ``run(config, ...)``) that is not in RUNNERS would run in neither
    ``make bench`` nor this smoke test."""
    registered = {runner.__module__ for _, runner in RUNNERS.values()}
    sections = set()
    for module_info in pkgutil.iter_modules(benchmarks.__path__):
        module = importlib.import_module(f"benchmarks.{module_info.name}")
        run = getattr(module, "run", None)
        if inspect.isfunction(run) and run.__module__ == module.__name__ \
                and next(iter(inspect.signature(run).parameters)) == "config":
            sections.add(module.__name__)
    assert sections == registered


def test_the_report_has_the_machine_facts_a_table_per_section_and_the_plot(smoke):
    out, document = smoke
    assert document["config"]["mode"] == "smoke"
    assert {"cores", "python", "date", "benchmark_wall_s"} <= set(document["machine"])
    text = (out / "bench.md").read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks") and "- mode: smoke," in text
    for table in document["benchmarks"].values():
        assert f"## {table['title']}" in text
    assert (out / "bench.png").is_file() == (importlib.util.find_spec("matplotlib") is not None)


def test_throughput_rows_come_from_real_requests(smoke):
    rows = section(smoke[1], "throughput")["rows"]
    assert [(r["service"], r["format"], r["connections"]) for r in rows] == [
        ("plex", "json", 2), ("plex", "xml", 2), ("overseerr", "json", 2)]
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in rows)
    # the in-process load generator shares the mock's process: its CPU cannot be told apart
    assert all(r["server CPU %"] == "n/a" for r in rows)


def test_every_server_candidate_is_measured_with_its_own_cpu(smoke):
    table = section(smoke[1], "servers")
    measured = [row["server"] for row in table["rows"]]
    assert {"werkzeug", "uvicorn", "uvicorn+a2wsgi", "mock"} <= set(measured) <= set(CANDIDATES)
    for row in table["rows"]:
        assert row["req/s"] > 0 and row["errors"] == 0, row
        assert 0 <= row["server CPU %"] <= 100 * 8, row  # its own process: measured (not n/a), at most all cores


def test_the_anchor_measures_the_mock_process_in_both_formats(smoke):
    rows = section(smoke[1], "anchor")["rows"]
    mock_rows = [row for row in rows if row["server"] == "project Plex mock"]
    assert [row["format"] for row in mock_rows] == ["JSON", "XML"]
    # CPU time comes in clock ticks (10 ms): a 0.2 s smoke point may read 0.0, but never n/a
    assert all(row["req/s"] > 0 and row["errors"] == 0 and row["server CPU %"] >= 0 for row in rows), rows


def test_the_injected_delay_is_honoured(smoke):
    (row,) = section(smoke[1], "delay")["rows"]
    assert row["errors"] == 0 and row["p50 ms"] >= row["configured ms"]


def test_client_paths_only_the_cache_miss_reaches_the_mock(smoke):
    rows = section(smoke[1], "client_paths")["rows"]
    sent = {row["path"]: row["requests sent"] for row in rows}
    calls = BenchConfig.for_mode("smoke").client_calls
    assert sent["cache miss (real HTTP call)"] == calls
    assert [v for k, v in sent.items() if k != "cache miss (real HTTP call)"] == [0, 0, 0]
    assert all(row["calls"] == calls for row in rows)


def test_lifecycle_times_every_mock_and_reads_the_resident_memory(smoke):
    table = section(smoke[1], "lifecycle")
    assert [row["mock"] for row in table["rows"]] == ["PlexMock", "OverseerrMock", "UptimeKumaMock"]
    assert table["raw"]["resident_mb"] is None or table["raw"]["resident_mb"] > 0


def test_outage_opens_and_closes_the_breaker_in_both_modes(smoke):
    rows = section(smoke[1], "outage")["rows"]
    assert len(rows) == 2
    for row in rows:
        assert row["detection ms"] > 0 and row["recovery ms"] > 0
        (timing,) = row["raw"]
        assert len(timing["failed_call_s"]) >= outage.FAIL_MAX, "the breaker opened before fail_max failures"
        assert row["expected recovery ms"] == outage.RESET_TIMEOUT_S * 1000


def test_the_soak_drops_only_what_the_faults_ask_for(smoke):
    rows = section(smoke[1], "soak")["rows"]
    assert [row["mock"] for row in rows] == ["PlexMock", "OverseerrMock", "UptimeKumaMock"]
    for row in rows:
        assert row["unasked drops"] == 0, row["raw"]["unasked_errors"]
        assert row["requests"] == row["2xx"] + row["503"] + row["other"] + row["asked drops"] > 0


def test_the_suite_times_run_every_candidate_without_failures(smoke):
    table = section(smoke[1], "suite_times")
    assert [row["run"] for row in table["rows"]] == [suite_times.SERIAL.name, suite_times.CANDIDATES[1].name]
    assert all(row["wall s"] > 0 and row["failed tests"] == 0 for row in table["rows"])
    assert table["description"].startswith("All 1 acceptance tests")


def test_smoke_and_quick_are_sizes_of_one_run_and_exclusive():
    assert parse_args(["--smoke"]).smoke and not parse_args(["--quick"]).smoke
    with pytest.raises(SystemExit):
        parse_args(["--smoke", "--quick"])
    smoke, full = BenchConfig.for_mode("smoke"), BenchConfig.for_mode("full")
    assert smoke.load_duration_s < full.load_duration_s and not smoke.install and smoke.load_engine == "python"
    with pytest.raises(ValueError, match="one of full, quick, smoke"):
        BenchConfig.for_mode("tiny")
    with pytest.raises(TypeError, match="unknown benchmark setting 'colour'"):
        BenchConfig.for_mode("quick", colour="red")


def test_unreadable_suite_times_become_a_note(tmp_path):
    (tmp_path / report.SUITE_TIMES_FILE).write_text("{not json")
    table = report.load_extra_section(tmp_path / report.SUITE_TIMES_FILE)
    assert table is not None and "expected JSON" in table.notes[0]
    assert report.load_extra_section(tmp_path / "absent.json") is None


def test_wrk_result_line_is_parsed_into_milliseconds():
    line = ('BENCH_JSON {"requests": 200, "duration_us": 2000000, "bytes": 10, "errors": {"connect": 0, '
            '"read": 1, "write": 0, "status": 2, "timeout": 0}, "p50_us": 1500, "p90_us": 2500, "p99_us": 9000, '
            '"mean_us": 1700.0, "max_us": 12000}')
    result = parse_wrk_output("Running 2s test\n" + line + "\n")
    assert result["rps"] == 100.0 and result["p50_ms"] == 1.5 and result["p99_ms"] == 9.0
    assert result["errors"] == 3
    with pytest.raises(WrkError, match="no BENCH_JSON line"):
        parse_wrk_output("nothing here", "unable to connect")


def test_medians_keep_the_server_cpu_only_when_every_run_measured_it():
    runs = [{"rps": r, "p50_ms": 1.0, "p99_ms": 2.0, "errors": 1, "server_cpu_pct": cpu}
            for r, cpu in ((10, 50.0), (30, 70.0), (20, 60.0))]
    assert median_load(runs) == {"rps": 20, "p50_ms": 1.0, "p99_ms": 2.0, "server_cpu_pct": 60.0, "errors": 3}
    runs[0]["server_cpu_pct"] = None
    assert median_load(runs)["server_cpu_pct"] is None and or_na(None) == "n/a" and or_na(0.0) == 0.0


def test_percentile_interpolates_and_rejects_bad_input():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 99) == 5
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1], 101)


def test_shared_state_benchmark_measures_every_path_in_both_stores_and_a_paused_redis():
    from benchmarks import shared_state

    section = shared_state.run(BenchConfig.for_mode("smoke"), calls=10, rounds=2, repeats=1, log=lambda line: None)
    stores = {(row["path"], row["store"]): row["calls"] for row in section.rows}
    paths = {path for path, _ in stores}
    assert len(paths) == 6 and len(section.rows) == 10
    assert all(stores[(path, "memory://")] == 10 == stores[(path, "redis://")]
               for path in paths if (path, "memory://") in stores)
    assert stores[("first call after Redis paused", "redis:// paused")] == 1


def test_the_suite_times_name_each_failed_test_in_their_notes():
    failed = "serial robot, round 1: Plex.A Test: boom"
    measured = {"rounds": 1, "tests": 2, "polling_waits_s": 0.0, "slow_tests_s": 0.0,
                "rows": [{"run": "serial robot", "median_s": 2.0, "ratio_to_serial": 1.0, "failed_tests": [failed]}]}
    section_ = suite_times.as_section(measured)
    assert section_["rows"][0]["failed tests"] == 1
    assert f"failed: {failed}" in section_["notes"]
