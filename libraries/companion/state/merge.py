"""How a worker's own memory is merged back into Redis when Redis is reachable again.

While Redis is unreachable each worker keeps going on its own memory (a copy
of what it last saw in Redis). When Redis answers again, what changed here
meanwhile is merged in, one rule per kind of state:

==========================  ===================================================================
state                       merged into Redis
==========================  ===================================================================
breaker, either side open   **open**, with the later ``opened_at`` of the open sides (half-open
or half-open                counts as open since its ``opened_at``): an open breaker in either
                            place stays open until a probe closes it; the next call after the
                            reset timeout is that probe
breaker, both closed        closed, consecutive failures = the larger of the two
breaker counters            Redis's totals plus what this worker added while away
                            (``failures``, ``successes``, ``rejected``, ``ignored``, ``outdated``)
breaker generation          one past the larger of the two: outcomes of calls admitted before the
                            merge are *outdated* (they change nothing); probes in flight are dropped
Redis lost the breaker      this worker's record, as it is (generation + 1)
cache entry                 the one fetched later wins (with its stale note)
cache cleared here          cleared in Redis too, before the entries put here afterwards
webhook notification        appended to Redis's inbox (it gets a new, shared id)
inbox cleared here          cleared in Redis too, before the notifications received afterwards
==========================  ===================================================================
"""

from __future__ import annotations

from .records import CLOSED, COUNTERS, OPEN, BreakerRecord, CacheEntry

__all__ = ["merge_breaker", "newer_entry"]


def merge_breaker(remote: BreakerRecord, local: BreakerRecord, base: BreakerRecord | None) -> None:
    """Change ``remote`` (Redis's record) into the merge of it and ``local`` (this worker's).

    ``base`` is this worker's record as it was when it lost Redis (None: it had none), so that
    only what this worker added meanwhile is added to Redis's counters.
    """
    base = base or BreakerRecord()
    for counter in COUNTERS:
        added = max(0, getattr(local, counter) - getattr(base, counter))
        setattr(remote, counter, getattr(remote, counter) + added)
    opened = [record for record in (remote, local) if record.state != CLOSED and record.opened_at is not None]
    if opened:
        latest = max(opened, key=lambda record: record.opened_at or 0.0)
        remote.state, remote.opened_at, remote.fail_counter = OPEN, latest.opened_at, latest.fail_counter
    else:
        remote.state, remote.fail_counter = CLOSED, max(remote.fail_counter, local.fail_counter)
    remote.success_counter = 0
    remote.probes = []
    remote.generation = max(remote.generation, local.generation) + 1
    failures = [f for f in (remote.last_failure, local.last_failure) if f]
    remote.last_failure = max(failures, key=lambda f: str(f.get("time"))) if failures else None


def newer_entry(local: CacheEntry, remote: CacheEntry | None) -> bool:
    """Should ``local`` replace ``remote`` in Redis? (Missing there, or fetched later here.)"""
    return remote is None or local.fetched_at > remote.fetched_at
