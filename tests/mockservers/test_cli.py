"""``python -m mockservers`` as a subprocess: flags, URLs printed, clean stop on signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from mockservers.cli import build_parser, fault_plan_from_args

ROOT = Path(__file__).resolve().parents[2]
FREE_PORTS = ["--plex-port", "0", "--plextv-port", "0", "--overseerr-port", "0", "--uptime-kuma-port", "0"]
CLI_ENV = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
CLI = [sys.executable, "-m", "mockservers"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run the CLI to completion (for invocations that exit by themselves)."""
    return subprocess.run([*CLI, *args], cwd=ROOT, env=CLI_ENV, capture_output=True, text=True, timeout=30)


class RunningCli:
    """The CLI in a subprocess, with the URLs it printed."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([*CLI, *args], cwd=ROOT, env=CLI_ENV,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.urls: dict[str, str] = {}
        self.lines: list[str] = []
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())
            parts = line.split()
            if len(parts) == 2 and parts[1].startswith("http://"):
                self.urls[parts[0]] = parts[1]
            if line.startswith("mock servers ready"):
                return
        raise AssertionError(f"CLI exited before it was ready: {self.lines} {self.proc.stderr.read()}")

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        self.proc.send_signal(sig)
        out, _ = self.proc.communicate(timeout=15)
        return self.proc.returncode, out


@pytest.fixture
def cli_factory():
    started: list[RunningCli] = []

    def start(*args: str) -> RunningCli:
        cli = RunningCli(*args)
        started.append(cli)
        return cli

    yield start
    for cli in started:
        if cli.proc.poll() is None:
            cli.proc.kill()
            cli.proc.wait()


def test_starts_all_four_prints_urls_and_stops_on_sigint(cli_factory):
    cli = cli_factory(*FREE_PORTS)
    assert list(cli.urls) == ["plex", "plextv", "overseerr", "uptime-kuma"]
    assert requests.get(cli.urls["plex"] + "/identity", timeout=5).status_code == 200
    assert requests.get(cli.urls["plextv"] + "/api/v2/user", timeout=5).status_code == 401
    assert requests.get(cli.urls["overseerr"] + "/api/v1/status", timeout=5).status_code == 200
    assert requests.get(cli.urls["uptime-kuma"] + "/api/status-page/default", timeout=5).status_code == 200
    code, out = cli.stop(signal.SIGINT)
    assert code == 0 and "mock servers stopped" in out
    with pytest.raises(requests.ConnectionError):
        requests.get(cli.urls["plex"] + "/identity", timeout=1)


def test_uptime_kuma_monitors_watch_the_mocks_started_with_it(cli_factory):
    cli = cli_factory(*FREE_PORTS, "--only", "uptime-kuma,plex")  # any order: Uptime Kuma starts last
    monitors = requests.get(cli.urls["uptime-kuma"] + "/__admin/uptime-kuma/monitors", timeout=5).json()
    urls = {monitor["name"]: monitor["url"] for monitor in monitors["monitors"]}
    assert urls["Plex"] == cli.urls["plex"] + "/identity"
    assert urls["Overseerr"].endswith("/api/v1/status")  # not started: the default address


def test_plextv_lists_the_plex_mock_started_with_it(cli_factory):
    cli = cli_factory(*FREE_PORTS, "--only", "plextv,plex", "--plextv-token", "cli-web-token")
    identity = requests.get(cli.urls["plex"] + "/identity", headers={"Accept": "application/json"}, timeout=5)
    machine = identity.json()["MediaContainer"]["machineIdentifier"]
    resources = requests.get(cli.urls["plextv"] + "/api/v2/resources", timeout=5,
                             headers={"X-Plex-Token": "cli-web-token", "Accept": "application/json"}).json()
    assert [r["clientIdentifier"] for r in resources] == [machine]
    local = resources[0]["connections"][0]
    answer = requests.get(local["uri"] + "/library/sections", headers={"X-Plex-Token": resources[0]["accessToken"]},
                          timeout=5)
    assert answer.status_code == 200 and b"Movies" in answer.content
    assert cli.stop()[0] == 0


def test_sigterm_also_exits_0(cli_factory):
    cli = cli_factory(*FREE_PORTS, "--only", "overseerr")
    assert list(cli.urls) == ["overseerr"]
    assert cli.stop(signal.SIGTERM)[0] == 0


def test_slow_delays_every_answer_by_a_second(cli_factory):
    cli = cli_factory(*FREE_PORTS, "--only", "plex", "--slow")
    started = time.perf_counter()
    answer = requests.get(cli.urls["plex"] + "/identity", timeout=5)
    assert answer.status_code == 200
    assert time.perf_counter() - started >= 1.0
    assert requests.get(cli.urls["plex"] + "/__admin/faults", timeout=5).json()["delay_ms"] == 1000


def test_flaky_with_seed_is_reproducible(cli_factory):
    runs = []
    for _ in range(2):
        cli = cli_factory(*FREE_PORTS, "--only", "overseerr", "--flaky", "--seed", "5")
        runs.append([requests.get(cli.urls["overseerr"] + "/api/v1/status", timeout=5).status_code
                     for _ in range(40)])
        assert cli.stop()[0] == 0
    assert runs[0] == runs[1]
    assert 2 <= runs[0].count(503) <= 16  # about 20 %
    assert set(runs[0]) == {200, 503}


def test_port_in_use_is_a_clear_error(cli_factory):
    cli = cli_factory(*FREE_PORTS, "--only", "plex")
    port = cli.urls["plex"].rsplit(":", 1)[1]
    second = run_cli("--only", "plex", "--plex-port", port)
    assert second.returncode == 2
    assert f"cannot start plex on 127.0.0.1:{port}" in second.stderr


@pytest.mark.parametrize("args, message", [
    (["--only", "jellyfin"], "unknown service(s) jellyfin"),
    (["--plex-port", "70000"], "port must be an integer 0..65535"),
    (["--failure-rate", "2"], "failure rate must be a finite number from 0 to 1, got 2.0"),
    (["--failure-rate", "nan"], "failure rate must be a finite number from 0 to 1, got NaN"),
    (["--delay-ms", "-3"], "delay_ms must be a finite number from 0 to 3600000, got -3.0"),
    (["--delay-ms", "inf"], "delay_ms must be a finite number from 0 to 3600000, got Infinity"),
    (["--failure-status", "99"], "failure status must be a whole number from 200 to 599, got 99"),
    (["--failure-status", "101"], "failure status must be a whole number from 200 to 599, got 101 (a 1xx"),
    (["--seed", "x"], "seed must be a whole number from"),
])
def test_bad_flags_exit_2_with_a_message(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_help_lists_every_flag():
    text = build_parser().format_help()
    for flag in ("--slow", "--flaky", "--seed", "--only", "--host", "--plex-port", "--overseerr-port",
                 "--uptime-kuma-port", "--plextv-port", "--plextv-token", "--plextv-password"):
        assert flag in text


@pytest.mark.parametrize("argv, plan", [
    ([], {}),
    (["--slow"], {"delay_ms": 1000, "jitter_ms": 0.0}),
    (["--slow", "--delay-ms", "250"], {"delay_ms": 250, "jitter_ms": 0.0}),
    (["--flaky", "--seed", "3"], {"failure_rate": 0.2, "failure_status": 503, "seed": 3}),
    (["--failure-rate", "0.5", "--failure-status", "502"], {"failure_rate": 0.5, "failure_status": 502, "seed": None}),
])
def test_flags_to_fault_plan(argv, plan):
    assert fault_plan_from_args(build_parser().parse_args(argv)) == plan
