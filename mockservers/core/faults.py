"""The fault plan: what a mock does wrong, decided per request.

One plan per server, applied by one middleware, the same for every service.
A plan holds:

- a fixed ``delay_ms`` plus up to ``jitter_ms`` of random extra delay;
- a ``failure_rate`` (0..1) answered with ``failure_status``, drawn from a
  random generator seeded with ``seed`` (same seed, same failure sequence);
- per-route faults with a lifetime: ``always``, the next ``times`` requests,
  or an ordered ``sequence`` of actions (e.g. ``[503, 503, 200]``);
- an outage window (down for ``duration_s`` seconds or the next ``requests``
  requests) and flapping (alternating ``up_s`` / ``down_s`` phases).

Clearing the plan (:meth:`FaultPlan.clear`, :meth:`FaultPlan.replace`) lifts
the waits in progress: a request waiting in a delay, a hang or a dribble
pause goes on at once with the real answer. Only stopping or taking the
server down cuts waiting requests (:meth:`FaultPlan.release_hangs`).

Time: outage windows, ``remaining_s`` and flapping phases are read from the
plan's ``clock`` (the mock's :class:`~mockservers.core.clock.VirtualClock`), so
tests advance them; delays, jitter, hangs and dribbling are real network time.

Failure-rate preview: :meth:`FaultPlan.preview_failures` (admin
``GET /__admin/faults/preview?n=10``) lists the next decisions a seed will
make, without using them, so a test can pick a seed that suits it.

Limits (:mod:`.validation`): delays 0..1 h, durations above 0 up to one day,
counts and seeds within 64 bits, header names/values without control
characters (and none that frames the body: ``Content-Length``,
``Transfer-Encoding``), at most :data:`MAX_ROUTES` route faults holding at
most :data:`MAX_PLAN_BYTES`. Statuses
are final answers, 200 to 599 (:data:`STATUS_RANGE`); 204 and 304 are sent
without a body, 205 with an empty one.

An *action* is what happens to one request. Written compactly:

| ``200`` (any status 200-399) or ``"pass"`` | the real handler answers  |
| ``503`` (any status >= 400)               | that status, JSON error body |
| ``{"status": 429, "headers": {"Retry-After": "1"}}`` | status with headers/body |
| ``"reset"``     | the TCP connection is reset (RST) before any answer |
| ``"hang"``      | no answer until the client gives up (or ``hang_max_s``) |
| ``"truncate"``  | headers promise the full body, half of it is sent, then close |
| ``"malformed"`` | a 200 whose JSON/XML body is cut mid-token |
| ``"dribble"``   | the real body, sent a few bytes at a time, slowly |
| ``{"delay_ms": 300}`` | wait, then the real handler answers |
"""

from __future__ import annotations

import enum
import fnmatch
import itertools
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from . import validation as check
from .validation import ValidationError

__all__ = ["Action", "Decision", "FaultKind", "FaultPlan", "FaultSpecError", "RouteFault", "ACTION_KINDS",
           "MAX_ROUTES", "MAX_SEQUENCE", "MAX_PREVIEW", "MAX_CHUNK_SIZE", "STATUS_RANGE", "NO_BODY_STATUSES",
           "EMPTY_BODY_STATUSES", "final_status", "MAX_PLAN_BYTES"]

#: a fault specification is invalid: the message says what and what was expected (a :class:`ValidationError`)
FaultSpecError = ValidationError

#: at most this many route faults at once, and this many actions in one sequence
MAX_ROUTES = 1000
MAX_SEQUENCE = 1000
#: the most bytes the route faults of a plan may hold: their paths, injected bodies and headers, plus
#: :data:`ACTION_COST` per action (the object holding it)
MAX_PLAN_BYTES = 16 * 1024 * 1024
ACTION_COST = 256
#: at most this many decisions in one :meth:`FaultPlan.preview_failures`
MAX_PREVIEW = 1000
#: the largest dribble chunk (bytes)
MAX_CHUNK_SIZE = 1024 * 1024
#: the longest route-fault path pattern and injected body (characters)
MAX_PATH = 2048
MAX_FAULT_BODY = 65536
#: seeds are signed 64-bit integers
SEED_RANGE = (check.INT64_MIN, check.INT64_MAX)


