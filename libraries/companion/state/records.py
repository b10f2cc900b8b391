"""What the state store keeps: one :class:`BreakerRecord` per breaker, :class:`CacheEntry` per cached read.

Times are seconds since the epoch on the companion's clock (``clock.time()``):
workers are separate processes, so a monotonic reading means nothing to
another worker, while a virtual clock's ``time()`` still moves when a test
lets time pass.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["BreakerRecord", "CacheEntry", "CLOSED", "OPEN", "HALF_OPEN", "COUNTERS", "dumps", "refuses"]

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
#: the totals every worker adds to (metrics); ``rejected`` is only ever added to (no lock needed)
COUNTERS = ("failures", "successes", "rejected", "ignored", "outdated")


def dumps(value: Any) -> str:
    """Compact JSON (what the stores keep and count in bytes); ``TypeError`` for what JSON cannot hold."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclass
class BreakerRecord:
    """One service's breaker as every worker sees it.

    ``generation`` grows by one at every state change (and at a reset or a
    merge): an outcome admitted in another generation is *outdated*.
    ``probes`` holds the lease end (epoch seconds) of each half-open probe in
    flight in this generation; a lease that ran out (its worker died) frees its slot.
    """

    state: str = CLOSED
    fail_counter: int = 0
    success_counter: int = 0
    opened_at: float | None = None
    generation: int = 0
    probes: list[float] = field(default_factory=list)
    failures: int = 0
    successes: int = 0
    rejected: int = 0
    ignored: int = 0
    outdated: int = 0
    last_failure: dict[str, Any] | None = None

    def copy(self) -> "BreakerRecord":
        return BreakerRecord(**{**asdict(self), "probes": list(self.probes),
                                "last_failure": dict(self.last_failure) if self.last_failure else None})

    def live_probes(self, now: float) -> list[float]:
        """The probe leases that have not run out at ``now``."""
        return [end for end in self.probes if end > now]

    # -- as Redis hash fields (strings) ----------------------------------------------------
    def to_fields(self) -> dict[str, str]:
        """Every field as a string (JSON for the structured ones): a Redis hash."""
        return {f.name: dumps(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_fields(cls, raw: dict[Any, Any]) -> "BreakerRecord":
        """The record from :meth:`to_fields` output (bytes or str keys and values); unknown fields are ignored."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            name = key.decode() if isinstance(key, bytes) else str(key)
            if name in known:
                values[name] = json.loads(value)
        return cls(**values)


def refuses(record: BreakerRecord, opened_after: float) -> bool:
    """Does ``record`` refuse a call now? Open, and opened after ``opened_after`` (its timeout has not passed)."""
    return record.state == OPEN and record.opened_at is not None and record.opened_at > opened_after


@dataclass
class CacheEntry:
    """A cached answer: ``value`` (JSON-compatible), when it was fetched, and why it was last served stale."""

    value: Any
    fetched_at: float
    stale_reason: str | None = None
    stale_at: float | None = None

    def to_json(self) -> str:
        return dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> "CacheEntry":
        return cls(**json.loads(raw))
