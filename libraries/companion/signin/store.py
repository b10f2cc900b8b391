"""Where a sign-in is kept: the token, the account, the servers last discovered and the connection chosen.

The app survives plex.tv being down because it never needs plex.tv once signed in: the Plex server is
reached through the connection kept here, and when that fails the servers kept here are probed again.
:class:`MemorySignInStore` keeps it for the process's life; an app that restarts plugs in a store of
its own with the same three methods (a state store, a file): a state is saved whole or not at all.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

from ..plextv import Account, ServerResource

__all__ = ["SignInState", "SignInStore", "MemorySignInStore"]


@dataclass(frozen=True)
class SignInState:
    """One complete sign-in (the token is never in the repr)."""

    account: Account
    servers: tuple[ServerResource, ...]
    server_id: str
    uri: str
    token: str = field(repr=False, default="")

    @property
    def server(self) -> ServerResource:
        """The chosen server, as last discovered."""
        return next(s for s in self.servers if s.client_identifier == self.server_id)


class SignInStore(Protocol):
    """Keeps one :class:`SignInState`."""

    def load(self) -> SignInState | None: ...  # noqa: D102

    def save(self, state: SignInState) -> None: ...  # noqa: D102

    def clear(self) -> None: ...  # noqa: D102


class MemorySignInStore:
    """A :class:`SignInStore` in this process's memory."""

    def __init__(self) -> None:
        self._state: SignInState | None = None
        self._lock = threading.Lock()

    def load(self) -> SignInState | None:
        with self._lock:
            return self._state

    def save(self, state: SignInState) -> None:
        with self._lock:
            self._state = state

    def clear(self) -> None:
        with self._lock:
            self._state = None
