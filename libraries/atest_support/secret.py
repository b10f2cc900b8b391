"""Robot ``Secret`` values: unwrap them only where the plain text is sent, never logged."""

from __future__ import annotations

from typing import Any

from robot.api.types import Secret

__all__ = ["reveal"]


def reveal(value: Any) -> Any:
    """The plain value of a Robot ``Secret``; anything else (text, None) is returned as is."""
    return value.value if isinstance(value, Secret) else value
