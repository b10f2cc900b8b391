"""The plex.tv mock's state: one account, the tokens it issued, its PINs, and the servers it can reach.

Thread-safe (one lock). Every change bumps :attr:`PlexTvAccount.version` after it is applied (see
:mod:`mockservers.core.readybytes`); a PIN running out of time on the mock's clock is a change too
(:meth:`PlexTvAccount.data_version` notices it), so no answer from before an expiry is served after it.

Tokens: the account's own token (``plextv_token`` of :mod:`mockservers.credentials`, what the account
is signed in with on the web) and one new random token per PIN authorized and per sign-in, each issued
to the client identifier that asked. Each live token gets one access token per server: what
``/api/v2/resources`` lists as the server's ``accessToken`` for that token. Revoking a token revokes
its access tokens with it. :meth:`PlexTvAccount.accepts` is what a linked Plex mock asks.
"""

from __future__ import annotations

import hmac
import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from mockservers.core.readybytes import DataVersion, changes_data

__all__ = ["PlexTvAccount", "PlexTvError", "Pin", "Token", "Server", "Connection", "LOCATIONS",
           "PIN_LIFETIME_S", "MAX_PINS", "MAX_TOKENS", "MAX_SERVERS", "MAX_CONNECTIONS", "mint_token"]

#: seconds a PIN lives: strong (OAuth) PINs and 4-character PINs (plex.tv/link)
PIN_LIFETIME_S = {True: 1800.0, False: 900.0}
#: at most this many PINs are kept (the oldest finished ones are dropped first)
MAX_PINS = 1000
#: at most this many tokens are kept (the oldest revoked ones are dropped first)
MAX_TOKENS = 1000
MAX_SERVERS = 50
MAX_CONNECTIONS = 16
#: where a connection leads, in the order a client prefers them
LOCATIONS = ("local", "remote", "relay")
FIRST_PIN_ID = 1_000_000_001
STRONG_CODE_LENGTH = 25
#: 4-character codes avoid letters and digits that read alike (plex.tv/link codes are upper case)
SHORT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
#: prepended to every token the mock mints (tests that search output for minted tokens set it)
TOKEN_PREFIX = ""


def mint_token() -> str:
    """A new random token, shaped like plex.tv's (20 URL-safe characters)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(15)


def iso_z(epoch: float) -> str:
    """``2026-12-01T14:00:00Z``: how plex.tv writes ``createdAt`` / ``expiresAt``."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class PlexTvError(Exception):
    """A refused request: becomes plex.tv's ``{"errors": [{"code", "message", "status"}]}``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def unauthorized() -> PlexTvError:
    return PlexTvError(401, 1001, "User could not be authenticated")


def code_not_found() -> PlexTvError:
    return PlexTvError(404, 1020, "Code not found or expired")


@dataclass
class Pin:
    """A PIN a client created: pending until linked (a token), denied, or expired on the mock's clock."""

    id: int
    code: str
    strong: bool
    client_identifier: str
    product: str
    created_at: float
    expires_at: float
    token: str | None = None
    denied: bool = False

    def state(self, now: float) -> str:
        """``linked``, ``denied``, ``expired`` or ``pending``."""
        if self.token is not None:
            return "linked"
        if self.denied:
            return "denied"
        return "expired" if now >= self.expires_at else "pending"

    def summary(self, now: float) -> dict[str, Any]:
        """What the admin API shows (no token)."""
        return {"id": self.id, "code": self.code, "strong": self.strong, "clientIdentifier": self.client_identifier,
                "product": self.product, "state": self.state(now), "expiresAt": iso_z(self.expires_at)}


@dataclass
class Token:
    """A token of the account: ``origin`` account (its own), pin or signin; ``issued_to`` a client identifier."""

    value: str
    origin: str
    issued_to: str | None
    revoked: bool = False


@dataclass
class Connection:
    """One address plex.tv lists for a server: where it leads (``location``), how it behaves, its port."""

    location: str
    behaviour: str = "answers"
    delay_ms: float = 0.0
    host: str = "127.0.0.1"
    port: int = 0

    @property
    def uri(self) -> str:
        return f"http://{self.host}:{self.port}"

    def summary(self) -> dict[str, Any]:
        return {"location": self.location, "behaviour": self.behaviour, "delay_ms": self.delay_ms,
                "uri": self.uri}


@dataclass
class Server:
    """A Plex Media Server of the account (a resource that ``provides`` ``server``)."""

    client_identifier: str
    name: str
    target: tuple[str, int] | None
    presence: bool = True
    owned: bool = True
    product_version: str = "1.40.1.8227-c0dd5a73e"
    platform: str = "Linux"
    platform_version: str = "6.5.0"
    created_at: float = 0.0
    connections: list[Connection] = field(default_factory=list)
    #: account token -> this server's access token for it
    access: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """What the admin API shows (no token)."""
        return {"clientIdentifier": self.client_identifier, "name": self.name, "presence": self.presence,
                "owned": self.owned, "target": None if self.target is None else f"{self.target[0]}:{self.target[1]}",
                "connections": [c.summary() for c in self.connections]}


