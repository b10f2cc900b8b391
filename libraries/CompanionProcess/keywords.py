"""The CompanionProcess keywords: one companion process per suite, started, asked, stopped, killed, restarted."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from atest_support.clock import process_clock, wall_clock_in_use
from atest_support.credentials import credential
from atest_support.library import LibraryContext
from atest_support.secret import reveal
from atest_support.settings import TestSettings
from atest_support.waiting import seconds, wait_until

from .process import CompanionProcess, CompanionProcessError, client_settings_env, run_companion

__all__ = ["CompanionProcessKeywords", "ProcessContext"]

#: suite variable -> (URL setting, its credential settings and the mock credential each one defaults to)
MOCK_SERVICES = {
    "${PLEX_URL}": ("plex_url", {"plex_token": "plex_token"}),
    "${OVERSEERR_URL}": ("overseerr_url", {"overseerr_api_key": "overseerr_api_key"}),
    "${UPTIME_KUMA_URL}": ("uptime_kuma_url", {"uptime_kuma_username": "uptime_kuma_username",
                                               "uptime_kuma_password": "uptime_kuma_password"}),
}


#: setting -> the test variable it is read from when a run sets it (as ServiceHealth's dashboard does)
DASHBOARD_SECRETS = {"jwt_secret": "${DASHBOARD_JWT_SECRET}", "webhook_secret": "${DASHBOARD_WEBHOOK_SECRET}"}


def _variable(name: str, default: Any = None) -> Any:
    try:
        return BuiltIn().get_variable_value(name, default)
    except RobotNotRunningError:
        return default


def _workdir() -> str:
    """A new directory for one process's files: under the output directory when Robot runs."""
    return tempfile.mkdtemp(prefix="companion-process-", dir=_variable("${OUTPUT DIR}"))


class ProcessContext(LibraryContext):
    """The companion process this library instance started (one at a time) and its timeouts."""

    def __init__(self, timeout: timedelta, start_timeout: timedelta, stop_timeout: timedelta) -> None:
        super().__init__(timeout)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.process: CompanionProcess | None = None
        self.last_command: Any = None
        #: a test is running (the library's listener says so); a process started then ends with the test
        self.in_test = False
        self.started_in_test = False

    def require(self) -> CompanionProcess:
        """The started companion process, or a failure saying which keyword starts it."""
        if self.process is None:
            raise AssertionError("No companion process in this suite: start it with 'Start Companion Process'.")
        return self.process

    def close_all(self) -> None:
        """Stop (or kill) the process, whatever state the suite left it in."""
        process, self.process = self.process, None
        self.started_in_test = False
        if process is not None:
            process.close()


