"""The merge rules of ``companion.state.merge``, row by row (what a worker sends Redis when it is back)."""

from __future__ import annotations

import pytest

from companion.state import BreakerRecord, CacheEntry, merge_breaker
from companion.state.merge import newer_entry


def merged(remote: BreakerRecord, local: BreakerRecord, base: BreakerRecord | None = None) -> BreakerRecord:
    merge_breaker(remote, local, base)
    return remote


@pytest.mark.parametrize("remote_state, local_state", [("open", "closed"), ("closed", "open"),
                                                       ("half-open", "closed"), ("closed", "half-open")])
def test_an_open_breaker_on_either_side_stays_open(remote_state, local_state):
    remote = BreakerRecord(state=remote_state, opened_at=100.0 if remote_state != "closed" else None, fail_counter=1)
    local = BreakerRecord(state=local_state, opened_at=200.0 if local_state != "closed" else None, fail_counter=2)
    result = merged(remote, local)
    opened_side = remote_state != "closed" and 100.0 or 200.0
    assert (result.state, result.opened_at, result.success_counter, result.probes) == ("open", opened_side, 0, [])


def test_both_open_keeps_the_later_opening():
    result = merged(BreakerRecord(state="open", opened_at=100.0, fail_counter=3),
                    BreakerRecord(state="half-open", opened_at=150.0, fail_counter=5, success_counter=1))
    assert (result.state, result.opened_at, result.fail_counter, result.success_counter) == ("open", 150.0, 5, 0)


def test_both_closed_keeps_the_larger_consecutive_failure_count():
    result = merged(BreakerRecord(fail_counter=1), BreakerRecord(fail_counter=2))
    assert (result.state, result.fail_counter) == ("closed", 2)


def test_counters_add_only_what_this_worker_counted_while_away():
    base = BreakerRecord(failures=10, successes=5, rejected=1)
    local = BreakerRecord(failures=12, successes=5, rejected=4, ignored=1)
    remote = BreakerRecord(failures=11, successes=9, rejected=1, outdated=2)
    result = merged(remote, local, base)
    assert (result.failures, result.successes, result.rejected, result.ignored, result.outdated) == (13, 9, 4, 1, 2)


def test_the_generation_moves_past_both_and_probes_are_dropped():
    result = merged(BreakerRecord(generation=4, state="half-open", opened_at=1.0, probes=[9.0]),
                    BreakerRecord(generation=7))
    assert (result.generation, result.probes) == (8, [])


def test_the_later_last_failure_wins():
    early = {"time": "2026-12-01T14:00:00.000Z", "error": "a"}
    late = {"time": "2026-12-01T14:00:05.000Z", "error": "b"}
    assert merged(BreakerRecord(last_failure=late), BreakerRecord(last_failure=early)).last_failure == late
    assert merged(BreakerRecord(), BreakerRecord(last_failure=early)).last_failure == early
    assert merged(BreakerRecord(), BreakerRecord()).last_failure is None


def test_the_cache_entry_fetched_later_wins():
    assert newer_entry(CacheEntry(1, 200.0), None)
    assert newer_entry(CacheEntry(1, 200.0), CacheEntry(2, 100.0))
    assert not newer_entry(CacheEntry(1, 100.0), CacheEntry(2, 200.0))
