"""Keywords for the companion's request outbox: in-process (over this test's Overseerr client) or in a
``python -m companion`` process, on SQLite or on a real PostgreSQL server the library starts."""

from __future__ import annotations

import shutil
import tempfile
import threading
from datetime import timedelta
from typing import Any, Literal

import requests
from robot.api import logger
from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn

from atest_support.clock import companion_clock
from atest_support.secret import reveal
from atest_support.waiting import seconds, wait_until
from ResilienceTimeline.context import record_event

from .context import ClientContext

__all__ = ["OutboxKeywords", "OutboxState"]

Store = Literal["sqlite", "postgresql"]
MediaType = Literal["movie", "tv"]


class OutboxState:
    """The PostgreSQL server (one per library instance: suite scope) and this test's outboxes and databases."""

    def __init__(self) -> None:
        self.server: Any = None
        self.databases = 0
        self.outboxes: dict[str, Any] = {}
        self.database_url: str | None = None
        self.barrier: Any = None
        self.directory: str | None = None

    def reset(self) -> None:
        """Per test: close every outbox (its deliverer stops), let go of a write barrier."""
        for outbox in self.outboxes.values():
            outbox.close()
        self.outboxes.clear()
        if self.barrier is not None:
            self.barrier.release()
            self.barrier = None
        self.database_url = None

    def close(self) -> None:
        """Suite end: the per-test state, then the PostgreSQL server and the SQLite files' directory."""
        self.reset()
        if self.server is not None:
            self.server.cleanup()
            self.server = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


def _media(submission: dict[str, Any]) -> str:
    return f"{submission['mediaType']} {submission['mediaId']}"


def _record(event: str, submission: Any, detail: str) -> None:
    record_event("outbox", "overseerr", event=event, submission=submission.id,
                 media=f"{submission.media_type} {submission.media_id}", detail=detail[:160])


