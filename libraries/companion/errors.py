"""The typed errors every client raises: what failed, in which service, during which call.

Hierarchy::

    IntegrationError                  any failure talking to an external service
    ├── ServiceUnavailableError       refused, reset, 5xx: the service is not answering properly
    │   ├── ServiceTimeoutError       no answer (connect or read) within the timeout
    │   └── CircuitOpenError          not attempted: the service's circuit breaker is open
    ├── BadResponseError              an answer we cannot use: malformed or truncated body, wrong shape
    ├── AuthenticationError           credentials rejected (401/403)
    └── RequestRejectedError          any other 4xx: the request itself was wrong

Messages name the service and the call, never a token, an API key or a
password: a client hands every error through :func:`redact` with its secret
values before anyone sees it, so even a server that echoes a credential in its
answer cannot leak it into a message, a log line or a metric.
"""

from __future__ import annotations

from typing import Iterable

__all__ = ["IntegrationError", "ServiceUnavailableError", "ServiceTimeoutError", "CircuitOpenError",
           "BadResponseError", "AuthenticationError", "RequestRejectedError", "MASK", "redact", "redact_text"]

#: what a secret value is replaced with
MASK = "*****"


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of every non-empty secret value replaced by :data:`MASK` (longest first)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class IntegrationError(Exception):
    """A call to an external service failed.

    ``service`` is the service's name (``plex``, ``overseerr``, ``uptime-kuma``),
    ``operation`` the client call (``get_libraries``), ``detail`` what went wrong,
    ``status`` the HTTP status when there was one.
    """

    kind = "integration error"

    def __init__(self, service: str, operation: str, detail: str, *, status: int | None = None) -> None:
        self.service = service
        self.operation = operation
        self.detail = detail
        self.status = status
        super().__init__(f"{service} {operation} failed: {detail}")


def redact(error: BaseException, secrets: Iterable[str]) -> BaseException:
    """Remove secret values from an error's message (and an :class:`IntegrationError`'s ``detail``) in place."""
    secrets = tuple(secrets)
    if isinstance(error, IntegrationError):
        error.detail = redact_text(error.detail, secrets)
    error.args = tuple(redact_text(arg, secrets) if isinstance(arg, str) else arg for arg in error.args)
    return error


class ServiceUnavailableError(IntegrationError):
    """The service refused or dropped the connection, or answered 5xx."""

    kind = "unavailable"


class ServiceTimeoutError(ServiceUnavailableError):
    """The service did not answer within the connect or read timeout."""

    kind = "timeout"


class CircuitOpenError(ServiceUnavailableError):
    """The call was not attempted because the service's circuit breaker is open."""

    kind = "circuit open"

    def __init__(self, service: str, operation: str, retry_after_s: float | None = None, *, why: str = "") -> None:
        wait = f"; next probe allowed in {retry_after_s:.2f}s" if retry_after_s is not None else ""
        reason = f" ({why})" if why else ""
        super().__init__(service, operation,
                         f"Circuit breaker is OPEN for {service}: call not attempted{reason}{wait}")
        self.retry_after_s = retry_after_s


class BadResponseError(IntegrationError):
    """The service answered, but with something unusable (malformed, truncated, wrong shape)."""

    kind = "bad response"


class AuthenticationError(IntegrationError):
    """The service rejected the credentials (HTTP 401/403, or a refused login)."""

    kind = "authentication"


class RequestRejectedError(IntegrationError):
    """The service rejected the request itself (a 4xx other than 401/403)."""

    kind = "rejected"
