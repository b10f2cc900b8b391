"""``HttpServiceClient``: what every HTTP client shares on top of its :class:`HttpTransport`."""

from __future__ import annotations

from typing import Callable, Mapping

from .breakers import CircuitBreakerFactory, ServiceBreaker
from .clock import SYSTEM_CLOCK, Clock
from .errors import IntegrationError, redact_text
from .settings import ClientSettings
from .transport import HttpTransport

__all__ = ["HttpServiceClient"]


class HttpServiceClient:
    """Read-only views of the transport (URL, breaker, last call) and its lifecycle.

    ``secrets`` are the credential values (token, API key): masked wherever they would appear in an error.
    """

    service: str

    def __init__(self, base_url: str, headers: Mapping[str, str], settings: ClientSettings | None,
                 breakers: CircuitBreakerFactory | None, clock: Clock = SYSTEM_CLOCK,
                 secrets: tuple[str, ...] = ()) -> None:
        self.settings = settings or ClientSettings()
        self.clock = clock
        self.breakers = breakers or CircuitBreakerFactory(clock=clock)
        self._http = HttpTransport(self.service, base_url, headers=headers, settings=self.settings,
                                   breakers=self.breakers, clock=clock, secrets=secrets)

    @property
    def base_url(self) -> str:
        return self._http.base_url

    @property
    def breaker(self) -> ServiceBreaker:
        """This service's circuit breaker (shared by every client of the same factory)."""
        return self._http.breaker

    @property
    def last_call_stale(self) -> bool:
        """True when this thread's last call answered from the cache because the service failed."""
        return self._http.last_call_stale

    @property
    def last_call_stale_reason(self) -> str | None:
        """Why this thread's last call answered from the cache: the failure's message (None when fresh)."""
        return self._http.last_call_stale_reason

    @property
    def serving_stale_since(self) -> dict | None:
        """While reads are answered stale from the cache: ``{"since", "reason", "answers"}`` (see
        :class:`~companion.cache.StaleSince`); None once the service itself answered again."""
        return self._http.stale_since.current()

    @property
    def last_call_attempts(self) -> int:
        """HTTP attempts this thread's last call made (retries included; 0 when served from the cache)."""
        return self._http.retry.last_attempts

    def move_to(self, base_url: str) -> None:
        """Send the next calls to ``base_url``: the same service at another address (cache and breaker stay)."""
        self._http.move_to(base_url)

    def on_failure(self, handler: Callable[[IntegrationError], bool] | None) -> None:
        """Ask ``handler(error)`` when a call's attempts have all failed, before the breaker counts the failure
        and before a stale fallback: True sends the call once more (after :meth:`move_to`), and the handler
        may raise another error instead. ``None`` removes it."""
        self._http.on_failure = handler

    def clear_cache(self) -> None:
        """Forget every cached read: the next read goes to the service."""
        self._http.clear_cache()

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {redact_text(self.base_url, self._http.secrets)}>"
