"""The deliverer: sends queued submissions to Overseerr, oldest first, exactly once.

One delivery (:meth:`Deliverer.deliver`):

1. claim the oldest row nobody holds (committed before anything is sent: see :mod:`.store`);
2. if the submission is *in doubt* (an earlier attempt may have reached Overseerr: its answer
   was lost, or the worker died while sending), ask Overseerr whether the user's request for
   that media exists (``OverseerrClient.find_request``); if it does, it is delivered: no POST;
3. otherwise POST it (``OverseerrClient.submit_request``: the Overseerr breaker and the
   client's retry policy; a POST is repeated only when it certainly did not arrive, and a lost
   answer is looked up before any repeat);
4. record the answer: ``delivered`` (with Overseerr's request id), ``rejected`` (a 4xx, or
   Overseerr's 202 "No seasons available to request": its reason is kept, never retried), or
   still ``queued`` (unavailable, breaker open, timeout, rejected credentials), *in doubt* when
   this attempt may have reached Overseerr.

A round (:meth:`Deliverer.deliver_due`) delivers until the outbox is empty or a delivery
stays queued: Overseerr is unavailable, and the next submission must not overtake it.
The background thread (:meth:`Deliverer.start`) runs rounds whenever the Overseerr breaker
admits calls (it sleeps, on the clock, until an open breaker's next probe is allowed), when
woken (:meth:`Deliverer.wake`: a new submission), and every ``idle_poll_s`` otherwise.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable

from ..clock import SYSTEM_CLOCK, Clock
from ..errors import (BadResponseError, CircuitOpenError, IntegrationError, RequestRejectedError,
                      ServiceUnavailableError)
from .model import DELIVERED, QUEUED, REJECTED, Submission
from .store import Claim, OutboxStore, StoreUnavailableError

__all__ = ["Deliverer", "DeliveryOutcome", "Listener", "DEFAULT_LEASE_S", "DEFAULT_IDLE_POLL_S"]

log = logging.getLogger("companion.outbox")

#: how long a claim holds a row: longer than any one delivery can take (retry budget, timeouts, the look-up)
DEFAULT_LEASE_S = 300.0
#: how often an idle deliverer looks at the outbox (new submissions wake it at once)
DEFAULT_IDLE_POLL_S = 5.0
#: how long a caller waits for the delivery of its own submission that the background deliverer took first
#: (real seconds; about as long as delivering it itself could take: the client's retries and timeouts)
DEFAULT_JOIN_S = 60.0

#: ``listener(event, submission, detail)``: event is queued, delivered, rejected, cancelled or retry-later
Listener = Callable[[str, Submission, str], None]


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one delivery did: ``status`` delivered / rejected / queued, the submission as stored after it,
    ``message`` (why, in words), ``request`` (Overseerr's MediaRequest when delivered)."""

    status: str
    submission: Submission
    message: str
    request: dict[str, Any] | None = None
    recovered: bool = False


def _maybe_sent(error: BaseException) -> bool:
    """Could the failed POST have created the request? Not when Overseerr answered (401/403: nothing created),
    nor when the request certainly did not arrive (the transport marks those errors ``retry_safe``)."""
    if isinstance(error, CircuitOpenError) or not isinstance(error, (ServiceUnavailableError, BadResponseError)):
        return False
    return getattr(error, "retry_safe", True) is False


