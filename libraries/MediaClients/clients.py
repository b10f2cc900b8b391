"""Keywords that create, reset and close the clients under test."""

from __future__ import annotations

from datetime import timedelta

from robot.api.deco import keyword
from robot.api.types import Secret

from .context import ClientContext, Service


class ClientKeywords:
    """Creating the Plex / Overseerr clients and resetting their state."""

    def __init__(self, context: ClientContext) -> None:
        self.ctx = context

    @keyword
    def create_plex_client(self, url: str, token: Secret | str | None = None, *,
                           connect_timeout: timedelta | None = None, read_timeout: timedelta | None = None,
                           retry_attempts: int | None = None, retry_backoff: timedelta | None = None,
                           retry_max_backoff: timedelta | None = None, cache_ttl: timedelta | None = None,
                           fail_max: int | None = None, reset_timeout: timedelta | None = None,
                           success_threshold: int | None = None) -> None:
        """Creates the ``PlexClient`` under test for ``url``, with the library's test settings.

        Timeouts, retry attempts and backoff, the cache TTL and the breaker settings
        (``fail_max``, ``reset_timeout``, ``success_threshold``) given here
        override the library defaults (see `Importing`) for this client and
        its service's breaker; ``cache_ttl=0s`` keeps only the last good
        values, for stale fallback. The token defaults to the mock's
        (``mockservers.credentials``); give another as a ``Secret`` so that it
        is never logged, not even at TRACE level. The client lives until the
        end of the test.

        | `Create Plex Client`    ${PLEX_URL}
        | `Create Plex Client`    ${PLEX_URL}    read_timeout=300ms    retry_attempts=2
        | `Create Plex Client`    ${PLEX_URL}    cache_ttl=0s
        | `Create Plex Client`    ${PLEX_URL}    fail_max=1    reset_timeout=500ms
        | `Create Plex Client`    ${PLEX_URL}    retry_backoff=10ms    retry_max_backoff=50ms
        """
        self._create("plex", url, token, connect_timeout=connect_timeout, read_timeout=read_timeout,
                     retry_attempts=retry_attempts, retry_backoff=retry_backoff, retry_max_backoff=retry_max_backoff,
                     cache_ttl=cache_ttl, fail_max=fail_max, reset_timeout=reset_timeout,
                     success_threshold=success_threshold)

    @keyword
    def create_overseerr_client(self, url: str, api_key: Secret | str | None = None, *,
                                connect_timeout: timedelta | None = None, read_timeout: timedelta | None = None,
                                retry_attempts: int | None = None, retry_backoff: timedelta | None = None,
                                retry_max_backoff: timedelta | None = None, cache_ttl: timedelta | None = None,
                                fail_max: int | None = None, reset_timeout: timedelta | None = None,
                                success_threshold: int | None = None) -> None:
        """Creates the ``OverseerrClient`` under test for ``url``, with the library's test settings.

        Settings work as in `Create Plex Client`. The API key defaults to the
        mock's; another one is best given as a ``Secret`` (never logged).

        | `Create Overseerr Client`    ${OVERSEERR_URL}
        | `Create Overseerr Client`    ${OVERSEERR_URL}    read_timeout=300ms
        """
        self._create("overseerr", url, api_key, connect_timeout=connect_timeout, read_timeout=read_timeout,
                     retry_attempts=retry_attempts, retry_backoff=retry_backoff, retry_max_backoff=retry_max_backoff,
                     cache_ttl=cache_ttl, fail_max=fail_max, reset_timeout=reset_timeout,
                     success_threshold=success_threshold)

    @keyword
    def clear_client_cache(self, service: Service) -> None:
        """Forgets what the ``service`` client cached: the next read goes to the service.

        | `Clear Client Cache`    plex
        """
        self.ctx.get(service).clear_cache()

    @keyword
    def reset_clients(self) -> None:
        """Closes every client and resets every circuit breaker (closed, counters zeroed).

        Runs by itself at the end of every test; call it to start over within a test.
        """
        self.ctx.reset()

    def _create(self, service: str, url: str, secret: Secret | str | None, **overrides: object) -> None:
        try:
            self.ctx.create(service, url, secret, self.ctx.defaults.with_overrides(**overrides))
        except ValueError as exc:  # a setting out of range, or a URL that is not http(s)
            raise AssertionError(f"Cannot create the {service} client: {exc}") from None