class FaultKind(enum.StrEnum):
    """What a fault does to one request; the fault middleware has one handler per kind."""

    PASS = "pass"            #: the real handler answers
    STATUS = "status"        #: that status (with optional headers and body) instead of the real answer
    DELAY = "delay"          #: wait, then the real handler answers
    RESET = "reset"          #: the TCP connection is reset (RST) before any answer
    HANG = "hang"            #: no answer until the client gives up (or ``hang_max_s``)
    TRUNCATE = "truncate"    #: headers promise the whole body, half of it is sent, then close
    MALFORMED = "malformed"  #: the normal status with its JSON/XML body cut mid-token
    DRIBBLE = "dribble"      #: the real body, a few bytes at a time, slowly


ACTION_KINDS = tuple(kind.value for kind in FaultKind)
#: the fault names accepted in the compact string form
_NAMED_KINDS = (FaultKind.RESET, FaultKind.HANG, FaultKind.TRUNCATE, FaultKind.MALFORMED, FaultKind.DRIBBLE)
_PLAN_KEYS = ("delay_ms", "jitter_ms", "failure_rate", "failure_status", "seed", "routes", "outage",
              "flapping", "hang_max_s")


#: the statuses a fault may answer with: final answers only (a 1xx is informational: the client waits on)
STATUS_RANGE = (200, 599)
#: statuses whose answers never carry a body (RFC 9110 15.3.5, 15.4.5); 205 has an empty one (15.3.6)
NO_BODY_STATUSES = frozenset({204, 304})
EMPTY_BODY_STATUSES = frozenset({205})
#: headers that frame the body: the mock sets them itself, an injected one would corrupt the connection
FRAMING_HEADERS = ("content-length", "transfer-encoding")


def final_status(value: Any, name: str = "status") -> int:
    """A final HTTP status, 200 to 599 (:class:`FaultSpecError` otherwise; the message says why a 1xx is refused)."""
    try:
        return check.whole_number(value, name, minimum=STATUS_RANGE[0], maximum=STATUS_RANGE[1])
    except ValidationError as exc:
        raise FaultSpecError(f"{exc} (a 1xx status is informational, never a final answer)") from None


def _seed(value: Any) -> int | None:
    if value is None:
        return None
    return check.whole_number(value, "seed", minimum=SEED_RANGE[0], maximum=SEED_RANGE[1])