class OutboxKeywords:
    """The outbox: create one, submit, cancel, deliver, and check what reached Overseerr."""

    def __init__(self, context: ClientContext) -> None:
        self.ctx = context

    @property
    def state(self) -> OutboxState:
        return self.ctx.outbox

    # -- stores --------------------------------------------------------------------------------
    @keyword(tags=["outbox"])
    def create_outbox_database(self, store: Store = "sqlite") -> str:
        """Returns the URL of a new, empty outbox database: a SQLite file in a temporary directory, or a new
        database on the PostgreSQL server this library starts on first use (a free port, a temporary data
        directory, no Docker, no root; stopped when the suite ends).

        | ${url} =    `Create Outbox Database`    postgresql
        """
        if store == "sqlite":
            if self.state.directory is None:
                self.state.directory = tempfile.mkdtemp(prefix="companion-outbox-")
            self.state.databases += 1
            url = f"sqlite:///{self.state.directory}/outbox-{self.state.databases}.db"
        else:
            if self.state.server is None:
                from atest_support.postgres import PostgresServer

                self.state.server = PostgresServer().start()
                logger.info(f"Started PostgreSQL on port {self.state.server.port} ({self.state.server.directory}).")
            self.state.databases += 1
            url = self.state.server.create_database(f"outbox_{self.state.databases}")
        self.state.database_url = url
        logger.info(f"Outbox database: {url}")
        return url

    # -- in-process outboxes ------------------------------------------------------------------------
    @keyword(tags=["outbox", "overseerr"])
    def create_request_outbox(self, database_url: str | None = None, worker: str = "worker-1",
                              lease: timedelta = timedelta(minutes=5)) -> str:
        """Creates a request outbox (``companion.outbox.RequestOutbox``) over this test's Overseerr client and
        breaker, in ``database_url`` (default: the last `Create Outbox Database`, else a new SQLite one), as
        worker ``worker``; returns the database URL. Several workers may share one database: create one outbox
        per worker. What happens to its submissions goes onto the test's resilience timeline. Closed when the
        test ends.

        | `Create Request Outbox`    ${url}    worker=worker-2
        """
        from companion.outbox import RequestOutbox, open_store

        url = database_url or self.state.database_url or self.create_outbox_database("sqlite")
        if worker in self.state.outboxes:
            raise AssertionError(f"This test already has an outbox worker named {worker!r}.")
        outbox = RequestOutbox(open_store(url), self.ctx.get("overseerr"), clock=companion_clock(), worker=worker,
                               lease_s=seconds(lease))
        outbox.add_listener(_record)
        self.state.outboxes[worker] = outbox
        self.state.database_url = url
        return url

    def _outbox(self, worker: str | None) -> Any:
        if not self.state.outboxes:
            raise AssertionError("No request outbox in this test: create one with 'Create Request Outbox'.")
        if worker is None:
            return next(iter(self.state.outboxes.values()))
        try:
            return self.state.outboxes[worker]
        except KeyError:
            raise AssertionError(f"No outbox worker {worker!r}: the test has {', '.join(self.state.outboxes)}.") \
                from None

    @keyword(tags=["outbox", "overseerr"])
    def submit_media_request(self, media_type: MediaType, media_id: int, *seasons: int, user: int = 1,
                             worker: str | None = None) -> dict[str, Any]:
        """Requests a movie or show for Overseerr user ``user`` through the outbox; returns the result:
        ``status`` (``delivered``, ``queued`` or ``rejected``), ``id``, ``message``, ``submission``,
        ``overseerrRequest``.

        | ${result} =    `Submit Media Request`    movie    603
        | Should Be Equal    ${result}[status]    queued
        """
        result = self._outbox(worker).submit(media_type, media_id, list(seasons) or None, user_id=user)
        logger.info(f"{media_type} {media_id} for user {user}: {result.status} as submission {result.id} "
                    f"({result.message})")
        return result.to_dict()

    @keyword(tags=["outbox"])
    def cancel_media_request(self, submission_id: int, worker: str | None = None) -> dict[str, Any]:
        """Cancels a queued submission; returns it. Fails with the outbox's reason when it cannot be cancelled.

        | `Cancel Media Request`    ${result}[id]
        """
        from companion.outbox import CancelError

        try:
            return self._outbox(worker).cancel(submission_id).to_dict()
        except CancelError as exc:
            raise AssertionError(f"Submission {submission_id} cannot be cancelled: {exc}") from None

    @keyword(tags=["outbox"])
    def deliver_queued_media_requests(self, worker: str | None = None) -> list[str]:
        """Runs one delivery round of the outbox (oldest first, until empty or Overseerr fails); returns what
        became of each submission it took (``delivered``, ``rejected``, ``queued``).

        | ${outcomes} =    `Deliver Queued Media Requests`
        """
        outcomes = self._outbox(worker).deliverer.deliver_due()
        for outcome in outcomes:
            logger.info(f"submission {outcome.submission.id}: {outcome.status} ({outcome.message})")
        return [outcome.status for outcome in outcomes]

    @keyword(tags=["outbox"])
    def deliver_from_every_outbox_worker_at_once(self) -> dict[str, list[int]]:
        """Runs a delivery round in every outbox worker of the test at the same time (one thread each) until
        they are done; returns which submissions each worker delivered.

        | ${by_worker} =    `Deliver From Every Outbox Worker At Once`
        """
        delivered: dict[str, list[int]] = {name: [] for name in self.state.outboxes}
        start = threading.Barrier(len(self.state.outboxes))

        def run(name: str, outbox: Any) -> None:
            start.wait()
            delivered[name] = [o.submission.id for o in outbox.deliverer.deliver_due() if o.status == "delivered"]

        threads = [threading.Thread(target=run, args=item) for item in self.state.outboxes.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        logger.info(", ".join(f"{name} delivered {len(ids)}" for name, ids in delivered.items()))
        return delivered

    @keyword(tags=["outbox"])
    def get_outbox_status(self, worker: str | None = None, database_url: str | None = None) -> dict[str, Any]:
        """Returns what the outbox reports (``queued``, ``inDoubt``, ``oldestAgeS``, ``lastDeliveryError``,
        ``counts`` per state): of this test's outbox, or read straight from ``database_url`` (e.g. the
        database of a companion process).

        | ${status} =    `Get Outbox Status`
        """
        if database_url is None and self.state.outboxes:
            return self._outbox(worker).status()
        from companion.outbox import open_store

        store = open_store(database_url or self._database_url())
        try:
            return store.summary(companion_clock().time())
        finally:
            store.close()

    @keyword(tags=["outbox"])
    def get_outbox_submissions(self, state: str | None = None, database_url: str | None = None) -> list[dict]:
        """Returns the submissions, oldest first (all, or those in ``state``), read from the outbox's database.

        | ${queued} =    `Get Outbox Submissions`    queued
        """
        from companion.outbox import open_store

        store = open_store(database_url or self._database_url())
        try:
            return [submission.to_dict() for submission in store.submissions(state)]
        finally:
            store.close()

    def _database_url(self) -> str:
        if self.state.database_url is None:
            raise AssertionError("No outbox database in this test: 'Create Outbox Database' first.")
        return self.state.database_url

    @keyword(tags=["outbox", "overseerr"])
    def submissions_should_each_be_in_overseerr_once(self, overseerr_requests: list[dict],
                                                     database_url: str | None = None) -> None:
        """Every delivered submission is exactly one of ``overseerr_requests`` (its id, media and user), and
        Overseerr holds nothing else: no submission was lost, none was made twice.

        | ${held} =    `Get Overseerr Mock Requests`
        | `Submissions Should Each Be In Overseerr Once`    ${held}
        """
        delivered = [s for s in self.get_outbox_submissions("delivered", database_url)]
        by_id = {request["id"]: request for request in overseerr_requests}
        problems = []
        for submission in delivered:
            request = by_id.pop(submission["overseerrRequestId"], None)
            if request is None:
                problems.append(f"submission {submission['id']} ({_media(submission)}) is delivered as Overseerr "
                                f"request {submission['overseerrRequestId']}, which Overseerr does not hold")
            elif (request["type"], request["media"]["tmdbId"], request["requestedBy"]["id"]) != (
                    submission["mediaType"], submission["mediaId"], submission["userId"]):
                problems.append(f"submission {submission['id']} ({_media(submission)} for user "
                                f"{submission['userId']}) points at Overseerr request {request['id']} for "
                                f"{request['type']} {request['media']['tmdbId']} by user {request['requestedBy']['id']}")
        problems += [f"Overseerr holds request {r['id']} ({r['type']} {r['media']['tmdbId']}) that no delivered "
                     f"submission accounts for" for r in by_id.values()]
        if problems:
            raise AssertionError("Not every submission reached Overseerr exactly once:\n" + "\n".join(problems))
        logger.info(f"{len(delivered)} delivered submission(s), each exactly one Overseerr request.")

    @keyword(tags=["outbox"])
    def wait_until_the_outbox_is_empty(self, timeout: timedelta | None = None,
                                       database_url: str | None = None) -> None:
        """Waits until the outbox holds no queued submission (its deliverer, or a companion process's, has
        delivered them).

        | `Wait Until The Outbox Is Empty`    timeout=10s
        """
        wait_until(lambda: self.get_outbox_status(database_url=database_url)["queued"], lambda queued: queued == 0,
                   what="the outbox", expected="empty", timeout=seconds(self.ctx.timeout_or_default(timeout)))

    @keyword(tags=["outbox"])
    def start_outbox_deliverer(self, worker: str | None = None) -> None:
        """Starts the outbox's background deliverer (it delivers whenever the Overseerr breaker admits calls)."""
        self._outbox(worker).start()

    # -- a companion process -------------------------------------------------------------------
    @keyword(tags=["outbox", "companion-app"])
    def submit_media_request_to_the_companion(self, media_type: MediaType, media_id: int,
                                              background: bool = False) -> dict[str, Any] | None:
        """POSTs a media request to the companion process (``${COMPANION_URL}/api/v1/requests``, a user token);
        returns ``{status_code, body}``. ``background=True``: sent from a thread whose answer nobody waits for
        (the process is about to be killed); returns None.

        | ${answer} =    `Submit Media Request To The Companion`    movie    603
        """
        builtin = BuiltIn()
        url = builtin.get_variable_value("${COMPANION_URL}")
        token = reveal(builtin.run_keyword("Mint Companion Token", "5 minutes", "user"))

        def send() -> requests.Response:
            return requests.post(f"{url}/api/v1/requests", json={"mediaType": media_type, "mediaId": media_id},
                                 headers={"Authorization": f"Bearer {token}", "Connection": "close"}, timeout=30)

        if background:
            def quietly() -> None:
                try:
                    send()
                except requests.RequestException:
                    pass
            threading.Thread(target=quietly, daemon=True).start()
            return None
        response = send()
        logger.info(f"POST /api/v1/requests {media_type} {media_id} -> {response.status_code}")
        return {"status_code": response.status_code, "body": response.json()}

    @keyword("Hold The Outbox Database Mid-Write", tags=["outbox", "companion-app"])
    def hold_the_outbox_database_mid_write(self) -> None:
        """Takes a lock on the outbox's database that lets a writer begin its transaction but not finish it
        (SQLite: a reader's shared lock; PostgreSQL: a lock on the outbox table). Let go at the end of the test
        or with `Release The Outbox Database`.

        | `Hold The Outbox Database Mid-Write`"""
        from atest_support.outbox_crash import WriteBarrier

        self.state.barrier = WriteBarrier(self._database_url())

    @keyword(tags=["outbox", "companion-app"])
    def release_the_outbox_database(self) -> None:
        """Lets go of the lock `Hold The Outbox Database Mid-Write` took (the test's end does it too)."""
        if self.state.barrier is not None:
            self.state.barrier.release()
            self.state.barrier = None

    @keyword(tags=["outbox", "companion-app"])
    def wait_until_the_companion_is_writing_the_outbox(self, timeout: timedelta | None = None) -> None:
        """Waits until a companion is in the middle of an outbox write transaction, stuck on the held lock."""
        from atest_support.outbox_crash import writing_the_outbox

        url = self._database_url()
        wait_until(lambda: writing_the_outbox(url), bool, what="the companion", expected="writing the outbox",
                   timeout=seconds(self.ctx.timeout_or_default(timeout)))

    @keyword(tags=["outbox", "companion-app"])
    def wait_until_overseerr_holds_the_request_before_the_outbox_records_it(
            self, submission_id: int, timeout: timedelta | None = None) -> None:
        """Waits until the Overseerr mock holds a request for submission ``submission_id``'s media while the
        outbox still has the submission queued: the request was sent and processed, its answer not recorded."""
        builtin = BuiltIn()

        def seen() -> tuple[int, str]:
            held = builtin.run_keyword("Get Overseerr Mock Requests")
            submission = next(s for s in self.get_outbox_submissions() if s["id"] == submission_id)
            return len(held), submission["state"]

        wait_until(seen, lambda pair: pair == (1, "queued"), what=f"Overseerr and submission {submission_id}",
                   expected="(1 request held, still queued)", timeout=seconds(self.ctx.timeout_or_default(timeout)))
