"""A durable outbox for Overseerr media requests: none lost while Overseerr is down, none made twice.

- :mod:`.model` - what a submission is, its states, input validation;
- :mod:`.store` - the store interface (one transaction per operation, claims with leases);
- :mod:`.sqlite` / :mod:`.postgres` - the two stores (:func:`open_store` picks one from a URL);
- :mod:`.deliverer` - sends queued submissions oldest first, exactly once;
- :mod:`.service` - :class:`RequestOutbox`, what the companion calls.

``psycopg`` is imported only when a PostgreSQL store is opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .deliverer import DEFAULT_IDLE_POLL_S, DEFAULT_LEASE_S, Deliverer, DeliveryOutcome
from .model import (CANCELLED, DELIVERED, QUEUED, REJECTED, STATES, NewSubmission, Submission, SubmitResult,
                    new_submission)
from .service import RequestOutbox, default_worker_name
from .store import CancelError, Claim, OutboxStore, StoreUnavailableError, redact_url

__all__ = ["open_store", "RequestOutbox", "Deliverer", "DeliveryOutcome", "OutboxStore", "Claim", "Submission",
           "NewSubmission", "SubmitResult", "new_submission", "CancelError", "StoreUnavailableError", "QUEUED",
           "DELIVERED", "REJECTED", "CANCELLED", "STATES", "DEFAULT_LEASE_S", "DEFAULT_IDLE_POLL_S",
           "default_worker_name", "DEFAULT_DATABASE_URL", "SQLITE_PREFIX"]

SQLITE_PREFIX = "sqlite:///"
#: a file beside where the companion runs
DEFAULT_DATABASE_URL = "sqlite:///companion-outbox.db"


def open_store(database_url: str, **options: Any) -> OutboxStore:
    """The outbox store a URL names: ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``,
    ``sqlite:///:memory:`` (one process, gone at exit), or ``postgresql://user:password@host:port/db``
    (also ``postgres://``). ``ValueError`` for anything else (the password is never repeated)."""
    if not isinstance(database_url, str) or not database_url:
        raise ValueError("database_url must be a sqlite:/// or postgresql:// URL")
    if database_url.startswith(SQLITE_PREFIX):
        path = database_url[len(SQLITE_PREFIX):]
        if not path:
            raise ValueError("database_url sqlite:/// needs a file path, e.g. sqlite:///companion-outbox.db")
        from .sqlite import SqliteOutboxStore

        return SqliteOutboxStore(path if path == ":memory:" else Path(path), **options)
    if database_url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresOutboxStore

        return PostgresOutboxStore(database_url, **options)
    raise ValueError(f"database_url must start with sqlite:/// or postgresql://, got {redact_url(database_url)!r}")
