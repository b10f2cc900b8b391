"""``PlexMock``: the mock Plex Media Server on the shared :class:`MockServer` mechanism."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Protocol

from flask import Flask

from mockservers.core import validation as check
from mockservers.core.admin import AdminApi, AdminError, json_body
from mockservers.core.server import MockServer
from mockservers.credentials import DEFAULT_CREDENTIALS

from .app import create_app
from .data import DEFAULT_FIXTURE, PlexLibrary, read_fixture

__all__ = ["PlexMock"]

Fixture = str | Path | Mapping[str, Any] | None


class TokenAuthority(Protocol):
    """Something that vouches for more tokens than the mock's own (the plex.tv mock: the tokens of an account
    that owns this server, and the access tokens it handed out for it)."""

    def accepts(self, machine_identifier: str, token: str) -> bool: ...  # noqa: D102

    def secret_values(self) -> Iterable[str]: ...  # noqa: D102

#: the longest token accepted
MAX_TOKEN = 1024


class PlexMock(MockServer):
    """A Plex Media Server stand-in that real Plex clients (e.g. ``plexapi``) can talk to.

    ``token`` is the one valid ``X-Plex-Token``. ``fixture`` is a JSON file (or a
    dict) in the schema of :mod:`mockservers.plex.data`; without it the library is
    the seed's 100 movies (section ``1``) and 100 shows (section ``2``). A bad
    fixture raises :class:`ValueError` here, before anything starts.

    Wire choices (details in :mod:`mockservers.plex.app`): ``/identity`` needs no
    token; a negative or non-numeric ``X-Plex-Container-Start``/``-Size`` (query
    or header) is a 400 ``text/html`` page naming the parameter and value; a
    start past the end is an empty page that still carries ``totalSize``; a
    blank ``query`` on ``/hubs/search`` or ``/search`` is a 400.

    Admin routes (besides the common ones): ``GET/PUT /__admin/plex/library``,
    ``GET/POST /__admin/plex/sections/<key>/items``,
    ``DELETE /__admin/plex/items/<ratingKey>``, ``PUT /__admin/plex/token``.

    Signed-in clients: :meth:`trust` a :class:`TokenAuthority` (the plex.tv mock does it when a server is
    linked to an account) and the tokens it vouches for are accepted too, as a real server accepts its
    owner's plex.tv tokens; a token the authority stops vouching for (revoked) is refused again at once.
    """

    service_name = "plex"
    #: what else changes a Plex answer besides path and query: the encoding, the token, paging headers
    answer_headers = ("accept", "x-plex-token", "x-plex-container-start", "x-plex-container-size")

    def __init__(self, *, token: str = DEFAULT_CREDENTIALS.plex_token, fixture: Fixture = None, host: str = "127.0.0.1",
                 port: int = 0, **kw: Any) -> None:
        super().__init__(host=host, port=port, **kw)
        self._token = token
        self._initial_token = token
        #: every token this mock has accepted (the journal redacts each wherever it appears)
        self._tokens_seen: list[str] = [token]
        self._authorities: list[TokenAuthority] = []
        self.fixture = fixture
        with self._naming(fixture):
            self.library = PlexLibrary(self._read(fixture))

    # -- MockServer hooks ----------------------------------------------------------
    def create_app(self) -> Flask:
        return create_app(self.library, token=lambda: self.token, accepts=self.accepts_token)

    def data_version(self) -> int:
        """The library's version: every ready answer expires when the library changes."""
        return self.library.version.value

    @property
    def token(self) -> str:
        """The one valid ``X-Plex-Token``; setting it expires every ready answer."""
        return self._token

    @token.setter
    def token(self, value: str) -> None:
        self._token = value
        self.data_changed()

    def reset_state(self) -> None:
        """Back to the constructor's fixture (a file is read again) and token."""
        self.token = self._initial_token
        self.load_fixture(self.fixture)

    def secret_values(self) -> list[str]:
        """The token now, the constructor's, every token set since (the newest 100) and every token a trusted
        authority holds."""
        if not self._authorities:  # asked on every request: the common case stays short
            return [self.token, *self._tokens_seen]
        vouched = [value for authority in list(self._authorities) for value in authority.secret_values()]
        return [self.token, *self._tokens_seen, *vouched]

    # -- tokens vouched for by plex.tv ----------------------------------------------------
    @property
    def machine_identifier(self) -> str:
        """The server's ``machineIdentifier`` (``/identity``): the ``clientIdentifier`` plex.tv lists it under."""
        return str(self.library.server["machineIdentifier"])

    def trust(self, authority: TokenAuthority) -> None:
        """Accept the tokens ``authority`` vouches for (besides :attr:`token`); trusting it twice is one trust."""
        if all(known is not authority for known in self._authorities):
            self._authorities.append(authority)
        self.data_changed()

    def distrust(self, authority: TokenAuthority) -> None:
        """Stop accepting the tokens of ``authority`` (nothing happens when it was not trusted)."""
        self._authorities = [known for known in self._authorities if known is not authority]
        self.data_changed()

    def accepts_token(self, token: str) -> bool:
        """True when a trusted authority vouches for ``token`` on this server (the mock's own token aside)."""
        machine = self.machine_identifier
        return any(authority.accepts(machine, token) for authority in list(self._authorities))

    def set_token(self, token: str) -> None:
        """Make ``token`` the one valid ``X-Plex-Token`` (``ValueError`` unless clean text, 1-1024 characters)."""
        check.text(token, "token", max_length=MAX_TOKEN)
        self.token = token
        self._tokens_seen = [*self._tokens_seen[-99:], token]

    def register_admin(self, admin: AdminApi) -> None:
        library = self.library

        @admin.route("/plex/library")
        def get_library():
            return library.summary()

        @admin.route("/plex/library", methods=["PUT"])
        def put_library():
            try:
                library.load(json_body())
            except ValueError as exc:
                raise AdminError(f"bad plex fixture: {exc}") from None
            return library.summary()

        @admin.route("/plex/sections/<key>/items")
        def get_items(key: str):
            try:
                return {"items": self.items(key)}
            except KeyError as exc:
                raise AdminError(exc.args[0], status=404) from None

        @admin.route("/plex/sections/<key>/items", methods=["POST"])
        def post_item(key: str):
            body = json_body()
            try:
                return self.library.add_item(str(key), body).summary(), 201
            except KeyError as exc:
                raise AdminError(exc.args[0], status=404) from None
            except ValueError as exc:
                raise AdminError(str(exc)) from None

        @admin.route("/plex/items/<rating_key>", methods=["DELETE"])
        def delete_item(rating_key: str):
            try:
                return self.remove_item(rating_key)
            except KeyError as exc:
                raise AdminError(exc.args[0], status=404) from None

        @admin.route("/plex/token", methods=["PUT"])
        def put_token():
            body = json_body()
            unknown = sorted(str(k)[:64] for k in set(body) - {"token"})
            if unknown:
                raise AdminError(f"unknown field(s) {', '.join(unknown)}: expected token")
            self.set_token(body.get("token"))
            return {"token": "*****"}

    # -- Python API for tests and keyword libraries --------------------------------
    @property
    def sections(self) -> list[dict[str, Any]]:
        """One dict per section: ``key``, ``title``, ``type``, ``uuid``, ``location``, ``size``."""
        return self.library.summary()["sections"]

    def items(self, section_key: str | int) -> list[dict[str, Any]]:
        """The movies or shows of a section, in the order ``/all`` lists them; ``KeyError`` if no such section."""
        with self.library.lock:
            return [item.summary() for item in self.library.require_section(str(section_key)).ordered_items()]

    def item(self, rating_key: str | int) -> dict[str, Any]:
        """Any item (movie, show, season, episode) by ratingKey; ``KeyError`` if there is none."""
        found = self.library.item(str(rating_key))
        if found is None:
            raise KeyError(f"no item with ratingKey {str(rating_key)!r}")
        return found.summary()

    def add_item(self, section_key: str | int, **attrs: Any) -> dict[str, Any]:
        """Add a movie or show (fixture item keys, ``title`` required); returns it with its ``ratingKey``."""
        return self.library.add_item(str(section_key), attrs).summary()

    def remove_item(self, rating_key: str | int) -> dict[str, Any]:
        """Remove a movie or show; returns what was removed."""
        return self.library.remove_item(str(rating_key)).summary()

    def load_fixture(self, fixture: Fixture) -> None:
        """Replace the library with ``fixture`` now (``None``: the default library);
        ``reset_state`` still returns to the constructor's."""
        with self._naming(fixture):
            self.library.load(self._read(fixture))

    # -- internals -----------------------------------------------------------------
    @staticmethod
    @contextmanager
    def _naming(fixture: Fixture) -> Iterator[None]:
        """Prefix a fixture file's validation errors with its path."""
        try:
            yield
        except ValueError as exc:
            if isinstance(fixture, (str, Path)) and not str(exc).startswith("plex fixture "):
                raise ValueError(f"plex fixture {fixture}: {exc}") from None
            raise

    @staticmethod
    def _read(fixture: Fixture) -> Mapping[str, Any]:
        if fixture is None:
            return DEFAULT_FIXTURE
        return read_fixture(fixture) if isinstance(fixture, (str, Path)) else fixture
