"""Circuit breakers on pybreaker: one per service, held in a :class:`CircuitBreakerFactory`.

What an outcome does (the semantics the tests in ``tests/companion`` pin):

=======================  ====================================  ==================================
outcome of a call        closed                                half-open (a probe)
=======================  ====================================  ==================================
success                  consecutive failures back to 0        counts toward ``success_threshold``;
                                                               closes the breaker when reached
failure (unavailable,    consecutive failures + 1; the         re-opens the breaker (a new
timeout, 5xx, bad        ``fail_max``-th opens the breaker     reset timeout starts)
response)
*ignored*: 401/403,      nothing: the count stays as it was    nothing: the breaker stays half-open,
other 4xx, any other     (two 503s, a 401, a 503 open it       the probe slot is freed and the next
error (a bug)            with ``fail_max`` 3)                  call probes
=======================  ====================================  ==================================

"Ignored" is resilience4j's ``ignoreExceptions``: neither success nor failure.
(pybreaker's own ``exclude`` would count such an error as a *success*, resetting
the count and closing a half-open breaker; it is not used.) Metrics count each
kind separately: ``successes``, ``failures``, ``ignored``, and ``rejected``
(calls refused with :class:`CircuitOpenError`, no network traffic).

Open: every call fails fast with :class:`CircuitOpenError` until
``reset_timeout`` has passed on the breaker's clock; then the breaker is
*half-open* and admits as many concurrent probes as successes are still needed
to close it (``success_threshold`` minus the successes so far; with the default
1, exactly one probe), however many callers arrive at once; the others fail
fast. pybreaker moves open -> half-open only when a call arrives, so
:attr:`ServiceBreaker.state` reports the *effective* state (open with the
timeout elapsed reads ``half-open``).

Concurrency: the call itself runs outside any lock, so calls through one
breaker run in parallel. The bookkeeping stays in pybreaker - its state storage
(state, counters, ``opened_at``), its state machine and its listeners: a short
lock admits the call, and its outcome is then handed to pybreaker's
``CircuitBreaker.call`` (which re-raises or returns it). An outcome that arrives
after the breaker changed state since the call was admitted (other callers'
failures opened it, or it was reset) belongs to a state that is gone: it is
counted as ``outdated`` and changes nothing.

Shared state: the breaker's state, counters, ``opened_at``, probes in flight
and totals are one :class:`~companion.state.BreakerRecord` in the factory's
:mod:`state store <companion.state>` (this process's memory by default; Redis
when several workers share it). pybreaker works on that record through its
storage abstraction (:class:`ClockStorage` is a ``CircuitBreakerStorage``
over the record), inside the store's atomic update: so the state machine,
probe admission (as many probes as successes are still needed, across all
workers) and the outdated check hold for every worker of the store. A closed
breaker admits, and an open one fails fast, on one read of the record, without
the lock. When another worker changed the state, pybreaker notices on the
next call here and tells its listeners (its own rule for shared storage).

Time: :class:`ClockStorage` records ``opened_at`` as ``clock.time()`` (seconds
since the epoch: meaningful to every worker) and reports it to pybreaker in the
wall-clock frame it compares in, so a virtual clock moved by 30 s lets a
breaker with a 30 s reset timeout probe at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, TypeVar

import pybreaker

from .clock import SYSTEM_CLOCK, Clock
from .errors import BadResponseError, CircuitOpenError, ServiceUnavailableError
from .state import BreakerRecord, MemoryStore, StateStore
from .timeutil import iso_utc

__all__ = ["CircuitBreakerFactory", "ServiceBreaker", "ClockStorage", "CLOSED", "OPEN", "HALF_OPEN",
           "trips_breaker", "DEFAULT_PROBE_LEASE_S"]

CLOSED, OPEN, HALF_OPEN = pybreaker.STATE_CLOSED, pybreaker.STATE_OPEN, pybreaker.STATE_HALF_OPEN
T = TypeVar("T")
#: a half-open probe whose worker died frees its slot after this long (on the clock)
DEFAULT_PROBE_LEASE_S = 60.0


def trips_breaker(error: BaseException) -> bool:
    """Does this failure count against the service's health? (Everything else is ignored.)"""
    return isinstance(error, (ServiceUnavailableError, BadResponseError)) and not isinstance(error, CircuitOpenError)


def _iso_epoch(epoch: float | None) -> str | None:
    return None if epoch is None else iso_utc(datetime.fromtimestamp(epoch, timezone.utc))


def _check_options(name: str, fail_max: int, reset_timeout: float, success_threshold: int) -> None:
    if fail_max < 1 or success_threshold < 1 or not reset_timeout > 0:
        raise ValueError(f"breaker {name!r}: fail_max and success_threshold must be >= 1 and reset_timeout > 0, "
                         f"got fail_max={fail_max!r}, reset_timeout={reset_timeout!r}, "
                         f"success_threshold={success_threshold!r}")


class ClockStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker's state storage over a :class:`~companion.state.BreakerRecord`, with ``opened_at`` on a clock.

    pybreaker reads and writes state and counters here; they live in ``record``
    (the breaker puts the record being changed there). pybreaker sets
    ``opened_at = datetime.now(UTC)`` when it opens and, when a call arrives,
    compares ``datetime.now(UTC)`` with ``opened_at + reset_timeout``. This
    storage records the moment as ``clock.time()`` instead and reports it in
    the wall-clock frame pybreaker compares in: earlier by however far ``clock``
    has moved since, so pybreaker's own check agrees with :meth:`open_for_s`.
    """

    def __init__(self, clock: Clock = SYSTEM_CLOCK, record: BreakerRecord | None = None) -> None:
        super().__init__("state-store")
        self.clock = clock
        self.record = record if record is not None else BreakerRecord()

    @property
    def state(self) -> str:
        return self.record.state

    @state.setter
    def state(self, state: str) -> None:
        self.record.state = str(state)

    def increment_counter(self) -> None:
        self.record.fail_counter += 1

    def reset_counter(self) -> None:
        self.record.fail_counter = 0

    def increment_success_counter(self) -> None:
        self.record.success_counter += 1

    def reset_success_counter(self) -> None:
        self.record.success_counter = 0

    @property
    def counter(self) -> int:
        return self.record.fail_counter

    @property
    def success_counter(self) -> int:
        return self.record.success_counter

    @property
    def opened_at(self) -> datetime | None:
        elapsed = self.open_for_s()
        return None if elapsed is None else datetime.now(timezone.utc) - timedelta(seconds=elapsed)

    @opened_at.setter
    def opened_at(self, _wall_clock_moment: datetime) -> None:
        self.record.opened_at = self.clock.time()

    @property
    def opened_on_clock(self) -> datetime | None:
        """When the breaker last opened, on the clock (what metrics report)."""
        opened = self.record.opened_at
        return None if opened is None else datetime.fromtimestamp(opened, timezone.utc)

    def open_for_s(self) -> float | None:
        """Seconds of the clock since the breaker last opened (None if it never did)."""
        opened = self.record.opened_at
        return None if opened is None else max(0.0, self.clock.time() - opened)


class _Bookkeeping(pybreaker.CircuitBreakerListener):
    """Adds what pybreaker reports to the record being changed: totals, the last failure, the generation.

    Every state change pybreaker makes here starts a new generation (probes in flight belong to the
    old one); a change pybreaker only *notices* (made by another worker) was counted where it was made.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.record = BreakerRecord()
        self.noticing = False

    def failure(self, cb: pybreaker.CircuitBreaker, exc: BaseException) -> None:
        self.record.failures += 1
        self.record.last_failure = {"time": iso_utc(self.clock.now()), "error": str(exc)}

    def success(self, cb: pybreaker.CircuitBreaker) -> None:
        self.record.successes += 1

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        if not self.noticing:
            self.record.generation += 1
            self.record.probes = []


@dataclass(frozen=True)
class _Admission:
    """A call let through: in which generation of the breaker, and its probe lease (None: not a probe)."""

    generation: int
    lease: float | None = None

    @property
    def probe(self) -> bool:
        return self.lease is not None


