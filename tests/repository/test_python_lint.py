"""``make lint`` (so ``make test``) runs ruff over the whole tree, with rules that catch a broken rename.

The linter is what stops a ``NameError`` in code no test runs (issue 22: ``benchmarks/servers.py``
called ``makeserving`` and every ``make bench`` failed): these tests check that the project's own
configuration flags an undefined name and an unused import, and that ``make lint`` runs it on ``.``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).parent / "ruff"

BROKEN = '''"""A module with the mistakes the linter is there for."""

import json


def serve(port):
    return makeserving("127.0.0.1", port)
'''


def ruff(*args: str) -> subprocess.CompletedProcess:
    """``ruff check`` with the repository's pyproject.toml, from the repository root."""
    return subprocess.run([str(RUFF), "check", "--config", str(ROOT / "pyproject.toml"), "--no-cache",
                           "--output-format", "concise", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_the_project_configuration_catches_an_undefined_name_and_an_unused_import(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text(BROKEN, encoding="utf-8")
    done = ruff(str(broken))
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"broken\.py:7:\d+: F821 Undefined name `makeserving`", done.stdout), done.stdout
    assert re.search(r"broken\.py:3:\d+: F401 \[\*\] `json` imported but unused", done.stdout), done.stdout


def test_a_clean_file_passes(tmp_path):
    clean = tmp_path / "clean.py"
    clean.write_text(BROKEN.replace("import json\n", "").replace("makeserving", "str"), encoding="utf-8")
    done = ruff(str(clean))
    assert done.returncode == 0, done.stdout + done.stderr


def test_make_lint_runs_ruff_over_the_whole_tree():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "the Makefile has no lint target"
    assert "\t$(BIN)/ruff check .\n" in recipe.group(1)
    assert re.search(r"^test: .*\blint\b", makefile, re.MULTILINE), "make test does not run make lint"
