"""Delivery, exactly once and in order, against the Overseerr mock; every test runs on both stores.

The client keeps production-size breaker durations (30 s reset timeout) on a clock the test moves.
"""

from __future__ import annotations

import threading
import time

import pytest
from atest_support.waiting import wait_until

from companion import CircuitBreakerFactory
from companion.outbox import CANCELLED, DELIVERED, QUEUED, REJECTED, CancelError

POST = ("POST", "/api/v1/request")


def tmdb_ids(mock) -> list[int]:
    """The media Overseerr holds requests for, in the order they were created."""
    return [r["media"]["tmdbId"] for r in mock.requests]


def test_a_request_while_overseerr_is_up_is_delivered_at_once(outbox, overseerr_mock):
    result = outbox.submit("movie", 603, user_id=2)
    assert result.status == DELIVERED and result.submission.state == DELIVERED
    assert result.overseerr_request["id"] == result.submission.overseerr_request_id == 1
    assert overseerr_mock.requests[0]["requestedBy"]["id"] == 2
    assert outbox.queued() == [] and outbox.status()["counts"][DELIVERED] == 1


def test_a_request_while_overseerr_is_down_is_accepted_and_queued(outbox, overseerr_mock):
    overseerr_mock.take_down()
    result = outbox.submit("movie", 603)
    assert result.status == QUEUED and result.queued and result.id == 1
    assert "accepted and queued: Overseerr is unavailable" in result.message
    assert "connection refused" in result.message
    assert [s.id for s in outbox.queued()] == [1]
    assert not outbox.get(1).in_doubt  # refused: it never reached Overseerr
    status = outbox.status()
    assert (status["queued"], status["inDoubt"], status["store"], status["worker"]) == (1, 0, outbox.store.kind,
                                                                                        "worker-1")
    assert "connection refused" in status["lastDeliveryError"]["message"]
    assert result.to_dict()["submission"]["state"] == QUEUED


def test_queued_requests_are_delivered_after_recovery_oldest_first(outbox, overseerr_mock, clock):
    overseerr_mock.take_down()
    results = [outbox.submit("movie", media_id) for media_id in (604, 603, 605)]
    assert [r.status for r in results] == [QUEUED] * 3
    assert "queued behind 1 older submission(s)" in results[1].message
    overseerr_mock.bring_up()
    assert outbox.deliverer.breaker_wait_s() == 0  # one failed call: the breaker is still closed
    outcomes = outbox.deliverer.deliver_due()
    assert [o.status for o in outcomes] == [DELIVERED] * 3
    assert tmdb_ids(overseerr_mock) == [604, 603, 605]
    assert [s.overseerr_request_id for s in outbox.store.submissions()] == [1, 2, 3]
    assert overseerr_mock.journal.count(*POST) == 3
    assert outbox.status()["queued"] == 0 and outbox.status()["oldestAgeS"] is None


def test_nothing_reaches_overseerr_while_its_breaker_is_open_and_delivery_resumes_after_the_reset_timeout(
        outbox, overseerr_mock, clock):
    overseerr_mock.take_down()
    for media_id in (603, 604, 605):  # fail_max 3 failed deliveries open the breaker
        outbox.submit("movie", media_id)
        outbox.deliverer.deliver_due()
    assert outbox.deliverer.breaker_wait_s() == pytest.approx(30, abs=1)
    overseerr_mock.bring_up()
    result = outbox.submit("movie", 550)
    assert result.status == QUEUED
    assert outbox.deliverer.deliver_due()[0].message.startswith("overseerr submit_request failed: Circuit breaker is OPEN")
    assert overseerr_mock.journal.count() == 0
    clock.advance(30)
    assert outbox.deliverer.breaker_wait_s() == 0
    assert [o.status for o in outbox.deliverer.deliver_due()] == [DELIVERED] * 4
    assert tmdb_ids(overseerr_mock) == [603, 604, 605, 550]


def test_a_refused_request_is_rejected_with_overseerrs_reason_and_never_retried(outbox, overseerr_mock):
    overseerr_mock.add_request("movie", 603)  # someone asked for it already
    result = outbox.submit("movie", 603)
    assert result.status == REJECTED and result.submission.state == REJECTED
    assert "Request for this media already exists." in result.message
    assert "HTTP 409" in result.submission.reason
    assert overseerr_mock.journal.count(*POST) == 1
    assert outbox.deliverer.deliver_due() == []


def test_a_tv_request_whose_seasons_are_all_requested_is_rejected_with_overseerrs_reason(outbox, overseerr_mock):
    overseerr_mock.add_request("tv", 1396)
    result = outbox.submit("tv", 1396, [1, 2])
    assert result.status == REJECTED
    assert "No seasons available to request" in result.submission.reason
    assert len(overseerr_mock.requests) == 1


