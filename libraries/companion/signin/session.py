"""``PlexSignIn``: sign in with Plex, find the server, and keep working when plex.tv does not.

The flow (``begin`` → the user approves in a browser → ``finish``)::

    app                      plex.tv                         Plex Media Server
     │ begin()  POST /api/v2/pins?strong=true ──▶ │
     │ ◀── PendingSignIn(auth_url, expires_at)    │
     │    (the user opens auth_url and approves)  │
     │ finish() GET /api/v2/pins/{id} ... ──────▶ │  (pauses growing on the clock)
     │ ◀── authToken                              │
     │          GET /api/v2/user ───────────────▶ │
     │          GET /api/v2/resources ──────────▶ │
     │ ◀── servers and their connections          │
     │ probe every connection at once: GET /identity ───────────────▶ │ (local, remote, relay)
     │ keep token + servers + the chosen connection (all or nothing)  │
     │ plex_client: library calls ──────────────────────────────────▶ │

Once signed in, plex.tv is needed again only when the chosen connection fails: the call's failure asks
for one rediscovery (plex.tv's fresh list, or the servers kept when plex.tv cannot answer), and a
connection that answers elsewhere takes the call again, before the breaker counts a failure or the cache
serves a stale answer. Another rediscovery waits for a successful call or the breaker's half-open probe.
A token refused with a 401 (by plex.tv or by the server) is a :class:`~.errors.SignInRequiredError`:
never a breaker failure, always "sign in again".
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Any

from ..breakers import CircuitBreakerFactory
from ..clock import SYSTEM_CLOCK, Clock
from ..errors import AuthenticationError, CircuitOpenError, IntegrationError, ServiceUnavailableError
from ..plex import PlexClient
from ..plextv import SERVICE, Account, PlexTvClient, ServerResource, auth_url
from ..results import Data, mark
from ..settings import ClientSettings
from .discovery import ChosenConnection, ConnectionProber
from .errors import NoConnectionError, SignInRequiredError
from .pins import PendingSignIn, PinPoller
from .settings import SignInSettings
from .store import MemorySignInStore, SignInState, SignInStore

__all__ = ["PlexSignIn"]

log = logging.getLogger("companion.signin")
PLEX = "plex"


class PlexSignIn:
    """The companion's sign-in with Plex, and its way to the signed-in account's server.

    ``settings`` are the clients' (timeouts, retries, breakers, cache) for plex.tv and Plex, ``sign_in``
    the sign-in's own (:class:`~.settings.SignInSettings`), ``breakers`` the registry the ``plextv`` and
    ``plex`` breakers live in, ``clock`` where PIN polling pauses and breakers measure time, ``store``
    where a completed sign-in is kept (read at construction: a kept sign-in is signed in at once).
    """

    def __init__(self, *, settings: ClientSettings | None = None, sign_in: SignInSettings | None = None,
                 breakers: CircuitBreakerFactory | None = None, clock: Clock = SYSTEM_CLOCK,
                 store: SignInStore | None = None) -> None:
        self.settings = settings or ClientSettings()
        self.sign_in_settings = sign_in or SignInSettings()
        self.clock = clock
        self.breakers = breakers or CircuitBreakerFactory(clock=clock)
        self.client_identifier = self.sign_in_settings.identifier()
        self.plextv = PlexTvClient(self.sign_in_settings.plextv_url, client_identifier=self.client_identifier,
                                   product=self.sign_in_settings.product, settings=self.settings,
                                   breakers=self.breakers, clock=clock)
        self.store: SignInStore = store if store is not None else MemorySignInStore()
        self.poller = PinPoller(self.plextv, self.sign_in_settings, clock)
        self.prober = ConnectionProber(self.sign_in_settings.probe_timeout_s)
        self._lock = threading.RLock()
        self._state: SignInState | None = self.store.load()
        self._plex: PlexClient | None = None
        self._sign_in_again: str | None = None
        self._rediscovered_at: int | None = None  # the plex breaker's successes when it last rediscovered

    # -- what the app shows ------------------------------------------------------------------
    @property
    def signed_in(self) -> bool:
        """True with a complete sign-in whose token was not refused since."""
        return self._state is not None and self._sign_in_again is None

    @property
    def sign_in_again(self) -> str | None:
        """Why the app must sign in again (a refused token), else None."""
        return self._sign_in_again

    @property
    def account(self) -> Account | None:
        return None if self._state is None else self._state.account

    @property
    def servers(self) -> list[ServerResource]:
        """The account's servers as last discovered."""
        return [] if self._state is None else list(self._state.servers)

    @property
    def server(self) -> ServerResource | None:
        """The server the app uses."""
        return None if self._state is None else self._state.server

    @property
    def connection_uri(self) -> str | None:
        """The address the app reaches its server at now."""
        return None if self._state is None else self._state.uri

    @property
    def connection_location(self) -> str | None:
        """``local``, ``remote`` or ``relay``: where the chosen connection leads."""
        state = self._state
        if state is None:
            return None
        return next((c.location for c in state.server.connections if c.uri == state.uri), None)

    # -- signing in -----------------------------------------------------------------------------
    def begin(self) -> PendingSignIn:
        """Start a sign-in: a strong PIN at plex.tv, and the auth URL the user opens to approve it."""
        pin = self.plextv.create_pin()
        url = auth_url(self.client_identifier, pin.code, self.sign_in_settings.product)
        log.info("plex.tv sign-in started: PIN %s, expires at %s", pin.id, pin.expires_at.isoformat())
        return PendingSignIn(pin.id, pin.code, url, pin.expires_at)

    def finish(self, pending: PendingSignIn, server_id: str | None = None) -> Account:
        """Wait for the approval, then :meth:`complete` with the token; ``PinDeniedError`` / ``PinExpiredError``
        when it does not come. Nothing is kept unless every step succeeds."""
        return self.complete(self.poller.wait(pending), server_id)

    def complete(self, token: str, server_id: str | None = None) -> Account:
        """With an approved token: read the account, list its servers, choose one (``server_id``, else the first
        online one that answers, owned first) and its connection, and keep them, all at once."""
        try:
            account = _account(self.plextv.get_account(token))
            servers = tuple(self.plextv.get_servers(token))
        except AuthenticationError as error:
            raise SignInRequiredError(SERVICE, "sign_in", "plex.tv refused the new token", status=error.status) from None
        chosen = self._choose(servers, server_id)
        state = SignInState(account, servers, chosen.server.client_identifier, chosen.uri, token)
        with self._lock:
            self.store.save(state)
            self._state, self._sign_in_again, self._rediscovered_at = state, None, None
            self._close_plex()
        log.info("signed in to plex.tv as %s; server %r at %s (%s)", account.username, chosen.server.name,
                 chosen.uri, chosen.connection.location)
        return account

    def sign_out(self) -> None:
        """Forget the sign-in here, and revoke its token at plex.tv when plex.tv can be reached."""
        with self._lock:
            state, self._state = self._state, None
            self.store.clear()
            self._sign_in_again = None
            self._close_plex()
        if state is not None:
            try:
                self.plextv.sign_out(state.token)
            except IntegrationError as error:
                log.warning("signed out here; plex.tv could not be told: %s", error)

    def _choose(self, servers: tuple[ServerResource, ...], server_id: str | None) -> ChosenConnection:
        if server_id is not None:
            wanted = [s for s in servers if s.client_identifier == server_id]
            if not wanted:
                raise NoConnectionError(PLEX, "connect", f"the account has no server {server_id!r}")
        else:
            wanted = sorted(servers, key=lambda s: not s.owned)
        online = [s for s in wanted if s.presence]
        if not online:
            names = ", ".join(repr(s.name) for s in wanted) or "none"
            raise NoConnectionError(PLEX, "connect", f"no server of the account is online (servers: {names})")
        problems = []
        for server in online:
            try:
                return self.prober.choose(server)
            except NoConnectionError as error:
                problems.append(error.detail)
        raise NoConnectionError(PLEX, "connect", "; ".join(problems))

    # -- the server -----------------------------------------------------------------------------
    @property
    def plex_client(self) -> PlexClient:
        """The Plex client of the chosen server and connection (the same one until the sign-in changes)."""
        with self._lock:
            state = self._require(PLEX, "connect")
            if self._plex is None:
                self._plex = PlexClient(state.uri, state.server.access_token, settings=self.settings,
                                        breakers=self.breakers, client_identifier=self.client_identifier,
                                        clock=self.clock)
                self._plex.on_failure(self._on_plex_failure)
            return self._plex

    def rediscover(self) -> ChosenConnection | None:
        """Where is the server now? plex.tv's list (the kept one when plex.tv cannot answer), probed again; the
        app moves to the connection that answers. None when no connection answers (nothing changes)."""
        state = self._require(SERVICE, "rediscover")
        servers, source = state.servers, "the servers kept"
        try:
            servers, source = tuple(self.plextv.get_servers(state.token)), "plex.tv"
        except AuthenticationError as error:
            self._refused("plex.tv refused the token", error)
        except IntegrationError as error:
            log.warning("plex.tv cannot list the servers (%s): probing %s", error, source)
        server = next((s for s in servers if s.client_identifier == state.server_id), None)
        if server is None:
            log.warning("the account no longer lists server %s", state.server_id)
            return None
        try:
            chosen = self.prober.choose(server)
        except NoConnectionError as error:
            log.warning("rediscovery from %s: %s", source, error.detail)
            return None
        with self._lock:
            self._state = replace(state, servers=servers, uri=chosen.uri)
            self.store.save(self._state)
            if self._plex is not None:
                self._plex.move_to(chosen.uri)
                self._plex.use_token(server.access_token)
        log.info("rediscovered %r through %s: %s (%s)", server.name, source, chosen.uri, chosen.connection.location)
        return chosen

    def _on_plex_failure(self, error: IntegrationError) -> bool:
        """The Plex client's failure handler: "sign in again" for a refused token; one rediscovery for a
        connection that stopped answering (True: the call goes once more, to the new address)."""
        if isinstance(error, AuthenticationError):
            self._refused("the server refused the token", error)
        if not isinstance(error, ServiceUnavailableError) or isinstance(error, CircuitOpenError):
            return False
        metrics = self.breakers.get(PLEX).metrics()
        with self._lock:
            if self._rediscovered_at == metrics["successes"] and metrics["state"] != "half-open":
                return False  # rediscovered already in this failure episode: breaker and cache take over
            self._rediscovered_at = metrics["successes"]
            before = self._state
        chosen = self.rediscover()
        return chosen is not None and before is not None and (
            chosen.uri != before.uri or chosen.server.access_token != before.server.access_token)

    # -- status ------------------------------------------------------------------------------------
    def check_account(self) -> Data:
        """The status service's health call for plex.tv: the account read fresh with the token kept."""
        state = self._require(SERVICE, "check_account")
        try:
            data = self.plextv.get_account(state.token)
        except AuthenticationError as error:
            self._refused("plex.tv refused the token", error)
        return mark({"name": f"signed in as {data['username']}", **data}, stale=False)

    @property
    def last_call_attempts(self) -> int:
        """Attempts of this thread's last plex.tv call (what the status service reads)."""
        return self.plextv.last_call_attempts

    @property
    def last_call_stale(self) -> bool:
        return False  # plex.tv answers are never served from a cache

    def clear_cache(self) -> None:
        """Nothing of plex.tv is cached (here for the status service, which clears every client's cache)."""

    def close(self) -> None:
        """Close the connections (the sign-in itself is kept)."""
        with self._lock:
            self._close_plex()
        self.plextv.close()

    # -- internals ------------------------------------------------------------------------------------
    def _require(self, service: str, operation: str) -> SignInState:
        state = self._state
        if state is None:
            raise SignInRequiredError(service, operation, "not signed in with Plex")
        if self._sign_in_again is not None:
            raise SignInRequiredError(service, operation, self._sign_in_again)
        return state

    def _refused(self, why: str, error: IntegrationError) -> Any:
        """A token refused with a 401/403: the app must sign in again (the kept sign-in is dropped)."""
        with self._lock:
            self._sign_in_again = f"{why} (HTTP {error.status})" if error.status else why
            self.store.clear()
        log.warning("%s: sign in again", self._sign_in_again)
        raise SignInRequiredError(error.service, error.operation, self._sign_in_again, status=error.status) from None

    def _close_plex(self) -> None:
        if self._plex is not None:
            self._plex.close()
            self._plex = None

    def __repr__(self) -> str:
        who = self._state.account.username if self._state is not None else None
        return f"<PlexSignIn {'signed in as ' + who if who else 'not signed in'}>"


def _account(data: Any) -> Account:
    return Account(int(data["id"]), str(data["uuid"]), str(data["username"]), str(data["title"]),
                   str(data["email"]), bool(data["subscription_active"]))
