"""The outbox in SQL: every statement both stores run, written once (``%s`` placeholders).

A subclass says how to connect, how to open a transaction (:meth:`SqlOutboxStore._transaction`
yields a cursor whose statements commit together or not at all), how its claim
query locks (PostgreSQL: ``FOR UPDATE SKIP LOCKED``) and what its DDL looks like.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
from typing import Any

from .model import CANCELLED, DELIVERED, FINAL_STATES, QUEUED, REJECTED, STATES, NewSubmission, Submission, decode_seasons
from .store import LAST_ERROR, CancelError, Claim, OutboxStore

__all__ = ["SqlOutboxStore", "SUBMISSION_COLUMNS"]

#: the submission's columns, then the outbox row's (NULL once it left the outbox)
SUBMISSION_COLUMNS = ("s.id, s.media_type, s.media_id, s.seasons, s.is4k, s.user_id, s.state, s.created_at, "
                      "s.attempts, o.in_doubt, s.finished_at, s.overseerr_request_id, s.reason, o.last_error")
_SELECT = (f"SELECT {SUBMISSION_COLUMNS} FROM companion_submissions s "
           "LEFT JOIN companion_outbox o ON o.submission_id = s.id")
#: the longest error or reason text kept
MAX_TEXT = 2000


def _text(value: str | None) -> str | None:
    return None if value is None else value[:MAX_TEXT]


class SqlOutboxStore(OutboxStore):
    """The statements; subclasses connect (see the module doc)."""

    #: what follows the claim query's ``LIMIT 1`` (row locks where the database has them)
    claim_lock = ""

    def __init__(self) -> None:
        self._lock = threading.RLock()

    # -- what a subclass provides ------------------------------------------------------
    def _transaction(self) -> contextlib.AbstractContextManager[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _sql(sql: str) -> str:
        """``sql`` in the driver's placeholder style."""
        return sql

    # -- helpers ----------------------------------------------------------------------------
    def _run(self, cursor: Any, sql: str, params: tuple = ()) -> Any:
        cursor.execute(self._sql(sql), params)
        return cursor

    @staticmethod
    def _submission(row: tuple) -> Submission:
        (sid, media_type, media_id, seasons, is4k, user_id, state, created_at, attempts, in_doubt, finished_at,
         request_id, reason, last_error) = row
        return Submission(int(sid), media_type, int(media_id), decode_seasons(seasons), bool(is4k), int(user_id),
                          state, float(created_at), int(attempts), bool(in_doubt),
                          None if finished_at is None else float(finished_at),
                          None if request_id is None else int(request_id), reason, last_error)

    def _fetch(self, cursor: Any, submission_id: int) -> Submission:
        row = self._run(cursor, f"{_SELECT} WHERE s.id = %s", (submission_id,)).fetchone()
        if row is None:
            raise KeyError(f"no submission with id {submission_id}")
        return self._submission(row)

    # -- writes -----------------------------------------------------------------------------
    def record(self, new: NewSubmission, now: float) -> Submission:
        with self._transaction() as cur:
            sid = self._run(cur, "INSERT INTO companion_submissions (media_type, media_id, seasons, is4k, user_id, "
                                 "state, created_at, attempts) VALUES (%s, %s, %s, %s, %s, %s, %s, 0) RETURNING id",
                            (new.media_type, new.media_id, new.seasons_json(), int(new.is4k), new.user_id, QUEUED,
                             now)).fetchone()[0]
            self._run(cur, "INSERT INTO companion_outbox (submission_id, in_doubt) VALUES (%s, 0)", (sid,))
        return Submission(int(sid), new.media_type, new.media_id, new.seasons, new.is4k, new.user_id, QUEUED, now)

    def claim(self, worker: str, now: float, lease_s: float, submission_id: int | None = None) -> Claim | None:
        token = secrets.token_hex(8)
        only = "" if submission_id is None else "AND submission_id = %s "
        params: tuple = (worker, token, now + lease_s, now) + (() if submission_id is None else (submission_id,))
        with self._transaction() as cur:
            taken = self._run(cur, "UPDATE companion_outbox SET claimed_by = %s, claim_token = %s, lease_until = %s, "
                                   "in_doubt = CASE WHEN claimed_by IS NULL THEN in_doubt ELSE 1 END "
                                   "WHERE submission_id = (SELECT submission_id FROM companion_outbox "
                                   "WHERE (claimed_by IS NULL OR lease_until <= %s) "
                                   f"{only}ORDER BY submission_id LIMIT 1 {self.claim_lock}) "
                                   "RETURNING submission_id", params).fetchone()
            if taken is None:
                return None
            self._run(cur, "UPDATE companion_submissions SET attempts = attempts + 1 WHERE id = %s", (taken[0],))
            submission = self._fetch(cur, int(taken[0]))
        return Claim(submission, worker, token)

    def finish(self, claim: Claim, state: str, now: float, *, request_id: int | None = None,
               reason: str | None = None) -> bool:
        if state not in (DELIVERED, REJECTED):
            raise ValueError(f"a delivery finishes delivered or rejected, not {state!r}")
        with self._transaction() as cur:
            gone = self._run(cur, "DELETE FROM companion_outbox WHERE submission_id = %s AND claimed_by = %s "
                                  "AND claim_token = %s", (claim.submission.id, claim.worker, claim.token)).rowcount
            if gone != 1:
                return False
            self._run(cur, "UPDATE companion_submissions SET state = %s, finished_at = %s, overseerr_request_id = %s, "
                           "reason = %s WHERE id = %s", (state, now, request_id, _text(reason), claim.submission.id))
        return True

    def release(self, claim: Claim, now: float, *, in_doubt: bool, error: str) -> bool:
        with self._transaction() as cur:
            kept = self._run(cur, "UPDATE companion_outbox SET claimed_by = NULL, claim_token = NULL, "
                                  "lease_until = NULL, in_doubt = %s, last_error = %s "
                                  "WHERE submission_id = %s AND claimed_by = %s AND claim_token = %s",
                             (int(in_doubt or claim.in_doubt), _text(error), claim.submission.id, claim.worker,
                              claim.token)).rowcount
            if kept != 1:
                return False
            note = json.dumps({"time": now, "message": _text(error), "submissionId": claim.submission.id})
            self._run(cur, "INSERT INTO companion_outbox_meta (key, value) VALUES (%s, %s) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (LAST_ERROR, note))
        return True

    def cancel(self, submission_id: int, now: float) -> Submission:
        with self._transaction() as cur:
            gone = self._run(cur, "DELETE FROM companion_outbox WHERE submission_id = %s AND claimed_by IS NULL "
                                  "AND in_doubt = 0", (submission_id,)).rowcount
            if gone == 1:
                self._run(cur, "UPDATE companion_submissions SET state = %s, finished_at = %s WHERE id = %s",
                          (CANCELLED, now, submission_id))
            try:
                submission = self._fetch(cur, submission_id)
            except KeyError:
                raise CancelError(f"no submission with id {submission_id}", status=404) from None
        if gone == 1:
            return submission
        if submission.state in FINAL_STATES:
            raise CancelError(f"submission {submission_id} is {submission.state} already: only a queued one "
                              "can be cancelled")
        if submission.in_doubt:
            raise CancelError(f"submission {submission_id} may already have reached Overseerr (an answer was lost): "
                              "it cannot be cancelled until the deliverer has checked")
        raise CancelError(f"submission {submission_id} is being delivered right now: it cannot be cancelled")

    def release_worker(self, worker: str) -> int:
        with self._transaction() as cur:
            return self._run(cur, "UPDATE companion_outbox SET claimed_by = NULL, claim_token = NULL, "
                                  "lease_until = NULL, in_doubt = 1 WHERE claimed_by = %s", (worker,)).rowcount

    def clear(self) -> None:
        with self._transaction() as cur:
            for table in ("companion_outbox", "companion_outbox_meta", "companion_submissions"):
                self._run(cur, f"DELETE FROM {table}")

    # -- reads ------------------------------------------------------------------------------
    def get(self, submission_id: int) -> Submission:
        rows = self._read(f"{_SELECT} WHERE s.id = %s", (submission_id,))
        if not rows:
            raise KeyError(f"no submission with id {submission_id}")
        return self._submission(rows[0])

    def submissions(self, state: str | None = None, limit: int = 1000) -> list[Submission]:
        if state is not None and state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}, got {state!r}")
        where, params = ("", (int(limit),)) if state is None else ("WHERE s.state = %s ", (state, int(limit)))
        return [self._submission(row) for row in self._read(f"{_SELECT} {where}ORDER BY s.id LIMIT %s", params)]

    def pending_before(self, submission_id: int) -> int:
        return int(self._read("SELECT COUNT(*) FROM companion_outbox WHERE submission_id < %s",
                              (submission_id,))[0][0])

    def summary(self, now: float) -> dict[str, Any]:
        queued, oldest, in_doubt = self._read(
            "SELECT COUNT(*), MIN(s.created_at), COALESCE(SUM(o.in_doubt), 0) FROM companion_outbox o "
            "JOIN companion_submissions s ON s.id = o.submission_id")[0]
        counts = {state: 0 for state in STATES}
        counts.update({state: int(n) for state, n in
                       self._read("SELECT state, COUNT(*) FROM companion_submissions GROUP BY state")})
        noted = self._read("SELECT value FROM companion_outbox_meta WHERE key = %s", (LAST_ERROR,))
        return {"queued": int(queued), "inDoubt": int(in_doubt),
                "oldestAgeS": None if oldest is None else round(max(0.0, now - float(oldest)), 3),
                "lastDeliveryError": json.loads(noted[0][0]) if noted else None, "counts": counts}

