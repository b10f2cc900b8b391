"""Redis faults, made with Redis's own means (kill, CLIENT PAUSE, DEBUG SLEEP, SIGSTOP) on a server of the test's own.

Each worker is a ``FallbackStore`` (what ``redis://`` opens): Redis while it answers, the worker's own
memory at once when it does not, a reconnect after the backoff (on the test's virtual clock), and a merge.
"""

from __future__ import annotations

import time

import pytest

from companion import CircuitBreakerFactory, CircuitOpenError, ServiceUnavailableError
from companion.state import ATTACHED, DETACHED, BreakerRecord, CacheEntry, RedisStore

from .conftest import TIMEOUT_S

RESET_S = 30.0


def unavailable():
    raise ServiceUnavailableError("plex", "op", "HTTP 503 from GET /", status=503)


def outcome(breaker, func):
    try:
        return breaker.call("op", func)
    except Exception as exc:  # noqa: BLE001
        return type(exc)


def in_redis(server, prefix) -> RedisStore:
    """A plain view of what Redis itself holds (no fallback)."""
    return RedisStore(server.url, timeout_s=2.0, prefix=prefix)


def test_a_killed_redis_detaches_the_worker_at_once_and_it_keeps_serving_from_its_memory(worker_store, own_redis):
    store = worker_store()
    store.cache_put("plex", "k", CacheEntry(["Movies"], 1.0), max_entries=10)
    own_redis.kill()
    assert store.cache_get("plex", "k").value == ["Movies"]  # the copy this worker kept
    health = store.health()
    assert (store.mode, health["status"]) == (DETACHED, "degraded")
    assert "unreachable" in health["message"] and "own memory" in health["message"]
    assert "Connection" in health["error"]


def test_no_operation_waits_on_a_detached_redis_until_the_backoff_has_passed(worker_store, own_redis, prefix, clock):
    store = worker_store()
    own_redis.kill()
    store.load_breaker("plex")  # detaches
    own_redis.start()
    store.cache_put("plex", "k", CacheEntry(1, 1.0), max_entries=10)
    assert in_redis(own_redis, prefix).cache_get("plex", "k") is None and store.mode == DETACHED
    clock.advance(store.reconnect_initial_s)
    assert store.cache_get("plex", "k").value == 1 and store.mode == ATTACHED  # reconnected and merged
    assert in_redis(own_redis, prefix).cache_get("plex", "k").value == 1


def test_a_failed_reconnect_doubles_the_backoff(worker_store, own_redis, clock):
    store = worker_store()
    own_redis.kill()
    store.load_breaker("plex")
    clock.advance(1.0)
    assert store.health()["status"] == "degraded"  # the attempt at 1 s failed: next one in 2 s
    own_redis.start()
    clock.advance(1.0)
    assert store.health()["status"] == "degraded"
    clock.advance(1.0)
    assert store.health()["status"] == "up"


def test_a_breaker_opened_while_redis_was_down_stays_open_for_every_worker_after_the_merge(
        worker_store, own_redis, clock):
    store_a, store_b = worker_store(), worker_store()
    a = CircuitBreakerFactory(clock=clock, store=store_a).create("plex", fail_max=3, reset_timeout=RESET_S)
    b = CircuitBreakerFactory(clock=clock, store=store_b).create("plex", fail_max=3, reset_timeout=RESET_S)
    assert outcome(b, lambda: "ok") == "ok"
    own_redis.kill()
    for _ in range(3):
        outcome(a, unavailable)  # A opens it in its own memory
    assert a.state == "open" and store_a.mode == DETACHED
    own_redis.start()  # back, empty
    clock.advance(1.0)
    assert store_a.health()["status"] == "up"  # A reconnected and merged
    calls = []
    assert outcome(b, lambda: calls.append(1)) is CircuitOpenError and calls == []
    assert b.metrics()["failures"] == 3


