"""Catching a companion process in the middle of writing its outbox, to kill it there (pytest and Robot).

:class:`WriteBarrier` holds a lock that lets the companion *begin* its write
transaction but not finish it: on SQLite a reader's shared lock (the writer's
commit, in the rollback-journal mode the outbox uses, waits for readers to go);
on PostgreSQL a lock on the ``companion_outbox`` table (the submission's row is
inserted, the outbox row's insert waits). :func:`writing_the_outbox` tells when
the companion is stuck there. Killing it then proves that nothing half-written
survives: the store rolls the transaction back.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["WriteBarrier", "writing_the_outbox", "sqlite_path"]

SQLITE = "sqlite:///"


def sqlite_path(database_url: str) -> str | None:
    """The file of a ``sqlite:///`` URL, None for another store."""
    return database_url[len(SQLITE):] if database_url.startswith(SQLITE) else None


def writing_the_outbox(database_url: str) -> bool:
    """Is a companion in the middle of an outbox write transaction, waiting on a :class:`WriteBarrier`?"""
    path = sqlite_path(database_url)
    if path is not None:
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # the write lock is taken: a writer is mid-transaction
            return Path(path + "-journal").exists()
        else:
            probe.execute("ROLLBACK")
            return False
        finally:
            probe.close()
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        waiting = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'companion-outbox' "
                               "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO companion_outbox%'").fetchone()
        return bool(waiting[0])


class WriteBarrier:
    """Hold it, let the companion start writing, kill the companion, :meth:`release` (see the module doc)."""

    def __init__(self, database_url: str) -> None:
        path = sqlite_path(database_url)
        if path is not None:
            self._conn = sqlite3.connect(path, isolation_level=None)
            self._conn.execute("BEGIN")
            self._conn.execute("SELECT count(*) FROM companion_submissions").fetchall()
        else:
            import psycopg

            self._conn = psycopg.connect(database_url)
            self._conn.execute("LOCK TABLE companion_outbox IN EXCLUSIVE MODE")

    def release(self) -> None:
        """Let go (the lock holder's transaction is rolled back: it wrote nothing)."""
        self._conn.rollback()
        self._conn.close()
