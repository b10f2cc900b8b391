"""``python -m companion`` as a child process the tests own (no Robot import: pytest uses it too).

:class:`CompanionProcess` starts the app with N workers on a port it binds
itself (0 = a free one, read back from the line it prints when ready), waits
until ``GET /health`` answers with the instance it printed (so the answer is
from this start of this app, not from anything else on that port), stops it
with SIGTERM, kills it and all its workers with SIGKILL (a crash), restarts it
on the same port, and is always stopped by :meth:`CompanionProcess.close`.

Every setting reaches the process as a ``COMPANION_*`` environment variable
(never a flag: flags show in the process list); ``COMPANION_*`` variables of
the test process itself are not passed on. The JWT and webhook secrets are
made up per instance unless given. With a ``clock`` (an
``atest_support.followed_clock.FollowedClock``) the process reads its time from
a clock file that follows that clock: every worker sees the tests' "now".
Output (stdout and stderr) goes to one file per start in ``workdir``.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from atest_support.waiting import WaitTimeout, wait_until

__all__ = ["CompanionProcess", "CompanionProcessError", "run_companion", "companion_env", "client_settings_env",
           "pid_alive", "ROOT", "READY_PATTERN"]

ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = "COMPANION_"
#: what ``python -m companion`` prints once every worker serves
READY_PATTERN = re.compile(r"^companion ready at (?P<url>http://\S+) \((?P<workers>\d+) workers?: "
                           r"pids (?P<pids>[\d, ]+); instance (?P<instance>[0-9a-f]+)\)$", re.MULTILINE)
POLL_S = 0.02
#: how long a killed process may take to be gone (real seconds)
KILL_WAIT_S = 10.0


class CompanionProcessError(AssertionError):
    """The companion process did not start, answer or stop as expected (the message holds its output)."""


def client_settings_env(client_settings: Any) -> dict[str, str]:
    """A ``companion.ClientSettings`` as ``COMPANION_*`` variables (None values left out)."""
    return {ENV_PREFIX + f.name.upper(): _text(getattr(client_settings, f.name)) for f in fields(client_settings)
            if getattr(client_settings, f.name) is not None}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def companion_env(settings: Mapping[str, Any], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a companion process: ``base`` (default this process's) without its ``COMPANION_*``
    variables, with ``libraries`` importable, plus ``settings`` (AppSettings field names -> values; None = unset)."""
    env = {name: value for name, value in (os.environ if base is None else base).items()
           if not name.startswith(ENV_PREFIX)}
    paths = [str(ROOT), str(ROOT / "libraries")]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    for name, value in settings.items():
        if value is not None:
            env[ENV_PREFIX + name.upper()] = _text(value)
    return env