class PlexTvAccount:
    """One plex.tv account (see the module doc). ``clock`` returns the mock's epoch seconds."""

    def __init__(self, *, username: str, password: str, token: str, clock: Callable[[], float]) -> None:
        self.username, self.password, self.own_token = username, password, token
        self.clock = clock
        self.version = DataVersion()
        self.lock = threading.RLock()
        self.created_at = clock()
        self.pins: dict[int, Pin] = {}
        self.tokens: dict[str, Token] = {}
        self.servers: dict[str, Server] = {}
        self._access_index: dict[str, tuple[str, str]] = {}
        self._seen: list[str] = []  # every token and access token ever issued (the newest MAX_TOKENS)
        self._next_pin = FIRST_PIN_ID
        self._expiries_passed = 0
        self.reset()

    # -- identity ----------------------------------------------------------------------------
    @property
    def id(self) -> int:
        return 1_000_001

    @property
    def uuid(self) -> str:
        return "9f8e7d6c5b4a39281706f5e4d3c2b1a0"

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"

    # -- versions ----------------------------------------------------------------------------
    def data_version(self) -> int:
        """The version of everything an answer depends on: bumped by every change and by every PIN expiry."""
        now = self.clock()
        with self.lock:
            passed = sum(1 for pin in self.pins.values() if pin.expires_at <= now)
            if passed != self._expiries_passed:
                self._expiries_passed = passed
                self.version.bump()
            return self.version.value

    @changes_data
    def reset(self) -> None:
        """Back to the start: no PINs, only the account's own token, no servers (linked ones are re-added
        by the mock)."""
        with self.lock:
            self.pins.clear()
            self.tokens = {self.own_token: Token(self.own_token, "account", None)}
            self.servers.clear()
            self._access_index.clear()
            self._expiries_passed = 0
            self._remember(self.own_token)

    # -- tokens ------------------------------------------------------------------------------
    def _remember(self, value: str) -> None:
        self._seen = [*self._seen[-(MAX_TOKENS - 1):], value]

    def secret_values(self) -> list[str]:
        """Every token and access token ever issued (the newest :data:`MAX_TOKENS`) and the password."""
        with self.lock:
            return [self.password, *self._seen]

    def live_token(self, value: str | None) -> Token:
        """The live token ``value``, or a 401."""
        with self.lock:
            token = self.tokens.get(value or "")
            if token is None or token.revoked:
                raise unauthorized()
            return token

    def _issue(self, origin: str, issued_to: str | None) -> Token:
        token = Token(mint_token(), origin, issued_to)
        self.tokens[token.value] = token
        self._remember(token.value)
        for server in self.servers.values():
            self._grant(server, token.value)
        if len(self.tokens) > MAX_TOKENS:
            for value in [v for v, t in self.tokens.items() if t.revoked][: len(self.tokens) - MAX_TOKENS]:
                self._drop(value)
        return token

    def _grant(self, server: Server, account_token: str) -> None:
        access = mint_token()
        server.access[account_token] = access
        self._access_index[access] = (server.client_identifier, account_token)
        self._remember(access)

    def _drop(self, value: str) -> None:
        self.tokens.pop(value, None)
        for server in self.servers.values():
            access = server.access.pop(value, None)
            self._access_index.pop(access or "", None)

    @changes_data
    def revoke(self, token: str | None = None, issued_to: str | None = None) -> int:
        """Revoke ``token``, or every token issued to client ``issued_to``; returns how many were live."""
        with self.lock:
            count = 0
            for value, known in self.tokens.items():
                if known.revoked:
                    continue
                if (token is not None and value == token) or (issued_to is not None and known.issued_to == issued_to):
                    known.revoked = True
                    count += 1
            return count

    def accepts(self, machine_identifier: str, token: str) -> bool:
        """True when ``token`` is live for the server ``machine_identifier``: a live token of the account (which
        reaches the server), or the access token plex.tv handed out for it under a live token."""
        with self.lock:
            if machine_identifier not in self.servers:
                return False
            known = self.tokens.get(token)
            if known is not None:
                return not known.revoked
            granted = self._access_index.get(token)
            if granted is None or granted[0] != machine_identifier:
                return False
            return not self.tokens[granted[1]].revoked

    # -- PINs --------------------------------------------------------------------------------
    @changes_data
    def create_pin(self, strong: bool, client_identifier: str, product: str) -> Pin:
        """A new pending PIN for ``client_identifier``."""
        with self.lock:
            now = self.clock()
            if strong:
                code = "".join(secrets.choice(string.ascii_lowercase + string.digits)
                               for _ in range(STRONG_CODE_LENGTH))
            else:
                code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(4))
            pin = Pin(self._next_pin, code, strong, client_identifier, product, now, now + PIN_LIFETIME_S[strong])
            self._next_pin += 1
            self.pins[pin.id] = pin
            if len(self.pins) > MAX_PINS:
                finished = [p.id for p in self.pins.values() if p.state(now) != "pending"]
                for old in (finished + list(self.pins))[: len(self.pins) - MAX_PINS]:
                    self.pins.pop(old, None)
            return pin

    def pin_for(self, pin_id: int, client_identifier: str) -> Pin:
        """The PIN as its client polls it; 404 once expired or denied, and for another client identifier."""
        with self.lock:
            pin = self.pins.get(pin_id)
            if (pin is None or pin.client_identifier != client_identifier
                    or pin.state(self.clock()) in ("expired", "denied")):
                raise code_not_found()
            return pin

    def find_pin(self, ref: str) -> Pin:
        """A PIN by id or code (the admin API's way), whatever its state; ``KeyError`` if there is none."""
        with self.lock:
            if ref.isdigit() and int(ref) in self.pins:
                return self.pins[int(ref)]
            for pin in self.pins.values():
                if pin.code == ref:
                    return pin
            raise KeyError(f"no PIN with id or code {ref[:40]!r}")

    def latest_pending(self, strong: bool | None = None) -> Pin:
        """The newest pending PIN (of that kind); ``KeyError`` if none is pending."""
        with self.lock:
            now = self.clock()
            for pin in reversed(list(self.pins.values())):
                if pin.state(now) == "pending" and (strong is None or pin.strong == strong):
                    return pin
            raise KeyError("no PIN is pending")

    def _check_pending(self, pin: Pin) -> None:
        state = pin.state(self.clock())
        if state != "pending":
            raise ValueError(f"PIN {pin.id} is {state}: only a pending PIN can be approved or denied")

    @changes_data
    def authorize(self, pin: Pin) -> Token:
        """The user approves ``pin`` (a strong PIN in the browser): a new token, issued to the PIN's client."""
        with self.lock:
            self._check_pending(pin)
            token = self._issue("pin", pin.client_identifier)
            pin.token = token.value
            return token

    @changes_data
    def deny(self, pin: Pin) -> None:
        """The user declines ``pin``: plex.tv forgets it (its client's next poll is a 404 before the expiry)."""
        with self.lock:
            self._check_pending(pin)
            pin.denied = True

    @changes_data
    def link(self, code: str, token: str | None) -> Pin:
        """plex.tv/link: the signed-in user (``token``) enters a 4-character ``code``; 401 / 404 otherwise."""
        with self.lock:
            self.live_token(token)
            now = self.clock()
            for pin in self.pins.values():
                if not pin.strong and pin.code == code.upper() and pin.state(now) == "pending":
                    pin.token = self._issue("pin", pin.client_identifier).value
                    return pin
            raise code_not_found()

    # -- signing in and out --------------------------------------------------------------------
    @changes_data
    def sign_in(self, login: str, password: str, client_identifier: str) -> Token:
        """A new token for the account when ``login`` (user name or email) and ``password`` match; else 401."""
        with self.lock:
            known = login in (self.username, self.email)
            if not (known and hmac.compare_digest(password.encode(), self.password.encode())):
                raise unauthorized()
            return self._issue("signin", client_identifier)

    # -- servers -------------------------------------------------------------------------------
    @changes_data
    def put_server(self, server: Server) -> Server:
        """Add ``server`` (or replace the one with its client identifier); every live token gets access."""
        with self.lock:
            old = self.servers.get(server.client_identifier)
            if old is None and len(self.servers) >= MAX_SERVERS:
                raise ValueError(f"at most {MAX_SERVERS} servers per account")
            if old is not None:
                for access in old.access.values():
                    self._access_index.pop(access, None)
            self.servers[server.client_identifier] = server
            for value, token in self.tokens.items():
                if not token.revoked:
                    self._grant(server, value)
            return server

    @changes_data
    def remove_server(self, client_identifier: str) -> Server:
        """Remove a server; ``KeyError`` if there is none."""
        with self.lock:
            server = self.servers.pop(client_identifier, None)
            if server is None:
                raise KeyError(f"no server with clientIdentifier {client_identifier[:60]!r}")
            for access in server.access.values():
                self._access_index.pop(access, None)
            return server

    @changes_data
    def changed(self) -> None:
        """Something of a server changed in place (presence, a connection): every ready answer expires."""

    def server(self, client_identifier: str) -> Server:
        with self.lock:
            try:
                return self.servers[client_identifier]
            except KeyError:
                raise KeyError(f"no server with clientIdentifier {client_identifier[:60]!r}") from None

    def resources(self, token: str) -> list[tuple[Server, str]]:
        """Each server with the access token it has for ``token`` (a live token; else 401)."""
        with self.lock:
            self.live_token(token)
            return [(server, server.access[token]) for server in self.servers.values()]

    def summary(self) -> dict[str, Any]:
        """What the admin API shows: the account, PINs and servers (no token value)."""
        with self.lock:
            now = self.clock()
            live = [t for t in self.tokens.values() if not t.revoked]
            return {"account": {"id": self.id, "username": self.username, "email": self.email},
                    "tokens": {"live": len(live), "revoked": len(self.tokens) - len(live),
                               "issued_to": sorted({t.issued_to for t in live if t.issued_to})},
                    "pins": [pin.summary(now) for pin in self.pins.values()],
                    "servers": [server.summary() for server in self.servers.values()]}
