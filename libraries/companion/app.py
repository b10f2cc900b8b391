"""``Companion``: the one place the app is assembled from its settings and a clock.

It builds, in this order (each part only uses the ones before it; the arrows go
one way: web -> status / inbox -> clients -> breakers -> clock):

1. the clock: the one given, else the wall clock, or, when the test-only
   ``clock_file`` setting is set, an :class:`~companion.clock.OffsetFileClock`;
2. the breaker registry (:class:`~companion.breakers.CircuitBreakerFactory`);
3. the clients of the services that have a URL (Plex, Overseerr, Uptime Kuma), and the
   sign-in with Plex when plex.tv has one (:class:`~companion.signin.PlexSignIn`);
4. the durable outbox for media requests (with Overseerr: :class:`~companion.outbox.RequestOutbox` in
   ``database_url``), the status service over them (plex.tv reported through the sign-in), and the
   webhook inbox;
5. the web app (:attr:`Companion.web_app`): the service-health dashboard API, media requests
   (``/api/v1/requests``) and the Overseerr webhook receiver (:func:`companion.dashboard.create_dashboard_app`)
   plus ``GET /health`` saying which app instance and which worker answered.

Nothing touches the network until :meth:`Companion.start` (which connects to
Uptime Kuma in the background); :meth:`Companion.close` stops and closes
everything (twice is fine). ``python -m companion`` builds one ``Companion`` per
worker process; tests build one with test settings and their own clock.

Usage::

    settings = AppSettings(jwt_secret=SecretText(secret), plex_url=plex.url, plex_token=SecretText(token))
    with Companion(settings, clock=clock) as companion:
        companion.status.get_all_statuses()
        client = companion.web_app.test_client()
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from functools import cached_property
from typing import Any

from .app_settings import AppSettings, reveal
from .breakers import CircuitBreakerFactory
from .clock import SYSTEM_CLOCK, Clock, OffsetFileClock
from .overseerr import OverseerrClient
from .plex import PlexClient
from .status import StatusService
from .timeutil import iso_utc

__all__ = ["Companion", "HEALTH_PATH", "WORKER_HEADER", "clock_for"]

HEALTH_PATH = "/health"
#: the response header naming the worker process that answered
WORKER_HEADER = "X-Companion-Worker"

log = logging.getLogger("companion.app")


def clock_for(settings: AppSettings, clock: Clock | None = None) -> Clock:
    """The clock the app reads: ``clock`` when given, the tests' clock file when set, else the wall clock."""
    if clock is not None:
        return clock
    if settings.clock_file:
        return OffsetFileClock(settings.clock_file)
    return SYSTEM_CLOCK