def test_an_open_breaker_in_this_worker_memory_stays_open_although_redis_closed_it_meanwhile(
        worker_store, own_redis, prefix, clock):
    store_a = worker_store()
    a = CircuitBreakerFactory(clock=clock, store=store_a).create("plex", fail_max=1, reset_timeout=RESET_S)
    own_redis.freeze()
    outcome(a, unavailable)  # A cannot reach Redis: opens in its own memory
    own_redis.thaw()
    in_redis(own_redis, prefix).put_breaker("plex", BreakerRecord(successes=7))  # Redis says closed
    clock.advance(1.0)
    merged = in_redis(own_redis, prefix).load_breaker("plex") if store_a.health()["status"] == "up" else None
    assert merged is not None and (merged.state, merged.successes, merged.failures) == ("open", 7, 1)


def test_a_change_that_ran_but_could_not_be_written_is_kept_in_this_worker_memory(worker_store, own_redis):
    store = worker_store()

    def change(record: BreakerRecord) -> str:
        own_redis.freeze()  # Redis stops answering between the read and the write
        record.state, record.opened_at = "open", 5.0
        return "changed"

    try:
        assert store.update_breaker("plex", change) == "changed"
    finally:
        own_redis.thaw()
    assert store.mode == DETACHED and store.load_breaker("plex").state == "open"


def test_a_paused_redis_costs_a_caller_one_timeout_and_no_more(worker_store, own_redis):
    store = worker_store()
    store.cache_put("plex", "k", CacheEntry(1, 1.0), max_entries=10)
    own_redis.pause(30)
    started = time.monotonic()
    assert store.cache_get("plex", "k").value == 1
    store.cache_put("plex", "j", CacheEntry(2, 1.0), max_entries=10)
    elapsed = time.monotonic() - started
    assert not own_redis.answers(timeout_s=0.05)  # the answers came while Redis was still paused
    assert elapsed < 30 and store.mode == DETACHED
    print(f"paused Redis: two operations took {elapsed * 1000:.0f} ms (timeout {TIMEOUT_S * 1000:.0f} ms)")


def test_debug_sleep_detaches_and_the_worker_comes_back_after_it(worker_store, own_redis, clock):
    store = worker_store()
    sleeper = own_redis.debug_sleep(2)
    store.inbox_list()  # detaches (a read: harmless when the sleeping server runs it after all)
    store.inbox_append({"n": 1})
    assert store.mode == DETACHED
    sleeper.join(10)
    clock.advance(1.0)
    assert [r["n"] for r in store.inbox_list()] == [1] and store.mode == ATTACHED


def test_notifications_received_while_detached_join_the_shared_inbox_with_new_ids(worker_store, own_redis, clock):
    store_a, store_b = worker_store(), worker_store()
    store_b.inbox_append({"n": 1})
    own_redis.freeze()
    store_a.inbox_list()  # detaches A (a read: harmless when the frozen server runs it after all)
    local = store_a.inbox_append({"n": 2})
    own_redis.thaw()
    store_b.inbox_append({"n": 3})
    clock.advance(1.0)
    assert store_a.health()["status"] == "up"
    records = store_b.inbox_list()
    assert [r["n"] for r in records] == [1, 3, 2] and [r["id"] for r in records] == [1, 2, 3]
    assert local["id"] == 1  # the id it had in A's memory (A had never listed B's); merged it became 3


def test_clears_made_while_detached_reach_redis_before_what_came_after(worker_store, own_redis, prefix, clock):
    store = worker_store()
    store.cache_put("plex", "old", CacheEntry(1, 1.0), max_entries=10)
    store.inbox_append({"n": 1})
    own_redis.freeze()
    store.cache_clear("plex")
    store.inbox_clear()
    store.cache_put("plex", "new", CacheEntry(2, 2.0), max_entries=10)
    store.inbox_append({"n": 2})
    own_redis.thaw()
    clock.advance(1.0)
    assert store.health()["status"] == "up"
    redis_view = in_redis(own_redis, prefix)
    assert redis_view.cache_get("plex", "old") is None and redis_view.cache_get("plex", "new").value == 2
    assert [r["n"] for r in redis_view.inbox_list()] == [2]


