"""``python -m companion``: the companion app served by N uvicorn worker processes on one port.

How it runs:

1. the settings are read from the flags and ``COMPANION_*`` variables and
   checked (:func:`~companion.app_settings.settings_from`); a bad one ends the
   process at once with exit status 2 and a message naming it;
2. the parent process binds the port itself (port 0 = a free one; the port is
   read back) and hands the listening socket to ``workers`` worker processes
   (uvicorn's own :class:`uvicorn.supervisors.Multiprocess`, which restarts a
   worker that dies and stops them all on SIGINT / SIGTERM);
3. each worker builds its own :class:`~companion.app.Companion` from the same
   settings (they reach the worker pickled, not through the environment) and
   serves its Flask app through a2wsgi; the ASGI lifespan starts the
   companion's background work and closes it when the worker stops;
4. once every worker has started, the parent prints
   ``companion ready at http://HOST:PORT (N workers: pids ...; instance ...)``;
   on SIGINT / SIGTERM it stops the workers (each finishes its requests, at most
   :data:`GRACEFUL_SHUTDOWN_S`), prints ``companion stopped`` and exits 0.

A worker whose parent has died (killed with SIGKILL) stops by itself, so a
crashed app never leaves workers holding its port.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from typing import Any, Mapping, Sequence

from .app import Companion
from .app_settings import AppSettings, SettingsError, settings_from

__all__ = ["CompanionAsgi", "WorkerApp", "bind", "serve", "main", "GRACEFUL_SHUTDOWN_S", "WSGI_THREADS"]

#: how long a stopping worker lets requests in progress finish (seconds)
GRACEFUL_SHUTDOWN_S = 10
#: Flask calls one worker runs at once (a2wsgi's thread pool)
WSGI_THREADS = 16
#: exit status for bad settings or a port that cannot be bound (as argparse uses for bad flags)
USAGE_ERROR = 2

log = logging.getLogger("companion.serving")


class CompanionAsgi:
    """The companion's Flask app as an ASGI app, with a lifespan: start the companion's background work when the
    worker starts, close it (every client, every thread) when the worker stops. ``on_ready()`` runs once started."""

    def __init__(self, companion: Companion, on_ready: Any = None) -> None:
        from a2wsgi import WSGIMiddleware

        self.companion = companion
        self.on_ready = on_ready
        self.wsgi = WSGIMiddleware(companion.web_app, workers=WSGI_THREADS)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        else:
            await self.wsgi(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _end_live_updates_on_exit(self.companion)
                try:
                    self.companion.start()
                except Exception as exc:  # noqa: BLE001 - reported to uvicorn, which stops the worker
                    await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})
                    return
                await send({"type": "lifespan.startup.complete"})
                if self.on_ready is not None:
                    self.on_ready()
            elif message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(self.companion.close)
                self.wsgi.executor.shutdown(wait=False)
                await send({"type": "lifespan.shutdown.complete"})
                return


def _end_live_updates_on_exit(companion: Companion) -> None:
    """On SIGINT / SIGTERM, end the health pages' event streams before uvicorn's own handler runs: uvicorn's
    graceful shutdown waits for every response in progress, and an event stream never finishes by itself."""
    if threading.current_thread() is not threading.main_thread():  # signal handlers: main thread only
        return
    for number in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(number)
        if not callable(previous) or previous is signal.default_int_handler:
            continue  # not the server's own handler: nothing to run first

        def handler(signum: int, frame: Any, previous: Any = previous) -> None:
            companion.end_live_updates()
            previous(signum, frame)

        signal.signal(number, handler)


class WorkerApp:
    """The ASGI app factory each worker process calls (uvicorn ``factory=True``); picklable, so that the
    settings reach the spawned workers with it. ``ready`` (a queue) hears each worker's pid once it serves."""

    def __init__(self, settings: AppSettings, ready: Any = None) -> None:
        self.settings = settings
        self.ready = ready

    def __call__(self) -> CompanionAsgi:
        _stop_when_parent_dies()
        try:
            companion = Companion(self.settings)
        except Exception as exc:  # noqa: BLE001 - the same failure would end every restart: stop the app
            from uvicorn.config import STARTUP_FAILURE

            log.error("the companion cannot start: %s: %s", type(exc).__name__, exc)
            sys.exit(STARTUP_FAILURE)
        return CompanionAsgi(companion, on_ready=self._report_ready)

    def _report_ready(self) -> None:
        if self.ready is not None:
            self.ready.put(os.getpid())


def _stop_when_parent_dies() -> None:
    """In a worker: a thread that stops this worker (as SIGTERM would) when the parent process is gone."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns when the parent has exited, however it ended
        log.warning("the companion's parent process is gone: worker %d stops", os.getpid())
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="companion:parent-watch", daemon=True).start()


def bind(settings: AppSettings) -> socket.socket:
    """A listening socket on the settings' host and port (0 = a free port): bound once, shared by every worker."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.create_server((settings.host, settings.port), family=family, backlog=2048)
    sock.set_inheritable(True)
    return sock


def _log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging set-up, with the companion's own loggers at the same level on the same handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["companion"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return config


def _announce(settings: AppSettings, ready: Any) -> None:
    """Print the URL once every worker serves, then each worker that replaces one that died."""
    pids: list[int] = []
    while True:
        pid = ready.get()
        pids.append(pid)
        if len(pids) == settings.workers:
            print(f"companion ready at {settings.url} ({settings.workers} worker"
                  f"{'s' if settings.workers != 1 else ''}: pids {', '.join(map(str, pids))}; "
                  f"instance {settings.instance})", flush=True)
        elif len(pids) > settings.workers:
            print(f"companion worker {pid} ready (replaces one that stopped)", flush=True)


def serve(settings: AppSettings, sock: socket.socket) -> int:
    """Serve on ``sock`` with ``settings.workers`` worker processes until SIGINT / SIGTERM; the exit status."""
    from uvicorn import Config
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    ready = multiprocessing.get_context("spawn").Queue()
    config = Config(WorkerApp(settings, ready), factory=True, workers=settings.workers, lifespan="on",
                    log_config=_log_config(settings.log_level), log_level=settings.log_level,
                    access_log=settings.access_log, proxy_headers=False, server_header=False,
                    timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S)
    supervisor = Multiprocess(config, sockets=[sock])
    threading.Thread(target=_announce, args=(settings, ready), name="companion:announce", daemon=True).start()
    try:
        supervisor.run()
    finally:
        sock.close()
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        print("companion stopped: a worker could not start (see the log above)", file=sys.stderr, flush=True)
        return 1
    print("companion stopped", flush=True)
    return 0


def _check_clock_file(path: str) -> None:
    from .clock import read_clock_offset

    try:
        read_clock_offset(path)
    except (OSError, ValueError) as exc:
        raise SettingsError(f"--clock-file / COMPANION_CLOCK_FILE must name a readable clock file: {exc}") from None


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """``python -m companion``: read the settings, bind, serve; the exit status (2 for bad settings)."""
    try:
        settings = settings_from(argv, os.environ if environ is None else environ)
        if settings.clock_file:
            _check_clock_file(settings.clock_file)
    except SettingsError as exc:
        print(f"python -m companion: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    try:
        sock = bind(settings)
    except OSError as exc:
        print(f"python -m companion: error: cannot listen on {settings.host}:{settings.port}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return USAGE_ERROR
    return serve(settings.with_port(sock.getsockname()[1]), sock)