class ServiceBreaker:
    """One service's circuit breaker: run calls through :meth:`call`, read :meth:`metrics` (see the module doc).

    ``store`` keeps its state (default: a memory store of its own); ``probe_lease_s`` is how long a
    half-open probe holds its slot at most (a worker that died while probing frees it then).
    """

    def __init__(self, name: str, *, fail_max: int = 5, reset_timeout: float = 30.0,
                 success_threshold: int = 1, clock: Clock = SYSTEM_CLOCK, store: StateStore | None = None,
                 probe_lease_s: float = DEFAULT_PROBE_LEASE_S) -> None:
        _check_options(name, fail_max, reset_timeout, success_threshold)
        self.name = name
        self.clock = clock
        self.store = store if store is not None else MemoryStore()
        self.probe_lease_s = float(probe_lease_s)
        self._storage = ClockStorage(clock)
        self._books = _Bookkeeping(clock)
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max, reset_timeout=reset_timeout, success_threshold=success_threshold,
            listeners=[self._books], state_storage=self._storage, name=name, throw_new_error_on_trip=False)
        self._lock = threading.Lock()  # one change at a time in this process; never held during a call

    def add_listener(self, listener: pybreaker.CircuitBreakerListener) -> None:
        """Let ``listener`` (a ``pybreaker.CircuitBreakerListener``) hear this breaker's calls and transitions."""
        self._breaker.add_listener(listener)

    # -- the record ----------------------------------------------------------------------
    def _record_now(self) -> BreakerRecord:
        """The record as the store has it now (one read, no lock)."""
        return self.store.load_breaker(self.name) or BreakerRecord()

    def _change(self, change: Callable[[BreakerRecord], T]) -> T:
        """Run ``change(record)`` with pybreaker working on the record, atomically across every worker."""
        def on_record(record: BreakerRecord) -> T:
            self._storage.record = self._books.record = record
            counters = (record.fail_counter, record.success_counter)
            self._books.noticing = True
            try:
                self._breaker.state  # noqa: B018 - pybreaker notices a state another worker set (tells listeners)
            finally:
                self._books.noticing = False
            record.fail_counter, record.success_counter = counters  # noticing resets them: the record is right
            return change(record)

        with self._lock:
            return self.store.update_breaker(self.name, on_record)

    # -- calls -------------------------------------------------------------------------
    def call(self, operation: str, func: Callable[[], T]) -> T:
        """Run ``func`` as one logical call (outside any lock); fail fast with :class:`CircuitOpenError`."""
        admission = self._admit(operation)
        try:
            result = func()
        except BaseException as error:
            self._settle(admission, error)
            raise
        self._settle(admission, None)
        return result

    def _admit(self, operation: str) -> _Admission:
        record, refused = self.store.admit_read(self.name, self.clock.time() - self.reset_timeout)
        record = record or BreakerRecord()
        if refused:  # open, its reset timeout not passed: counted as rejected in the same read
            raise CircuitOpenError(self.name, operation, max(self._retry_after(record), 1e-6), why="")
        if record.state == CLOSED:
            return _Admission(record.generation)
        admitted = self._change(self._admit_probe)
        if isinstance(admitted, _Admission):
            return admitted
        raise CircuitOpenError(self.name, operation, None if admitted else self.retry_after_s(), why=admitted)

    def _admit_probe(self, record: BreakerRecord) -> _Admission | str:
        """Under the lock: closed -> admit; open past its timeout -> half-open; half-open -> a probe if a slot is free."""
        if record.state == CLOSED:
            return _Admission(record.generation)
        if record.state == OPEN:
            if self._retry_after(record) > 0:
                record.rejected += 1
                return ""
            self._breaker.half_open()  # pybreaker's own transition: listeners hear it
        now = self.clock.time()
        live = record.live_probes(now)
        slots = max(1, self._breaker.success_threshold - record.success_counter)
        if len(live) >= slots:
            record.rejected += 1
            return f"half-open, {len(live)} probe(s) in flight"
        lease = now + self.probe_lease_s
        record.probes = [*live, lease]
        return _Admission(record.generation, lease)

    def _settle(self, admission: _Admission, error: BaseException | None) -> None:
        def settle(record: BreakerRecord) -> None:
            current = record.generation == admission.generation
            if admission.probe and current and admission.lease in record.probes:
                record.probes.remove(admission.lease)
            if error is not None and not trips_breaker(error):
                record.ignored += 1
            elif not current:
                record.outdated += 1
            else:
                self._record(error)

        self._change(settle)

    def _record(self, error: BaseException | None) -> None:
        """Hand the outcome to pybreaker's state machine (counters, transitions, listeners)."""
        if error is None:
            self._breaker.call(lambda: None)
            return
        traceback, context = error.__traceback__, error.__context__

        def replay() -> None:
            raise error

        try:
            self._breaker.call(replay)
        except BaseException as raised:  # noqa: BLE001 - pybreaker re-raises the replayed error
            if raised is not error:
                raise
        finally:
            error.__traceback__, error.__context__ = traceback, context

    def configure(self, *, fail_max: int | None = None, reset_timeout: float | None = None,
                  success_threshold: int | None = None) -> None:
        """Change the thresholds in place (None keeps a value); state and counters stay."""
        fail_max = self.fail_max if fail_max is None else fail_max
        reset_timeout = self.reset_timeout if reset_timeout is None else reset_timeout
        success_threshold = self.success_threshold if success_threshold is None else success_threshold
        _check_options(self.name, fail_max, reset_timeout, success_threshold)
        with self._lock:
            self._breaker.fail_max = fail_max
            self._breaker.reset_timeout = reset_timeout
            self._breaker.success_threshold = success_threshold

    def reset(self) -> None:
        """Closed, counters zeroed (for every worker); outcomes of calls still running are then outdated."""
        def reset(record: BreakerRecord) -> None:
            self._breaker.close()  # pybreaker's transition (listeners hear it): a new generation
            fresh = BreakerRecord(generation=record.generation)
            for field in fields(BreakerRecord):
                setattr(record, field.name, getattr(fresh, field.name))

        self._change(reset)

    # -- state -------------------------------------------------------------------------
    @property
    def fail_max(self) -> int:
        return self._breaker.fail_max

    @property
    def reset_timeout(self) -> float:
        return self._breaker.reset_timeout

    @property
    def success_threshold(self) -> int:
        return self._breaker.success_threshold

    def _retry_after(self, record: BreakerRecord) -> float:
        if record.opened_at is None:
            return 0.0
        return max(0.0, self.reset_timeout - max(0.0, self.clock.time() - record.opened_at))

    def retry_after_s(self) -> float | None:
        """Seconds until an open breaker lets a probe through (0 when it would now), None when not open."""
        record = self._record_now()
        return self._retry_after(record) if record.state == OPEN else None

    def _effective(self, record: BreakerRecord) -> str:
        if record.state == OPEN and self._retry_after(record) == 0:
            return HALF_OPEN
        return record.state

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open`` (open with the reset timeout elapsed counts as half-open)."""
        return self._effective(self._record_now())

    @property
    def probes_in_flight(self) -> int:
        """Half-open probes admitted and still running (in any worker of the store)."""
        return len(self._record_now().live_probes(self.clock.time()))

    def metrics(self) -> dict[str, Any]:
        """State and counters (one read of the record); see :meth:`CircuitBreakerFactory.all_metrics`."""
        record = self._record_now()
        opened = record.opened_at if record.state != CLOSED else None
        next_probe = opened + self.reset_timeout if opened is not None and record.state == OPEN else None
        return {"name": self.name, "state": self._effective(record), "failures": record.failures,
                "successes": record.successes, "rejected": record.rejected, "ignored": record.ignored,
                "outdated": record.outdated,
                "last_failure": dict(record.last_failure) if record.last_failure else None,
                "opened_at": _iso_epoch(opened), "consecutive_failures": record.fail_counter,
                "next_probe_at": _iso_epoch(next_probe),
                "probes_in_flight": len(record.live_probes(self.clock.time())),
                "fail_max": self.fail_max, "reset_timeout_s": self.reset_timeout,
                "success_threshold": self.success_threshold}

    def __repr__(self) -> str:
        return f"<ServiceBreaker {self.name} {self.state}>"


class CircuitBreakerFactory:
    """The registry of breakers, one per service name; every breaker reads time from ``clock``.

    ``store`` is where the breakers keep their state and the clients their caches
    (:mod:`companion.state`); None: this factory's own memory for the breakers and
    each client's own memory for its cache (one process, as before the state store).
    """

    def __init__(self, clock: Clock = SYSTEM_CLOCK, store: StateStore | None = None) -> None:
        self.clock = clock
        #: the store the clients keep their caches in (None: each client its own memory)
        self.cache_store = store
        self.store = store if store is not None else MemoryStore()
        self._lock = threading.Lock()
        self._breakers: dict[str, ServiceBreaker] = {}

    def create(self, name: str, fail_max: int = 5, reset_timeout: float = 30.0,
               success_threshold: int = 1) -> ServiceBreaker:
        """A new breaker; a name already registered is an error."""
        with self._lock:
            if name in self._breakers:
                raise ValueError(f"a circuit breaker named {name!r} already exists")
            breaker = ServiceBreaker(name, fail_max=fail_max, reset_timeout=reset_timeout,
                                     success_threshold=success_threshold, clock=self.clock, store=self.store)
            self._breakers[name] = breaker
            return breaker
    def get(self, name: str) -> ServiceBreaker:
        with self._lock:
            try:
                return self._breakers[name]
            except KeyError:
                known = ", ".join(sorted(self._breakers)) or "none"
                raise KeyError(f"no circuit breaker named {name!r}; known: {known}") from None

    def get_or_create(self, name: str, **options: Any) -> ServiceBreaker:
        """The registered breaker (its settings unchanged: see :meth:`configure`), or a new one with ``options``."""
        with self._lock:
            if name in self._breakers:
                return self._breakers[name]
        try:
            return self.create(name, **options)
        except ValueError:
            return self.get(name)

    def configure(self, name: str, **options: Any) -> ServiceBreaker:
        """Change a registered breaker's ``fail_max`` / ``reset_timeout`` / ``success_threshold``."""
        breaker = self.get(name)
        breaker.configure(**options)
        return breaker

    @property
    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._breakers)

    def reset_all(self) -> None:
        """Every breaker closed with zeroed counters."""
        with self._lock:
            breakers = list(self._breakers.values())
        for breaker in breakers:
            breaker.reset()

    def all_metrics(self) -> dict[str, dict[str, Any]]:
        """``{name: {name, state, failures, successes, rejected, ignored, outdated, last_failure {time, error} |
        None, opened_at, consecutive_failures, next_probe_at, probes_in_flight, fail_max, reset_timeout_s,
        success_threshold}}``."""
        with self._lock:
            breakers = list(self._breakers.values())
        return {breaker.name: breaker.metrics() for breaker in breakers}
