"""The state the MediaClients components share: settings, the breaker factory, the clients."""

from __future__ import annotations

from typing import Any, Literal

from datetime import timedelta

from robot.api import logger

from atest_support.clock import companion_clock
from atest_support.credentials import credential
from atest_support.library import LibraryContext
from atest_support.settings import TestSettings

__all__ = ["ClientContext", "Service", "CREDENTIAL_NAMES"]

Service = Literal["plex", "overseerr"]

#: the field of ``mockservers.credentials.Credentials`` each client presents by default
CREDENTIAL_NAMES = {"plex": "plex_token", "overseerr": "overseerr_api_key"}


class ClientContext(LibraryContext):
    """One library instance's clients and their one ``CircuitBreakerFactory``.

    Clients live for one test: :meth:`reset` (run by the library's listener at
    the end of every test) closes them, forgets them and resets every breaker.
    Breakers live as long as the factory (the library instance); creating a
    client applies that client's breaker settings to its service's breaker.
    """

    def __init__(self, defaults: TestSettings, timeout: timedelta) -> None:
        super().__init__(timeout)
        self.defaults = defaults
        self._breakers: Any = None
        self.clients: dict[str, Any] = {}
        self._secrets: dict[str, str] = {}
        #: the app's sign-in with Plex in this test (``companion.signin.PlexSignIn``), None until created
        self.sign_in: Any = None
        #: the sign-in started and not finished yet (``companion.signin.PendingSignIn``)
        self.pending: Any = None
        from .outbox import OutboxState

        #: the request outboxes of this test and the PostgreSQL server of this library instance
        self.outbox = OutboxState()

    # -- the shared factory ------------------------------------------------------
    @property
    def breakers(self) -> Any:
        """The ``CircuitBreakerFactory`` every client of this library uses (created on first use)."""
        if self._breakers is None:
            from companion import CircuitBreakerFactory

            self._breakers = CircuitBreakerFactory(clock=companion_clock())
        return self._breakers

    # -- clients -----------------------------------------------------------------
    def create(self, service: str, base_url: str, secret: Any, settings: TestSettings) -> Any:
        """Create (replacing any previous one) the client for ``service``.

        ``secret`` is its token / API key (a Robot ``Secret`` or text); None means the mock's default.
        """
        from companion import OverseerrClient, PlexClient

        secret = credential(secret, CREDENTIAL_NAMES[service])
        self.close(service)
        client_class = {"plex": PlexClient, "overseerr": OverseerrClient}[service]
        client = client_class(base_url, secret, settings=settings.as_client_settings(), breakers=self.breakers,
                              clock=companion_clock())
        self.breakers.configure(service, **settings.breaker_options())  # this client's breaker settings apply
        self.clients[service] = client
        self._secrets[service] = secret
        logger.info(f"Created {service} client for {base_url} ({settings.describe()}).")
        return client

    def get(self, service: str) -> Any:
        """The client created for ``service`` in this test, or a failure saying how to create it."""
        try:
            return self.clients[service]
        except KeyError:
            created = ", ".join(self.clients) or "none"
            name = "Plex" if service == "plex" else "Overseerr"
            raise AssertionError(f"No {service} client in this test (created: {created}). "
                                 f"Create one first with 'Create {name} Client'.") from None

    def secret(self, service: str) -> str | None:
        """The token / API key the client was created with (for leak checks, never logged)."""
        return self._secrets.get(service)

    def close(self, service: str) -> None:
        """Close and forget one client (nothing happens if there is none)."""
        client = self.clients.pop(service, None)
        self._secrets.pop(service, None)
        if client is not None:
            client.close()

    def use_signed_in_plex(self) -> Any:
        """The signed-in server's client becomes this test's Plex client (every Plex keyword calls it)."""
        client = self.sign_in.plex_client
        self.clients["plex"] = client
        self._secrets["plex"] = self.sign_in.server.access_token
        return client

    def reset(self) -> None:
        """Per-test reset: close every outbox, every client and the sign-in, and put every breaker back to closed,
        counters zeroed."""
        self.outbox.reset()
        for service in list(self.clients):
            self.close(service)
        sign_in, self.sign_in, self.pending = self.sign_in, None, None
        if sign_in is not None:
            sign_in.close()
        if self._breakers is not None:
            self._breakers.reset_all()