class Companion:
    """The companion app assembled from ``settings`` (an :class:`~companion.app_settings.AppSettings`).

    Parts, as attributes: ``settings``, ``clock``, ``breakers``, ``plex``,
    ``overseerr``, ``uptime_kuma`` (None for a service without a URL), ``sign_in``
    (the sign-in with Plex, None without ``plextv_url``; once signed in, its
    ``plex_client`` reaches the account's server), ``outbox`` (None without Overseerr),
    ``status``, ``inbox``, ``web_app`` (the Flask app, built on first use).
    """

    def __init__(self, settings: AppSettings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock_for(settings, clock)
        self._closed = False
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connector: threading.Thread | None = None
        self.breakers = CircuitBreakerFactory(clock=self.clock)
        self.plex = self._build_plex()
        self.overseerr = self._build_overseerr()
        self.uptime_kuma = self._build_uptime_kuma()
        self.sign_in = self._build_sign_in()
        self.outbox = self._build_outbox()
        self.status = StatusService(plex=self.plex, overseerr=self.overseerr, plextv=self.sign_in,
                                    uptime_kuma=self.uptime_kuma,
                                    breakers=self.breakers, use_uptime_kuma=self.uptime_kuma is not None,
                                    slow_threshold_ms=settings.slow_threshold_ms, clock=self.clock,
                                    outbox=self.outbox)
        from .dashboard.webhooks import WebhookInbox  # the dashboard package imports Flask: only here

        self.inbox = WebhookInbox(clock=self.clock)

    # -- the parts -------------------------------------------------------------------------------------------
    def _build_plex(self) -> PlexClient | None:
        s = self.settings
        if not s.plex_url:
            return None
        return PlexClient(s.plex_url, reveal(s.plex_token), settings=s.client, breakers=self.breakers,
                          clock=self.clock)

    def _build_overseerr(self) -> OverseerrClient | None:
        s = self.settings
        if not s.overseerr_url:
            return None
        return OverseerrClient(s.overseerr_url, reveal(s.overseerr_api_key), settings=s.client,
                               breakers=self.breakers, clock=self.clock)

    def _build_sign_in(self) -> Any:
        s = self.settings
        if not s.plextv_url:
            return None
        from .signin import PlexSignIn, SignInSettings

        options = SignInSettings(plextv_url=s.plextv_url,
                                 client_identifier=s.plex_client_identifier or f"companion-{s.instance}")
        return PlexSignIn(settings=s.client, sign_in=options, breakers=self.breakers, clock=self.clock)

    def _build_uptime_kuma(self) -> Any:
        s = self.settings
        if not s.uptime_kuma_url:
            return None
        from .uptime_kuma import UptimeKumaClient  # imports python-socketio: only when configured

        return UptimeKumaClient(s.uptime_kuma_url, s.uptime_kuma_username, reveal(s.uptime_kuma_password),
                                settings=s.client, clock=self.clock)

    def _build_outbox(self) -> Any:
        """The durable outbox for media requests (with Overseerr only), in ``database_url``; this process's
        worker name is its host and pid (a crashed worker's rows are taken, in doubt, after their lease)."""
        if self.overseerr is None:
            return None
        from .outbox import RequestOutbox, open_store

        worker = f"{socket.gethostname() or 'companion'}:{os.getpid()}"
        return RequestOutbox(open_store(self.settings.database_url), self.overseerr, clock=self.clock, worker=worker,
                             lease_s=self.settings.outbox_lease_s)

    @cached_property
    def web_app(self) -> Any:
        """The Flask app: the health page (signed in with the ``admin_username`` account), dashboard API,
        webhook receiver, ``GET /health`` (see :meth:`health`); every answer carries
        ``X-Companion-Worker: <pid>`` (which worker process answered; nothing secret)."""
        from .dashboard import Accounts, create_dashboard_app

        s = self.settings
        accounts = (Accounts.from_passwords({s.admin_username: (reveal(s.admin_password), "admin")})
                    if s.admin_username and s.admin_password is not None else Accounts())
        app = create_dashboard_app(self.status, self.breakers, jwt_secret=s.jwt_secret.reveal(),
                                   webhook_secret=reveal(s.webhook_secret), clock=self.clock,
                                   inbox=self.inbox, health=self.health, accounts=accounts,
                                   secure_cookie=s.secure_cookie, check_interval_s=s.check_interval_s,
                                   outbox=self.outbox)
        pid = str(os.getpid())

        @app.after_request
        def name_the_worker(response: Any) -> Any:
            response.headers[WORKER_HEADER] = pid
            return response

        return app

    def health(self) -> dict[str, Any]:
        """What ``GET /health`` answers: ``status``, ``instance`` (new at every start of the app, the same in
        all its workers: proves which app answers), ``pid`` (the worker process that answered) and ``time``
        (the moment on the app's clock, ISO 8601 UTC). Nothing secret: the route needs no authentication."""
        return {"status": "ok", "instance": self.settings.instance, "pid": os.getpid(),
                "time": iso_utc(self.clock.now())}

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> "Companion":
        """Start the background work: deliver the outbox, connect to Uptime Kuma (in the background; the client
        reconnects by itself, and the status service polls meanwhile). Returns self."""
        if self.outbox is not None and not self.outbox.deliverer.running and not self._closed:
            self.outbox.start()
        if self.uptime_kuma is not None and self._connector is None and not self._closed:
            self._connector = threading.Thread(target=self._connect_uptime_kuma, name="companion:uptime-kuma",
                                               daemon=True)
            self._connector.start()
        return self

    def _connect_uptime_kuma(self) -> None:
        """Connect until it works or the app closes, waiting the client's reconnect backoff between tries (once
        connected, the client reconnects by itself)."""
        from .errors import IntegrationError
        from .retry import EqualJitterBackoff

        kuma = self.uptime_kuma
        backoff = EqualJitterBackoff(*kuma.reconnect_backoff, seed=self.settings.client.retry_seed)
        attempt = 0
        while not self._stopping.is_set():
            attempt += 1
            try:
                kuma.connect()
                return
            except IntegrationError as exc:  # messages are redacted by the client
                log.warning("Uptime Kuma: connection %d failed (%s); the status service polls meanwhile",
                            attempt, exc)
            self.clock.wait(self._stopping, backoff.delay(attempt))

    def end_live_updates(self) -> None:
        """End the open health pages' event streams now (the server is stopping: it need not wait for them;
        the pages reconnect by themselves to whichever worker serves next)."""
        from .dashboard import LIVE_EXTENSION

        if "web_app" in self.__dict__:
            self.web_app.extensions[LIVE_EXTENSION].disconnect_all()

    def close(self) -> None:
        """Stop the background work and close every client (a second call does nothing)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._stopping.set()
        self.end_live_updates()
        if self._connector is not None:  # a connection being made is finished (or given up) before closing
            kuma = self.uptime_kuma
            self._connector.join(timeout=kuma.connect_timeout + kuma.login_timeout + 1)
        if self.outbox is not None:
            self.outbox.close()  # the delivery in progress ends first
        for client in (self.uptime_kuma, self.overseerr, self.plex, self.sign_in):
            if client is not None:
                try:
                    client.close()
                except Exception:  # noqa: BLE001 - closing goes on with the others
                    log.debug("closing %r failed", client, exc_info=True)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    def __enter__(self) -> "Companion":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