def test_the_later_cache_entry_wins_the_merge(worker_store, own_redis, prefix, clock):
    store_a, store_b = worker_store(), worker_store()
    own_redis.freeze()
    store_a.cache_put("plex", "k", CacheEntry("a", 10.0), max_entries=10)
    store_a.cache_note_stale("plex", "k", "connection refused", 11.0)
    own_redis.thaw()
    store_b.cache_put("plex", "k", CacheEntry("b", 20.0), max_entries=10)
    clock.advance(1.0)
    store_a.health()
    assert in_redis(own_redis, prefix).cache_get("plex", "k").value == "b"


def test_listeners_hear_detached_and_attached(worker_store, own_redis, clock):
    store = worker_store()
    heard = []
    store.listeners.append(lambda event, detail: heard.append(event))
    store.listeners.append(lambda event, detail: 1 / 0)  # a broken listener breaks nothing
    own_redis.kill()
    store.cache_len("plex")
    own_redis.start()
    clock.advance(1.0)
    store.cache_len("plex")
    assert heard == ["detached", "attached"]


def test_a_merge_that_fails_midway_is_finished_at_the_next_reconnect_counting_nothing_twice(
        worker_store, own_redis, prefix, clock):
    store = worker_store()
    store.put_breaker("plex", BreakerRecord(failures=1))
    store.cache_put("plex", "k", CacheEntry(1, 1.0), max_entries=10)
    own_redis.freeze()
    store.breaker_names()  # detaches (a read: harmless when the frozen server runs it after all)
    store.put_breaker("plex", BreakerRecord(failures=1, state="open", opened_at=1e12))
    assert store.admit_read("plex", 0.0)[1]  # refused while detached: rejected + 1 in this worker's memory
    store.inbox_append({"n": 1})
    own_redis.thaw()
    lock = prefix + "breaker:plex:lock"
    own_redis.command("SET", lock, "a-worker-that-died", "PX", "60000")  # its lock outlives it
    clock.advance(1.0)
    health = store.health()
    assert health["status"] == "degraded" and "stayed locked" in health["error"]
    own_redis.command("DEL", lock)
    clock.advance(2.0)
    assert store.health()["status"] == "up"
    redis_view = in_redis(own_redis, prefix)
    merged = redis_view.load_breaker("plex")
    assert (merged.failures, merged.rejected, merged.state) == (1, 1, "open")
    assert [r["n"] for r in redis_view.inbox_list()] == [1]


def test_an_invalid_backoff_is_refused(own_redis):
    from companion.state import FallbackStore

    with pytest.raises(ValueError, match="reconnect backoff"):
        FallbackStore(RedisStore(own_redis.url), reconnect_initial_s=5, reconnect_max_s=1)


def test_asking_the_health_of_an_attached_worker_finds_a_redis_that_died_meanwhile(worker_store, own_redis):
    store = worker_store()
    assert store.health()["status"] == "up"
    own_redis.kill()
    health = store.health()  # no other operation ran since: the health check itself asks Redis
    assert health["status"] == "degraded" and store.mode == DETACHED


def test_a_plain_redis_store_reports_a_dead_redis_down(own_redis, prefix):
    store = in_redis(own_redis, prefix)
    own_redis.kill()
    health = store.health()
    assert health["status"] == "down" and "Connection" in health["message"]


def test_clear_empties_this_worker_memory_even_when_redis_is_gone(worker_store, own_redis, prefix):
    store = worker_store()
    store.put_breaker("plex", BreakerRecord(state="open", opened_at=1.0))
    assert in_redis(own_redis, prefix).load_breaker("plex").state == "open"  # put goes to Redis while attached
    own_redis.kill()
    store.clear()
    assert store.mode == DETACHED and store.load_breaker("plex") is None and store.breaker_names() == []