class CompanionProcessKeywords:
    """Keywords around one ``python -m companion`` process."""

    def __init__(self, context: ProcessContext) -> None:
        self.ctx = context

    # -- lifecycle -------------------------------------------------------------------------------------------
    @keyword(tags=["companion-app"])
    def start_companion_process(self, workers: int = 1, **settings: Any) -> str:
        """Starts ``python -m companion --workers ${workers}`` on a free port and returns its URL once it answers.

        It reports on every mock this suite started (``${PLEX_URL}``, ``${OVERSEERR_URL}``,
        ``${UPTIME_KUMA_URL}``) with the mocks' credentials; ``settings`` are
        more ``COMPANION_*`` settings by their field name (``fail_max=3``,
        ``state_url=redis://...``; ``plex_url=${NONE}`` leaves Plex out), secrets
        best as ``Secret``. The client settings default to the test settings. The
        JWT and webhook secrets are made up for each start, or read from
        ``${DASHBOARD_JWT_SECRET}`` / ``${DASHBOARD_WEBHOOK_SECRET}`` when a run sets them.
        Sets the suite variable ``${COMPANION_URL}``. Fails, with the process's
        output, when it exits first or does not answer within ``start_timeout``.
        Started in a test, it is stopped when the test ends; started in a suite
        setup, when the suite ends.

        | `Start Companion Process`    workers=2
        | `Start Companion Process`    fail_max=3    reset_timeout_s=30
        """
        if self.ctx.process is not None and self.ctx.process.is_running():
            raise AssertionError(f"A companion process already runs at {self.ctx.process.url}: stop it first.")
        self.ctx.close_all()
        values: dict[str, Any] = {name.lower(): reveal(value) for name, value in settings.items()}
        for name, variable in DASHBOARD_SECRETS.items():
            given = reveal(_variable(variable))
            if given and name not in values:
                values[name] = str(given)
        for variable, (url_name, credentials) in MOCK_SERVICES.items():
            url = values.get(url_name, _variable(variable))
            values[url_name] = url
            for name, default in credentials.items():
                values[name] = values.get(name, credential(None, default)) if url else None
        env_settings = {**{name.removeprefix("COMPANION_").lower(): value for name, value in
                           client_settings_env(TestSettings().as_client_settings()).items()}, **values}
        clock = None if wall_clock_in_use() else process_clock()
        process = CompanionProcess(_workdir(), workers=workers, settings=env_settings, clock=clock,
                                   start_timeout=seconds(self.ctx.start_timeout),
                                   stop_timeout=seconds(self.ctx.stop_timeout))
        self.ctx.process = process
        self.ctx.started_in_test = self.ctx.in_test
        try:
            url = process.start()
        except CompanionProcessError as exc:
            raise AssertionError(str(exc)) from None
        BuiltIn().set_suite_variable("${COMPANION_URL}", url)
        logger.info(f"Companion process at {url}: {workers} worker(s), pids {process.pids}, instance "
                    f"{process.instance}; settings {', '.join(sorted(k for k, v in values.items() if v is not None))}"
                    f"; output in {process.log_path}")
        return url

    @keyword(tags=["companion-app"])
    def stop_companion_process(self) -> int:
        """Sends SIGTERM to the companion process, waits until it has ended and returns its exit status.

        Fails (after killing it) when it does not end within ``stop_timeout``."""
        process = self.ctx.require()
        try:
            code = process.stop()
        except CompanionProcessError as exc:
            raise AssertionError(str(exc)) from None
        logger.info(f"Companion process stopped with exit status {code}.")
        return code

    @keyword(tags=["companion-app"])
    def kill_companion_process(self) -> None:
        """Kills the companion process and every worker at once with SIGKILL, as a crash would: nothing of it
        runs its shutdown."""
        process = self.ctx.require()
        code = process.kill()
        process.wait_until_workers_gone()
        logger.info(f"Companion process killed (exit status {code}); no worker remains.")

    @keyword(tags=["companion-app"])
    def restart_companion_process(self) -> str:
        """Starts the companion process again on the port it had, with the same settings (after stopping it
        with SIGTERM when it still runs); returns its URL. Its instance is new."""
        process = self.ctx.require()
        try:
            url = process.restart()
        except CompanionProcessError as exc:
            raise AssertionError(str(exc)) from None
        logger.info(f"Companion process restarted at {url}: pids {process.pids}, instance {process.instance}.")
        return url

    @keyword(tags=["companion-app"])
    def companion_process_should_have_stopped_cleanly(self) -> None:
        """The companion process ended with exit status 0 after printing ``companion stopped``, and none of its
        worker processes runs any more (they are given ``stop_timeout`` to end)."""
        process = self.ctx.require()
        if process.is_running():
            raise AssertionError(f"The companion process still runs at {process.url}.")
        code, output = process.returncode, process.output
        if code != 0 or "companion stopped" not in output:
            raise AssertionError(f"The companion process ended with exit status {code}, expected 0 after "
                                 f"'companion stopped':\n{output}")
        process.wait_until_workers_gone()

    # -- asking it -----------------------------------------------------------------------------------------------
    @keyword(tags=["companion-app"])
    def get_companion_worker_pids(self) -> list[int]:
        """Returns the worker pids the companion process printed when it was ready."""
        return list(self.ctx.require().pids)

    @keyword(tags=["companion-app"])
    def wait_until_every_companion_worker_has_answered(self, timeout: timedelta | None = None) -> dict[int, Any]:
        """Asks ``GET /health`` on new connections until every worker (as many as started) has answered;
        returns pid -> its answer (``status``, ``instance``, ``pid``, ``time`` on its clock).

        Fails when a worker of another instance answers, or when not every worker has answered in time."""
        process = self.ctx.require()
        try:
            answers = process.wait_for_workers(timeout=seconds(self.ctx.timeout_or_default(timeout)))
        except AssertionError as exc:
            raise AssertionError(f"Not every companion worker answered: {exc}") from None
        strangers = {pid: a for pid, a in answers.items() if a.get("instance") != process.instance}
        if strangers:
            raise AssertionError(f"Workers of another instance answered: {strangers}")
        logger.info(f"Companion workers answering: {sorted(answers)}")
        return answers

    @keyword(tags=["companion-app", "time"])
    def every_companion_worker_should_see_the_test_clock(self, tolerance: timedelta = timedelta(seconds=2),
                                                         timeout: timedelta | None = None) -> None:
        """Every worker's ``/health`` time is within ``tolerance`` of this Robot process's clock (moved by
        `Advance Time By`), read while it answered."""
        answers = self.wait_until_every_companion_worker_has_answered(timeout)
        now = process_clock().now()
        wrong = {}
        for pid, answer in answers.items():
            seen = datetime.fromisoformat(answer["time"].replace("Z", "+00:00"))
            if abs((seen - now).total_seconds()) > seconds(tolerance):
                wrong[pid] = answer["time"]
        if wrong:
            raise AssertionError(f"Workers off the test clock ({now.isoformat()}, tolerance {tolerance}): {wrong}")

    @keyword(tags=["companion-app", "dashboard"])
    def mint_companion_token(self, valid_for: timedelta = timedelta(minutes=5), role: str = "admin") -> Secret:
        """Returns a dashboard bearer token for the companion process (signed with its secret, issued now on the
        test clock, valid for ``valid_for``) as a ``Secret``."""
        return Secret(self.ctx.require().mint_token(role=role, expires_in_s=seconds(valid_for)))

    @keyword(tags=["companion-app", "dashboard"])
    def get_companion_dashboard(self, token: Secret | None = None, expected_status: str = "200") -> Any:
        """Reads the companion process's dashboard once with ``token`` (default: a fresh admin token) and returns
        the JSON body; fails unless the answer has ``expected_status`` (``any`` accepts every status)."""
        process = self.ctx.require()
        response = process.dashboard(None if token is None else reveal(token))
        body = response.json()
        if expected_status != "any" and str(response.status_code) != expected_status:
            raise AssertionError(f"The companion dashboard answered {response.status_code}, expected "
                                 f"{expected_status}: {body}")
        return body

    @keyword(tags=["companion-app", "dashboard"])
    def wait_until_every_companion_worker_has_answered_the_dashboard(
            self, token: Secret, timeout: timedelta | None = None) -> dict[int, int]:
        """Reads the dashboard with ``token`` on new connections until every worker has answered (the
        ``X-Companion-Worker`` header names it); returns worker pid -> the status it answered."""
        from companion.app import WORKER_HEADER

        process = self.ctx.require()
        answered: dict[int, int] = {}

        def probe() -> dict[int, int]:
            response = process.dashboard(reveal(token))
            answered[int(response.headers[WORKER_HEADER])] = response.status_code
            return answered

        wait_until(probe, lambda seen: len(seen) >= process.workers, what="the workers answering the dashboard",
                   expected=f"all {process.workers}", timeout=self.ctx.timeout_or_default(timeout), interval=0)
        logger.info(f"Dashboard answers by worker: {answered}")
        return dict(answered)

    # -- the command line ------------------------------------------------------------------------------------------
    @keyword(tags=["companion-app", "cli"])
    def run_companion_command(self, *args: str, **settings: Any) -> dict[str, Any]:
        """Runs ``python -m companion ARGS`` to its end with ``settings`` as ``COMPANION_*`` variables (secrets
        best as ``Secret``; their values are not logged) and returns ``{rc, stdout, stderr}``. For ``--help``
        and settings the app refuses; a valid command would serve until stopped (use `Start Companion Process`)."""
        values = {name.lower(): reveal(value) for name, value in settings.items()}
        result = run_companion(list(args), values, timeout=seconds(self.ctx.start_timeout))
        outcome = {"rc": result.returncode, "stdout": result.stdout, "stderr": result.stderr}
        secret_values = [str(reveal(value)) for value in settings.values() if isinstance(value, Secret) and value.value]
        self.ctx.last_command = (outcome, secret_values)
        logger.info(f"python -m companion {' '.join(args)} (settings: {', '.join(sorted(values)) or 'none'}) "
                    f"ended with {result.returncode}:\n{result.stderr or result.stdout}")
        return outcome

    @keyword(tags=["companion-app", "cli"])
    def companion_command_should_have_been_refused(self, message: str) -> None:
        """The last `Run Companion Command` ended with exit status 2, and its error output contains ``message``
        and none of the ``Secret`` values given to it as settings (secrets stay secret)."""
        if self.ctx.last_command is None:
            raise AssertionError("No companion command ran yet: use 'Run Companion Command' first.")
        outcome, values = self.ctx.last_command
        if outcome["rc"] != 2:
            raise AssertionError(f"The companion command ended with exit status {outcome['rc']}, expected 2: "
                                 f"{outcome['stderr'] or outcome['stdout']}")
        if message not in outcome["stderr"]:
            raise AssertionError(f"The companion command's error output does not say {message!r}: "
                                 f"{outcome['stderr']}")
        shown = [index for index, value in enumerate(values) if str(value) in outcome["stderr"] + outcome["stdout"]]
        if shown:
            raise AssertionError(f"The companion command's output shows the value of secret setting(s) number "
                                 f"{shown}.")
