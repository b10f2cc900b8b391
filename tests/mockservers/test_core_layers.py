"""The layering of the mock core: admin outside faults, no import cycles, one handler per fault kind."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import requests

from mockservers.core.faults import FaultKind, FaultPlan
from mockservers.core.journal import RequestJournal
from mockservers.core.middleware import FaultMiddleware

CORE = Path(__file__).resolve().parents[2] / "mockservers" / "core"


def _core_imports(module: str) -> set[str]:
    """The mockservers.core modules ``module`` imports, at any level (TYPE_CHECKING blocks included)."""
    tree = ast.parse((CORE / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            name = node.module or ""
            if node.level == 1:
                found.add(name.split(".")[0] if name else "")
                found.update(alias.name for alias in node.names if not name)
            elif name.startswith("mockservers.core."):
                found.add(name.split(".")[2])
    return found


@pytest.mark.parametrize("module, forbidden", [
    ("admin", {"server", "middleware"}),
    ("middleware", {"server", "admin"}),
    ("faults", {"server", "admin", "middleware"}),
    ("journal", {"server", "admin", "middleware"}),
])
def test_core_modules_import_one_way(module, forbidden):
    assert not _core_imports(module) & forbidden


def test_the_fault_middleware_needs_only_the_plan_and_the_journal():
    middleware = FaultMiddleware(lambda environ, start: [b""], FaultPlan(), RequestJournal())
    assert set(middleware._handlers) == set(FaultKind)
    assert not hasattr(middleware, "server")


def test_fault_kinds_are_an_enumeration_and_strings_convert():
    from mockservers.core.faults import Action

    assert Action("reset").kind is FaultKind.RESET
    assert Action.parse("HANG").kind is FaultKind.HANG
    assert Action.parse(503).to_dict() == {"kind": "status", "status": 503}


def test_admin_answers_before_any_fault(echo):
    echo.faults.set_outage(duration_s=60, action="hang")
    echo.faults.add_route_fault("/__admin/*", "reset")
    answer = requests.get(echo.url + "/__admin/faults", timeout=2)
    assert answer.status_code == 200 and answer.json()["outage"]["action"] == {"kind": "hang"}
    assert echo.journal.count() == 0
