"""The README's "Running part of the suites" commands work as written from a fresh shell (issue 22, item 9a).

The commands are read from the README itself and run by ``sh``, word for word, in an
environment whose ``PATH`` does not hold the venv (as a new shell has it). They run in a
temporary copy of the repository's root holding the venv (a link) and, as ``robot/plex.robot``,
a suite of three tests, so that they are quick and leave nothing in the repository (pabot
writes ``.pabotsuitenames`` where it runs).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION = "### Running part of the suites"
TINY_SUITE = """\
*** Test Cases ***
Tagged Test
    [Tags]    circuit-breaker
    Log    one
Second Test
    Log    two
Third Test
    Log    three
"""

pytestmark = [pytest.mark.untraced, pytest.mark.timeout(300),
              pytest.mark.skipif(os.name == "nt", reason="the README's commands are POSIX sh")]


def readme_commands() -> list[str]:
    """The commands of the first ``sh`` block of the section: continuations joined, comments dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text[text.index(SECTION):], re.S)
    assert block, f"no ```sh block under {SECTION!r}"
    joined = re.sub(r"\\\n\s*", " ", block[1])
    return [line.split("  #")[0].strip() for line in joined.splitlines() if ".venv/bin/" in line]


def fresh_shell_environment() -> dict[str, str]:
    """This process's environment as a new shell would have it: no venv on ``PATH``, none activated."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PWD", "OLDPWD")}
    venv = str(Path(sys.prefix).resolve())
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and not str(Path(p).resolve()).startswith(venv) and ".venv" not in p)
    return env


def tiny_root(root: Path) -> Path:
    """A stand-in repository root: the venv, and ``robot/plex.robot`` holding three quick tests."""
    (root / ".venv").symlink_to(ROOT / ".venv", target_is_directory=True)
    (root / "robot").mkdir()
    (root / "robot" / "plex.robot").write_text(TINY_SUITE, encoding="utf-8")
    return root


def test_the_readme_lists_robot_pabot_and_rebot_commands():
    programs = [next(w for w in command.split() if w.startswith(".venv/bin/")) for command in readme_commands()]
    assert programs == [".venv/bin/robot", ".venv/bin/pabot", ".venv/bin/pabot", ".venv/bin/rebot"]


def test_the_readme_commands_run_as_written_without_the_venv_on_path(tmp_path):
    root = tiny_root(tmp_path)
    one, tagged, shard, merge = readme_commands()
    shards = [shard.replace("1/3", f"{n}/3").replace("shard1", f"shard{n}") for n in (1, 2, 3)]
    counted = {}
    for command, outputs, count in [(one, "results/one", 3), (tagged, "results/tagged", 1),
                                    *[(s, f"results/shard{n}", None) for n, s in enumerate(shards, 1)],
                                    (merge, "results", 3)]:
        run = subprocess.run(["sh", "-c", command], cwd=root, env=fresh_shell_environment(), capture_output=True,
                             text=True, timeout=240)
        worker_errors = [f.read_text()[-500:] for f in sorted(root.glob("results/*/pabot_results/*/*stderr.out"))]
        assert run.returncode == 0, (f"{command}\n-> {run.returncode}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
                                     f"\n{worker_errors}")
        counted[outputs] = len(ElementTree.parse(root / outputs / "output.xml").findall(".//test"))
        assert count is None or counted[outputs] == count, f"{command}: {counted[outputs]} test(s), expected {count}"
    assert sum(counted[f"results/shard{n}"] for n in (1, 2, 3)) == 3  # each test in exactly one shard
