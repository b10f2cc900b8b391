"""The shape every benchmark returns: a titled table plus notes and raw numbers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Section", "BenchConfig", "MODES"]


#: the run sizes: ``full`` (``make bench``), ``quick`` (``--quick``: a look at the numbers) and ``smoke``
#: (``--smoke``: seconds; every section runs to its table, the numbers mean nothing; part of ``make test``)
MODES = ("full", "quick", "smoke")


@dataclass
class BenchConfig:
    """How big a run is: every duration, repetition and connection count the sections use."""

    mode: str = "full"
    load_duration_s: float = 5.0
    load_engine: str = "auto"  # auto | wrk | python
    #: run the Python load generator in this process (no interpreter to start per load point)
    load_in_process: bool = False
    #: may install what a section needs and the machine lacks (wrk, node, Express 4)
    install: bool = True
    throughput_connections: tuple[int, ...] = (1, 8, 32)
    delay_connections: tuple[int, ...] = (1, 32)
    #: interleaved rounds of the process-per-server sections (anchor, servers)
    rounds: int = 2
    client_calls: int = 2000
    lifecycle_repeats: int = 20
    #: requests sent to one mock process before its resident memory is read
    warm_requests: int = 2000
    outage_repeats: int = 3
    soak_clients: int = 64
    soak_duration_s: float = 30.0
    timeline_calls: int = 2000
    #: page requests, and breaker changes pushed to an open page, of the health page benchmark
    health_page_rounds: int = 30
    health_page_changes: int = 20
    #: movie requests recorded, then delivered, per store by the outbox benchmark
    outbox_submissions: int = 1000
    #: interleaved memory/Redis rounds, and Redis pauses timed, of the shared-state benchmark
    shared_state_rounds: int = 5
    shared_state_pauses: int = 5

    @classmethod
    def for_mode(cls, mode: str, **overrides: Any) -> "BenchConfig":
        """The ``full`` (about 5 min), ``quick`` (about 1 min) or ``smoke`` (seconds) configuration."""
        if mode not in MODES:
            raise ValueError(f"benchmark mode must be one of {', '.join(MODES)}, got {mode!r}")
        base = cls()
        if mode == "quick":
            base = cls(mode=mode, load_duration_s=1.0, client_calls=300, lifecycle_repeats=5, outage_repeats=1,
                       soak_duration_s=3.0, timeline_calls=300, health_page_rounds=10, health_page_changes=5,
                       outbox_submissions=200, shared_state_rounds=2, shared_state_pauses=2)
        elif mode == "smoke":
            base = cls(mode=mode, load_duration_s=0.2, load_engine="python", load_in_process=True, install=False,
                       throughput_connections=(2,), delay_connections=(2,), rounds=1, client_calls=5,
                       lifecycle_repeats=2, warm_requests=20, outage_repeats=1, soak_clients=4,
                       soak_duration_s=0.3, timeline_calls=20, health_page_rounds=3, health_page_changes=1,
                       outbox_submissions=6, shared_state_rounds=1, shared_state_pauses=1)
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
