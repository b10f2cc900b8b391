"""``PlexTvMock``: plex.tv (PINs, the account, its servers) on the shared :class:`MockServer` mechanism."""

from __future__ import annotations

from typing import Any, Mapping, Sequence
from urllib.parse import urlsplit

from flask import Flask

from mockservers.core import validation as check
from mockservers.core.admin import AdminApi, AdminError, json_body
from mockservers.core.server import MockServer
from mockservers.credentials import DEFAULT_CREDENTIALS

from .account import LOCATIONS, MAX_CONNECTIONS, Connection, Pin, PlexTvAccount, Server
from .app import create_app
from .doors import BEHAVIOURS, Door, DoorLoop

__all__ = ["PlexTvMock", "DEFAULT_CONNECTIONS"]

#: the connections a linked server is listed with unless told otherwise: one per location, all answering
DEFAULT_CONNECTIONS: tuple[dict[str, Any], ...] = tuple({"location": where} for where in LOCATIONS)
SERVER_FIELDS = ("name", "clientIdentifier", "target", "presence", "owned", "connections")
CONNECTION_FIELDS = ("location", "behaviour", "delay_ms")
MAX_NAME = 150
MAX_IDENTIFIER = 128


def _only(body: Mapping[str, Any], allowed: Sequence[str], what: str) -> None:
    unknown = sorted(check.shown(k) for k in set(body) - set(allowed))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)} in {what}: expected {', '.join(allowed)}")


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{field} must be true or false, got {check.shown(value)}")
    return value


def _target(value: Any) -> tuple[str, int]:
    """``http://host:port`` -> ``(host, port)``; ``ValueError`` naming the field otherwise."""
    text = check.text(value, "target", max_length=2048)
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "http" or not parts.hostname or port is None or not 0 < port < 65536:
        raise ValueError(f"target must be the server's URL like http://127.0.0.1:32400, got {check.shown(value)}")
    return parts.hostname, port


def parse_connections(value: Any) -> list[Connection]:
    """Connection specs (``[{"location": "local", "behaviour": "refuses"}, ...]``) as connections; ``ValueError``
    naming the entry and the field otherwise."""
    if not isinstance(value, (list, tuple)) or len(value) > MAX_CONNECTIONS:
        raise ValueError(f"connections must be a list of at most {MAX_CONNECTIONS} objects like "
                         f'{{"location": "local", "behaviour": "refuses"}}, got {check.shown(value)}')
    connections = []
    for index, spec in enumerate(value):
        where = f"connections[{index}]"
        if not isinstance(spec, Mapping):
            raise ValueError(f"{where} must be an object, got {check.shown(spec)}")
        _only(spec, CONNECTION_FIELDS, where)
        connections.append(parse_connection(spec, where, Connection(spec.get("location"))))
    return connections


def parse_connection(spec: Mapping[str, Any], where: str, base: Connection) -> Connection:
    """``base`` with the fields of ``spec`` applied (location, behaviour, delay_ms), checked."""
    location = spec.get("location", base.location)
    if location not in LOCATIONS:
        raise ValueError(f"{where}.location must be one of {', '.join(LOCATIONS)}, got {check.shown(location)}")
    behaviour = spec.get("behaviour", base.behaviour)
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"{where}.behaviour must be one of {', '.join(BEHAVIOURS)}, got {check.shown(behaviour)}")
    delay = check.delay_ms(spec.get("delay_ms", base.delay_ms), f"{where}.delay_ms")
    return Connection(location, behaviour, delay, base.host, base.port)


