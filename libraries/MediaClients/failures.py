"""Keywords that expect a client call to fail with one of the typed errors."""

from __future__ import annotations

from typing import Any, Literal

from robot.api import logger
from robot.api.deco import keyword

from .calls import HEALTH_OPERATION, bound_operation, describe_result, operation_name
from .context import ClientContext, Service

ErrorName = Literal["IntegrationError", "ServiceUnavailableError", "ServiceTimeoutError", "CircuitOpenError",
                    "BadResponseError", "AuthenticationError", "RequestRejectedError", "SignInRequiredError"]


class FailureKeywords:
    """Expected failures: the caller gets a typed error that names the service and the call.

    The error type must match *exactly* (a ``CircuitOpenError`` is not accepted
    where a ``ServiceUnavailableError`` is expected, although it is a subclass):
    the point of these checks is telling the failure modes apart.
    """

    def __init__(self, context: ClientContext) -> None:
        self.ctx = context

    @keyword
    def plex_call_should_fail_with(self, error: ErrorName, call: str = "test connection", *arguments: Any,
                                   message: str | None = None, times: int = 1) -> Any:
        """Calls Plex ``call`` (with ``arguments``) and expects it to fail with ``error``; returns the error.

        ``call`` is a client operation: ``test connection``, ``get libraries``,
        ``get library items``, ``search``. ``message`` must be part of the
        error's message; ``times`` repeats the call (each must fail the same
        way), e.g. to open a breaker. The error must name ``plex`` and must not
        contain the token.

        | `Plex Call Should Fail With`    ServiceUnavailableError    get libraries
        | `Plex Call Should Fail With`    CircuitOpenError    get libraries    message=Circuit breaker is OPEN
        | `Plex Call Should Fail With`    ServiceUnavailableError    test connection    times=3
        | ${error} =    `Plex Call Should Fail With`    ServiceTimeoutError    get library items    1
        """
        return self._expect("plex", error, call, arguments, message, times)

    @keyword
    def overseerr_call_should_fail_with(self, error: ErrorName, call: str = "get status", *arguments: Any,
                                        message: str | None = None, times: int = 1) -> Any:
        """Calls Overseerr ``call`` (with ``arguments``) and expects it to fail with ``error``; returns the error.

        ``call`` is ``get status``, ``search``, ``submit request``,
        ``list requests`` or ``get request``; the rest works as in
        `Plex Call Should Fail With`.

        | `Overseerr Call Should Fail With`    CircuitOpenError    search    Dune    message=Circuit breaker is OPEN
        | `Overseerr Call Should Fail With`    RequestRejectedError    submit request    movie    1
        """
        return self._expect("overseerr", error, call, arguments, message, times)

    @keyword
    def client_call_should_fail_with(self, service: Service, error: ErrorName, call: str = "health",
                                     *arguments: Any, message: str | None = None, times: int = 1) -> Any:
        """Like `Plex Call Should Fail With` / `Overseerr Call Should Fail With`, for the client of ``service``.

        ``call`` ``health`` (the default) is the service's health call:
        ``test connection`` for Plex, ``get status`` for Overseerr. For
        resource keywords that work for every service.

        | `Client Call Should Fail With`    ${service}    ServiceUnavailableError    times=3
        """
        if call.strip().lower() == "health":
            call = HEALTH_OPERATION[service]
        return self._expect(service, error, call, arguments, message, times)

    def _expect(self, service: str, error: str, call: str, arguments: tuple, message: str | None,
                times: int) -> Any:
        if times < 1:
            raise AssertionError(f"times must be at least 1, got {times}.")
        name = operation_name(service, call)
        operation = bound_operation(self.ctx, service, name)
        caught: Exception | None = None
        for attempt in range(1, times + 1):
            what = f"{service} {name}" + (f" (call {attempt} of {times})" if times > 1 else "")
            try:
                result = operation(*arguments)
            except Exception as exc:  # any exception is checked below; the wrong kind fails the keyword
                caught = exc
                self._check(what, exc, service, error, message)
                logger.info(f"{what} failed as expected: {type(exc).__name__}: {exc}")
            else:
                raise AssertionError(f"{what} should have failed with {error}, but it returned "
                                     f"{describe_result(result)}.")
        return caught

    def _check(self, what: str, exc: Exception, service: str, error: str, message: str | None) -> None:
        got = f"{type(exc).__name__}: {exc}"
        secret = self.ctx.secret(service)
        if secret and secret in str(exc):
            raise AssertionError(f"{what} failed with an error that contains the {service} credential "
                                 f"(secrets must never appear in error messages).")
        if type(exc).__name__ != error:
            raise AssertionError(f"{what} should have failed with {error}, but failed with {got}")
        if getattr(exc, "service", None) != service:
            raise AssertionError(f"{what} failed with {error} naming service {getattr(exc, 'service', None)!r}, "
                                 f"expected {service!r}: {got}")
        if message is not None and message not in str(exc):
            raise AssertionError(f"{what} failed with {error} as expected, but its message does not contain "
                                 f"{message!r}: {got}")
