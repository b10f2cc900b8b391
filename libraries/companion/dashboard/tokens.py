"""Mint and verify the dashboard's bearer tokens (HS256 JWTs with a ``role`` claim).

From the shell::

    python -m companion.dashboard.tokens --secret S --role admin --expires-in 300

prints one token on stdout (run with ``libraries`` on ``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

import jwt

from ..clock import SYSTEM_CLOCK

__all__ = ["ALGORITHM", "ADMIN_ROLE", "MAX_TOKEN_LIFETIME_S", "TokenError", "mint_token", "verify_token", "main"]

ALGORITHM = "HS256"
ADMIN_ROLE = "admin"
#: the longest a token may live: ``exp - iat`` and ``exp - now`` at most this (24 hours)
MAX_TOKEN_LIFETIME_S = 24 * 3600
#: the latest moment a time claim may name (9999-12-31T23:59:59Z); later is absurd
MAX_TIMESTAMP = 253_402_300_799
#: how far ahead of the verifier's clock a token's ``iat`` may be (clock skew between machines)
MAX_CLOCK_SKEW_S = 60
#: the longest bearer token read (bytes); longer is refused before decoding
MAX_TOKEN_LENGTH = 4096


class TokenError(Exception):
    """A bearer token was refused. ``status`` is 401 (not authenticated) or 403 (not allowed)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return SYSTEM_CLOCK.now()
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


def _short(value: Any, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters (a claim may be huge)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _time_claim(claims: dict[str, Any], name: str) -> float | None:
    """A time claim as seconds since the epoch; TokenError 401 unless it is a finite number in range."""
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TokenError(401, f"invalid token: {name!r} claim must be a number of seconds since the epoch, "
                              f"got {type(value).__name__}")
    if not math.isfinite(value) or not 0 <= value <= MAX_TIMESTAMP:
        raise TokenError(401, f"invalid token: {name!r} claim must be a finite number from 0 to {MAX_TIMESTAMP} "
                              f"(9999-12-31), got {_short(value)}")
    return float(value)


def verify_token(authorization: str | None, secret: str, *, required_role: str | None = ADMIN_ROLE,
                 now: datetime | None = None, max_lifetime_s: float = MAX_TOKEN_LIFETIME_S) -> dict[str, Any]:
    """Check an ``Authorization: Bearer <JWT>`` header value; return the claims.

    Raises :class:`TokenError` 401 for a missing header, another scheme, a
    malformed or over-long token, a bad signature, a foreign algorithm, a
    missing ``exp``; an ``exp`` / ``nbf`` / ``iat`` that is not a finite number
    from 0 to year 9999; an expired token, one not yet valid (``nbf``), one
    issued more than 60 s in the future (``iat``), or one living longer than
    ``max_lifetime_s`` (``exp - iat``, or ``exp - now`` without ``iat``;
    default 24 h). 403 when the token is valid but its ``role`` is not
    ``required_role``. Messages say what was wrong and never contain the token.
    Times are checked against ``now`` (default: the current UTC time), no leeway.
    """
    if not authorization or not authorization.strip():
        raise TokenError(401, "missing Authorization header: expected 'Bearer <token>'")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise TokenError(401, "unsupported Authorization scheme: expected 'Bearer <token>'")
    token = token.strip()
    if not token:
        raise TokenError(401, "empty bearer token: expected 'Bearer <token>'")
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenError(401, f"malformed token: longer than {MAX_TOKEN_LENGTH} characters")
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
    except (ValueError, TypeError, RecursionError) as exc:  # a payload PyJWT does not expect
        raise TokenError(401, f"malformed token: {type(exc).__name__}") from None
    moment = _utc(now).timestamp()
    times = {claim: _time_claim(claims, claim) for claim in ("exp", "nbf", "iat")}
    exp, nbf, iat = times["exp"], times["nbf"], times["iat"]
    if exp <= moment:
        raise TokenError(401, "token expired")
    if nbf is not None and nbf > moment:
        raise TokenError(401, "token not yet valid ('nbf' is in the future)")
    if iat is not None and iat > moment + MAX_CLOCK_SKEW_S:
        raise TokenError(401, f"invalid token: 'iat' (issued at) is more than {MAX_CLOCK_SKEW_S} s in the future")
    lifetime = exp - (min(iat, moment) if iat is not None else moment)
    if lifetime > max_lifetime_s:
        raise TokenError(401, f"invalid token: lifetime {lifetime:.0f} s exceeds the maximum of "
                              f"{max_lifetime_s:.0f} s ('exp' - {'iat' if iat is not None else 'now'})")
    if required_role is not None:
        role = claims.get("role")
        if role is None:
            raise TokenError(403, f"forbidden: token has no role; {required_role!r} role required")
        if role != required_role:
            raise TokenError(403, f"forbidden: role {_short(role)} is not allowed; {required_role!r} role required")
    return claims


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m companion.dashboard.tokens",
                                     description="Print an HS256 bearer token for the health dashboard.")
    parser.add_argument("--secret", required=True, help="the dashboard's JWT secret")
    parser.add_argument("--role", default=ADMIN_ROLE, help="role claim (default: admin); '' leaves it out")
    parser.add_argument("--subject", default="qa", help="sub claim (default: qa)")
    parser.add_argument("--expires-in", type=float, default=300.0,
                        help="seconds until expiry (default: 300; negative: already expired; the dashboard "
                             f"refuses more than {MAX_TOKEN_LIFETIME_S})")
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