def test_a_cancelled_request_never_reaches_overseerr(outbox, overseerr_mock):
    overseerr_mock.take_down()
    first, second = outbox.submit("movie", 603), outbox.submit("movie", 604)
    assert outbox.cancel(first.id).state == CANCELLED
    with pytest.raises(CancelError, match="cancelled already"):
        outbox.cancel(first.id)
    overseerr_mock.bring_up()
    outbox.deliverer.deliver_due()
    assert tmdb_ids(overseerr_mock) == [604]
    assert [s.state for s in outbox.store.submissions()] == [CANCELLED, DELIVERED]
    assert outbox.get(second.id).overseerr_request_id == 1


def test_a_lost_answer_is_looked_up_and_not_sent_again(outbox, overseerr_mock):
    overseerr_mock.faults.add_route_fault("/api/v1/request", "truncate", method="POST", times=1)
    result = outbox.submit("movie", 603)
    assert result.status == DELIVERED
    assert "found after a lost answer" in result.message
    assert overseerr_mock.journal.count(*POST) == 1 and len(overseerr_mock.requests) == 1


def test_a_lost_answer_that_cannot_be_checked_stays_in_doubt_until_overseerr_says(outbox, overseerr_mock):
    overseerr_mock.faults.add_route_fault("/api/v1/request", "truncate", method="POST", times=1)
    overseerr_mock.faults.add_route_fault("/api/v1/request", 503, method="GET", times=3)
    result = outbox.submit("movie", 603)
    assert result.status == QUEUED and outbox.get(result.id).in_doubt
    assert "checking whether it was created failed too" in result.message
    with pytest.raises(CancelError, match="may already have reached Overseerr"):
        outbox.cancel(result.id)
    [outcome] = outbox.deliverer.deliver_due()
    assert outcome.status == DELIVERED and outcome.recovered
    assert "found in Overseerr as request 1 after a lost answer: not sent again" == outcome.message
    assert overseerr_mock.journal.count(*POST) == 1 and len(overseerr_mock.requests) == 1


def test_a_timeout_after_the_request_was_sent_is_in_doubt_and_not_sent_twice(outbox, overseerr_mock):
    overseerr_mock.faults.add_route_fault("/api/v1/request", "hang", method="POST", times=1)
    overseerr_mock.faults.add_route_fault("/api/v1/request", 503, method="GET", times=3)
    result = outbox.submit("movie", 603)
    assert result.status == QUEUED and outbox.get(result.id).in_doubt
    assert overseerr_mock.journal.count(*POST) == 1 and overseerr_mock.requests == []  # hung: never created
    [outcome] = outbox.deliverer.deliver_due()
    assert outcome.status == DELIVERED and not outcome.recovered  # looked up, absent, sent once more
    assert overseerr_mock.journal.count(*POST) == 2 and tmdb_ids(overseerr_mock) == [603]


def test_a_row_held_by_a_worker_that_died_after_sending_is_found_after_its_lease_not_resent(
        outbox, overseerr_mock, clock):
    overseerr_mock.take_down()
    submission = outbox.submit("movie", 603, user_id=3).submission
    overseerr_mock.bring_up()
    outbox.store.claim("dead-worker", clock.time(), outbox.deliverer.lease_s)
    overseerr_mock.store.create("movie", 603, user_id=3)  # what the dead worker's POST did
    assert outbox.deliverer.deliver_due() == []  # the lease still runs
    clock.advance(outbox.deliverer.lease_s)
    [outcome] = outbox.deliverer.deliver_due()
    assert outcome.status == DELIVERED and outcome.recovered
    assert overseerr_mock.journal.count(*POST) == 0 and len(overseerr_mock.requests) == 1
    assert outbox.get(submission.id).attempts == 3  # refused at once, the dead worker's, this one


def test_an_older_request_of_another_user_is_not_taken_for_the_lost_one(outbox, overseerr_mock, clock):
    overseerr_mock.take_down()
    outbox.submit("movie", 603, user_id=3)
    overseerr_mock.bring_up()
    outbox.store.claim("dead-worker", clock.time(), outbox.deliverer.lease_s)
    overseerr_mock.add_request("movie", 603)  # the admin's (user 1) request, not user 3's
    clock.advance(outbox.deliverer.lease_s)
    [outcome] = outbox.deliverer.deliver_due()
    # not user 3's: it is sent, and Overseerr refuses a second request for the movie with its reason
    assert outcome.status == REJECTED and "Request for this media already exists." in outcome.message


