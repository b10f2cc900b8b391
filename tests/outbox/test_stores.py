"""Both stores, one contract: each test runs on a SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

import threading

import pytest

from companion.outbox import (CANCELLED, DELIVERED, QUEUED, REJECTED, CancelError, StoreUnavailableError,
                              new_submission, open_store)

MOVIE = new_submission("movie", 603)


def record(store, count: int, now: float = 1000.0) -> list[int]:
    return [store.record(new_submission("movie", 600 + n), now + n).id for n in range(count)]


def test_a_recorded_submission_is_queued_with_its_outbox_row(store):
    submission = store.record(new_submission("tv", 1396, [1, 2], is4k=True, user_id=2), 1000.0)
    stored = store.get(submission.id)
    assert stored == submission
    assert (stored.state, stored.seasons, stored.is4k, stored.user_id, stored.attempts) == (QUEUED, [1, 2], True, 2, 0)
    assert store.summary(1030.0) == {"queued": 1, "inDoubt": 0, "oldestAgeS": 30.0, "lastDeliveryError": None,
                                     "counts": {QUEUED: 1, DELIVERED: 0, REJECTED: 0, CANCELLED: 0}}
    with pytest.raises(KeyError, match="no submission with id 999"):
        store.get(999)


def test_claims_take_the_oldest_free_row_and_never_one_row_twice(store):
    first, second, third = record(store, 3)
    a = store.claim("a", 2000.0, 60)
    b = store.claim("b", 2000.0, 60)
    assert (a.submission.id, b.submission.id) == (first, second)
    assert a.submission.attempts == 1 and not a.in_doubt
    assert store.claim("c", 2000.0, 60, submission_id=first) is None  # held by a
    assert store.claim("c", 2000.0, 60, submission_id=third).submission.id == third
    assert store.claim("d", 2000.0, 60) is None


def test_finish_and_release_need_the_claim_still_held(store):
    first, second = record(store, 2)
    claim = store.claim("a", 2000.0, 60)
    assert store.release(claim, 2001.0, in_doubt=False, error="overseerr submit_request failed: refused")
    assert not store.release(claim, 2002.0, in_doubt=False, error="again")  # given back already
    assert not store.finish(claim, DELIVERED, 2003.0, request_id=9)
    again = store.claim("a", 2004.0, 60)
    assert again.submission.id == first and again.submission.attempts == 2
    assert again.submission.last_error == "overseerr submit_request failed: refused"
    assert store.finish(again, DELIVERED, 2005.0, request_id=9)
    done = store.get(first)
    assert (done.state, done.overseerr_request_id, done.finished_at, done.in_doubt) == (DELIVERED, 9, 2005.0, False)
    rejected = store.claim("a", 2006.0, 60)
    assert store.finish(rejected, REJECTED, 2007.0, reason="HTTP 409: Request for this media already exists.")
    assert store.get(second).reason == "HTTP 409: Request for this media already exists."
    with pytest.raises(ValueError, match="delivered or rejected"):
        store.finish(rejected, CANCELLED, 2008.0)
    summary = store.summary(2010.0)
    assert summary["queued"] == 0 and summary["oldestAgeS"] is None
    assert summary["counts"] == {QUEUED: 0, DELIVERED: 1, REJECTED: 1, CANCELLED: 0}
    assert summary["lastDeliveryError"] == {"time": 2001.0, "message": "overseerr submit_request failed: refused",
                                            "submissionId": first}


def test_a_row_whose_holder_is_gone_is_taken_again_in_doubt(store):
    (sid,) = record(store, 1)
    lost = store.claim("dead-worker", 2000.0, 60)
    assert store.claim("b", 2059.0, 60) is None  # lease still running
    taken = store.claim("b", 2060.0, 60)
    assert taken.submission.id == sid and taken.in_doubt and taken.submission.attempts == 2
    assert not store.finish(lost, DELIVERED, 2061.0, request_id=1)  # the dead worker's outcome does not count
    assert store.release(taken, 2062.0, in_doubt=False, error="refused")
    assert store.get(sid).in_doubt  # in doubt stays until Overseerr has been asked


def test_a_restarted_worker_takes_back_its_rows_in_doubt(store):
    record(store, 3)
    store.claim("w1", 2000.0, 300)
    store.claim("w1", 2000.0, 300)
    store.claim("w2", 2000.0, 300)
    assert store.release_worker("w1") == 2
    assert store.summary(2000.0)["inDoubt"] == 2
    assert store.claim("w1", 2000.0, 300).in_doubt


def test_release_marks_in_doubt_and_remembers_the_last_error(store):
    (sid,) = record(store, 1)
    claim = store.claim("a", 2000.0, 60)
    store.release(claim, 2001.0, in_doubt=True, error="no answer within the read timeout")
    assert store.get(sid).in_doubt and store.summary(2002.0)["inDoubt"] == 1
    assert store.summary(2002.0)["lastDeliveryError"]["message"] == "no answer within the read timeout"


def test_only_a_free_queued_submission_that_is_not_in_doubt_can_be_cancelled(store):
    free, held, doubtful, done = record(store, 4)
    assert store.cancel(free, 2000.0).state == CANCELLED
    store.claim("a", 2000.0, 60, submission_id=held)
    with pytest.raises(CancelError, match="being delivered right now"):
        store.cancel(held, 2000.0)
    claim = store.claim("a", 2000.0, 60, submission_id=doubtful)
    store.release(claim, 2000.0, in_doubt=True, error="read timeout")
    with pytest.raises(CancelError, match="may already have reached Overseerr"):
        store.cancel(doubtful, 2000.0)
    store.finish(store.claim("a", 2000.0, 60, submission_id=done), DELIVERED, 2000.0, request_id=3)
    with pytest.raises(CancelError, match="delivered already"):
        store.cancel(done, 2000.0)
    with pytest.raises(CancelError, match="no submission with id 77") as caught:
        store.cancel(77, 2000.0)
    assert caught.value.status == 404
    assert [s.id for s in store.submissions(QUEUED)] == [held, doubtful]
    assert [s.state for s in store.submissions()] == [CANCELLED, QUEUED, QUEUED, DELIVERED]
    assert store.pending_before(done) == 2 and store.pending_before(free) == 0


def test_listing_limits_and_states_are_checked(store):
    record(store, 5)
    assert [s.media_id for s in store.submissions(limit=2)] == [600, 601]
    with pytest.raises(ValueError, match="state must be one of"):
        store.submissions("lost")
    store.clear()
    assert store.submissions() == [] and store.summary(0.0)["queued"] == 0


def test_the_outbox_survives_reopening(database_url, make_store):
    first = make_store(database_url)
    sid = first.record(MOVIE, 1000.0).id
    first.close()
    assert make_store(database_url).get(sid).state == QUEUED


def test_concurrent_claimers_take_every_row_exactly_once(database_url, make_store):
    rows = 60
    record(make_store(database_url), rows)
    taken: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        store = make_store(database_url)
        while (claim := store.claim(name, 2000.0, 600)) is not None:
            with lock:
                taken.append(claim.submission.id)
            store.finish(claim, DELIVERED, 2000.0, request_id=claim.submission.id)

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(taken) == list(range(1, rows + 1))
    assert make_store(database_url).summary(0.0)["counts"][DELIVERED] == rows


@pytest.mark.parametrize("url,message", [
    ("mysql://localhost/x", "must start with sqlite:/// or postgresql://"),
    ("sqlite:///", "needs a file path"),
    ("", "must be a sqlite:/// or postgresql:// URL"),
    ("redis://user:hunter2@host/0", "redis://user:\\*\\*\\*\\*\\*@host/0"),
])
def test_a_database_url_that_names_no_store_is_refused(url, message):
    with pytest.raises(ValueError, match=message) as caught:
        open_store(url)
    assert "hunter2" not in str(caught.value)


def test_a_store_that_cannot_be_reached_says_so_without_the_password(tmp_path, pg_server):
    with pytest.raises(StoreUnavailableError, match=r"postgres:\*\*\*\*\*@127\.0\.0\.1") as caught:
        open_store(f"postgresql://postgres:s3cret-pw@127.0.0.1:{pg_server.port}/no_such_database")
    assert "s3cret-pw" not in str(caught.value)
    with pytest.raises(StoreUnavailableError, match="outbox database"):
        open_store(f"sqlite:///{tmp_path / 'missing-dir' / 'outbox.db'}")
