"""What every state store does, pinned once and run against both: this process's memory and a real Redis."""

from __future__ import annotations

import pytest

from companion.state import BreakerRecord, CacheEntry, MemoryStore, open_store, FallbackStore, redact_url


# -- breakers ---------------------------------------------------------------------------------
def test_a_breaker_nobody_wrote_is_none_and_an_update_starts_from_a_closed_record(store):
    assert store.load_breaker("plex") is None
    seen = store.update_breaker("plex", lambda record: (record.state, record.generation))
    assert seen == ("closed", 0)


def test_an_update_keeps_what_the_change_did_and_returns_what_it_returned(store):
    def open_it(record: BreakerRecord) -> str:
        record.state, record.opened_at, record.generation = "open", 1234.5, record.generation + 1
        record.probes = [99.0]
        record.last_failure = {"time": "2026-01-01T00:00:00.000Z", "error": "HTTP 503"}
        return "done"

    assert store.update_breaker("plex", open_it) == "done"
    record = store.load_breaker("plex")
    assert (record.state, record.opened_at, record.generation, record.probes) == ("open", 1234.5, 1, [99.0])
    assert record.last_failure["error"] == "HTTP 503" and store.breaker_names() == ["plex"]


def test_a_change_that_raises_keeps_nothing(store):
    store.put_breaker("plex", BreakerRecord(fail_counter=2))

    def broken(record: BreakerRecord) -> None:
        record.fail_counter = 99
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        store.update_breaker("plex", broken)
    assert store.load_breaker("plex").fail_counter == 2


def test_an_admission_read_refuses_and_counts_only_while_open_within_its_timeout(store):
    assert store.admit_read("plex", 100.0) == (None, False)  # nobody wrote one: admitted
    store.put_breaker("plex", BreakerRecord(state="open", opened_at=150.0))
    record, refused = store.admit_read("plex", 100.0)  # opened after now - reset timeout: refused
    assert refused and record.rejected == 1
    store.update_breaker("plex", lambda record: setattr(record, "failures", 3))
    record, refused = store.admit_read("plex", 200.0)  # the timeout has passed: admitted (a probe is due)
    assert not refused and (record.rejected, record.failures, record.state) == (1, 3, "open")
    assert store.admit_read("plex", 100.0)[0].rejected == 2  # counts survive an update that did not touch them
    store.put_breaker("plex", BreakerRecord(state="half-open", opened_at=150.0))
    assert store.admit_read("plex", 100.0)[1] is False  # half-open: the breaker decides under its lock


def test_put_replaces_the_whole_record(store):
    store.put_breaker("plex", BreakerRecord(state="open", opened_at=5.0, rejected=4))
    store.put_breaker("plex", BreakerRecord(successes=1))
    assert store.load_breaker("plex") == BreakerRecord(successes=1)


# -- caches -----------------------------------------------------------------------------------
def test_a_cached_answer_comes_back_equal_with_when_it_was_fetched(store):
    store.cache_put("plex", "k", CacheEntry({"items": [1, "a", None]}, 100.0), max_entries=10)
    entry = store.cache_get("plex", "k")
    assert (entry.value, entry.fetched_at, entry.stale_reason) == ({"items": [1, "a", None]}, 100.0, None)
    assert store.cache_get("plex", "other") is None and store.cache_get("overseerr", "k") is None


def test_serving_stale_is_noted_with_its_reason_until_a_new_answer_is_put(store):
    store.cache_put("plex", "k", CacheEntry([1], 100.0), max_entries=10)
    store.cache_note_stale("plex", "k", "connection refused", 160.0)
    entry = store.cache_get("plex", "k")
    assert (entry.stale_reason, entry.stale_at) == ("connection refused", 160.0)
    store.cache_put("plex", "k", CacheEntry([2], 200.0), max_entries=10)
    assert store.cache_get("plex", "k").stale_reason is None
    store.cache_note_stale("plex", "gone", "x", 1.0)  # nothing cached: nothing noted
    assert store.cache_get("plex", "gone") is None


def test_the_least_recently_used_entry_goes_first_when_there_are_too_many(store):
    for key in ("a", "b", "c"):
        store.cache_put("plex", key, CacheEntry(key, 1.0), max_entries=3)
    store.cache_get("plex", "a")  # a is used: b is now the least recently used
    store.cache_put("plex", "d", CacheEntry("d", 1.0), max_entries=3)
    assert [store.cache_get("plex", k) is not None for k in "abcd"] == [True, False, True, True]
    assert store.cache_len("plex") == 3


