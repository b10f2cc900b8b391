"""``make acceptance`` runs the suites in the groups of ``robot/pabot_ordering.txt``: every suite is in one."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from robot.api import TestSuiteBuilder as SuiteBuilder

from benchmarks.suite_times import ORDERING, TOP_SUITE, balanced_groups, ordering_text

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "python -m benchmarks.suite_times --write-ordering"


def ordering_groups(text: str) -> list[list[str]]:
    """The suite names of each ``{ ... }`` group; ``ValueError`` for any other line or an unclosed group."""
    groups: list[list[str]] = []
    current: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line == "{" and current is None:
            current = []
        elif line == "}" and current is not None:
            groups.append(current)
            current = None
        elif line.startswith(f"--suite {TOP_SUITE}.") and current is not None:
            current.append(line.removeprefix(f"--suite {TOP_SUITE}."))
        elif line:
            raise ValueError(f"line {number}: {line!r} is not '{{', '}}' or a --suite line inside a group")
    if current is not None:
        raise ValueError("the last group is not closed with '}'")
    return groups


def suite_names() -> list[str]:
    """The top-level suites Robot builds from ``robot/``, by the names pabot matches."""
    return [suite.name for suite in SuiteBuilder().build(str(ROOT / "robot")).suites]


def test_every_suite_is_in_exactly_one_group():
    groups = ordering_groups((ROOT / ORDERING).read_text(encoding="utf-8"))
    listed = Counter(name for group in groups for name in group)
    suites = set(suite_names())
    assert [name for name, times in listed.items() if times > 1] == [], f"listed twice; run {REGENERATE}"
    assert sorted(suites - set(listed)) == [], f"not in {ORDERING.as_posix()}; run {REGENERATE}"
    assert sorted(set(listed) - suites) == [], f"no such suite; run {REGENERATE}"
    assert all(groups), "an empty group"


def test_suites_are_dealt_longest_first_to_the_least_loaded_group():
    seconds = {"Cli": 2.5, "Real Clock": 1.5, "Plex": 0.2, "Dashboard": 1.0, "Webhooks": 0.1, "Fallback": 0.3}
    assert balanced_groups(seconds, 3) == [["Cli"], ["Real Clock", "Webhooks"], ["Dashboard", "Fallback", "Plex"]]
    assert balanced_groups({"Cli": 1.0}, 4) == [["Cli"]]


def test_the_written_ordering_reads_back_as_its_groups():
    groups = [["Cli"], ["Real Clock", "Plex"]]
    text = ordering_text(groups)
    assert text == "{\n--suite Robot.Cli\n}\n{\n--suite Robot.Real Clock\n--suite Robot.Plex\n}\n"
    assert ordering_groups(text) == groups


def test_a_line_outside_a_group_is_refused():
    try:
        ordering_groups("--suite Robot.Cli\n")
    except ValueError as error:
        assert "line 1" in str(error)
    else:
        raise AssertionError("a --suite line outside a group was accepted")
