"""Smoke test of the benchmarks: tiny runs of the pure-Python parts and the report files.

Asserts shapes and correctness facts (e.g. a cache hit sends no request), never speed.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from benchmarks import client_paths, lifecycle, outage, report, throughput
from benchmarks.loadgen import LoadGenerator
from benchmarks.machine import machine_info
from benchmarks.model import BenchConfig
from benchmarks.stats import percentile
from benchmarks.wrk import WrkError, parse_wrk_output
from mockservers import PlexMock

pytestmark = [pytest.mark.timeout(60), pytest.mark.untraced]


def quiet(*_args) -> None:
    """A log function that prints nothing."""


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """Every pure-Python benchmark in a tiny mode, plus a written report with supplied suite times."""
    config = BenchConfig.for_mode(True, load_duration_s=0.2)
    load = LoadGenerator("python", in_process=True, log=quiet)
    sections = [
        throughput.run(config, load, connections=(2,), log=quiet),
        client_paths.run(config, calls=5, log=quiet),
        lifecycle.run(config, mocks=(PlexMock,), repeats=2, log=quiet),
        outage.run(config, repeats=1, log=quiet),
    ]
    out = tmp_path_factory.mktemp("bench")
    (out / report.SUITE_TIMES_FILE).write_text(json.dumps({"pabot --processes 4": 61.5, "robot (serial)": 140.2}))
    written = report.write_report(out, machine_info(), config, sections, log=quiet)
    return config, sections, written


def test_report_files_are_written_with_the_expected_keys(tiny_run):
    _, _, written = tiny_run
    assert written["markdown"].is_file() and written["json"].is_file()
    document = json.loads(written["json"].read_text())
    assert set(document) == {"machine", "config", "benchmarks"}
    assert {"cores", "python", "date"} <= set(document["machine"])
    assert document["config"]["quick"] is True
    assert set(document["benchmarks"]) == {"throughput", "client_paths", "lifecycle", "outage", "suite_times"}
    for section in document["benchmarks"].values():
        assert {"title", "columns", "rows", "notes"} <= set(section)
        assert section["rows"], f"{section['title']} has no rows"


def test_markdown_has_machine_facts_and_one_table_per_benchmark(tiny_run):
    _, sections, written = tiny_run
    text = written["markdown"].read_text()
    assert text.startswith("# Benchmarks")
    assert "cores: " in text and "Python 3." in text
    for section in sections:
        assert f"## {section.title}" in text
    assert "| pabot --processes 4 | 61.5 |" in text


def test_plot_is_written_exactly_when_matplotlib_is_importable(tiny_run):
    _, _, written = tiny_run
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    assert ("png" in written) == has_matplotlib


def test_throughput_rows_come_from_real_requests(tiny_run):
    _, sections, _ = tiny_run
    rows = sections[0].rows
    assert [(r["service"], r["format"]) for r in rows] == [("plex", "json"), ("plex", "xml"), ("overseerr", "json")]
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in rows)


def test_client_paths_only_the_cache_miss_reaches_the_mock(tiny_run):
    _, sections, _ = tiny_run
    sent = {row["path"]: row["requests sent"] for row in sections[1].rows}
    assert sent["cache miss (real HTTP call)"] == 5
    assert [v for k, v in sent.items() if k != "cache miss (real HTTP call)"] == [0, 0, 0]
    assert all(row["calls"] == 5 for row in sections[1].rows)


def test_outage_opens_and_closes_the_breaker_in_both_modes(tiny_run):
    _, sections, _ = tiny_run
    rows = sections[3].rows
    assert len(rows) == 2
    for row in rows:
        assert row["detection ms"] > 0 and row["recovery ms"] > 0
        (timing,) = row["raw"]
        assert len(timing["failed_call_s"]) >= outage.FAIL_MAX, "the breaker opened before fail_max failures"
        assert row["expected recovery ms"] == outage.RESET_TIMEOUT_S * 1000


def test_unreadable_suite_times_become_a_note(tmp_path):
    (tmp_path / report.SUITE_TIMES_FILE).write_text("{not json")
    section = report.load_extra_section(tmp_path / report.SUITE_TIMES_FILE)
    assert section is not None and "expected JSON" in section.notes[0]
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


def test_percentile_interpolates_and_rejects_bad_input():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 99) == 5
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1], 101)


def test_shared_state_benchmark_measures_every_path_in_both_stores_and_a_paused_redis():
    from benchmarks import shared_state

    section = shared_state.run(BenchConfig.for_mode(True), calls=10, rounds=2, repeats=1, log=quiet)
    stores = {(row["path"], row["store"]): row["calls"] for row in section.rows}
    paths = {path for path, _ in stores}
    assert len(paths) == 6 and len(section.rows) == 10
    assert all(stores[(path, "memory://")] == 10 == stores[(path, "redis://")]
               for path in paths if (path, "memory://") in stores)
    assert stores[("first call after Redis paused", "redis:// paused")] == 1
