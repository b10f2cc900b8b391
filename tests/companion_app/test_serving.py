"""The server side of ``python -m companion`` in-process: the ASGI lifespan, the worker factory, the entry point."""

from __future__ import annotations

import asyncio
import pickle
import queue
import socket

import pytest

from companion.app_settings import AppSettings, SecretText
from companion.serving import CompanionAsgi, WorkerApp, _announce, bind, main

JWT = "j" * 40


class Recorder:
    """A stand-in companion that records start / close."""

    def __init__(self, fail_start: bool = False) -> None:
        self.calls: list[str] = []
        self.fail_start = fail_start
        self.web_app = lambda environ, start_response: []

    def start(self):
        self.calls.append("start")
        if self.fail_start:
            raise RuntimeError("cannot start")
        return self

    def close(self):
        self.calls.append("close")


def run_lifespan(app: CompanionAsgi, messages: list[str]) -> list[dict]:
    sent: list[dict] = []
    incoming = [{"type": m} for m in messages]

    async def receive():
        return incoming.pop(0)

    async def send(message):
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    return sent


def test_the_lifespan_starts_the_companion_and_closes_it_when_the_worker_stops():
    companion, ready = Recorder(), []
    sent = run_lifespan(CompanionAsgi(companion, on_ready=lambda: ready.append(True)),
                        ["lifespan.startup", "lifespan.shutdown"])
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert companion.calls == ["start", "close"] and ready == [True]


def test_a_companion_that_cannot_start_fails_the_lifespan_startup():
    sent = run_lifespan(CompanionAsgi(Recorder(fail_start=True)), ["lifespan.startup"])
    assert sent == [{"type": "lifespan.startup.failed", "message": "RuntimeError: cannot start"}]


def test_the_worker_factory_travels_pickled_and_builds_a_companion(tmp_path):
    ready = queue.Queue()
    factory = pickle.loads(pickle.dumps(WorkerApp(AppSettings(jwt_secret=SecretText(JWT)))))
    factory.ready = ready
    app = factory()
    try:
        assert isinstance(app, CompanionAsgi) and app.companion.settings.jwt_secret.reveal() == JWT
        factory._report_ready()
        assert isinstance(ready.get_nowait(), int)
    finally:
        app.companion.close()
    WorkerApp(AppSettings(jwt_secret=SecretText(JWT)))._report_ready()  # no queue: nothing to tell


def test_a_worker_that_cannot_build_the_companion_stops_the_app(tmp_path):
    settings = AppSettings(jwt_secret=SecretText(JWT), clock_file=str(tmp_path / "gone.json"))
    with pytest.raises(SystemExit) as exited:
        WorkerApp(settings)()
    assert exited.value.code == 3  # uvicorn's STARTUP_FAILURE: the supervisor stops instead of restarting


def test_bind_takes_a_free_port_and_ipv6(tmp_path):
    with bind(AppSettings(jwt_secret=SecretText(JWT), port=0)) as sock:
        assert sock.getsockname()[1] > 0 and sock.get_inheritable()
    if socket.has_ipv6:
        try:
            sock = bind(AppSettings(jwt_secret=SecretText(JWT), host="::1", port=0))
        except OSError:
            pytest.skip("no IPv6 loopback here")
        with sock:
            assert sock.family == socket.AF_INET6


def test_main_refuses_bad_settings_with_status_2(capsys):
    assert main(["--workers", "0"], {"COMPANION_JWT_SECRET": JWT}) == 2
    assert "python -m companion: error: --workers / COMPANION_WORKERS" in capsys.readouterr().err


def test_the_ready_line_waits_for_every_worker_then_names_replacements(capsys):
    settings = AppSettings(jwt_secret=SecretText(JWT), workers=2, port=4321)

    class Pids:
        def __init__(self) -> None:
            self.pids = [11, 12, 13]

        def get(self):
            if not self.pids:
                raise EOFError  # ends the loop for the test
            return self.pids.pop(0)

    with pytest.raises(EOFError):
        _announce(settings, Pids())
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"companion ready at http://127.0.0.1:4321 (2 workers: pids 11, 12; instance {settings.instance})",
                     "companion worker 13 ready (replaces one that stopped)"]
