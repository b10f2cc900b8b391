"""``PlexTvClient``: plex.tv's PIN, account and resources API, on the shared transport.

The companion talks to plex.tv to sign in (a strong PIN the user approves in the browser), to read the
account, and to list the servers the account can reach with their connections. Every call goes through
the one transport (breaker ``plextv``, retries, typed errors). The token travels in the ``X-Plex-Token``
header of the call that needs it, never in a URL, a message or a ``repr``; asks for JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from .base import HttpServiceClient
from .breakers import CircuitBreakerFactory
from .clock import SYSTEM_CLOCK, Clock
from .errors import BadResponseError
from .results import Data
from .settings import ClientSettings

__all__ = ["PlexTvClient", "Pin", "Account", "Connection", "ServerResource", "auth_url", "SERVICE", "PLEX_TV_URL",
           "AUTH_APP_URL", "LOCATIONS"]

SERVICE = "plextv"
PLEX_TV_URL = "https://plex.tv"
AUTH_APP_URL = "https://app.plex.tv/auth"
#: where a connection leads, in the order the companion prefers them
LOCATIONS = ("local", "remote", "relay")


def auth_url(client_identifier: str, code: str, product: str) -> str:
    """Where the user approves a strong PIN: ``https://app.plex.tv/auth#?clientID=…&code=…&context[device][product]=…``."""
    query = urlencode({"clientID": client_identifier, "code": code, "context[device][product]": product}, safe="[]")
    return f"{AUTH_APP_URL}#?{query}"


