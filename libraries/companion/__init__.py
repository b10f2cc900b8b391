"""companion: the media app's resilient integration layer (the system under test).

Plex, plex.tv and Overseerr over HTTP, Uptime Kuma over Socket.IO; one transport
(cache -> circuit breaker -> retry -> requests) under the HTTP clients; the sign-in
with Plex (:mod:`companion.signin`); a status service and a health dashboard on top.
No Robot Framework import.

Importing the package (or a client module) loads neither python-socketio nor
Flask nor PyJWT: :class:`UptimeKumaClient` is imported on first use, and the
dashboard lives in :mod:`companion.dashboard`.
"""

from __future__ import annotations

from typing import Any

from .breakers import CircuitBreakerFactory, ServiceBreaker
from .clock import SYSTEM_CLOCK, Clock, SystemClock
from .errors import (AuthenticationError, BadResponseError, CircuitOpenError, IntegrationError, RequestRejectedError,
                     ServiceTimeoutError, ServiceUnavailableError)
from .overseerr import OverseerrClient
from .plex import PlexClient
from .plextv import PlexTvClient
from .results import Data, DataList
from .settings import ClientSettings
from .status import StatusService

__all__ = ["AuthenticationError", "BadResponseError", "CircuitBreakerFactory", "CircuitOpenError", "ClientSettings",
           "Clock", "Data", "DataList", "IntegrationError", "OverseerrClient", "PlexClient", "PlexTvClient",
           "RequestRejectedError", "SYSTEM_CLOCK", "ServiceBreaker", "ServiceTimeoutError", "ServiceUnavailableError",
           "StatusService", "SystemClock", "UptimeKumaClient"]


def __getattr__(name: str) -> Any:
    """``UptimeKumaClient`` on first use (it imports python-socketio)."""
    if name == "UptimeKumaClient":
        from .uptime_kuma import UptimeKumaClient

        return UptimeKumaClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