def test_entries_are_dropped_oldest_first_beyond_the_byte_bound(store):
    size = len(CacheEntry("x" * 100, 1.0).to_json().encode())
    for key in ("a", "b", "c"):
        store.cache_put("plex", key, CacheEntry("x" * 100, 1.0), max_entries=100, max_bytes=2 * size)
    assert [store.cache_get("plex", k) is not None for k in "abc"] == [False, True, True]
    store.cache_put("plex", "big", CacheEntry("y" * 1000, 1.0), max_entries=100, max_bytes=2 * size)
    assert store.cache_len("plex") == 0  # one answer larger than the bound is not kept at all


def test_multibyte_text_counts_in_bytes(store):
    entry = CacheEntry("é" * 50, 1.0)
    size = len(entry.to_json().encode())
    store.cache_put("plex", "a", entry, max_entries=10, max_bytes=size)
    store.cache_put("plex", "b", entry, max_entries=10, max_bytes=size)
    assert store.cache_len("plex") == 1 and store.cache_get("plex", "b").value == "é" * 50


def test_clearing_one_namespace_leaves_the_others(store):
    store.cache_put("plex", "k", CacheEntry(1, 1.0), max_entries=10)
    store.cache_put("overseerr", "k", CacheEntry(2, 1.0), max_entries=10)
    store.cache_clear("plex")
    assert store.cache_len("plex") == 0 and store.cache_get("overseerr", "k").value == 2


def test_an_answer_json_cannot_hold_is_refused_and_nothing_is_kept(store):
    with pytest.raises(TypeError):
        store.cache_put("plex", "k", CacheEntry({1, 2}, 1.0), max_entries=10)
    assert store.cache_len("plex") == 0


# -- webhook inbox --------------------------------------------------------------------------------
def test_notifications_get_increasing_ids_and_list_oldest_first(store):
    first = store.inbox_append({"notification_type": "MEDIA_PENDING", "payload": {"n": 1}})
    second = store.inbox_append({"notification_type": "MEDIA_APPROVED", "payload": {"n": 2}})
    assert (first["id"], second["id"]) == (1, 2)
    assert [r["payload"]["n"] for r in store.inbox_list()] == [1, 2]


def test_the_inbox_drops_the_oldest_beyond_its_count_and_its_bytes(store):
    for n in range(5):
        store.inbox_append({"n": n}, maxlen=3)
    assert [r["n"] for r in store.inbox_list()] == [2, 3, 4]
    store.inbox_clear()
    store.inbox_append({"text": "x" * 100}, max_bytes=250)
    store.inbox_append({"text": "y" * 100}, max_bytes=250)
    store.inbox_append({"text": "z" * 100}, max_bytes=250)
    assert [r["text"][0] for r in store.inbox_list()] == ["y", "z"]


def test_ids_go_on_after_a_clear(store):
    store.inbox_append({"n": 1})
    store.inbox_clear()
    assert store.inbox_list() == [] and store.inbox_append({"n": 2})["id"] == 2


def test_clear_forgets_everything(store):
    store.put_breaker("plex", BreakerRecord(state="open", opened_at=1.0))
    store.cache_put("plex", "k", CacheEntry(1, 1.0), max_entries=10)
    store.inbox_append({"n": 1})
    store.clear()
    assert (store.load_breaker("plex"), store.cache_len("plex"), store.inbox_list()) == (None, 0, [])


def test_the_health_of_a_reachable_store_is_up(store):
    assert store.health()["status"] == "up"


# -- opening a store by its URL -------------------------------------------------------------------------
def test_memory_url_opens_this_process_memory():
    store = open_store("memory://")
    assert isinstance(store, MemoryStore) and not store.shared


def test_redis_url_opens_redis_with_this_worker_memory_as_fallback(redis_server):
    store = open_store(redis_server.url, timeout_s=0.5)
    try:
        assert isinstance(store, FallbackStore) and store.shared and store.url == redis_server.url
    finally:
        store.close()


@pytest.mark.parametrize("url", ["http://x", "postgres://u:hunter2@db/1", "", "memory"])
def test_any_other_url_is_refused_naming_it_without_its_password(url):
    with pytest.raises(ValueError, match="state_url must be memory:// or redis://") as caught:
        open_store(url)
    assert "hunter2" not in str(caught.value)


def test_a_password_in_a_redis_url_is_never_shown():
    assert redact_url("redis://:s3cret@127.0.0.1:6379/0") == "redis://:*****@127.0.0.1:6379/0"
    assert redact_url("redis://user:s3cret@host/2") == "redis://user:*****@host/2"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
