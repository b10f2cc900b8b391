"""The service-health dashboard (Flask) with its Overseerr webhook receiver.

* :func:`create_dashboard_app` - the Flask app factory;
* :class:`DashboardServer` - serves it on 127.0.0.1 and a free port in a thread;
* the health page (:mod:`.page`): :class:`Accounts` who may sign in, live updates (:class:`LiveFeed`),
  :func:`health_view` (what it shows);
* :func:`mint_token` / :func:`verify_token` - HS256 bearer tokens with a ``role``;
* :class:`WebhookInbox` / :func:`parse_notification` / :func:`validate_notification` - Overseerr notifications.
"""

from .app import DASHBOARD_PATH, INBOX_EXTENSION, WEBHOOK_PATH, build_dashboard, create_dashboard_app, summarize
from .live import LiveFeed, StatusChecker
from .page import EVENTS_PATH, LIVE_EXTENSION, PAGE_PATH, SIGN_IN_PATH, SIGN_OUT_PATH
from .server import DashboardServer
from .sessions import Accounts
from .view import health_view
from .tokens import ADMIN_ROLE, MAX_TOKEN_LIFETIME_S, TokenError, mint_token, verify_token
from .webhooks import (MAX_BODY_BYTES, MAX_DEPTH, NOTIFICATION_TYPES, WebhookInbox, WebhookValidationError,
                       parse_notification, validate_notification)

__all__ = ["Accounts", "EVENTS_PATH", "LIVE_EXTENSION", "LiveFeed", "PAGE_PATH", "SIGN_IN_PATH", "SIGN_OUT_PATH", "StatusChecker",
           "health_view", "ADMIN_ROLE", "DASHBOARD_PATH", "INBOX_EXTENSION", "MAX_BODY_BYTES", "MAX_DEPTH", "MAX_TOKEN_LIFETIME_S",
           "NOTIFICATION_TYPES", "WEBHOOK_PATH", "DashboardServer", "TokenError", "WebhookInbox",
           "WebhookValidationError", "build_dashboard", "create_dashboard_app", "mint_token", "parse_notification",
           "summarize", "validate_notification", "verify_token"]
