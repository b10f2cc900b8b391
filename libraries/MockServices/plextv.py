"""plex.tv mock control: the user's side of the browser (approve, decline, revoke) and the server's connections."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret

from atest_support.secret import reveal
from atest_support.waiting import seconds

from .context import MockContext

Location = Literal["local", "remote", "relay"]
Behaviour = Literal["answers", "refuses", "slow", "hangs"]
TAG = "plextv"


class PlexTvKeywords:
    """What a user does at plex.tv (approve or decline a sign-in, remove a device) and how the account's
    server can be reached (its connections). The server is the suite's Plex mock, listed under its
    ``machineIdentifier`` when plex.tv was started after it."""

    def __init__(self, context: MockContext) -> None:
        self.ctx = context

    def _mock(self) -> Any:
        return self.ctx.get("plextv")

    def _server(self, server: str | None) -> str:
        """The clientIdentifier of ``server`` (a name or clientIdentifier; None: the only or first server)."""
        servers = self._mock().servers
        if not servers:
            raise AssertionError("The plex.tv account lists no server: start the Plex mock before plex.tv.")
        if server is None:
            return servers[0]["clientIdentifier"]
        for listed in servers:
            if server in (listed["name"], listed["clientIdentifier"]):
                return listed["clientIdentifier"]
        raise AssertionError(f"The plex.tv account lists no server {server!r}: it lists "
                             f"{', '.join(s['name'] for s in servers)}.")

    def _change(self, what: str, change: Any) -> Any:
        try:
            return change()
        except (KeyError, ValueError) as exc:
            raise AssertionError(f"Cannot {what}: {exc.args[0] if exc.args else exc}") from None

    @keyword("Approve Plex Sign-In", tags=[TAG])
    def approve_plex_sign_in(self, pin: str = "latest") -> dict:
        """The user approves the sign-in in the browser: the PIN (``latest`` pending one, an id or a code) now
        carries a new token of the account, issued to the app that created it. Returns the PIN (no token).

        | `Approve Plex Sign-In`
        """
        approved = self._change(f"approve PIN {pin}", lambda: self._mock().approve_pin(pin))
        logger.info(f"plex.tv: PIN {approved['id']} approved for client {approved['clientIdentifier']}")
        return approved

    @keyword("Decline Plex Sign-In", tags=[TAG])
    def decline_plex_sign_in(self, pin: str = "latest") -> dict:
        """The user declines the sign-in: plex.tv forgets the PIN, so the app's next look at it is a 404 before its
        expiry. Returns the PIN.

        | `Decline Plex Sign-In`
        """
        declined = self._change(f"decline PIN {pin}", lambda: self._mock().deny_pin(pin))
        logger.info(f"plex.tv: PIN {declined['id']} declined")
        return declined

    @keyword(tags=[TAG])
    def revoke_plex_tokens(self, issued_to: str | None = None, token: Secret | str | None = None) -> int:
        """Revokes the tokens plex.tv issued to the app ``issued_to`` (its client identifier: plex.tv's "Authorized
        Devices", remove one), or one ``token``; their servers' access tokens go with them. Returns how many.

        | `Revoke Plex Tokens`    issued_to=${client_identifier}
        """
        count = self._change("revoke tokens", lambda: self._mock().revoke_tokens(token=reveal(token),
                                                                                  issued_to=issued_to))
        logger.info(f"plex.tv: {count} token(s) revoked")
        return count

    @keyword(tags=[TAG])
    def set_plex_connection(self, location: Location, behaviour: Behaviour, delay: timedelta = timedelta(0),
                            server: str | None = None) -> list[dict]:
        """Makes the server's ``location`` connection(s) ``answers``, ``refuses`` (connection refused), ``slow``
        (``delay`` late, real time) or ``hangs`` (never answers). ``server`` is a name or clientIdentifier (default:
        the account's first server). Returns the server's connections.

        | `Set Plex Connection`    local    refuses
        | `Set Plex Connection`    relay    slow    delay=300ms
        """
        machine = self._server(server)
        connections = self._change(f"set the {location} connection", lambda: self._mock().set_connection(
            machine, location, behaviour, delay_ms=seconds(delay) * 1000))
        logger.info(f"plex.tv: {location} connection(s) of {machine} now {behaviour}: {connections}")
        return connections

    @keyword(tags=[TAG])
    def move_plex_server(self, *locations: Location, server: str | None = None) -> list[dict]:
        """The server moves: plex.tv lists it with new connections at ``locations`` (default ``remote``), on new
        ports, all answering; the old addresses refuse. Returns the new connections.

        | `Move Plex Server`    remote
        """
        machine = self._server(server)
        specs = [{"location": where} for where in (locations or ("remote",))]
        moved = self._change("move the server", lambda: self._mock().set_server(machine, connections=specs))
        logger.info(f"plex.tv: {machine} now listed at {[c['uri'] for c in moved['connections']]}")
        return moved["connections"]

    @keyword(tags=[TAG])
    def set_plex_server_presence(self, online: bool, server: str | None = None) -> None:
        """Lists the server as online (``presence`` true) or offline.

        | `Set Plex Server Presence`    ${False}
        """
        machine = self._server(server)
        self._change("set the presence", lambda: self._mock().set_server(machine, presence=online))

    @keyword("Get Plex TV Servers", tags=[TAG])
    def get_plex_tv_servers(self) -> list[dict]:
        """Returns the account's servers as plex.tv lists them: ``clientIdentifier``, ``name``, ``presence``,
        ``connections`` (``location``, ``behaviour``, ``uri``); no token."""
        return self._mock().servers

    @keyword("Get Plex TV PINs", tags=[TAG])
    def get_plex_tv_pins(self) -> list[dict]:
        """Returns the PINs plex.tv keeps: ``id``, ``code``, ``strong``, ``clientIdentifier``, ``state`` (pending,
        linked, denied, expired), ``expiresAt``."""
        return self._mock().pins
