"""The tree clones cleanly on case-insensitive file systems (macOS, Windows)."""

from __future__ import annotations

import subprocess
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tracked_paths() -> list[str]:
    """Every path git tracks (with its parent folders), as git spells them."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    paths = set()
    for line in listed.stdout.splitlines():
        parts = line.split("/")
        paths.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return sorted(paths)


def case_collisions(paths: list[str]) -> list[list[str]]:
    """Groups of paths that name the same file when letter case is ignored."""
    groups: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        groups[path.casefold()].append(path)
    return [names for names in groups.values() if len(names) > 1]


def test_no_two_tracked_paths_differ_only_in_letter_case():
    assert case_collisions(tracked_paths()) == []


def test_the_check_finds_a_collision():
    assert case_collisions(["libraries/Clients/a.py", "libraries/clients/a.py", "b"]) == [
        ["libraries/Clients/a.py", "libraries/clients/a.py"]]