class PlexTvMock(MockServer):
    """A plex.tv stand-in that real clients signing in with a PIN (e.g. ``plexapi``) can talk to.

    One account (``username`` / ``password``; ``token`` is what it is signed in with on the web, what
    links a 4-character PIN). ``plex`` (a ``PlexMock`` or several) are the account's servers: each is
    listed by ``/api/v2/resources`` under its ``machineIdentifier`` with one connection per location
    (local, remote, relay), each on a port of its own (a :mod:`door <.doors>` in front of the Plex mock)
    so that each can refuse, hang or be slow on its own; the Plex mock then also accepts the account's
    tokens and the access tokens listed for it (:meth:`PlexMock.trust`), and refuses them once revoked.

    The user's side of the browser is the Python and admin API: :meth:`approve_pin` / :meth:`deny_pin`
    (the OAuth page), :meth:`revoke_tokens` (plex.tv's "Authorized Devices"), servers and connections
    (:meth:`add_server`, :meth:`set_server`, :meth:`set_connection`). PINs expire on the mock's clock.

    Admin routes (besides the common ones), under ``/__admin/plextv``: ``GET`` (account, PINs, servers;
    no token), ``POST pins/<id, code or latest>/approve`` and ``.../deny``, ``POST tokens/revoke``
    ``{"token"}`` or ``{"issued_to"}``, ``POST servers`` (a server), ``PATCH`` / ``DELETE
    servers/<clientIdentifier>``, ``PATCH servers/<clientIdentifier>/connections/<index or location>``.
    """

    service_name = "plextv"
    #: what else changes an answer besides path and query: the encoding, the token, the client (PINs)
    answer_headers = ("accept", "x-plex-token", "x-plex-client-identifier")

    def __init__(self, *, username: str = DEFAULT_CREDENTIALS.plextv_username,
                 password: str = DEFAULT_CREDENTIALS.plextv_password, token: str = DEFAULT_CREDENTIALS.plextv_token,
                 plex: Any = None, host: str = "127.0.0.1", port: int = 0, **kw: Any) -> None:
        super().__init__(host=host, port=port, **kw)
        self.account = PlexTvAccount(username=username, password=password, token=token, clock=self.clock.time)
        self._initial_plex: list[Any] = [] if plex is None else list(plex) if isinstance(plex, (list, tuple)) else [plex]
        self._plex: dict[str, Any] = {}  # clientIdentifier -> the linked Plex mock
        self._doors: dict[int, Door] = {}  # id(connection) -> its door
        self._door_loop = DoorLoop(f"plextv-doors-{id(self):x}")

    # -- MockServer hooks ----------------------------------------------------------------------
    def create_app(self) -> Flask:
        return create_app(self.account)

    def data_version(self) -> int:
        """The account's version (every change, and every PIN expiry on the mock's clock)."""
        return self.account.data_version()

    def secret_values(self) -> list[str]:
        """Every token and access token the account ever issued, and its password."""
        return self.account.secret_values()

    def start(self) -> "PlexTvMock":
        super().start()
        if not self._plex and not self.account.servers:
            for plex in self._initial_plex:
                self.link_plex(plex)
        for server in list(self.account.servers.values()):
            self._open_doors(server)
        for plex in self._plex.values():
            plex.trust(self)
        return self

    def stop(self) -> None:
        for plex in self._plex.values():
            plex.distrust(self)
        self._close_doors()
        self._door_loop.stop()
        super().stop()

    def reset_state(self) -> None:
        """No PINs, only the account's own token, and the servers of the Plex mocks given to the constructor,
        each with its default connections (servers added since are removed)."""
        self._close_doors()
        for plex in self._plex.values():
            if plex not in self._initial_plex:
                plex.distrust(self)
        self._plex = {}
        self.account.reset()
        if self.is_running() or self.is_taken_down():
            for plex in self._initial_plex:
                self.link_plex(plex)

    # -- tokens (what a linked Plex mock asks) ---------------------------------------------------
    def accepts(self, machine_identifier: str, token: str) -> bool:
        """True when ``token`` is a live token of the account, or the access token listed for that server."""
        return self.account.accepts(machine_identifier, token)

    def revoke_tokens(self, token: str | None = None, issued_to: str | None = None) -> int:
        """Revoke ``token``, or every token issued to the client ``issued_to`` (plex.tv's "Authorized Devices":
        remove one); their access tokens go with them. Returns how many were live."""
        if token is None and issued_to is None:
            raise ValueError("name the token to revoke, or the client identifier (issued_to) whose tokens to revoke")
        count = self.account.revoke(token=token, issued_to=issued_to)
        for plex in self._plex.values():
            plex.data_changed()  # its ready answers for a revoked token must not be served again
        return count

    # -- PINs: the user's side of the browser --------------------------------------------------------
    def _pin(self, ref: str | int) -> Pin:
        ref = str(ref)
        return self.account.latest_pending() if ref == "latest" else self.account.find_pin(ref)

    def approve_pin(self, ref: str | int = "latest") -> dict[str, Any]:
        """The user approves the PIN (id, code, or ``latest`` pending) in the browser: it now carries a new token
        of the account, issued to the PIN's client. ``KeyError`` for no such PIN, ``ValueError`` unless pending."""
        pin = self._pin(ref)
        self.account.authorize(pin)
        return pin.summary(self.clock.time())

    def deny_pin(self, ref: str | int = "latest") -> dict[str, Any]:
        """The user declines the PIN: plex.tv forgets it, so its client's next poll is a 404 before it expires."""
        pin = self._pin(ref)
        self.account.deny(pin)
        return pin.summary(self.clock.time())

    @property
    def pins(self) -> list[dict[str, Any]]:
        """Every PIN kept: id, code, strong, clientIdentifier, state (pending, linked, denied, expired), expiresAt."""
        now = self.clock.time()
        with self.account.lock:
            return [pin.summary(now) for pin in self.account.pins.values()]

    # -- servers ----------------------------------------------------------------------------------------
    @property
    def servers(self) -> list[dict[str, Any]]:
        """Every server of the account: clientIdentifier, name, presence, owned, target, connections (uri,
        location, behaviour)."""
        with self.account.lock:
            return [server.summary() for server in self.account.servers.values()]

    def link_plex(self, plex: Any, *, name: str | None = None, connections: Sequence[Mapping[str, Any]] | None = None,
                  presence: bool = True, owned: bool = True) -> dict[str, Any]:
        """List the running Plex mock ``plex`` as a server of the account (under its ``machineIdentifier``,
        its ``friendlyName`` unless ``name`` is given) and make it accept the account's tokens."""
        server = self.add_server(name or str(plex.library.server["friendlyName"]), plex.url,
                                 client_identifier=plex.machine_identifier, connections=connections,
                                 presence=presence, owned=owned, product_version=str(plex.library.server["version"]))
        self._plex[plex.machine_identifier] = plex
        plex.trust(self)
        return server

    def add_server(self, name: str, target: str, *, client_identifier: str,
                   connections: Sequence[Mapping[str, Any]] | None = None, presence: bool = True, owned: bool = True,
                   product_version: str | None = None) -> dict[str, Any]:
        """Add (or replace) a server reached at ``target`` (``http://host:port``) through ``connections``
        (default: local, remote and relay, all answering). ``ValueError`` for bad input, before anything changes."""
        check.text(name, "name", max_length=MAX_NAME)
        check.text(client_identifier, "clientIdentifier", max_length=MAX_IDENTIFIER)
        host_port = _target(target)
        specs = parse_connections(DEFAULT_CONNECTIONS if connections is None else connections)
        server = Server(client_identifier, name, host_port, presence=_flag(presence, "presence"),
                        owned=_flag(owned, "owned"), created_at=self.clock.time(), connections=specs)
        if product_version:
            server.product_version = product_version
        old = self.account.servers.get(client_identifier)
        self.account.put_server(server)
        if old is not None:
            self._close_doors(old)
        if self.is_running() or self.is_taken_down():
            self._open_doors(server)
        return server.summary()

    def set_server(self, client_identifier: str, *, presence: bool | None = None, name: str | None = None,
                   connections: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """Change a server: online or not (``presence``), its name, or its whole list of connections (a server
        that moved: new ports, the old ones closed). ``KeyError`` / ``ValueError`` before anything changes."""
        server = self.account.server(client_identifier)
        new_presence = server.presence if presence is None else _flag(presence, "presence")
        new_name = server.name if name is None else check.text(name, "name", max_length=MAX_NAME)
        specs = None if connections is None else parse_connections(connections)
        with self.account.lock:
            server.presence, server.name = new_presence, new_name
            if specs is not None:
                self._close_doors(server)
                server.connections = specs
                if self.is_running() or self.is_taken_down():
                    self._open_doors(server)
        self.account.changed()
        return server.summary()

    def set_connection(self, client_identifier: str, which: str | int, behaviour: str,
                       delay_ms: float = 0.0) -> list[dict[str, Any]]:
        """Make the connection(s) ``which`` (an index, or a location: every connection there) of a server
        ``answers``, ``refuses``, ``slow`` (``delay_ms`` late) or ``hangs``; returns the server's connections."""
        server = self.account.server(client_identifier)
        chosen = self._which(server, which)
        updated = [parse_connection({"behaviour": behaviour, "delay_ms": delay_ms}, "connection", c) for c in chosen]
        for connection, new in zip(chosen, updated):
            connection.behaviour, connection.delay_ms = new.behaviour, new.delay_ms
            door = self._doors.get(id(connection))
            if door is not None:
                door.set(new.behaviour, new.delay_ms)
        self.account.changed()
        return [c.summary() for c in server.connections]

    def remove_server(self, client_identifier: str) -> dict[str, Any]:
        """Remove a server (its doors close); a linked Plex mock stops accepting the account's tokens."""
        server = self.account.remove_server(client_identifier)
        self._close_doors(server)
        plex = self._plex.pop(client_identifier, None)
        if plex is not None:
            plex.distrust(self)
        return server.summary()

    @staticmethod
    def _which(server: Server, which: str | int) -> list[Connection]:
        text = str(which)
        if text.isdigit() and len(text) < 4:
            index = int(text)
            if index >= len(server.connections):
                raise KeyError(f"server {server.client_identifier!r} has {len(server.connections)} connection(s): "
                               f"no index {index}")
            return [server.connections[index]]
        if text not in LOCATIONS:
            raise ValueError(f"a connection is named by its index or its location ({', '.join(LOCATIONS)}), "
                             f"got {check.shown(which)}")
        chosen = [c for c in server.connections if c.location == text]
        if not chosen:
            raise KeyError(f"server {server.client_identifier!r} has no {text} connection")
        return chosen

    # -- doors -----------------------------------------------------------------------------------------------
    def _open_doors(self, server: Server) -> None:
        for connection in server.connections:
            if id(connection) not in self._doors:
                door = Door(self._door_loop, self.host, server.target, connection.behaviour, connection.delay_ms)
                connection.host, connection.port = door.host, door.port
                self._doors[id(connection)] = door
        self.account.changed()

    def _close_doors(self, server: Server | None = None) -> None:
        connections = [c for s in ([server] if server else self.account.servers.values()) for c in s.connections]
        for connection in connections:
            door = self._doors.pop(id(connection), None)
            if door is not None:
                door.close()

    # -- admin API -------------------------------------------------------------------------------------------
    def register_admin(self, admin: AdminApi) -> None:
        def guarded(action):
            try:
                return action()
            except KeyError as exc:
                raise AdminError(str(exc.args[0]), status=404) from None
            except ValueError as exc:
                raise AdminError(str(exc)) from None

        @admin.route("/plextv")
        def summary():
            return self.account.summary()

        @admin.route("/plextv/pins/<ref>/approve", methods=["POST"])
        def approve(ref: str):
            return guarded(lambda: self.approve_pin(ref))

        @admin.route("/plextv/pins/<ref>/deny", methods=["POST"])
        def deny(ref: str):
            return guarded(lambda: self.deny_pin(ref))

        @admin.route("/plextv/tokens/revoke", methods=["POST"])
        def revoke():
            body = json_body()

            def run():
                _only(body, ("token", "issued_to"), "the body")
                token, issued_to = body.get("token"), body.get("issued_to")
                for field, value in (("token", token), ("issued_to", issued_to)):
                    if value is not None:
                        check.text(value, field, max_length=1024)
                return {"revoked": self.revoke_tokens(token=token, issued_to=issued_to)}

            return guarded(run)

        @admin.route("/plextv/servers", methods=["POST"])
        def post_server():
            body = json_body(allow_non_finite=True)

            def run():
                _only(body, SERVER_FIELDS, "the server")
                for required in ("name", "clientIdentifier", "target"):
                    if required not in body:
                        raise ValueError(f"{required} is required: a server needs a name, a clientIdentifier "
                                         "and the target URL its connections lead to")
                return self.add_server(body["name"], body["target"], client_identifier=body["clientIdentifier"],
                                       connections=body.get("connections"), presence=body.get("presence", True),
                                       owned=body.get("owned", True)), 201

            return guarded(run)

        @admin.route("/plextv/servers/<client_identifier>", methods=["PATCH"])
        def patch_server(client_identifier: str):
            body = json_body(allow_non_finite=True)

            def run():
                _only(body, ("name", "presence", "connections"), "the change")
                nulls = sorted(name for name, value in body.items() if value is None)
                if nulls or not body:
                    raise ValueError(f"give the new value of name, presence or connections (null is no value: "
                                     f"{', '.join(nulls) or 'nothing given'})")
                return self.set_server(client_identifier, presence=body.get("presence"), name=body.get("name"),
                                       connections=body.get("connections"))

            return guarded(run)

        @admin.route("/plextv/servers/<client_identifier>", methods=["DELETE"])
        def delete_server(client_identifier: str):
            return guarded(lambda: self.remove_server(client_identifier))

        @admin.route("/plextv/servers/<client_identifier>/connections/<which>", methods=["PATCH"])
        def patch_connection(client_identifier: str, which: str):
            body = json_body(allow_non_finite=True)

            def run():
                _only(body, ("behaviour", "delay_ms"), "the change")
                if "behaviour" not in body:
                    raise ValueError(f"behaviour is required: one of {', '.join(BEHAVIOURS)}")
                return {"connections": self.set_connection(client_identifier, which, body["behaviour"],
                                                           body.get("delay_ms", 0.0))}

            return guarded(run)
