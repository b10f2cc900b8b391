"""Fixtures for the keyword-library tests: Robot's BuiltIn replaced by a plain dict of variables."""

from __future__ import annotations

from typing import Any

import pytest
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError


class FakeRobotVariables(dict):
    """Suite/test variables as a dict; ``libraries`` maps names to what ``get_library_instance`` returns."""

    def __init__(self) -> None:
        super().__init__()
        self.libraries: dict[str, Any] = {}


@pytest.fixture
def robot_vars(monkeypatch: pytest.MonkeyPatch) -> FakeRobotVariables:
    """Patch the BuiltIn methods the libraries use so keywords run without a Robot run."""
    variables = FakeRobotVariables()

    def set_suite_variable(self: BuiltIn, name: str, *values: Any, **_: Any) -> None:
        variables[name] = values[0] if len(values) == 1 else list(values)

    def get_variable_value(self: BuiltIn, name: str, default: Any = None) -> Any:
        return variables.get(name, default)

    def get_library_instance(self: BuiltIn, name: str | None = None, all: bool = False) -> Any:  # noqa: A002
        if name not in variables.libraries:
            raise RuntimeError(f"No library '{name}' found.")
        return variables.libraries[name]

    monkeypatch.setattr(BuiltIn, "set_suite_variable", set_suite_variable)
    monkeypatch.setattr(BuiltIn, "get_variable_value", get_variable_value)
    monkeypatch.setattr(BuiltIn, "get_library_instance", get_library_instance)
    return variables


@pytest.fixture
def not_running() -> type[Exception]:
    """The error BuiltIn raises outside a Robot run."""
    return RobotNotRunningError


@pytest.fixture
def robot_log(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the libraries log with ``robot.api.logger.info`` (silent outside a Robot run otherwise)."""
    from robot.api import logger

    messages: list[str] = []
    monkeypatch.setattr(logger, "info", lambda msg, *args, **kwargs: messages.append(str(msg)))
    return messages
