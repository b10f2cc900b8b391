"""The library in a real Robot run: its keywords pass on a real story, and a failed test's log.html shows
the timeline as a picture and a table (the example suite in ``data/`` fails one test on purpose)."""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path

import pytest
import robot
from robot.api import ExecutionResult

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parents[2]


def log_strings(log_html: Path) -> list[str]:
    """Every text Robot stored in log.html (its JS model keeps them raw with a ``*`` or zlib + base64)."""
    texts = []
    for chunk in re.findall(r'window\.output\["strings"\] = window\.output\["strings"\]\.concat\((\[.*?\])\);',
                            log_html.read_text(encoding="utf-8")):
        for item in json.loads(re.sub(r"\\x([0-9a-fA-F]{2})", r"\\u00\1", chunk)):  # JS \x3c is not JSON
            texts.append(item[1:] if item.startswith("*") else zlib.decompress(base64.b64decode(item)).decode())
    return texts


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("robot")
    with open(out / "console.txt", "w", encoding="utf-8") as console:
        rc = robot.run(str(DATA / "timeline_example.robot"), outputdir=str(out), report=None,
                       pythonpath=[str(ROOT), str(ROOT / "libraries"), str(DATA)], stdout=console, stderr=console)
    return rc, out


def test_only_the_deliberately_failing_test_fails(run):
    rc, out = run
    result = ExecutionResult(str(out / "output.xml"))
    statuses = {test.name: test.status for test in result.suite.tests}
    assert rc == 1, (out / "console.txt").read_text()
    assert statuses == {"The Breaker Story Holds": "PASS",
                        "Deliberately Failing: The Breaker Opens Sooner Than It Does": "FAIL",
                        "A Two-Service Schedule Plays On The Test Clock": "PASS",
                        "A Contradicting Schedule Fails At Load": "PASS"}
    failed = next(t for t in result.suite.tests if t.status == "FAIL")
    assert failed.message.startswith("The plex breaker should have opened after 2 call(s) and 4 request(s), but it "
                                     "opened at")
    assert "breaker closed -> open (failure 3 of 3 in a row" in failed.message


def test_the_failed_test_logs_the_picture_and_the_table_by_itself(run):
    _, out = run
    result = ExecutionResult(str(out / "output.xml"))
    failed = next(t for t in result.suite.tests if t.status == "FAIL")
    logged = [m for m in failed.body if m.type == "MESSAGE" and m.html]
    assert len(logged) == 1
    assert "<svg" in logged[0].message and "resilience-timeline-table" in logged[0].message
    passed = next(t for t in result.suite.tests if t.name == "The Breaker Story Holds")
    assert not [m for m in passed.body if m.type == "MESSAGE"]  # nothing logged for a passing test


def test_log_html_holds_the_svg_and_the_table(run):
    _, out = run
    pictures = [s for s in log_strings(out / "log.html") if s.startswith('<div class="resilience-timeline-log">')]
    assert len(pictures) == 2  # the failed test's, and the one `Log Resilience Timeline` asked for
    failed = next(p for p in pictures if "of the failed test" in p)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="resilience-timeline"' in failed
    assert 'data-service="plex"' in failed and 'data-state="open"' in failed
    assert "<table" in failed and "breaker closed -&gt; open" in failed