def _when(value: Any) -> datetime | None:
    """``2026-12-01T14:00:00Z`` (or an epoch) as an aware UTC datetime; None when absent or unreadable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc)
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Pin:
    """A PIN as plex.tv answers it; ``auth_token`` is set once the user approved it (never in the repr)."""

    id: int
    code: str
    client_identifier: str
    expires_at: datetime
    auth_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Account:
    """The signed-in plex.tv account (no token)."""

    id: int
    uuid: str
    username: str
    title: str
    email: str
    subscription_active: bool = False


@dataclass(frozen=True)
class Connection:
    """One address of a server: its ``uri`` and where it leads (``local``, ``remote`` or ``relay``)."""

    uri: str
    location: str
    protocol: str = "http"
    address: str = ""
    port: int = 0


@dataclass(frozen=True)
class ServerResource:
    """A Plex Media Server of the account: ``client_identifier`` is its ``machineIdentifier``; ``access_token``
    is what to send it (never in the repr)."""

    name: str
    client_identifier: str
    owned: bool
    presence: bool
    connections: tuple[Connection, ...]
    product_version: str = ""
    access_token: str = field(default="", repr=False)

    def in_order(self) -> list[Connection]:
        """The connections local first, then remote, then relay (plex.tv's order within each)."""
        return sorted(self.connections, key=lambda c: LOCATIONS.index(c.location))


def _flag(value: Any) -> bool:
    return value is True or value in (1, "1", "true")


def _require(raw: Any, keys: tuple[str, ...], operation: str, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or any(key not in raw for key in keys):
        shown = sorted(raw)[:10] if isinstance(raw, dict) else type(raw).__name__
        raise BadResponseError(SERVICE, operation, f"{what} without {', '.join(keys)}: {shown}")
    return raw


def _connection(raw: Any) -> Connection:
    raw = _require(raw, ("uri",), "get_resources", "a connection")
    location = "relay" if _flag(raw.get("relay")) else "local" if _flag(raw.get("local")) else "remote"
    port = raw.get("port")
    return Connection(str(raw["uri"]).rstrip("/"), location, str(raw.get("protocol", "")), str(raw.get("address", "")),
                      int(port) if isinstance(port, int) and not isinstance(port, bool) else 0)


def _server(raw: dict[str, Any]) -> ServerResource:
    raw = _require(raw, ("name", "clientIdentifier", "connections"), "get_resources", "a resource")
    if not isinstance(raw["connections"], list):
        raise BadResponseError(SERVICE, "get_resources", "a resource whose connections are not a list")
    return ServerResource(str(raw["name"]), str(raw["clientIdentifier"]), _flag(raw.get("owned")),
                          _flag(raw.get("presence")), tuple(_connection(c) for c in raw["connections"]),
                          str(raw.get("productVersion", "")), str(raw.get("accessToken") or ""))


class PlexTvClient(HttpServiceClient):
    """A resilient plex.tv client for signing in: PINs, the account, its servers.

    ``client_identifier`` and ``product`` name this app to plex.tv (``X-Plex-Client-Identifier``,
    ``X-Plex-Product``): a PIN answers only the client that created it, and plex.tv lists the token it
    issues under that identifier ("Authorized Devices"). Nothing is cached: the sign-in keeps what it read.
    """

    service = SERVICE

    def __init__(self, base_url: str = PLEX_TV_URL, *, client_identifier: str, product: str = "Companion",
                 version: str = "1.0", settings: ClientSettings | None = None,
                 breakers: CircuitBreakerFactory | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        if not client_identifier or not product:
            raise ValueError("plex.tv needs a client identifier and a product name")
        self.client_identifier = client_identifier
        self.product = product
        headers = {"Accept": "application/json", "X-Plex-Product": product, "X-Plex-Version": version,
                   "X-Plex-Client-Identifier": client_identifier, "X-Plex-Platform": "Python",
                   "X-Plex-Device-Name": product}
        super().__init__(base_url, headers, settings, breakers, clock)

    def _json(self, operation: str, method: str, path: str, token: str | None = None, *,
              ok: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        headers = {}
        if token:
            self._http.add_secret(token)
            headers["X-Plex-Token"] = token
        response = self._http.send(operation, method, path, headers=headers, ok_statuses=ok, **kwargs)
        return None if response.status_code == 204 else self._http.json(operation, response)

    def create_pin(self) -> Pin:
        """A new strong (OAuth) PIN for this app (``POST /api/v2/pins?strong=true``)."""
        return self._http.read("create_pin", lambda: self._pin("create_pin", self._json(
            "create_pin", "POST", "/api/v2/pins", params={"strong": "true"}, ok=(200, 201))))

    def get_pin(self, pin_id: int) -> Pin:
        """The PIN now: ``auth_token`` once approved. A 404 (expired, declined, unknown) is a
        ``RequestRejectedError`` with ``status`` 404."""
        return self._http.read("get_pin", lambda: self._pin("get_pin", self._json(
            "get_pin", "GET", f"/api/v2/pins/{int(pin_id)}")))

    def get_account(self, token: str) -> Data:
        """The account ``token`` signs in (``GET /api/v2/user``): ``id, uuid, username, title, email,
        subscription_active``; a 401 is an ``AuthenticationError``. Never cached."""
        def fetch() -> dict[str, Any]:
            raw = _require(self._json("get_account", "GET", "/api/v2/user", token), ("id", "username"),
                           "get_account", "an account")
            subscription = raw.get("subscription") if isinstance(raw.get("subscription"), dict) else {}
            return {"id": raw["id"], "uuid": str(raw.get("uuid", "")), "username": str(raw["username"]),
                    "title": str(raw.get("title", raw["username"])), "email": str(raw.get("email", "")),
                    "subscription_active": _flag(subscription.get("active"))}
        return self._http.read("get_account", fetch)

    def get_servers(self, token: str) -> list[ServerResource]:
        """The account's servers (resources that provide ``server``) with their connections, relay ones included."""
        def fetch() -> list[ServerResource]:
            raw = self._json("get_servers", "GET", "/api/v2/resources", token,
                             params={"includeHttps": "1", "includeRelay": "1"})
            if not isinstance(raw, list):
                raise BadResponseError(SERVICE, "get_servers", "expected a list of resources")
            return [_server(item) for item in raw
                    if isinstance(item, dict) and "server" in str(item.get("provides", "")).split(",")]
        return list(self._http.read("get_servers", fetch))

    def sign_out(self, token: str) -> None:
        """Revoke ``token`` at plex.tv (``DELETE /api/v2/users/signout``)."""
        self._http.read("sign_out", lambda: self._json("sign_out", "DELETE", "/api/v2/users/signout", token,
                                                       ok=(200, 204)))

    @staticmethod
    def _pin(operation: str, raw: Any) -> Pin:
        raw = _require(raw, ("id", "code"), operation, "a PIN")
        expires = _when(raw.get("expiresAt"))
        if expires is None:
            raise BadResponseError(SERVICE, operation, "a PIN without a readable expiresAt")
        return Pin(int(raw["id"]), str(raw["code"]), str(raw.get("clientIdentifier", "")), expires,
                   raw.get("authToken") or None)