def _headers(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise FaultSpecError(f"headers must be an object of header names to values, got {type(value).__name__}")
    if len(value) > 64:
        raise FaultSpecError(f"headers may name at most 64 headers, got {len(value)}")
    headers = {check.header_name(k, "header name"): check.header_value(v, f"header {k!r}") for k, v in value.items()}
    framing = sorted(name for name in headers if name.lower() in FRAMING_HEADERS)
    if framing:
        raise FaultSpecError(f"headers may not set {', '.join(framing)}: the mock frames the body itself "
                             f"(an injected {framing[0]} would corrupt the connection)")
    return headers


@dataclass(frozen=True)
class Action:
    """What the mock does with one request (see the module doc for the forms).

    ``kind`` is a :class:`FaultKind` (a plain string such as ``"reset"`` is
    converted). ``delay_ms`` and ``chunk_delay_ms`` are real network time, not
    the mock's clock: they slow the bytes on the wire.
    """

    kind: FaultKind = FaultKind.PASS
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    delay_ms: float = 0.0
    chunk_size: int = 8
    chunk_delay_ms: float = 50.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FaultKind(self.kind))

    @classmethod
    def parse(cls, spec: Any) -> "Action":
        """Build an action from its compact form; :class:`FaultSpecError` if invalid."""
        if isinstance(spec, Action):
            return spec
        if isinstance(spec, bool):
            raise FaultSpecError(f"action must be a status, a fault name or an object, got {spec!r}")
        if isinstance(spec, int):
            status = final_status(spec, "action status")
            return cls(FaultKind.PASS) if status < 400 else cls(FaultKind.STATUS, status=status)
        if isinstance(spec, str):
            name = spec.strip().lower()
            if name.isascii() and name.isdigit() and len(name) <= 3:
                return cls.parse(int(name))
            if name in ("pass", "ok"):
                return cls(FaultKind.PASS)
            if name in _NAMED_KINDS:
                return cls(FaultKind(name))
            expected = ", ".join(("pass",) + tuple(_NAMED_KINDS))
            raise FaultSpecError(f"unknown fault {check.shown(spec)}: expected an HTTP status or one of {expected}")
        if isinstance(spec, dict):
            return cls._from_dict(spec)
        raise FaultSpecError(f"action must be a status, a fault name or an object, got {type(spec).__name__}")

    @classmethod
    def _from_dict(cls, spec: dict[str, Any]) -> "Action":
        allowed = {"kind", "fault", "status", "headers", "body", "delay_ms", "chunk_size", "chunk_delay_ms"}
        unknown = set(spec) - allowed
        if unknown:
            raise FaultSpecError(f"unknown action field(s) {sorted(str(k)[:64] for k in unknown)}: "
                                 f"expected some of {sorted(allowed)}")
        kind = spec.get("kind") or spec.get("fault")
        if kind is None:
            if "status" in spec:
                kind = "status" if final_status(spec["status"]) >= 400 or spec.get("body") is not None else "pass"
            elif "delay_ms" in spec:
                kind = "delay"
            else:
                raise FaultSpecError("action object needs 'status', 'fault' or 'delay_ms'")
        if kind not in ACTION_KINDS:
            raise FaultSpecError(f"unknown fault {check.shown(kind)}: expected one of {', '.join(ACTION_KINDS)}")
        body = spec.get("body")
        if body is not None:
            body = check.text(body, "body", max_length=MAX_FAULT_BODY, allow_empty=True, allow_newlines=True)
        status = final_status(spec["status"]) if "status" in spec else None
        if kind == "status" and status is None:
            raise FaultSpecError("a 'status' action needs a status code")
        return cls(
            kind=FaultKind(kind),
            status=status,
            headers=_headers(spec.get("headers", {})),
            body=body,
            delay_ms=check.delay_ms(spec.get("delay_ms", 0), "delay_ms"),
            chunk_size=check.whole_number(spec.get("chunk_size", 8), "chunk_size", minimum=1,
                                          maximum=MAX_CHUNK_SIZE),
            chunk_delay_ms=check.delay_ms(spec.get("chunk_delay_ms", 50), "chunk_delay_ms"),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form (round-trips through :meth:`parse`)."""
        out: dict[str, Any] = {"kind": self.kind.value}
        if self.status is not None:
            out["status"] = self.status
        if self.headers:
            out["headers"] = dict(self.headers)
        if self.body is not None:
            out["body"] = self.body
        if self.kind is FaultKind.DELAY or self.delay_ms:
            out["delay_ms"] = self.delay_ms
        if self.kind is FaultKind.DRIBBLE:
            out["chunk_size"] = self.chunk_size
            out["chunk_delay_ms"] = self.chunk_delay_ms
        return out

    @property
    def size(self) -> int:
        """The bytes it counts in a plan: its body and headers plus :data:`ACTION_COST`."""
        return ACTION_COST + len(self.body or "") + sum(len(k) + len(v) for k, v in self.headers.items())

    def describe(self) -> str:
        """Short text for the journal: ``status 503``, ``reset``, ``delay 300 ms``."""
        if self.kind is FaultKind.STATUS:
            return f"status {self.status}"
        if self.kind is FaultKind.DELAY:
            return f"delay {self.delay_ms:g} ms"
        return self.kind.value


PASS = Action(FaultKind.PASS)


@dataclass
class RouteFault:
    """A fault on the requests whose path matches ``path`` (``*`` glob) and method."""

    id: int
    path: str
    actions: list[Action]
    method: str | None = None
    remaining: int | None = None  # None = always (for a sequence: actions left)
    sequence: bool = False
    hits: int = 0
    #: the bytes it counts in the plan (path and actions, as it was set: see :data:`MAX_PLAN_BYTES`)
    size: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        self.size = len(self.path) + sum(action.size for action in self.actions)

    def matches(self, method: str, path: str) -> bool:
        """True when this rule applies to ``method path``."""
        if self.method and self.method != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.path) or path.rstrip("/") == self.path.rstrip("/")

    def take(self) -> Action:
        """Consume one use and return the action to apply."""
        self.hits += 1
        if self.sequence:
            self.remaining = (self.remaining or 1) - 1
            return self.actions.pop(0)
        if self.remaining is not None:
            self.remaining -= 1
        return self.actions[0]

    @property
    def exhausted(self) -> bool:
        """True when the rule has no uses left."""
        return self.remaining is not None and self.remaining <= 0

    def to_dict(self) -> dict[str, Any]:
        """JSON form, with what is left of its lifetime."""
        out: dict[str, Any] = {"id": self.id, "method": self.method, "path": self.path, "hits": self.hits}
        if self.sequence:
            out["sequence"] = [a.to_dict() for a in self.actions]
        else:
            out["action"] = self.actions[0].to_dict()
            out["times"] = self.remaining
        return out


@dataclass
class Decision:
    """What the middleware does with one request."""

    action: Action
    delay_s: float = 0.0
    source: str | None = None  # which part of the plan decided: route #id, failure-rate, outage, ...
    #: the plan's :attr:`FaultPlan.generation` when it decided: a wait begun after a clear ends at once
    generation: int = 0


class FaultPlan:
    """Thread-safe, run-time changeable fault plan (see the module doc).

    Change it from Python (``set_delay``, ``set_failure_rate``,
    ``add_route_fault``, ``set_outage``, ``set_flapping``, ``clear``), from a
    dict (``update`` / ``replace``, as the admin API and the CLI do), and
    read it back with ``to_dict``. Every change is validated whole before any
    of it applies (:mod:`.validation`): a refused change leaves the plan as it was.

    ``clock`` is the mock's time (``VirtualClock.monotonic`` in a mock): outage
    windows, ``remaining_s`` and flapping phases follow it, so a test that
    advances the clock ends an outage at once. Delays, jitter, hangs and
    dribbling are real network time.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._hang_release = threading.Event()
        self._release_listeners: list[Callable[[bool], None]] = []
        #: bumped by every clear/replace: waits decided by an older generation are lifted
        self.generation = 0
        self._started_at = clock()
        self._reset_fields()

    def _reset_fields(self) -> None:
        self.delay_ms = 0.0
        self.jitter_ms = 0.0
        self.failure_rate = 0.0
        self.failure_status = 503
        self.seed: int | None = None
        self._failure_rng = random.Random()
        self._jitter_rng = random.Random()
        self.routes: list[RouteFault] = []
        self._outage: dict[str, Any] | None = None
        self._flapping: dict[str, Any] | None = None
        self.hang_max_s = 30.0

    # -- Python API ------------------------------------------------------------------
    def clear(self) -> None:
        """Remove every fault. Requests waiting in a delay, hang or dribble go on at once with the real answer
        (:meth:`lift_waits`)."""
        with self._lock:
            self._reset_fields()
        self.lift_waits()

    def set_delay(self, delay_ms: float, jitter_ms: float = 0.0) -> None:
        """Delay every answer by ``delay_ms`` plus up to ``jitter_ms`` (seeded); real time, each at most one hour."""
        self.update({"delay_ms": delay_ms, "jitter_ms": jitter_ms})

    def set_failure_rate(self, rate: float, status: int = 503, seed: int | None = None) -> None:
        """Fail ``rate`` (0..1) of requests with ``status``; ``seed`` makes it reproducible.

        Each request that reaches the failure rate (no outage, flapping phase or
        route fault took it first; not an exempt path) draws one number from a
        generator seeded with ``seed``: below ``rate`` it fails. The same seed
        gives the same sequence on every run; :meth:`preview_failures` (admin
        ``GET /__admin/faults/preview?n=10``) shows the next draws without using them.
        """
        self.update({"failure_rate": rate, "failure_status": status, "seed": seed})

    def preview_failures(self, n: int = 10) -> list[dict[str, Any]]:
        """The next ``n`` failure-rate decisions, without consuming them.

        One dict per coming request that reaches the failure rate, in order:
        ``{"request": 1, "outcome": "fail", "status": 503}`` or
        ``{"request": 2, "outcome": "pass", "status": None}``. Requests taken by
        an outage, a flapping down phase or a route fault do not draw, so they
        do not shift this sequence. ``n`` is 1 to :data:`MAX_PREVIEW`.
        """
        n = check.whole_number(n, "n", minimum=1, maximum=MAX_PREVIEW)
        with self._lock:
            rng = random.Random()
            rng.setstate(self._failure_rng.getstate())
            rate, status = self.failure_rate, self.failure_status
        preview = []
        for index in range(1, n + 1):
            fails = bool(rate) and rng.random() < rate
            preview.append({"request": index, "outcome": "fail" if fails else "pass",
                            "status": status if fails else None})
        return preview

    def add_route_fault(self, path: str, action: Any = 503, *, method: str | None = None,
                        times: int | None = None, sequence: Iterable[Any] | None = None) -> RouteFault:
        """Fault requests to ``path`` (glob): ``always`` by default, the next ``times``,
        or one action each from ``sequence`` in order. Returns the rule."""
        body: dict[str, Any] = {"path": path, "method": method}
        if sequence is not None:
            body["sequence"] = list(sequence)
        else:
            body["action"] = action
            body["times"] = times
        return self.add_route_fault_from_dict(body)

    def remove_route_fault(self, rule_id: int) -> None:
        """Remove one route fault by id (KeyError if unknown)."""
        with self._lock:
            before = len(self.routes)
            self.routes = [r for r in self.routes if r.id != rule_id]
            if len(self.routes) == before:
                raise KeyError(f"no route fault with id {rule_id}")

    def set_outage(self, duration_s: float | None = None, requests: int | None = None, action: Any = 503) -> None:
        """Be down (answer ``action``) for ``duration_s`` seconds of the mock's clock (at most one day)
        or the next ``requests`` requests."""
        self.update({"outage": {"duration_s": duration_s, "requests": requests, "action": action}})

    def set_flapping(self, up_s: float, down_s: float, action: Any = 503, start: str = "down") -> None:
        """Alternate ``down_s`` seconds down (answering ``action``) and ``up_s`` up, by the mock's clock."""
        self.update({"flapping": {"up_s": up_s, "down_s": down_s, "action": action, "start": start}})

    def lift_waits(self) -> None:
        """The faults were cleared: every request waiting in a delay, a hang or a dribble pause goes on at once
        and gets the real answer (release listeners are called with ``stopping=False``)."""
        with self._lock:
            self.generation += 1
        self._release(stopping=False)

    def release_hangs(self) -> None:
        """The server stops or is taken down: every request that is hanging or waiting on a delay is cut
        (:attr:`hang_event`; release listeners are called with ``stopping=True``)."""
        self._release(stopping=True)

    def _release(self, *, stopping: bool) -> None:
        self._hang_release.set()
        self._hang_release = threading.Event()
        for listener in list(self._release_listeners):
            listener(stopping)

    def add_release_listener(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(stopping)`` (from any thread) whenever :meth:`lift_waits` (``stopping`` False)
        or :meth:`release_hangs` (True) runs."""
        self._release_listeners.append(listener)

    def remove_release_listener(self, listener: Callable[[bool], None]) -> None:
        """Stop calling ``listener`` (no error if it was not added)."""
        if listener in self._release_listeners:
            self._release_listeners.remove(listener)

    def mark_started(self) -> None:
        """Note the server start (flapping phases count from the latest change)."""
        self._started_at = self._clock()

    @property
    def hang_event(self) -> threading.Event:
        """The event that ends current hangs and delays early (set on stop, take-down, clear and replace)."""
        return self._hang_release

    @property
    def active(self) -> bool:
        """True while any fault is set: a delay, a failure rate, a route fault, an outage or flapping."""
        with self._lock:
            return bool(self.delay_ms or self.jitter_ms or self.failure_rate or self.routes
                        or self._outage_active() or self._flapping)

    # -- dict API (admin, CLI) -------------------------------------------------------
    def replace(self, spec: dict[str, Any]) -> None:
        """Replace the whole plan with ``spec`` (validated first: all or nothing); waiting requests go on at once
        with the real answer, as after :meth:`clear`."""
        validated = self._validate(self._checked(spec))
        self._check_size(validated.get("routes", []))
        with self._lock:
            self._reset_fields()
            self._apply(validated)
        self.lift_waits()

    def update(self, spec: dict[str, Any]) -> None:
        """Change the keys given in ``spec``; the rest of the plan stays."""
        validated = self._validate(self._checked(spec))
        with self._lock:
            if "routes" in validated:
                self._check_size(validated["routes"])
            self._apply(validated)

    @staticmethod
    def _check_size(routes: list[RouteFault]) -> None:
        """:class:`FaultSpecError` when ``routes`` would hold more than :data:`MAX_PLAN_BYTES`."""
        total = sum(rule.size for rule in routes)
        if total > MAX_PLAN_BYTES:
            raise FaultSpecError(f"route faults may hold at most {MAX_PLAN_BYTES} bytes (paths, injected bodies "
                                 f"and headers, plus {ACTION_COST} per action), these would hold {total}: "
                                 "clear some first")

    @staticmethod
    def _checked(spec: Any) -> dict[str, Any]:
        if not isinstance(spec, dict):
            raise FaultSpecError(f"a fault plan must be an object, got {type(spec).__name__}")
        unknown = set(spec) - set(_PLAN_KEYS)
        if unknown:
            raise FaultSpecError(f"unknown fault setting(s) {sorted(str(k)[:64] for k in unknown)}: "
                                 f"expected some of {list(_PLAN_KEYS)}")
        return spec

    def add_route_fault_from_dict(self, body: dict[str, Any]) -> RouteFault:
        """Add one route fault from ``{path, method?, action?, times?, sequence?}``."""
        rule = self._parse_route(body)
        with self._lock:
            if len(self.routes) >= MAX_ROUTES:
                raise FaultSpecError(f"at most {MAX_ROUTES} route faults may be set at once: clear some first")
            self._check_size([*self.routes, rule])
            rule.id = next(self._ids)
            self.routes.append(rule)
        return rule

    def to_dict(self) -> dict[str, Any]:
        """The current plan as JSON (outage with what remains of it)."""
        with self._lock:
            outage = None
            if self._outage_active():
                o = self._outage
                outage = {"action": o["action"].to_dict(), "remaining_requests": o["requests"],
                          "remaining_s": None if o["until"] is None else round(max(0.0, o["until"] - self._clock()), 3)}
            flapping = None
            if self._flapping:
                f = self._flapping
                flapping = {"up_s": f["up_s"], "down_s": f["down_s"], "action": f["action"].to_dict(),
                            "start": f["start"], "down_now": self._flap_down()}
            return {
                "delay_ms": self.delay_ms, "jitter_ms": self.jitter_ms,
                "failure_rate": self.failure_rate, "failure_status": self.failure_status, "seed": self.seed,
                "routes": [r.to_dict() for r in self.routes],
                "outage": outage, "flapping": flapping, "hang_max_s": self.hang_max_s,
            }

    # -- deciding ----------------------------------------------------------------------
    def decide(self, method: str, path: str, exempt: bool = False) -> Decision:
        """The action for one request. ``exempt`` paths only see outages and route faults
        aimed at them explicitly (no global delay, failure rate)."""
        with self._lock:
            if self._outage_active():
                outage = self._outage
                if outage["requests"] is not None:
                    outage["requests"] -= 1
                return Decision(outage["action"], source="outage", generation=self.generation)
            if self._flapping and self._flap_down():
                return Decision(self._flapping["action"], source="flapping", generation=self.generation)
            delay_s = 0.0
            if not exempt:
                delay_s = self.delay_ms / 1000.0
                if self.jitter_ms:
                    delay_s += self._jitter_rng.uniform(0, self.jitter_ms) / 1000.0
            for rule in self.routes:
                if rule.matches(method, path):
                    action = rule.take()
                    if rule.exhausted:
                        self.routes.remove(rule)
                    return Decision(action, delay_s, source=f"route #{rule.id}", generation=self.generation)
            if not exempt and self.failure_rate and self._failure_rng.random() < self.failure_rate:
                return Decision(Action(FaultKind.STATUS, status=self.failure_status), delay_s, source="failure-rate",
                                generation=self.generation)
            return Decision(PASS, delay_s, generation=self.generation)

    # -- internals ---------------------------------------------------------------------
    def _outage_active(self) -> bool:
        o = self._outage
        if o is None:
            return False
        if o["until"] is not None and self._clock() >= o["until"]:
            self._outage = None
            return False
        if o["requests"] is not None and o["requests"] <= 0:
            self._outage = None
            return False
        return True

    def _flap_down(self) -> bool:
        f = self._flapping
        period = f["up_s"] + f["down_s"]
        phase = (self._clock() - f["since"]) % period
        return phase < f["down_s"] if f["start"] == "down" else phase >= f["up_s"]

    def _validate(self, spec: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "delay_ms" in spec:
            out["delay_ms"] = check.delay_ms(spec["delay_ms"], "delay_ms")
        if "jitter_ms" in spec:
            out["jitter_ms"] = check.delay_ms(spec["jitter_ms"], "jitter_ms")
        if "failure_rate" in spec:
            out["failure_rate"] = check.finite_number(spec["failure_rate"], "failure_rate", maximum=1.0)
        if "failure_status" in spec:
            out["failure_status"] = final_status(spec["failure_status"], "failure_status")
        if "seed" in spec:
            out["seed"] = _seed(spec["seed"])
        if "hang_max_s" in spec:
            out["hang_max_s"] = check.duration_s(spec["hang_max_s"], "hang_max_s")
        if "routes" in spec:
            routes = spec["routes"]
            if not isinstance(routes, list):
                raise FaultSpecError(f"routes must be a list of route faults, got {type(routes).__name__}")
            if len(routes) > MAX_ROUTES:
                raise FaultSpecError(f"routes may hold at most {MAX_ROUTES} route faults, got {len(routes)}")
            out["routes"] = [self._parse_route(r) for r in routes]
        if "outage" in spec:
            out["outage"] = self._parse_outage(spec["outage"])
        if "flapping" in spec:
            out["flapping"] = self._parse_flapping(spec["flapping"])
        return out

    def _apply(self, validated: dict[str, Any]) -> None:
        for key in ("delay_ms", "jitter_ms", "failure_rate", "failure_status", "hang_max_s"):
            if key in validated:
                setattr(self, key, validated[key])
        if "seed" in validated or "failure_rate" in validated:
            self.seed = validated.get("seed", self.seed)
            self._failure_rng = random.Random(self.seed)
            self._jitter_rng = random.Random(None if self.seed is None else self.seed + 1)
        if "routes" in validated:
            self.routes = []
            for rule in validated["routes"]:
                rule.id = next(self._ids)
                self.routes.append(rule)
        if "outage" in validated:
            o = validated["outage"]
            self._outage = None if o is None else {
                "action": o["action"], "requests": o["requests"],
                "until": None if o["duration_s"] is None else self._clock() + o["duration_s"]}
        if "flapping" in validated:
            f = validated["flapping"]
            self._flapping = None if f is None else dict(f, since=self._clock())

    @staticmethod
    def _parse_route(body: Any) -> RouteFault:
        if not isinstance(body, dict):
            raise FaultSpecError(f"a route fault must be an object, got {type(body).__name__}")
        allowed = {"path", "method", "action", "times", "sequence", "id", "hits"}
        unknown = set(body) - allowed
        if unknown:
            raise FaultSpecError(f"unknown route fault field(s) {sorted(str(k)[:64] for k in unknown)}: "
                                 f"expected some of {sorted(allowed)}")
        path = body.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise FaultSpecError(f"route fault path must be a string starting with '/', got {check.shown(path)}")
        check.text(path, "route fault path", max_length=MAX_PATH)
        method = body.get("method")
        if method is not None and (not isinstance(method, str) or not method.isascii() or not method.isalpha()
                                   or len(method) > 16):
            raise FaultSpecError(f"method must be an HTTP method name (1 to 16 ASCII letters), "
                                 f"got {check.shown(method)}")
        if body.get("sequence") is not None:
            if "action" in body and body["action"] is not None:
                raise FaultSpecError("give either 'action' (with optional 'times') or 'sequence', not both")
            seq = body["sequence"]
            if not isinstance(seq, list) or not seq or len(seq) > MAX_SEQUENCE:
                raise FaultSpecError(f"sequence must be a non-empty list of at most {MAX_SEQUENCE} actions, "
                                     f"got {check.shown(seq)}")
            actions = [Action.parse(a) for a in seq]
            return RouteFault(0, path, actions, method and method.upper(), remaining=len(actions), sequence=True)
        times = body.get("times")
        if times is not None:
            times = check.whole_number(times, "times", minimum=1)
        action = Action.parse(body.get("action", 503))
        return RouteFault(0, path, [action], method and method.upper(), remaining=times)

    @staticmethod
    def _parse_outage(spec: Any) -> dict[str, Any] | None:
        if spec is None:
            return None
        if not isinstance(spec, dict):
            raise FaultSpecError(f"outage must be an object or null, got {type(spec).__name__}")
        unknown = set(spec) - {"duration_s", "requests", "action"}
        if unknown:
            raise FaultSpecError(f"unknown outage field(s) {sorted(str(k)[:64] for k in unknown)}: "
                                 "expected duration_s, requests, action")
        duration = spec.get("duration_s")
        requests_ = spec.get("requests")
        if duration is None and requests_ is None:
            raise FaultSpecError("outage needs 'duration_s' (seconds) or 'requests' (a count)")
        return {
            "duration_s": None if duration is None else check.duration_s(duration, "outage duration_s"),
            "requests": None if requests_ is None else check.whole_number(requests_, "outage requests", minimum=1),
            "action": Action.parse(spec.get("action", 503)),
        }

    @staticmethod
    def _parse_flapping(spec: Any) -> dict[str, Any] | None:
        if spec is None:
            return None
        if not isinstance(spec, dict):
            raise FaultSpecError(f"flapping must be an object or null, got {type(spec).__name__}")
        unknown = set(spec) - {"up_s", "down_s", "action", "start"}
        if unknown:
            raise FaultSpecError(f"unknown flapping field(s) {sorted(str(k)[:64] for k in unknown)}: "
                                 "expected up_s, down_s, action, start")
        if "up_s" not in spec or "down_s" not in spec:
            raise FaultSpecError("flapping needs both 'up_s' and 'down_s' (seconds)")
        start = spec.get("start", "down")
        if start not in ("up", "down"):
            raise FaultSpecError(f"flapping start must be 'up' or 'down', got {check.shown(start)}")
        return {"up_s": check.duration_s(spec["up_s"], "flapping up_s"),
                "down_s": check.duration_s(spec["down_s"], "flapping down_s"),
                "action": Action.parse(spec.get("action", 503)), "start": start}
