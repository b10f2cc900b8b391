"""The shape every benchmark returns: a titled table plus notes and raw numbers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Section", "BenchConfig"]


@dataclass
class BenchConfig:
    """How big a run is: ``quick`` shrinks every duration and repetition count."""

    quick: bool = False
    load_duration_s: float = 5.0
    load_engine: str = "auto"  # auto | wrk | python
    install_wrk: bool = True
    client_calls: int = 2000
    lifecycle_repeats: int = 20
    outage_repeats: int = 3

    @classmethod
    def for_mode(cls, quick: bool, **overrides: Any) -> "BenchConfig":
        """The normal (about 3 min) or the ``--quick`` (about 40 s) configuration."""
        base = cls(quick=True, load_duration_s=1.0, client_calls=300, lifecycle_repeats=5,
                   outage_repeats=1) if quick else cls()
        for key, value in overrides.items():
            if not hasattr(base, key):
                raise TypeError(f"unknown benchmark setting {key!r}: expected one of {sorted(asdict(base))}")
            setattr(base, key, value)
        return base

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Section:
    """One benchmark's result: a Markdown table (``columns`` x ``rows``), notes, and raw data.

    ``rows`` are dicts keyed by column name; ``raw`` holds anything worth
    keeping in ``bench.json`` that is not in the table.
    """

    key: str
    title: str
    description: str
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
