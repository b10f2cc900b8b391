"""Who may open the health page: configured accounts, a signed session cookie, and CSRF tokens.

* **Accounts** are configured, each a name, a password (kept only as a salted
  scrypt hash, werkzeug's ``generate_password_hash``) and a role; the page is
  for the ``admin`` role (the role the JSON dashboard's tokens carry). Anyone
  else can sign in and is shown a 403 page.
* **The session** is Flask's signed cookie (``companion_session``: HttpOnly,
  ``SameSite=Strict``, ``Secure`` when configured), signed with a key derived
  from the dashboard's JWT secret, so every worker of one companion accepts
  it and nothing is kept on the server. It holds the user's name and role,
  its CSRF token and when it expires on the companion's clock (8 hours).
  Signing out clears it in the browser; a stolen cookie stays valid until it
  expires (there is no server-side session list to revoke it from).
* **CSRF**: every form carries the session's token; a POST whose token does
  not match (compared in constant time) changes nothing. Signing in starts
  a new session with a new token (no session fixation).

Passwords and tokens are never logged or echoed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any, Mapping, MutableMapping

from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import SYSTEM_CLOCK, Clock
from .tokens import ADMIN_ROLE

__all__ = ["Account", "Accounts", "SessionKeeper", "SignInError", "session_key", "check_sign_in_form",
           "SESSION_COOKIE", "SESSION_LIFETIME_S", "MAX_NAME_CHARS", "MAX_PASSWORD_CHARS"]

SESSION_COOKIE = "companion_session"
#: how long a signed-in session lasts, on the companion's clock
SESSION_LIFETIME_S = 8 * 3600.0
MAX_NAME_CHARS = 64
MAX_PASSWORD_CHARS = 1024
CSRF_FIELD = "csrf_token"


class SignInError(ValueError):
    """A sign-in form that cannot be checked: ``status`` (400) and a message naming the field."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Account:
    """A signed-in person: name and role (never the password)."""

    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN_ROLE


def _check_text(field: str, value: Any, limit: int) -> str:
    if not isinstance(value, str) or not value:
        raise SignInError(400, f"'{field}' is required")
    if len(value) > limit:
        raise SignInError(400, f"'{field}' is {len(value)} characters long; at most {limit} allowed")
    bad = next((char for char in value if unicodedata.category(char) in ("Cc", "Cs")), None)
    if bad is not None:
        raise SignInError(400, f"'{field}' contains the control character U+{ord(bad):04X}; not allowed")
    return value


def check_sign_in_form(form: Mapping[str, Any]) -> tuple[str, str]:
    """``(name, password)`` from the sign-in form, or :class:`SignInError` naming the bad field
    (missing, longer than allowed, or holding a control character). The password is never quoted."""
    return (_check_text("username", form.get("username"), MAX_NAME_CHARS),
            _check_text("password", form.get("password"), MAX_PASSWORD_CHARS))


class Accounts:
    """The people who may sign in: name -> (password hash, role).

    Build with :meth:`from_passwords` from plain passwords (hashed at once), or
    with hashes made by ``werkzeug.security.generate_password_hash``.
    """

    def __init__(self, hashed: Mapping[str, tuple[str, str]] | None = None) -> None:
        self._accounts = {name: (password_hash, role) for name, (password_hash, role) in (hashed or {}).items()}
        for name, (_, role) in self._accounts.items():
            _check_text("username", name, MAX_NAME_CHARS)
            if not role:
                raise ValueError(f"account {name!r} has no role")
        self._dummy_hash: str | None = None

    @classmethod
    def from_passwords(cls, accounts: Mapping[str, tuple[str, str]]) -> "Accounts":
        """``{"alice": ("her password", "admin")}`` -> accounts holding only the passwords' hashes."""
        hashed = {}
        for name, (password, role) in accounts.items():
            _check_text("password", password, MAX_PASSWORD_CHARS)
            hashed[name] = (generate_password_hash(password), role)
        return cls(hashed)

    def __len__(self) -> int:
        return len(self._accounts)

    def __repr__(self) -> str:
        return f"<Accounts {', '.join(sorted(self._accounts)) or 'none'}>"

    def authenticate(self, name: str, password: str) -> Account | None:
        """The account when ``password`` is its password, else None.

        An unknown name costs as much time as a wrong password (a hash is
        checked either way), so the answer's timing does not tell which names exist.
        """
        known = self._accounts.get(name)
        if known is None:
            if self._dummy_hash is None:
                self._dummy_hash = generate_password_hash(secrets.token_urlsafe(16))
            check_password_hash(self._dummy_hash, password)
            return None
        password_hash, role = known
        return Account(name, role) if check_password_hash(password_hash, password) else None


def session_key(jwt_secret: str) -> bytes:
    """The key the session cookie is signed with: derived from the dashboard's JWT secret, so that every
    worker of one companion agrees on it without another setting (and a session is not a bearer token)."""
    return hmac.new(jwt_secret.encode("utf-8"), b"companion health page session", hashlib.sha256).digest()


class SessionKeeper:
    """Reads and writes the page's session in Flask's ``session`` (any mutable mapping), on ``clock``."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK, lifetime_s: float = SESSION_LIFETIME_S) -> None:
        self.clock = clock
        self.lifetime_s = lifetime_s

    def csrf_token(self, session: MutableMapping[str, Any]) -> str:
        """The session's CSRF token, made now if it has none (also before signing in)."""
        token = session.get("csrf")
        if not isinstance(token, str) or not token:
            token = session["csrf"] = secrets.token_urlsafe(32)
        return token

    @staticmethod
    def csrf_valid(session: Mapping[str, Any], supplied: Any) -> bool:
        """Does the form's token match the session's (constant-time)?"""
        expected = session.get("csrf")
        if not isinstance(expected, str) or not expected or not isinstance(supplied, str):
            return False
        return hmac.compare_digest(expected.encode("utf-8"), supplied.encode("utf-8", "replace"))

    def sign_in(self, session: MutableMapping[str, Any], account: Account) -> None:
        """A new session for ``account``, with a new CSRF token."""
        session.clear()
        session.update({"user": account.name, "role": account.role, "csrf": secrets.token_urlsafe(32),
                        "exp": self.clock.time() + self.lifetime_s})

    @staticmethod
    def sign_out(session: MutableMapping[str, Any]) -> None:
        session.clear()

    def account(self, session: Mapping[str, Any]) -> Account | None:
        """The signed-in account, or None (not signed in, or the session expired on the clock)."""
        name, role, expires = session.get("user"), session.get("role"), session.get("exp")
        if not isinstance(name, str) or not isinstance(role, str) or not isinstance(expires, (int, float)):
            return None
        if expires <= self.clock.time():
            return None
        return Account(name, role)
