"""The outbox's store interface: what SQLite and PostgreSQL both do, in one transaction each.

Two tables: ``companion_submissions`` records every media request a user made
(and what became of it); ``companion_outbox`` holds one row per submission not
answered by Overseerr yet. :meth:`OutboxStore.record` writes both in one
transaction, so a crash leaves either both or neither.

Delivery takes a row with :meth:`OutboxStore.claim`: the oldest row nobody holds
(or whose holder's lease ran out) is marked as held by a worker, with a token
and a lease, and committed *before* anything is sent. So a row is never taken
twice, and a row found held by a worker that is gone is known to be *in doubt*
(it may have reached Overseerr). :meth:`~OutboxStore.finish` ends a delivery
(delivered or rejected: the outbox row goes, the submission's state is set) and
:meth:`~OutboxStore.release` gives it back, still queued; both only while the
worker's claim still holds (same worker, same token).
"""

from __future__ import annotations

import abc
import re
from dataclasses import dataclass
from typing import Any

from .model import NewSubmission, Submission

__all__ = ["OutboxStore", "Claim", "StoreUnavailableError", "CancelError", "LAST_ERROR", "redact_url"]

#: key of the last delivery error in the store's small key/value table
LAST_ERROR = "last_delivery_error"


def redact_url(url: str) -> str:
    """A database URL with any password replaced by ``*****`` (for messages and logs)."""
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1*****@", url)


class StoreUnavailableError(Exception):
    """The outbox's database could not be reached or refused the statement (the message says which)."""


class CancelError(Exception):
    """A submission cannot be cancelled: unknown, finished, being delivered, or in doubt (the message says)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Claim:
    """A worker's hold on one outbox row: ``submission`` as it was taken, ``in_doubt`` when an earlier attempt
    may have reached Overseerr."""

    submission: Submission
    worker: str
    token: str

    @property
    def in_doubt(self) -> bool:
        return self.submission.in_doubt


class OutboxStore(abc.ABC):
    """One outbox in one database; thread-safe. Times are the companion clock's epoch seconds."""

    #: ``sqlite`` or ``postgresql``
    kind: str = ""

    @abc.abstractmethod
    def record(self, new: NewSubmission, now: float) -> Submission:
        """Store a submission and its outbox row in one transaction; the stored submission (queued)."""

    @abc.abstractmethod
    def claim(self, worker: str, now: float, lease_s: float, submission_id: int | None = None) -> Claim | None:
        """Take the oldest row nobody holds (or ``submission_id`` only), for ``lease_s``; None if there is none."""

    @abc.abstractmethod
    def finish(self, claim: Claim, state: str, now: float, *, request_id: int | None = None,
               reason: str | None = None) -> bool:
        """Delivered or rejected: remove the outbox row and set the submission's state; False if the claim was
        lost (its lease ran out and another worker took the row)."""

    @abc.abstractmethod
    def release(self, claim: Claim, now: float, *, in_doubt: bool, error: str) -> bool:
        """Still queued: give the row back (``in_doubt`` when this attempt may have reached Overseerr) and
        remember ``error`` as the last delivery error; False if the claim was lost."""

    @abc.abstractmethod
    def cancel(self, submission_id: int, now: float) -> Submission:
        """Withdraw a queued submission that nobody is delivering and that is not in doubt; else CancelError."""

    @abc.abstractmethod
    def get(self, submission_id: int) -> Submission:
        """One submission; ``KeyError`` if there is none."""

    @abc.abstractmethod
    def submissions(self, state: str | None = None, limit: int = 1000) -> list[Submission]:
        """Submissions oldest first, all or those in ``state``, at most ``limit``."""

    @abc.abstractmethod
    def pending_before(self, submission_id: int) -> int:
        """How many older submissions are still in the outbox."""

    @abc.abstractmethod
    def summary(self, now: float) -> dict[str, Any]:
        """``queued``, ``inDoubt``, ``oldestAgeS`` (None when empty), ``lastDeliveryError`` ({time, message,
        submissionId} or None) and ``counts`` per state."""

    @abc.abstractmethod
    def release_worker(self, worker: str) -> int:
        """Give back every row ``worker`` holds (a restarted worker's previous run), marked in doubt; how many."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Forget every submission (tests)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection (the database stays)."""
