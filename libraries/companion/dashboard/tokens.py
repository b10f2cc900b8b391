"""Mint and verify the dashboard's bearer tokens (HS256 JWTs with a ``role`` claim).

From the shell::

    python -m companion.dashboard.tokens --secret S --role admin --expires-in 300

prints one token on stdout (run with ``libraries`` on ``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

import jwt

from ..timeutil import utc_now

__all__ = ["ALGORITHM", "ADMIN_ROLE", "TokenError", "mint_token", "verify_token", "main"]

ALGORITHM = "HS256"
ADMIN_ROLE = "admin"


class TokenError(Exception):
    """A bearer token was refused. ``status`` is 401 (not authenticated) or 403 (not allowed)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return utc_now()
    return now if now.tzinfo else now.replace(tzinfo=timezone.utc)


def mint_token(secret: str, role: str | None = ADMIN_ROLE, subject: str = "qa",
               expires_in: timedelta | float = timedelta(minutes=5), now: datetime | None = None,
               **claims: Any) -> str:
    """An HS256 JWT with ``sub``, ``role``, ``iat`` and ``exp`` (``now + expires_in``).

    ``role=None`` leaves the claim out; a negative ``expires_in`` mints an
    already expired token; extra keyword arguments become extra claims.
    """
    issued = _utc(now)
    if not isinstance(expires_in, timedelta):
        expires_in = timedelta(seconds=float(expires_in))
    payload: dict[str, Any] = {"sub": subject, "iat": int(issued.timestamp()),
                               "exp": int((issued + expires_in).timestamp())}
    if role is not None:
        payload["role"] = role
    payload.update(claims)
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def verify_token(authorization: str | None, secret: str, *, required_role: str | None = ADMIN_ROLE,
                 now: datetime | None = None) -> dict[str, Any]:
    """Check an ``Authorization: Bearer <JWT>`` header value; return the claims.

    Raises :class:`TokenError` 401 for a missing header, another scheme, a
    malformed token, a bad signature, a foreign algorithm, a missing ``exp`` or
    an expired token; 403 when the token is valid but its ``role`` is not
    ``required_role``. Messages say what was wrong and never contain the token.
    Expiry is checked against ``now`` (default: the current UTC time), no leeway.
    """
    if not authorization or not authorization.strip():
        raise TokenError(401, "missing Authorization header: expected 'Bearer <token>'")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise TokenError(401, "unsupported Authorization scheme: expected 'Bearer <token>'")
    token = token.strip()
    if not token:
        raise TokenError(401, "empty bearer token: expected 'Bearer <token>'")
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM],
                            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                                     "require": ["exp"]})
    except jwt.InvalidSignatureError:
        raise TokenError(401, "invalid token: signature verification failed") from None
    except jwt.InvalidAlgorithmError:
        raise TokenError(401, f"invalid token: algorithm not allowed (expected {ALGORITHM})") from None
    except jwt.MissingRequiredClaimError as exc:
        raise TokenError(401, f"invalid token: missing required claim {exc.claim!r}") from None
    except jwt.DecodeError:
        raise TokenError(401, "malformed token: not a valid JWT") from None
    except jwt.InvalidTokenError as exc:
        raise TokenError(401, f"invalid token: {type(exc).__name__}") from None
    moment = _utc(now).timestamp()
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise TokenError(401, "invalid token: 'exp' claim must be a number")
    if exp <= moment:
        raise TokenError(401, "token expired")
    nbf = claims.get("nbf")
    if isinstance(nbf, (int, float)) and nbf > moment:
        raise TokenError(401, "token not yet valid")
    if required_role is not None:
        role = claims.get("role")
        if role is None:
            raise TokenError(403, f"forbidden: token has no role; {required_role!r} role required")
        if role != required_role:
            raise TokenError(403, f"forbidden: role {role!r} is not allowed; {required_role!r} role required")
    return claims


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m companion.dashboard.tokens",
                                     description="Print an HS256 bearer token for the health dashboard.")
    parser.add_argument("--secret", required=True, help="the dashboard's JWT secret")
    parser.add_argument("--role", default=ADMIN_ROLE, help="role claim (default: admin); '' leaves it out")
    parser.add_argument("--subject", default="qa", help="sub claim (default: qa)")
    parser.add_argument("--expires-in", type=float, default=300.0,
                        help="seconds until expiry (default: 300; negative: already expired)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point: print one token and return 0."""
    args = _parser().parse_args(argv)
    token = mint_token(args.secret, role=args.role or None, subject=args.subject,
                       expires_in=timedelta(seconds=args.expires_in))
    sys.stdout.write(token + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
