"""Crash proofs: ``python -m companion`` killed with SIGKILL mid-delivery and mid-write, on both stores.

The companion runs as its own process (``CompanionProcess``) against the Overseerr mock of this test process,
keeping this test's clock through its clock file; the outbox's database is a SQLite file or a database on the
test process's PostgreSQL server. What happened is read from the mock's journal and store and from the outbox's
own tables.
"""

from __future__ import annotations

import threading

import pytest
import requests

from atest_support.followed_clock import FollowedClock
from atest_support.outbox_crash import WriteBarrier, writing_the_outbox
from atest_support.waiting import wait_until
from CompanionProcess.process import CompanionProcess
from companion.outbox import DELIVERED, QUEUED, open_store
from mockservers import OverseerrMock

POST = ("POST", "/api/v1/request")
LEASE_S = 300


@pytest.fixture
def clock() -> FollowedClock:
    return FollowedClock()


@pytest.fixture
def mock(clock):
    with OverseerrMock(api_key="mock-api-key", clock=clock) as server:
        yield server


@pytest.fixture
def app(tmp_path, mock, clock, database_url):
    process = CompanionProcess(tmp_path / "app", clock=clock, settings={
        "overseerr_url": mock.url, "overseerr_api_key": "mock-api-key", "database_url": database_url,
        "outbox_lease_s": LEASE_S, "fail_max": 3, "retry_seed": 1, "connect_timeout_s": 1, "read_timeout_s": 10})
    process.start()
    yield process
    process.close()


def submit(app: CompanionProcess, media_id: int, timeout: float = 30.0) -> requests.Response:
    token = app.mint_token(role="user")
    return requests.post(f"{app.url}/api/v1/requests", json={"mediaType": "movie", "mediaId": media_id},
                         headers={"Authorization": f"Bearer {token}", "Connection": "close"}, timeout=timeout)


def submit_in_background(app: CompanionProcess, media_id: int) -> threading.Thread:
    """A submission whose caller will never see the answer (the process is killed meanwhile)."""
    def run() -> None:
        try:
            submit(app, media_id)
        except requests.RequestException:
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_killed_between_sent_and_answer_recorded_every_submission_reaches_overseerr_once(app, mock, clock,
                                                                                          database_url):
    mock.take_down()
    queued = submit(app, 603)
    assert queued.status_code == 202 and queued.json()["data"]["status"] == QUEUED
    sid = queued.json()["data"]["id"]
    # Overseerr will create the request but send its answer a byte every half second
    mock.faults.add_route_fault("/api/v1/request", {"fault": "dribble", "chunk_size": 1, "chunk_delay_ms": 500},
                                method="POST", times=1)
    mock.bring_up()
    store = open_store(database_url)
    try:
        clock.advance(5)  # the deliverer's next look at the outbox
        wait_until(lambda: (len(mock.requests), store.get(sid).state), lambda seen: seen == (1, QUEUED),
                   what="Overseerr and the outbox", expected="request created, answer not recorded", timeout=20)
        app.kill()
        mock.faults.clear()
        app.start(app.port)
        assert store.get(sid).state == QUEUED  # the dead run's claim still holds the row ...
        clock.advance(LEASE_S)  # ... until its lease runs out: then it is taken, in doubt, and looked up
        done = wait_until(lambda: store.get(sid), lambda s: s.state == DELIVERED, what=f"submission {sid}",
                          expected="delivered", timeout=20)
    finally:
        store.close()
    # the restarted run looked the request up once and sent nothing (a second POST would have been a 409); the
    # killed run's dribbled POST is journaled only if the mock finished it before the test released the fault
    assert mock.journal.count("GET", "/api/v1/request") == 1
    assert mock.journal.count(*POST) <= 1 and mock.journal.count("POST", "/api/v1/request", status=409) == 0
    assert [r["media"]["tmdbId"] for r in mock.requests] == [603]
    assert done.overseerr_request_id == mock.requests[0]["id"]
    assert done.attempts == 3  # refused while down, the one killed mid-answer, the look-up that found it


def test_killed_while_writing_the_outbox_nothing_half_written_is_kept_or_delivered(app, mock, clock,
                                                                                   database_url):
    barrier = WriteBarrier(database_url)
    try:
        submit_in_background(app, 603)
        wait_until(lambda: writing_the_outbox(database_url), bool, what="the companion",
                   expected="in the middle of writing the outbox", timeout=10)
        app.kill()
    finally:
        barrier.release()
    app.start(app.port)
    clock.advance(LEASE_S)
    store = open_store(database_url)
    try:
        assert store.submissions() == []
        assert store.summary(clock.time())["queued"] == 0
    finally:
        store.close()
    listing = requests.get(f"{app.url}/api/v1/requests",
                           headers={"Authorization": f"Bearer {app.mint_token(role='user')}"}, timeout=10).json()
    assert listing["data"]["count"] == 0
    assert mock.journal.count(*POST) == 0 and mock.requests == []
    assert submit(app, 604).json()["data"]["status"] == DELIVERED  # the outbox works on after the crash