def run_companion(args: Sequence[str], settings: Mapping[str, Any] | None = None, *, timeout: float = 30.0,
                  python: str = sys.executable) -> subprocess.CompletedProcess:
    """Run ``python -m companion ARGS`` to its end (``--help``, bad flags or settings) with ``settings`` as
    ``COMPANION_*`` variables; the finished process, its output as text."""
    return subprocess.run([python, "-m", "companion", *args], cwd=ROOT, env=companion_env(settings or {}),
                          capture_output=True, text=True, timeout=timeout)


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` runs (a zombie, finished but not yet collected, counts as gone)."""
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process took the number
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (macOS): os.kill said it exists
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


class CompanionProcess:
    """One companion app run as ``python -m companion --workers N`` (see the module doc).

    ``settings``: AppSettings field names -> values (``plex_url``, ``fail_max``, ...),
    passed as ``COMPANION_*`` variables; ``jwt_secret`` / ``webhook_secret`` are
    made up unless given. ``clock``: a clock with ``follow_with_file(path)`` (the
    process follows it) or None (the process reads the wall clock).
    """

    def __init__(self, workdir: str | os.PathLike[str], *, workers: int = 1, settings: Mapping[str, Any] | None = None,
                 clock: Any = None, start_timeout: float = 30.0, stop_timeout: float = 20.0,
                 python: str = sys.executable) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workers = workers
        # the request outbox's database lives with the process's files unless a test names one
        self.settings: dict[str, Any] = {"jwt_secret": secrets.token_urlsafe(32),
                                         "webhook_secret": secrets.token_urlsafe(24),
                                         "database_url": f"sqlite:///{self.workdir / 'outbox.sqlite3'}",
                                         **(settings or {})}
        self.clock = clock
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.python = python
        self.proc: subprocess.Popen | None = None
        self.url: str | None = None
        self.port: int | None = None
        self.instance: str | None = None
        self.pids: list[int] = []
        self.returncode: int | None = None
        self.starts = 0
        self.log_path: Path | None = None
        self._unfollow: Callable[[], None] | None = None
        self._clock_file = self.workdir / "clock.json"

    # -- what it is ---------------------------------------------------------------------------------------------
    @property
    def jwt_secret(self) -> str:
        """The secret the process signs-checks dashboard tokens with (never logged)."""
        return str(self.settings["jwt_secret"])

    @property
    def webhook_secret(self) -> str | None:
        """The Authorization value its webhook receiver wants (never logged)."""
        value = self.settings.get("webhook_secret")
        return None if value is None else str(value)

    @property
    def output(self) -> str:
        """What the process printed in its last start (stdout and stderr)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def is_running(self) -> bool:
        """True while the parent process runs."""
        return self.proc is not None and self.proc.poll() is None

    def alive_pids(self) -> list[int]:
        """The parent and worker pids of the last start that still run."""
        pids = ([self.proc.pid] if self.proc is not None else []) + self.pids
        return [pid for pid in pids if pid_alive(pid)]

    # -- lifecycle -------------------------------------------------------------------------------------------------
    def start(self, port: int = 0) -> str:
        """Start the app on ``port`` (0 = a free one), wait until it answers; its URL.

        :class:`CompanionProcessError` (with its output) when it exits first or does not answer in
        ``start_timeout`` seconds (then it is killed)."""
        if self.is_running():
            raise CompanionProcessError(f"the companion process is already running at {self.url}")
        env_settings = dict(self.settings)
        if self.clock is not None:
            if self._unfollow is None:
                self._unfollow = self.clock.follow_with_file(self._clock_file)
            env_settings["clock_file"] = str(self._clock_file)
        self.starts += 1
        self.log_path = self.workdir / f"companion-{self.starts}.log"
        self.url = self.instance = None
        self.pids = []
        self.returncode = None
        popen: dict[str, Any] = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if os.name == "nt"
                                 else {"start_new_session": True})  # its own group: kill() reaches every worker
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([self.python, "-m", "companion", "--workers", str(self.workers),
                                          "--port", str(port)], cwd=ROOT, env=companion_env(env_settings),
                                         stdout=log, stderr=subprocess.STDOUT, **popen)
        try:
            ready = wait_until(self._ready_line, lambda match: match is not None, what="the companion process",
                               expected="ready", timeout=self.start_timeout, interval=POLL_S)
            self.url, self.instance = ready["url"], ready["instance"]
            self.port = int(self.url.rsplit(":", 1)[1])
            self.pids = [int(pid) for pid in ready["pids"].split(", ")]
            wait_until(self.health, lambda health: health.get("instance") == self.instance,
                       what=f"GET {self.url}/health", expected=f"answered by instance {self.instance}",
                       timeout=self.start_timeout, interval=POLL_S)
        except (WaitTimeout, CompanionProcessError) as exc:
            self.kill()
            raise CompanionProcessError(f"{exc}\n--- companion output ---\n{self.output}") from None
        return self.url

    def _ready_line(self) -> re.Match | None:
        match = READY_PATTERN.search(self.output)
        if match is None and self.proc.poll() is not None:
            raise CompanionProcessError(f"the companion process exited with status {self.proc.returncode} "
                                        f"before it was ready")
        return match

    def stop(self) -> int:
        """SIGTERM (CTRL_BREAK on Windows) and wait for the process to end; its exit status.

        When it is still running after ``stop_timeout`` seconds it is killed and
        :class:`CompanionProcessError` says so. Stopping a stopped process returns its status."""
        if not self.is_running():
            return self._finished()
        self.proc.send_signal(signal.CTRL_BREAK_EVENT if os.name == "nt" else signal.SIGTERM)
        try:
            self.proc.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise CompanionProcessError(f"the companion process did not stop in {self.stop_timeout:g} s after "
                                        f"SIGTERM: killed\n--- companion output ---\n{self.output}") from None
        return self._finished()

    def kill(self) -> int:
        """SIGKILL the parent and every worker at once (a crash: nothing runs its shutdown); the exit status."""
        if self.is_running():
            if os.name == "nt":  # pragma: no cover - exercised on Windows only
                subprocess.run(["taskkill", "/F", "/T", "/PID", str(self.proc.pid)], capture_output=True)
            else:
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=KILL_WAIT_S)  # SIGKILL cannot be refused: only the operating system's time
        elif self.proc is not None:  # the parent is gone already: its workers must go too
            for pid in self.alive_pids():
                if os.name != "nt":
                    os.kill(pid, signal.SIGKILL)
        return self._finished()

    def _finished(self) -> int:
        if self.proc is None:
            raise CompanionProcessError("the companion process has not been started")
        self.returncode = self.proc.wait()
        return self.returncode

    def wait_until_workers_gone(self, timeout: float | None = None) -> None:
        """Wait until no process of the last start runs (workers end a moment after their parent)."""
        wait_until(self.alive_pids, lambda pids: not pids, what="the companion's processes",
                   expected="gone", timeout=self.stop_timeout if timeout is None else timeout, interval=POLL_S)

    def restart(self) -> str:
        """Stop (if running) and start again on the same port; the URL."""
        port = self.port or 0
        self.stop()
        self.wait_until_workers_gone()
        return self.start(port=port)

    def close(self) -> None:
        """Stop the process (kill it if it does not stop) and stop following the clock; twice is fine."""
        try:
            if self.is_running():
                try:
                    self.stop()
                except CompanionProcessError:
                    pass  # killed by stop()
            if self.proc is not None and self.alive_pids():
                self.kill()
        finally:
            if self._unfollow is not None:
                self._unfollow()
                self._unfollow = None

    def __enter__(self) -> "CompanionProcess":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- talking to it ------------------------------------------------------------------------------------------
    def get(self, path: str, *, headers: Mapping[str, str] | None = None, timeout: float = 10.0) -> Any:
        """``GET url+path`` on a new connection (so another worker may answer); the ``requests`` response."""
        import requests

        if self.url is None:
            raise CompanionProcessError("the companion process is not running")
        return requests.get(self.url + path, headers={"Connection": "close", **(headers or {})}, timeout=timeout)

    def health(self) -> dict[str, Any]:
        """``GET /health``: ``status``, ``instance``, ``pid`` of the worker that answered, ``time`` on its clock."""
        response = self.get("/health", timeout=5.0)
        response.raise_for_status()
        return response.json()

    def wait_for_workers(self, count: int | None = None, timeout: float = 10.0) -> dict[int, dict[str, Any]]:
        """Ask ``/health`` until ``count`` (default: every) different workers have answered; pid -> its answer."""
        wanted = self.workers if count is None else count
        seen: dict[int, dict[str, Any]] = {}

        def probe() -> dict[int, dict[str, Any]]:
            answer = self.health()
            seen[answer["pid"]] = answer
            return seen

        wait_until(probe, lambda answers: len(answers) >= wanted, what="the set of workers answering /health",
                   expected=f"{wanted} different pids", timeout=timeout, interval=0.0)
        return dict(seen)

    def mint_token(self, role: str | None = "admin", expires_in_s: float = 300.0) -> str:
        """A dashboard bearer token signed with the process's secret, issued now on the tests' clock."""
        from datetime import timedelta

        from companion.dashboard import mint_token

        now = self.clock.now() if self.clock is not None else None
        return mint_token(self.jwt_secret, role=role, expires_in=timedelta(seconds=expires_in_s), now=now)

    def dashboard(self, token: str | None = None) -> Any:
        """``GET`` the dashboard with ``token`` (default: a fresh admin token); the ``requests`` response."""
        from companion.dashboard import DASHBOARD_PATH

        token = self.mint_token() if token is None else token
        return self.get(DASHBOARD_PATH, headers={"Authorization": f"Bearer {token}"})
