"""Mock Overseerr (API v1): search, requests, details and webhook notifications.

``OverseerrMock`` serves it on the shared mock-server mechanism (faults,
journal, ``/__admin/``); ``create_app`` builds the bare Flask app over a
``RequestStore``; the fixed catalogue lives in :mod:`.catalogue`.
"""

from .app import create_app
from .catalogue import CATALOGUE, Catalogue
from .mock import OverseerrMock
from .store import MEDIA_STATUS, REQUEST_STATUS, RequestError, RequestStore
from .webhooks import NOTIFICATION_TYPES, WebhookDelivery

__all__ = ["CATALOGUE", "Catalogue", "MEDIA_STATUS", "NOTIFICATION_TYPES", "OverseerrMock", "REQUEST_STATUS",
           "RequestError", "RequestStore", "WebhookDelivery", "create_app"]
