"""``python -m companion`` as its own process: N workers on one port, the tests' clock in every worker, clean
stops on SIGTERM / SIGINT, crashes, restarts, bad settings refused."""

from __future__ import annotations

import os
import signal
import socket
from datetime import datetime

import pytest

from atest_support.followed_clock import FollowedClock
from CompanionProcess.process import CompanionProcess, CompanionProcessError, pid_alive, run_companion
from companion.app import WORKER_HEADER

posix_only = pytest.mark.skipif(os.name == "nt", reason="sends POSIX signals to single processes")
JWT = "j" * 40


@pytest.fixture
def companion_factory(tmp_path):
    """Start companion processes; every one is closed (stopped or killed) at the end, pass or fail."""
    started: list[CompanionProcess] = []

    def make(*, workers: int = 1, clock=None, **settings) -> CompanionProcess:
        process = CompanionProcess(tmp_path / f"companion-{len(started)}", workers=workers, clock=clock,
                                   settings={"retry_seed": 1, "connect_timeout_s": 0.5, "read_timeout_s": 2,
                                             **settings})
        started.append(process)
        process.start()
        return process

    yield make
    for process in started:
        process.close()
        assert not process.alive_pids()


def mocks(plex, overseerr) -> dict[str, str]:
    return {"plex_url": plex.url, "plex_token": "mock-token", "overseerr_url": overseerr.url,
            "overseerr_api_key": "mock-api-key"}


def answers_by_worker(process: CompanionProcess, token: str) -> dict[int, int]:
    """Dashboard status per worker pid, asking until every worker has answered."""
    seen: dict[int, int] = {}
    for _ in range(200):
        response = process.dashboard(token)
        seen[int(response.headers[WORKER_HEADER])] = response.status_code
        if len(seen) == process.workers:
            return seen
    raise AssertionError(f"only {sorted(seen)} of {process.workers} workers answered")


def test_two_workers_serve_the_dashboard_on_one_port_and_sigterm_stops_them(companion_factory, plex_mock,
                                                                         overseerr_mock):
    process = companion_factory(workers=2, **mocks(plex_mock, overseerr_mock))
    answers = process.wait_for_workers()
    assert sorted(answers) == sorted(process.pids) and len(set(process.pids)) == 2
    assert {answer["instance"] for answer in answers.values()} == {process.instance}
    dashboard = process.dashboard()
    assert dashboard.status_code == 200
    assert [(s["name"], s["status"]) for s in dashboard.json()["data"]["services"]] == [("plex", "up"),
                                                                                       ("overseerr", "up")]
    assert process.stop() == 0
    assert process.output.rstrip().endswith("companion stopped")
    process.wait_until_workers_gone()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", process.port), timeout=1).close()


@posix_only
def test_sigint_stops_it_cleanly_too(companion_factory):
    process = companion_factory()
    process.proc.send_signal(signal.SIGINT)
    assert process.proc.wait(timeout=20) == 0 and "companion stopped" in process.output
    process.wait_until_workers_gone()


def test_every_worker_reads_the_tests_clock(companion_factory):
    clock = FollowedClock()
    process = companion_factory(workers=2, clock=clock)
    clock.advance(86_400)
    for answer in process.wait_for_workers().values():
        seen = datetime.fromisoformat(answer["time"].replace("Z", "+00:00"))
        assert abs((seen - clock.now()).total_seconds()) < 2
    token = process.mint_token(expires_in_s=300)
    assert set(answers_by_worker(process, token).values()) == {200}
    clock.advance(600)
    assert set(answers_by_worker(process, token).values()) == {401}


def test_a_breaker_lets_its_probe_through_once_the_tests_clock_passes_its_reset_timeout(companion_factory,
                                                                                        plex_mock, overseerr_mock):
    clock = FollowedClock()
    process = companion_factory(clock=clock, fail_max=2, retry_attempts=1, **mocks(plex_mock, overseerr_mock))
    plex_mock.faults.set_failure_rate(1.0, status=503, seed=1)
    token = process.mint_token(expires_in_s=3600)
    for _ in range(2):
        process.dashboard(token)
    breaker = process.dashboard(token).json()["data"]["services"][0]["circuitBreaker"]
    assert breaker["state"] == "open"
    plex_mock.journal.clear()
    process.dashboard(token)
    assert plex_mock.journal.count() == 0  # open: no request reaches Plex
    clock.advance(30)
    process.dashboard(token)
    assert plex_mock.journal.count() == 1  # the reset timeout passed on the tests' clock: one probe


def test_kill_takes_every_worker_and_a_restart_comes_back_on_the_same_port(companion_factory):
    process = companion_factory(workers=2)
    first_instance, first_pids, port = process.instance, list(process.pids), process.port
    code = process.kill()
    assert code != 0
    process.wait_until_workers_gone()
    assert not any(pid_alive(pid) for pid in first_pids)
    process.restart()
    assert process.port == port and process.instance != first_instance
    assert set(process.wait_for_workers()).isdisjoint(first_pids)


