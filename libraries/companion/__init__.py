"""companion: the media app's resilient integration layer (the system under test).

Plex and Overseerr over HTTP, Uptime Kuma over Socket.IO; one transport
(cache -> circuit breaker -> retry -> requests) under the HTTP clients; a
status service and a health dashboard on top. No Robot Framework import.
"""

from .breakers import CircuitBreakerFactory, ServiceBreaker
from .errors import (AuthenticationError, BadResponseError, CircuitOpenError, IntegrationError, RequestRejectedError,
                     ServiceTimeoutError, ServiceUnavailableError)
from .overseerr import OverseerrClient
from .plex import PlexClient
from .results import Data, DataList
from .settings import ClientSettings
from .status import StatusService
from .uptime_kuma import UptimeKumaClient

__all__ = ["AuthenticationError", "BadResponseError", "CircuitBreakerFactory", "CircuitOpenError", "ClientSettings",
           "Data", "DataList", "IntegrationError", "OverseerrClient", "PlexClient", "RequestRejectedError",
           "ServiceBreaker", "ServiceTimeoutError", "ServiceUnavailableError", "StatusService", "UptimeKumaClient"]
