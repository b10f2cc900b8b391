"""Each test reads at one level: its steps are domain keywords of ``resources/`` and hand nothing back.

A dry run (``robot --dryrun``: every keyword resolved, nothing executed) records which library or
resource file owns each step of each test.
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


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory: pytest.TempPathFactory) -> ET.Element:
    output = tmp_path_factory.mktemp("dryrun") / "output.xml"
    subprocess.run([sys.executable, "-m", "robot", "--dryrun", "--pythonpath", ".", "--pythonpath", "libraries",
                    "--outputdir", str(output.parent), "--output", str(output), "--log", "NONE", "--report", "NONE",
                    "--console", "none", "robot"],
                   cwd=ROOT, check=True, timeout=180)
    return ET.parse(output).getroot()


def _steps(root: ET.Element):
    for test in root.iter("test"):
        for step in test.findall("kw"):
            yield test.get("name"), step


def test_the_dry_run_sees_the_suites(dry_run):
    assert sum(1 for _ in dry_run.iter("test")) >= 57


def test_every_step_of_every_test_is_a_domain_keyword(dry_run):
    wrong = [f"{test}: {step.get('name')} (from {step.get('owner')})" for test, step in _steps(dry_run)
             if step.get("owner") not in RESOURCES]
    assert not wrong, "steps that are not resource keywords:\n" + "\n".join(wrong)


def test_no_step_hands_a_value_back_to_the_test(dry_run):
    # values pass one way: When steps keep results in test variables, Then steps read them
    wrong = [f"{test}: {step.get('name')}" for test, step in _steps(dry_run) if step.find("var") is not None]
    assert not wrong, "steps assigned to a variable in a test:\n" + "\n".join(wrong)
