"""``RequestOutbox``: how the companion makes a media request, so that none is lost and none is made twice.

:meth:`RequestOutbox.submit` records the submission and its outbox row in one
transaction first, then - when no older submission waits - delivers it at once
(or, when this process's background deliverer took it first, waits for that
delivery). The caller gets ``delivered`` (with Overseerr's request), ``rejected`` (with
Overseerr's reason), or ``queued``: accepted and kept, with an id, because
Overseerr is unavailable (refused, timeout, 5xx after the retries, breaker open)
or older submissions go first; the deliverer sends it later, exactly once.
"""

from __future__ import annotations

import socket
from typing import Any

from ..clock import SYSTEM_CLOCK, Clock
from .deliverer import DEFAULT_IDLE_POLL_S, DEFAULT_JOIN_S, DEFAULT_LEASE_S, Deliverer, Listener
from .model import CANCELLED, QUEUED, Submission, SubmitResult, new_submission
from .store import OutboxStore

__all__ = ["RequestOutbox", "default_worker_name"]


def default_worker_name() -> str:
    """This machine's name: one worker per machine unless told otherwise (``--workers`` numbers them)."""
    return socket.gethostname() or "companion"


class RequestOutbox:
    """Media requests through a durable outbox (see the module doc); ``deliverer`` sends them.

    ``store`` an :class:`~.store.OutboxStore`; ``overseerr`` an ``OverseerrClient``; ``worker``
    this process's name in the store's claims (see :class:`~.deliverer.Deliverer`). ``join_s``: how long
    :meth:`submit` waits (real seconds) for the delivery of its submission when this process's background
    deliverer took it first (it then answers with that delivery's outcome, not ``queued``).
    """

    def __init__(self, store: OutboxStore, overseerr: Any, *, clock: Clock = SYSTEM_CLOCK,
                 worker: str | None = None, lease_s: float = DEFAULT_LEASE_S,
                 idle_poll_s: float = DEFAULT_IDLE_POLL_S, join_s: float = DEFAULT_JOIN_S) -> None:
        self.store = store
        self.clock = clock
        self.join_s = float(join_s)
        self.deliverer = Deliverer(store, overseerr, worker=worker or default_worker_name(), clock=clock,
                                   lease_s=lease_s, idle_poll_s=idle_poll_s)

    def add_listener(self, listener: Listener) -> None:
        """``listener(event, submission, detail)`` hears queued, delivered, rejected, cancelled, retry-later."""
        self.deliverer.add_listener(listener)

    # -- the caller's side -------------------------------------------------------------------
    def submit(self, media_type: Any, media_id: Any, seasons: Any = None, *, is4k: Any = False,
               user_id: Any = 1) -> SubmitResult:
        """Request a movie or show for ``user_id``; never lost, never made twice (see the module doc).

        ``ValueError`` for invalid input (nothing is recorded); ``StoreUnavailableError`` when the
        outbox's database cannot record it (nothing was sent either).
        """
        new = new_submission(media_type, media_id, seasons, is4k=is4k, user_id=user_id)
        submission = self.store.record(new, self.clock.time())
        waiting = self.store.pending_before(submission.id)
        if waiting:
            return self._queued(submission, f"accepted and queued behind {waiting} older submission(s)")
        # the background deliverer may have taken it first: then its outcome is this call's
        outcome = self.deliverer.deliver(submission.id, join_s=self.join_s)
        if outcome is None:  # another worker is delivering it (or the wait for this one's ran out)
            return self._queued(submission, "accepted and queued: it is being delivered", announce=False)
        if outcome.status == QUEUED:
            return self._queued(outcome.submission, f"accepted and queued: Overseerr is unavailable "
                                                    f"({outcome.message})")
        return SubmitResult(outcome.status, outcome.submission, outcome.message, outcome.request)

    def _queued(self, submission: Submission, message: str, *, announce: bool = True) -> SubmitResult:
        if announce:
            self.deliverer.emit(QUEUED, submission, message)
        self.deliverer.wake()
        return SubmitResult(QUEUED, submission, message)

    def queued(self, limit: int = 1000) -> list[Submission]:
        """The submissions not delivered yet, oldest first."""
        return self.store.submissions(QUEUED, limit)

    def get(self, submission_id: int) -> Submission:
        """One submission (``KeyError`` if unknown)."""
        return self.store.get(submission_id)

    def cancel(self, submission_id: int) -> Submission:
        """Withdraw a queued submission before it is delivered (``CancelError`` saying why it cannot be)."""
        submission = self.store.cancel(submission_id, self.clock.time())
        self.deliverer.emit(CANCELLED, submission, "cancelled before delivery")
        return submission

    def status(self) -> dict[str, Any]:
        """What the dashboard shows: ``queued``, ``inDoubt``, ``oldestAgeS``, ``lastDeliveryError``, ``counts``,
        the ``store`` kind, this ``worker`` and whether its deliverer runs."""
        summary = self.store.summary(self.clock.time())
        return {**summary, "store": self.store.kind, "worker": self.deliverer.worker,
                "delivering": self.deliverer.running}

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> "RequestOutbox":
        """Start delivering in the background (after taking back this worker's rows of a previous run)."""
        self.deliverer.start()
        return self

    def stop(self) -> None:
        self.deliverer.stop()

    def close(self) -> None:
        """Stop delivering and close the store's connection."""
        self.stop()
        self.store.close()
