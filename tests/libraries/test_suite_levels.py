"""Each test reads at one level: its steps are domain keywords and hand nothing back.

A dry run (``robot --dryrun``: every keyword resolved, nothing executed) records which library or
resource file owns each step of each test. A step is a domain keyword when a resource file of
``resources/`` owns it, or when it is a keyword of the suite file itself (Robot records no owner for
those) built, at any depth and inside any IF/FOR, only from such keywords: Robot Framework's guidance
lets a suite compose its own higher-level steps, but never lets a test reach a library.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

# the dry run of every suite starts the Browser library's Playwright process (its listener talks to it at every
# test's end, robot/health_page.robot): seconds here, more than pytest's default 60 s on a busy machine
pytestmark = pytest.mark.timeout(200)
ROOT = Path(__file__).resolve().parents[2]
RESOURCES = {path.stem for path in (ROOT / "resources").glob("*.resource")}
#: the elements of a dry run's output that hold keyword calls without being one (IF/ELSE, FOR, TRY, GROUP, ...)
_CONTROL = {"if", "branch", "for", "iter", "while", "try", "group"}


def dry_run_of(suites: Path, outdir: Path) -> ET.Element:
    """The output of ``robot --dryrun`` over ``suites`` (fails the test when a keyword cannot be resolved)."""
    output = outdir / "output.xml"
    subprocess.run([sys.executable, "-m", "robot", "--dryrun", "--pythonpath", ".", "--pythonpath", "libraries",
                    "--outputdir", str(outdir), "--output", str(output), "--log", "NONE", "--report", "NONE",
                    "--console", "none", str(suites)],
                   cwd=ROOT, check=True, timeout=180)
    return ET.parse(output).getroot()


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory: pytest.TempPathFactory) -> ET.Element:
    return dry_run_of(ROOT / "robot", tmp_path_factory.mktemp("dryrun"))


def _steps(root: ET.Element):
    for test in root.iter("test"):
        for step in test.findall("kw"):
            yield test.get("name"), step


def _calls(keyword: ET.Element):
    """The keywords ``keyword`` calls directly, also inside its IF/FOR/TRY/... blocks."""
    for child in keyword:
        if child.tag == "kw":
            yield child
        elif child.tag in _CONTROL:
            yield from _calls(child)


def _not_domain(step: ET.Element, path: str = "") -> list[str]:
    """Why ``step`` is not a domain keyword: the library calls it makes (as ``step > call (from owner)``)."""
    where = f"{path} > {step.get('name')}" if path else step.get("name", "?")
    owner = step.get("owner")
    if owner in RESOURCES:
        return []
    if owner is not None:
        return [f"{where} (from {owner})"]
    calls = list(_calls(step))  # a keyword of the suite file: it must be built from domain keywords
    if not calls:
        return [f"{where} (a suite keyword that calls no domain keyword)"]
    return [problem for call in calls for problem in _not_domain(call, where)]


def wrong_steps(root: ET.Element) -> list[str]:
    """``test: step (from owner)`` for every step of a test that is not a domain keyword."""
    return [f"{test}: {problem}" for test, step in _steps(root) for problem in _not_domain(step)]


def test_the_dry_run_sees_the_suites(dry_run):
    assert sum(1 for _ in dry_run.iter("test")) >= 57


def test_every_step_of_every_test_is_a_domain_keyword(dry_run):
    wrong = wrong_steps(dry_run)
    assert not wrong, "steps that are not resource keywords:\n" + "\n".join(wrong)


def test_no_step_hands_a_value_back_to_the_test(dry_run):
    # values pass one way: When steps keep results in test variables, Then steps read them
    wrong = [f"{test}: {step.get('name')}" for test, step in _steps(dry_run) if step.find("var") is not None]
    assert not wrong, "steps assigned to a variable in a test:\n" + "\n".join(wrong)


SUITE = """\
*** Settings ***
Resource            {resources}/plex.resource

*** Test Cases ***
Composed Step
    Given Plex Is Unreachable And The Libraries Were Asked For
    Then The Plex Libraries Should Be Fresh

Library Call In A Suite Keyword
    When Plex Is Asked Through The Library

Library Call In A Test
    When The Plex Libraries Are Requested
    Then Log    straight to a library

*** Keywords ***
Plex Is Unreachable And The Libraries Were Asked For
    [Documentation]    Built from resource keywords only, one of them in an IF and one through another suite keyword.
    The Plex Service Is Unreachable
    IF    $True
        The Plex Libraries Are Requested
    END
    The Plex Service Comes Back

The Plex Service Comes Back
    [Documentation]    A suite keyword built from a resource keyword.
    The Plex Service Is Reachable Again

Plex Is Asked Through The Library
    [Documentation]    Reaches a library from a suite keyword, inside an IF.
    The Plex Service Is Unreachable
    IF    $True
        Get Plex Libraries
    END
"""


def test_suite_keywords_built_from_domain_keywords_are_allowed_and_library_calls_are_not(tmp_path):
    suite = tmp_path / "suite" / "levels.robot"
    suite.parent.mkdir()
    suite.write_text(SUITE.format(resources=(ROOT / "resources").as_posix()), encoding="utf-8")
    wrong = wrong_steps(dry_run_of(suite.parent, tmp_path))
    assert wrong == ["Library Call In A Suite Keyword: When Plex Is Asked Through The Library > Get Plex Libraries "
                     "(from MediaClients)",
                     "Library Call In A Test: Then Log (from BuiltIn)"]
