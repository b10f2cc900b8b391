"""The outbox in a SQLite file: the default, nothing to start (``database_url`` ``sqlite:///path``).

One connection per store, used by one thread at a time; every write is a
``BEGIN IMMEDIATE`` transaction (the database's write lock is taken at its start,
so two writers queue instead of failing halfway), with the rollback journal and
``synchronous=FULL``: a commit is on disk when it returns, and a process killed
mid-transaction leaves a journal that SQLite rolls back on the next open.
Several processes may share the file (they wait up to ``busy_timeout_s`` for
each other); delivery by several processes needs no more than the claim's
transaction, but PostgreSQL is the store meant for several workers.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any, Iterator

from .sql import SqlOutboxStore
from .store import StoreUnavailableError

__all__ = ["SqliteOutboxStore", "SCHEMA"]

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS companion_submissions (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "media_type TEXT NOT NULL, media_id INTEGER NOT NULL, seasons TEXT, is4k INTEGER NOT NULL, "
    "user_id INTEGER NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, "
    "finished_at REAL, overseerr_request_id INTEGER, reason TEXT)",
    "CREATE TABLE IF NOT EXISTS companion_outbox (submission_id INTEGER PRIMARY KEY "
    "REFERENCES companion_submissions (id), in_doubt INTEGER NOT NULL DEFAULT 0, claimed_by TEXT, "
    "claim_token TEXT, lease_until REAL, last_error TEXT)",
    "CREATE TABLE IF NOT EXISTS companion_outbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS companion_submissions_state ON companion_submissions (state, id)",
)


class SqliteOutboxStore(SqlOutboxStore):
    """The outbox in the SQLite database at ``path`` (created with its tables when missing)."""

    kind = "sqlite"

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 5.0) -> None:
        super().__init__()
        self.path = str(path)
        try:
            self._conn = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None,
                                         check_same_thread=False)
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            with self._transaction() as cur:
                for statement in SCHEMA:
                    cur.execute(statement)
        except sqlite3.Error as error:
            raise StoreUnavailableError(f"outbox database {self.path}: {error}") from None

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%s", "?")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise StoreUnavailableError(f"outbox database {self.path}: {error}") from None
            cursor = self._conn.cursor()
            try:
                yield cursor
            except sqlite3.Error as error:
                self._conn.execute("ROLLBACK")
                raise StoreUnavailableError(f"outbox database {self.path}: {error}") from None
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as error:
                self._conn.execute("ROLLBACK")
                raise StoreUnavailableError(f"outbox database {self.path}: {error}") from None

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._conn.execute(self._sql(sql), params).fetchall()
            except sqlite3.Error as error:
                raise StoreUnavailableError(f"outbox database {self.path}: {error}") from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __repr__(self) -> str:
        return f"<SqliteOutboxStore {self.path}>"
