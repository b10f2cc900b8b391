"""Keywords that check circuit breakers and wait for them by calling through the client."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from robot.api import logger
from robot.api.deco import keyword

from atest_support.waiting import wait_until

from .calls import HEALTH_OPERATION, bound_operation, operation_name
from .context import ClientContext, Service

BreakerState = Literal["closed", "open", "half-open"]
COUNTERS = ("failures", "consecutive_failures", "successes", "rejected")


class _Seen:
    """One poll of a breaker: its state and what the probing call did (repr = the wait's "last seen")."""

    def __init__(self, state: str, note: str) -> None:
        self.state, self.note = state, note

    def __repr__(self) -> str:
        return f"{self.state}{self.note}"


class BreakerKeywords:
    """Circuit breaker state and metrics, as ``CircuitBreakerFactory.all_metrics()`` reports them.

    The state is the *effective* one: an open breaker whose reset timeout has
    passed reads ``half-open`` (awaiting a probe call).
    """

    def __init__(self, context: ClientContext) -> None:
        self.ctx = context

    @keyword
    def get_circuit_breaker_metrics(self, service: Service) -> dict:
        """Returns the breaker's metrics: ``state``, ``failures``, ``consecutive_failures``,
        ``successes``, ``rejected``, ``last_failure``, ``opened_at``, ``next_probe_at``, ...

        | ${metrics} =    `Get Circuit Breaker Metrics`    plex
        | Should Be Equal As Integers    ${metrics}[rejected]    2
        """
        metrics = dict(self._breaker(service).metrics())
        logger.info(f"Circuit breaker {service}: {metrics}")
        return metrics

    @keyword
    def circuit_breaker_should_be(self, service: Service, state: BreakerState) -> None:
        """Fails unless the ``service`` breaker's effective state is ``state`` now (one read, no waiting).

        The breaker is the one every client of this library (and a status
        service built on them) uses. To wait for a state, see
        `Wait Until Circuit Breaker Is`.

        | `Circuit Breaker Should Be`    plex    open
        """
        metrics = self._breaker(service).metrics()
        if metrics["state"] != state:
            raise AssertionError(f"Circuit breaker {service} should be {state}, but it is {metrics['state']} "
                                 f"({self._counters(metrics)}).")

    @keyword
    def circuit_breaker_metrics_should_be(self, service: Service, *, failures: int | None = None,
                                          consecutive_failures: int | None = None, successes: int | None = None,
                                          rejected: int | None = None) -> None:
        """Fails unless each counter given has exactly that value (the others are not checked).

        ``failures`` counts failed logical calls (retries included once),
        ``rejected`` the calls refused while the breaker was open.

        | `Circuit Breaker Metrics Should Be`    plex    failures=3    rejected=1
        """
        expected = {"failures": failures, "consecutive_failures": consecutive_failures, "successes": successes,
                    "rejected": rejected}
        metrics = self._breaker(service).metrics()
        wrong = [f"{name} {metrics[name]} (expected {value})" for name, value in expected.items()
                 if value is not None and metrics[name] != value]
        if wrong:
            raise AssertionError(f"Circuit breaker {service} metrics differ: {', '.join(wrong)}; "
                                 f"all: {self._counters(metrics)}, state {metrics['state']}.")

    @keyword
    def wait_until_circuit_breaker_is(self, service: Service, state: BreakerState,
                                      timeout: timedelta | None = None,
                                      probe: str = "auto", interval: timedelta = timedelta(milliseconds=100)) -> None:
        """Waits until the ``service`` breaker is ``state``, calling through the client between looks.

        pybreaker only leaves *open* when a call arrives after the reset
        timeout, so waiting for ``closed`` (or ``open``) means calling:
        ``probe`` names the client call to make before each look (a call
        without arguments, e.g. ``get libraries``); its failures are ignored.
        ``auto`` uses the service's health call (``test connection`` /
        ``get status``), except when waiting for ``half-open``: a call would
        end that state at once, so then the state is only read (same as
        ``probe=none``).

        ``timeout`` defaults to the library's (see `Importing`). Fails with
        "Circuit breaker <service> did not become <state> in <timeout>: last
        seen <state> (probe ...)".

        | `Wait Until Circuit Breaker Is`    plex    half-open    timeout=3s
        | `Wait Until Circuit Breaker Is`    plex    closed    timeout=5s
        | `Wait Until Circuit Breaker Is`    overseerr    closed    probe=list requests
        """
        breaker = self._breaker(service)
        call = self._probe_call(service, state, probe)

        def look() -> _Seen:
            note = ""
            if call is not None:
                try:
                    bound_operation(self.ctx, service, call)()
                    note = f" (probe {call}: answered)"
                except Exception as exc:  # a failing probe is expected while the service is down
                    note = f" (probe {call}: {type(exc).__name__}: {exc})"
            return _Seen(breaker.state, note)

        wait_until(look, lambda seen: seen.state == state, what=f"Circuit breaker {service}",
                   expected=state, timeout=self.ctx.timeout_or_default(timeout), interval=interval)

    # -- internals -------------------------------------------------------------------
    def _breaker(self, service: str) -> Any:
        self.ctx.get(service)  # a clear failure when the client was never created
        return self.ctx.breakers.get(service)

    @staticmethod
    def _probe_call(service: str, state: str, probe: str) -> str | None:
        choice = probe.strip().lower()
        if choice == "none" or (choice == "auto" and state == "half-open"):
            return None
        if choice == "auto":
            return HEALTH_OPERATION[service]
        return operation_name(service, probe)

    @staticmethod
    def _counters(metrics: dict) -> str:
        return ", ".join(f"{name} {metrics.get(name)}" for name in COUNTERS)