@posix_only
def test_workers_stop_by_themselves_when_their_parent_is_killed(companion_factory):
    process = companion_factory(workers=2)
    os.kill(process.proc.pid, signal.SIGKILL)
    process.proc.wait(timeout=10)
    process.wait_until_workers_gone(timeout=15)


@posix_only
def test_a_worker_that_dies_is_replaced(companion_factory):
    process = companion_factory(workers=2)
    dead = process.pids[0]
    os.kill(dead, signal.SIGKILL)
    answers = {}
    for _ in range(100):
        answers = process.wait_for_workers(count=2, timeout=20)
        if dead not in answers and "replaces one that stopped" in process.output:
            break
    assert dead not in answers and len(answers) == 2
    assert "replaces one that stopped" in process.output


def test_no_secret_reaches_the_output_even_at_debug_level(companion_factory, plex_mock, overseerr_mock):
    secrets = {"jwt_secret": "a-jwt-secret-that-is-long-enough-0123456789", "webhook_secret": "hook-secret-1234",
               "plex_token": "mock-token", "overseerr_api_key": "mock-api-key"}
    process = companion_factory(log_level="debug", access_log=True,
                                **{**mocks(plex_mock, overseerr_mock), **secrets})
    assert process.dashboard().status_code == 200
    assert process.get("/api/v1/webhooks/overseerr", headers={"Authorization": "wrong"}).status_code == 401
    process.stop()
    output = process.output
    assert "GET /api/v1/admin/service-health/dashboard" in output  # the access log is on
    for value in secrets.values():
        assert value not in output


def test_start_fails_with_the_output_when_the_app_refuses_to_run(tmp_path):
    process = CompanionProcess(tmp_path, settings={"fail_max": 0}, start_timeout=20)
    with pytest.raises(CompanionProcessError, match="exited with status 2 before it was ready(.|\n)*COMPANION_FAIL_MAX"):
        process.start()
    process.close()


def test_a_second_start_while_running_is_an_error(companion_factory):
    process = companion_factory()
    with pytest.raises(CompanionProcessError, match="already running"):
        process.start()


@pytest.mark.parametrize("args, settings, message", [
    (["--workers", "0"], {"jwt_secret": JWT}, "--workers / COMPANION_WORKERS must be from 1 to 64, got 0"),
    (["--wokers", "2"], {"jwt_secret": JWT}, "unrecognized arguments: --wokers"),
    ([], {"jwt_secret": JWT, "port": "http"}, "environment variable COMPANION_PORT must be a whole number"),
    ([], {}, "--jwt-secret / COMPANION_JWT_SECRET is required"),
    ([], {"jwt_secret": JWT, "clock_file": "no-such-clock.json"}, "COMPANION_CLOCK_FILE must name a readable"),
])
def test_bad_settings_end_the_start_at_once_with_status_2(args, settings, message):
    result = run_companion(args, settings)
    assert result.returncode == 2 and message in result.stderr and not result.stdout


def test_a_port_in_use_ends_the_start_with_status_2():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        result = run_companion(["--port", str(taken.getsockname()[1])], {"jwt_secret": JWT})
    assert result.returncode == 2 and "cannot listen on 127.0.0.1:" in result.stderr


def test_help_lists_the_flags_and_their_variables_and_no_secret():
    result = run_companion(["--help"], {"jwt_secret": JWT, "plex_token": "plex-token-value"})
    assert result.returncode == 0
    for text in ("--workers N", "[COMPANION_WORKERS]", "--state-url", "[COMPANION_JWT_SECRET]"):
        assert text in result.stdout
    assert JWT not in result.stdout and "plex-token-value" not in result.stdout


def test_a_process_that_does_not_stop_in_time_is_killed_and_says_so(tmp_path):
    with CompanionProcess(tmp_path, stop_timeout=0.001) as process:
        with pytest.raises(CompanionProcessError, match="did not stop in 0.001 s after SIGTERM: killed"):
            process.stop()
        process.stop_timeout = 20
        process.wait_until_workers_gone()
        assert process.returncode != 0


def test_before_a_start_there_is_nothing_to_ask(tmp_path):
    process = CompanionProcess(tmp_path, settings={"webhook_secret": None})
    assert process.output == "" and process.webhook_secret is None and process.alive_pids() == []
    with pytest.raises(CompanionProcessError, match="has not been started"):
        process.stop()
    with pytest.raises(CompanionProcessError, match="is not running"):
        process.health()
    process.close()


def test_the_environment_keeps_the_pythonpath_and_drops_the_callers_companion_variables():
    from CompanionProcess.process import ROOT, companion_env

    env = companion_env({"workers": 2, "access_log": True, "plex_url": None},
                        base={"PYTHONPATH": "/elsewhere", "COMPANION_JWT_SECRET": "leftover", "HOME": "/home/x"})
    assert env["PYTHONPATH"].split(os.pathsep) == [str(ROOT), str(ROOT / "libraries"), "/elsewhere"]
    assert env["COMPANION_WORKERS"] == "2" and env["COMPANION_ACCESS_LOG"] == "true"
    assert "COMPANION_JWT_SECRET" not in env and "COMPANION_PLEX_URL" not in env and env["HOME"] == "/home/x"
