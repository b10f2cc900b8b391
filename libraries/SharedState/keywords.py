"""The SharedState keywords: a real Redis server and its faults, and calls through one named companion worker."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn

from atest_support.redis_server import RedisServer, RedisServerError
from atest_support.waiting import seconds, wait_until

from .context import STORE_LANE, SharedStateContext, record

__all__ = ["RedisKeywords", "WorkerKeywords"]

DASHBOARD_PATH = "/api/v1/admin/service-health/dashboard"
PLEX_LIBRARIES_PATH = "/api/v1/plex/libraries"


class RedisKeywords:
    """A real ``valkey-server`` / ``redis-server`` this library owns, and Redis's own faults."""

    def __init__(self, context: SharedStateContext) -> None:
        self.ctx = context

    @keyword(tags=["shared-state"])
    def start_redis_server(self) -> str:
        """Starts a Redis server of this library's own on a free port and a temporary directory and returns its
        URL (also the suite variable ``${REDIS_URL}``); after `Kill Redis Server`, starts it again on the same
        port, empty.

        Started in a test, it is stopped when the test ends; in a suite setup, when the suite ends (pass or fail).
        """
        server = self.ctx.server
        again = server is not None and not server.is_running()
        if server is None:
            try:
                server = RedisServer()
            except RedisServerError as exc:
                raise AssertionError(str(exc)) from None
            self.ctx.server = server
            self.ctx.started_in_test = self.ctx.in_test
        try:
            server.start()
        except RedisServerError as exc:
            raise AssertionError(str(exc)) from None
        BuiltIn().set_suite_variable("${REDIS_URL}", server.url)
        if again:
            record("fault", STORE_LANE, state="off", window="redis-down", label="Redis killed")
        logger.info(f"Redis server {'started again' if again else 'started'} at {server.url} "
                    f"({server.binary}, pid {server.process.pid}).")
        return server.url

    @keyword(tags=["shared-state"])
    def kill_redis_server(self) -> None:
        """Kills the Redis server with SIGKILL, as a crash would: connections are refused until `Start Redis
        Server` starts it again (empty: nothing is saved)."""
        self.ctx.require_server().kill()
        record("fault", STORE_LANE, state="on", window="redis-down", label="Redis killed")
        logger.info("Redis server killed.")

    @keyword(tags=["shared-state"])
    def pause_redis_server(self, duration: timedelta) -> None:
        """``CLIENT PAUSE`` for ``duration`` of real time: every command waits until the pause ends (it cannot be
        ended early). Returns once the server has stopped answering."""
        self.ctx.require_server().pause(seconds(duration))
        record("fault", STORE_LANE, state="instant", label=f"Redis paused for {seconds(duration):g} s (CLIENT PAUSE)")
        logger.info(f"Redis server paused for {duration}.")

    @keyword(tags=["shared-state"])
    def freeze_redis_server(self) -> None:
        """SIGSTOP: the server accepts connections but answers nothing until `Thaw Redis Server` (POSIX only)."""
        self.ctx.require_server().freeze()
        record("fault", STORE_LANE, state="on", window="redis-frozen", label="Redis frozen (SIGSTOP)")

    @keyword(tags=["shared-state"])
    def thaw_redis_server(self) -> None:
        """SIGCONT: a frozen server answers again (POSIX only)."""
        self.ctx.require_server().thaw()
        record("fault", STORE_LANE, state="off", window="redis-frozen", label="Redis frozen (SIGSTOP)")

    @keyword(tags=["shared-state"])
    def redis_server_should_not_answer(self) -> None:
        """Fails when the Redis server answers PING within 50 ms (it should still be paused, frozen or gone)."""
        if self.ctx.require_server().answers(timeout_s=0.05):
            raise AssertionError("The Redis server answers: it is no longer paused, frozen or down.")