def test_a_restarted_worker_finds_what_its_previous_run_sent(make_outbox, database_url, overseerr_mock, clock):
    before = make_outbox(database_url, worker="host-1")
    overseerr_mock.take_down()
    sid = before.submit("tv", 1396, [1, 2], user_id=2).id
    overseerr_mock.bring_up()
    before.store.claim("host-1", clock.time(), 300)  # it was sending when the process died ...
    overseerr_mock.store.create("tv", 1396, [1, 2], user_id=2)  # ... and Overseerr had created it
    after = make_outbox(database_url, worker="host-1")
    assert after.deliverer.recover() == 1
    [outcome] = after.deliverer.deliver_due()
    assert outcome.status == DELIVERED and outcome.recovered
    assert overseerr_mock.journal.count(*POST) == 0 and len(overseerr_mock.requests) == 1
    assert after.get(sid).overseerr_request_id == 1


def test_rejected_credentials_keep_the_request_queued(make_outbox, database_url, make_client, overseerr_mock):
    client = make_client()
    client._http.session.headers["X-Api-Key"] = "not-the-key"
    outbox = make_outbox(database_url, client=client)
    result = outbox.submit("movie", 603)
    assert result.status == QUEUED and "credentials rejected" in result.message
    assert not outbox.get(result.id).in_doubt and overseerr_mock.requests == []


def test_the_background_deliverer_delivers_after_recovery(outbox, overseerr_mock, clock):
    events: list[tuple[str, int]] = []
    outbox.add_listener(lambda event, submission, detail: events.append((event, submission.id)))
    outbox.add_listener(lambda *_: 1 / 0)  # a broken observer changes nothing
    overseerr_mock.take_down()
    ids = [outbox.submit("movie", media_id).id for media_id in (603, 604)]
    outbox.start()
    assert outbox.status()["delivering"]
    with pytest.raises(RuntimeError, match="already running"):
        outbox.deliverer.start()
    overseerr_mock.bring_up()
    clock.advance(30)
    deadline = time.monotonic() + 10
    while outbox.status()["queued"] and time.monotonic() < deadline:
        time.sleep(0.02)
    outbox.stop()  # joins the thread: the delivery it was finishing has told its listeners
    assert not outbox.status()["delivering"]
    assert tmdb_ids(overseerr_mock) == [603, 604]
    assert (QUEUED, ids[0]) in events and (QUEUED, ids[1]) in events
    assert [e for e in events if e[0] == DELIVERED] == [(DELIVERED, ids[0]), (DELIVERED, ids[1])]


def test_two_outboxes_sharing_one_breaker_factory_each_deliver_their_own(make_outbox, make_client, database_url,
                                                                         overseerr_mock, clock):
    breakers = CircuitBreakerFactory(clock=clock)
    one = make_outbox(database_url, worker="a", client=make_client(breakers))
    two = make_outbox(database_url, worker="b", client=make_client(breakers))
    overseerr_mock.take_down()
    one.submit("movie", 603)
    two.submit("movie", 604)
    overseerr_mock.bring_up()
    assert len(two.deliverer.deliver_due()) == 2
    assert one.deliverer.deliver_due() == []
    assert tmdb_ids(overseerr_mock) == [603, 604]


def _taken_by_the_background_deliverer_first(outbox, overseerr_mock) -> threading.Thread:
    """Make the outbox's own deliverer (in a thread, as its background loop would) claim the submission that
    ``submit`` has just recorded, before ``submit`` tries to: Overseerr answers that POST after 0.3 s."""
    overseerr_mock.faults.add_route_fault(POST[1], {"fault": "delay", "delay_ms": 300}, method="POST", times=1)
    pending_before = outbox.store.pending_before
    background: list[threading.Thread] = []

    def take_it_first(submission_id: int) -> int:
        background.append(threading.Thread(target=outbox.deliverer.deliver, daemon=True))
        background[0].start()
        wait_until(lambda: outbox.store.get(submission_id).state == QUEUED and submission_id in
                   outbox.deliverer._in_hand, bool, what="the background deliverer", expected="holding it",
                   timeout=5, interval=0.005)
        return pending_before(submission_id)

    outbox.store.pending_before = take_it_first
    return background


def test_a_submission_the_background_deliverer_took_first_answers_with_that_delivery(outbox, overseerr_mock):
    background = _taken_by_the_background_deliverer_first(outbox, overseerr_mock)
    result = outbox.submit("movie", 603)
    assert result.status == DELIVERED and result.overseerr_request["id"] == 1  # not "queued: being delivered"
    background[0].join(5)
    assert overseerr_mock.journal.count(*POST) == 1 and tmdb_ids(overseerr_mock) == [603]


def test_without_waiting_for_it_such_a_submission_is_reported_queued_and_still_delivered_once(make_outbox,
                                                                                            database_url,
                                                                                            overseerr_mock):
    outbox = make_outbox(database_url, join_s=0)
    background = _taken_by_the_background_deliverer_first(outbox, overseerr_mock)
    result = outbox.submit("movie", 603)
    assert result.status == QUEUED and result.message == "accepted and queued: it is being delivered"
    background[0].join(5)
    assert outbox.get(result.id).state == DELIVERED and overseerr_mock.journal.count(*POST) == 1