class Deliverer:
    """Delivers one outbox's submissions through one Overseerr client, as worker ``worker``.

    ``worker`` names this deliverer in the store's claims: unique among the workers running at once,
    and the same after a restart (a restarted worker takes back, as in doubt, the rows its previous
    run held: :meth:`recover`). ``lease_s``: how long a claim lasts; a row held longer by a worker that
    is gone is taken by another, as in doubt.
    """

    def __init__(self, store: OutboxStore, overseerr: Any, *, worker: str, clock: Clock = SYSTEM_CLOCK,
                 lease_s: float = DEFAULT_LEASE_S, idle_poll_s: float = DEFAULT_IDLE_POLL_S) -> None:
        if not worker:
            raise ValueError("a deliverer needs a worker name")
        self.store = store
        self.overseerr = overseerr
        self.worker = worker
        self.clock = clock
        self.lease_s = float(lease_s)
        self.idle_poll_s = float(idle_poll_s)
        self._listeners: list[Listener] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._round = threading.Lock()
        self.rounds = 0
        #: held while claiming; notified when a delivery of this deliverer ends
        self._claims = threading.Condition()
        self._in_hand: set[int] = set()  # the submissions this deliverer is delivering now
        self._awaited: dict[int, DeliveryOutcome | None] = {}  # what a joined delivery ended with

    # -- events ----------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        """Tell ``listener(event, submission, detail)`` what happens to submissions (see :data:`Listener`)."""
        self._listeners.append(listener)

    def emit(self, event: str, submission: Submission, detail: str = "") -> None:
        for listener in list(self._listeners):
            try:
                listener(event, submission, detail)
            except Exception:  # noqa: BLE001 - an observer must not break delivery
                log.exception("outbox listener %r failed on %s", listener, event)

    # -- one delivery ------------------------------------------------------------------------
    def recover(self) -> int:
        """Take back, as in doubt, the rows this worker's previous run held (it died mid-delivery); how many."""
        count = self.store.release_worker(self.worker)
        if count:
            log.warning("outbox worker %s took back %d submission(s) its previous run was delivering: they are "
                        "checked against Overseerr before any resend", self.worker, count)
        return count

    def deliver(self, submission_id: int | None = None, *, join_s: float = 0.0) -> DeliveryOutcome | None:
        """Claim and deliver the oldest queued submission (or ``submission_id``); None when there is none free.

        ``join_s``: when ``submission_id`` is being delivered by this deliverer already (its background thread
        took it first), wait up to that many real seconds for that delivery and return its outcome, rather than
        None. A submission another worker is delivering is not waited for.
        """
        with self._claims:
            claim = self.store.claim(self.worker, self.clock.time(), self.lease_s, submission_id)
            if claim is None:
                return self._join(submission_id, join_s) if submission_id is not None and join_s > 0 else None
            self._in_hand.add(claim.submission.id)
        outcome: DeliveryOutcome | None = None
        try:
            outcome = self._deliver(claim)
            return outcome
        finally:
            with self._claims:
                self._in_hand.discard(claim.submission.id)
                if claim.submission.id in self._awaited:
                    self._awaited[claim.submission.id] = outcome
                self._claims.notify_all()

    def _join(self, submission_id: int, join_s: float) -> DeliveryOutcome | None:
        """Wait (holding :attr:`_claims`) for this deliverer's delivery of ``submission_id`` to end."""
        if submission_id not in self._in_hand:
            return None
        self._awaited[submission_id] = None
        try:
            self._claims.wait_for(lambda: submission_id not in self._in_hand, join_s)
            return self._awaited[submission_id]
        finally:
            del self._awaited[submission_id]

    def _deliver(self, claim: Claim) -> DeliveryOutcome:
        asked = claim.submission.request
        args = (asked.media_type, asked.media_id, asked.seasons)
        options = {"is4k": asked.is4k, "user_id": asked.user_id}
        try:
            if claim.in_doubt:
                found = self.overseerr.find_request(*args, **options)
                if found is not None:
                    return self._finish(claim, DELIVERED, request=found, recovered=True,
                                        message=f"found in Overseerr as request {found.get('id')} after a lost "
                                                "answer: not sent again")
            created = self.overseerr.submit_request(*args, **options)
        except RequestRejectedError as error:
            return self._finish(claim, REJECTED, message=error.detail)
        except IntegrationError as error:
            return self._still_queued(claim, error)
        recovered = getattr(self.overseerr, "last_submit_outcome", None) == "recovered"
        return self._finish(claim, DELIVERED, request=dict(created), recovered=recovered,
                            message=f"Overseerr request {created.get('id')}"
                                    + (" (found after a lost answer)" if recovered else ""))

    def _finish(self, claim: Claim, state: str, *, message: str, request: dict[str, Any] | None = None,
                recovered: bool = False) -> DeliveryOutcome:
        request_id = request.get("id") if request else None
        now = self.clock.time()
        held = self.store.finish(claim, state, now, request_id=request_id if isinstance(request_id, int) else None,
                                 reason=None if state == DELIVERED else message)
        if not held:  # the lease ran out and another worker took the row: its outcome counts
            log.error("outbox worker %s lost its claim on submission %d before recording %s (%s)", self.worker,
                      claim.submission.id, state, message)
        submission = self.store.get(claim.submission.id)
        self.emit(state, submission, message)
        return DeliveryOutcome(state, submission, message, request, recovered)

    def _still_queued(self, claim: Claim, error: IntegrationError) -> DeliveryOutcome:
        in_doubt = _maybe_sent(error)
        message = str(error) + (" (it may have reached Overseerr: it is looked up before any resend)"
                                if in_doubt else "")
        self.store.release(claim, self.clock.time(), in_doubt=in_doubt, error=message)
        submission = self.store.get(claim.submission.id)
        self.emit("retry-later", submission, message)
        return DeliveryOutcome(QUEUED, submission, message)

    # -- rounds ------------------------------------------------------------------------------
    def deliver_due(self, limit: int | None = None) -> list[DeliveryOutcome]:
        """Deliver oldest first until the outbox is empty, a delivery stays queued, or ``limit`` are done."""
        outcomes: list[DeliveryOutcome] = []
        with self._round:
            self.rounds += 1
            while limit is None or len(outcomes) < limit:
                outcome = self.deliver()
                if outcome is None:
                    break
                outcomes.append(outcome)
                if outcome.status == QUEUED:
                    break
        return outcomes

    def breaker_wait_s(self) -> float:
        """Seconds until the Overseerr breaker admits a call (0 when it does now)."""
        breaker = getattr(self.overseerr, "breaker", None)
        wait = breaker.retry_after_s() if breaker is not None else None
        return float(wait or 0.0)

    # -- the background thread ----------------------------------------------------------------
    def start(self) -> "Deliverer":
        """Take back this worker's rows of a previous run, then deliver in a background thread."""
        if self._thread is not None:
            raise RuntimeError(f"outbox deliverer {self.worker} is already running")
        self.recover()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"outbox-deliverer:{self.worker}", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Look at the outbox now (a submission was queued)."""
        self._wake.set()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the thread after the delivery in progress (waits at most ``timeout_s`` real seconds)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        self._wake.set()
        thread.join(timeout_s)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            wait = self.breaker_wait_s()
            if wait <= 0:
                try:
                    outcomes = self.deliver_due()
                except StoreUnavailableError as error:
                    log.error("outbox worker %s: %s", self.worker, error)
                    outcomes = []
                if outcomes and outcomes[-1].status != QUEUED:
                    continue  # the outbox may hold more: look again at once
                wait = self.idle_poll_s
            self.clock.wait(self._wake, wait)
            self._wake.clear()
