"""The service-health dashboard (Flask) with its Overseerr webhook receiver.

* :func:`create_dashboard_app` - the Flask app factory;
* :class:`DashboardServer` - serves it on 127.0.0.1 and a free port in a thread;
* :func:`mint_token` / :func:`verify_token` - HS256 bearer tokens with a ``role``;
* :class:`WebhookInbox` / :func:`parse_notification` / :func:`validate_notification` - Overseerr notifications.
"""

from .app import (DASHBOARD_PATH, INBOX_EXTENSION, PLEX_LIBRARIES_PATH, WEBHOOK_PATH, build_dashboard,
                  create_dashboard_app, summarize)
from .server import DashboardServer
from .tokens import ADMIN_ROLE, MAX_TOKEN_LIFETIME_S, TokenError, mint_token, verify_token
from .webhooks import (MAX_BODY_BYTES, MAX_DEPTH, NOTIFICATION_TYPES, WebhookInbox, WebhookValidationError,
                       parse_notification, validate_notification)

__all__ = ["ADMIN_ROLE", "DASHBOARD_PATH", "INBOX_EXTENSION", "MAX_BODY_BYTES", "MAX_DEPTH", "MAX_TOKEN_LIFETIME_S",
           "NOTIFICATION_TYPES", "PLEX_LIBRARIES_PATH", "WEBHOOK_PATH", "DashboardServer", "TokenError", "WebhookInbox",
           "WebhookValidationError", "build_dashboard", "create_dashboard_app", "mint_token", "parse_notification",
           "summarize", "validate_notification", "verify_token"]