class WorkerKeywords:
    """Requests sent to one named worker of the companion process (see `Connect To Every Companion Worker`)."""

    def __init__(self, context: SharedStateContext) -> None:
        self.ctx = context

    def _process(self) -> Any:
        process = BuiltIn().get_library_instance("CompanionProcess").process
        if process is None:
            raise AssertionError("No companion process in this suite: start it with 'Start Companion Process'.")
        return process

    @keyword(tags=["shared-state", "companion-app"])
    def connect_to_every_companion_worker(self) -> dict[str, int]:
        """Holds one connection to each worker of the companion process (started by the CompanionProcess
        library) and names them ``A``, ``B``, ... in the order the process printed their pids; returns
        name -> pid. Requests through a name then reach that worker and no other."""
        process = self._process()
        pinned = self.ctx.workers.pin(process.url, list(process.pids), timeout_s=seconds(self.ctx.timeout))
        logger.info(f"Companion workers: {', '.join(f'{n} = pid {p}' for n, p in pinned.items())}.")
        return pinned

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._process().mint_token()}"}

    @keyword(tags=["shared-state", "plex"])
    def get_plex_libraries_through_worker(self, worker: str) -> dict:
        """Asks worker ``worker`` for the Plex libraries (``GET /api/v1/plex/libraries``) and returns its answer:
        ``success``, ``data`` (``libraries``, ``stale``, ``staleReason``) or ``error`` / ``errorType``, plus
        ``worker``, ``pid`` and ``elapsed_s`` (how long the request took, wall clock)."""
        answer = self.ctx.workers.get(worker, PLEX_LIBRARIES_PATH, self._headers())
        self._record_answer(answer)
        return answer

    @keyword(tags=["shared-state", "plex"])
    def start_getting_plex_libraries_through_worker(self, worker: str) -> None:
        """Sends worker ``worker`` the request for the Plex libraries and returns at once; `Finish Getting Plex
        Libraries Through Worker` waits for its answer."""
        headers = self._headers()
        if worker in self.ctx.pending:
            raise AssertionError(f"A request through worker {worker} is already under way.")
        pending: dict[str, Any] = {}

        def ask() -> None:
            try:
                pending["answer"] = self.ctx.workers.get(worker, PLEX_LIBRARIES_PATH, headers)
            except BaseException as exc:  # noqa: BLE001 - handed to the finishing keyword
                pending["error"] = exc

        thread = threading.Thread(target=ask, name=f"shared-state:{worker}", daemon=True)
        self.ctx.pending[worker] = (thread, pending)
        thread.start()

    @keyword(tags=["shared-state", "plex"])
    def finish_getting_plex_libraries_through_worker(self, worker: str, timeout: timedelta = timedelta(seconds=30)
                                                     ) -> dict:
        """Waits (at most ``timeout``) for the answer of the request `Start Getting Plex Libraries Through Worker`
        sent, and returns it (as `Get Plex Libraries Through Worker` does)."""
        try:
            thread, pending = self.ctx.pending.pop(worker)
        except KeyError:
            raise AssertionError(f"No request through worker {worker} is under way: start one first.") from None
        thread.join(seconds(timeout))
        if thread.is_alive():
            raise AssertionError(f"Worker {worker} did not answer within {timeout}.")
        if "error" in pending:
            raise pending["error"]
        self._record_answer(pending["answer"])
        return pending["answer"]

    @keyword(tags=["shared-state", "circuit-breaker"])
    def wait_until_breaker_has_probes_in_flight(self, service: str, probes: int = 1,
                                                timeout: timedelta | None = None) -> None:
        """Waits until ``service``'s breaker record in Redis holds ``probes`` half-open probe(s) in flight (read
        from Redis itself, as every worker sees it), failing with what it last saw after ``timeout``."""
        from companion.state import RedisStore

        store = RedisStore(self.ctx.require_server().url, timeout_s=2.0)
        try:
            def probes_now() -> int:
                record = store.load_breaker(service.lower())
                return 0 if record is None else len(record.probes)

            wait_until(probes_now, lambda seen: seen == int(probes), what=f"the {service} breaker's probes in flight",
                       expected=str(probes), timeout=self.ctx.timeout_or_default(timeout), interval=0.01)
        finally:
            store.close()

    @keyword(tags=["shared-state", "dashboard"])
    def get_dashboard_through_worker(self, worker: str) -> dict:
        """Reads the service-health dashboard from worker ``worker`` (an admin token) and returns its services
        by name (``plex``, ``state-store``, ...), each with ``status`` and ``message``."""
        answer = self.ctx.workers.get(worker, DASHBOARD_PATH, self._headers())
        if answer["http_status"] != 200:
            raise AssertionError(f"Worker {worker}'s dashboard answered {answer['http_status']}: {dict(answer)}")
        services = {service["name"]: service for service in answer["data"]["services"]}
        store = services.get(STORE_LANE)
        if store is not None:
            record("status", STORE_LANE, status=store["status"], source=f"worker {worker}",
                   message=store["message"])
        logger.info(f"Worker {worker} dashboard: "
                    + "; ".join(f"{name} {s['status']} ({s['message']})" for name, s in services.items()))
        return services

    @staticmethod
    def _record_answer(answer: dict) -> None:
        data = answer.get("data") or {}
        if answer.get("success"):
            record("answer", "plex", stale=bool(data.get("stale")),
                   operation=f"get_libraries via worker {answer['worker']}")
            why = f" (stale: {data.get('staleReason')})" if data.get("stale") else ""
            logger.info(f"Worker {answer['worker']}: {len(data.get('libraries', []))} librar(y/ies){why} "
                        f"in {answer['elapsed_s'] * 1000:.0f} ms")
        else:
            logger.info(f"Worker {answer['worker']}: {answer.get('errorType')}: {answer.get('error')} "
                        f"in {answer['elapsed_s'] * 1000:.0f} ms")
