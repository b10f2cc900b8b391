"""What can end a sign-in, or a signed-in app's access, besides a service failing.

::

    IntegrationError
    ├── SignInError                   the sign-in did not happen (service ``plextv``)
    │   ├── PinDeniedError            the user declined: plex.tv forgot the PIN before it expired
    │   └── PinExpiredError           nobody approved the PIN before it expired
    ├── AuthenticationError
    │   └── SignInRequiredError       not signed in, or the token was revoked: "sign in again"
    └── ServiceUnavailableError
        └── NoConnectionError         no connection of the server answered (service ``plex``)

A :class:`SignInRequiredError` is an ``AuthenticationError``: it never trips a breaker and is never
answered from a cache; the app shows "sign in again".
"""

from __future__ import annotations

from ..errors import AuthenticationError, IntegrationError, ServiceUnavailableError

__all__ = ["SignInError", "PinDeniedError", "PinExpiredError", "SignInRequiredError", "NoConnectionError",
           "SIGN_IN_AGAIN"]

#: what every :class:`SignInRequiredError` message ends with: what the app tells the user
SIGN_IN_AGAIN = "sign in again"


class SignInError(IntegrationError):
    """A sign-in with Plex did not complete."""

    kind = "sign-in"


class PinDeniedError(SignInError):
    """The user declined the sign-in: plex.tv forgot the PIN before its expiry."""

    kind = "sign-in denied"


class PinExpiredError(SignInError):
    """The PIN expired before anybody approved it."""

    kind = "sign-in expired"


class SignInRequiredError(AuthenticationError):
    """The app holds no valid plex.tv token (never signed in, signed out, or the token was revoked)."""

    kind = "sign in again"

    def __init__(self, service: str, operation: str, why: str, *, status: int | None = None) -> None:
        super().__init__(service, operation, f"{why}: {SIGN_IN_AGAIN}", status=status)


class NoConnectionError(ServiceUnavailableError):
    """None of the connections plex.tv lists for the server answered."""

    kind = "no connection"
