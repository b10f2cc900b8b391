"""``python -m mockservers``: run the mock services from the shell.

Starts Plex (32400), plex.tv (33400: the account lists the Plex mock as its server),
Overseerr (5055) and Uptime Kuma (3001) on 127.0.0.1, prints their URLs, and runs
until SIGINT or SIGTERM, then stops every server and exits 0. Port 0 picks a free
port (what tests use).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any, Callable, Sequence

from . import MONITOR_NAMES, SERVICES, create_mock
from .core import validation as check
from .core.faults import final_status
from .credentials import DEFAULT_CREDENTIALS

__all__ = ["build_parser", "main", "parse_only"]

SLOW_DELAY_MS = 1000
FLAKY_RATE = 0.2


def parse_only(value: str) -> list[str]:
    """``overseerr,plex`` -> ``["plex", "overseerr"]`` (start order: plex.tv after Plex, to list it; Uptime Kuma
    last, to watch the others); unknown names are an error."""
    names = [name.strip().lower() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in SERVICES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown service(s) {', '.join(unknown) or '(none given)'}: expected names from {', '.join(SERVICES)}")
    return [name for name in SERVICES if name in names]


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be an integer 0..65535, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be an integer 0..65535, got {value!r}")
    return port


def _checked(validate: Callable[[Any], Any], integer: bool = False) -> Callable[[str], Any]:
    """An argparse type: the flag's text as a number, checked by ``validate`` (the mocks' own validation)."""

    def parse(value: str) -> Any:
        try:
            number = int(value) if integer else float(value)
        except ValueError:
            number = value  # validate names the field, the range and this value
        try:
            return validate(number)
        except check.ValidationError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


_rate = _checked(lambda v: check.finite_number(v, "failure rate", maximum=1.0))
_delay = _checked(check.delay_ms)
_jitter = _checked(lambda v: check.delay_ms(v, "jitter_ms"))
_status = _checked(lambda v: final_status(v, "failure status"), integer=True)
_seed = _checked(lambda v: check.whole_number(v, "seed", minimum=check.INT64_MIN), integer=True)


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m mockservers",
        description="Run fault-injecting mock Plex, plex.tv, Overseerr and Uptime Kuma servers until SIGINT/SIGTERM.",
        epilog="Each server also serves an admin API under /__admin/ (health, faults, journal, reset).")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    for name, (_, port) in SERVICES.items():
        parser.add_argument(f"--{name}-port", type=_port, default=port, metavar="PORT",
                            help=f"{name} port (default {port}; 0 = a free port)")
    parser.add_argument("--only", type=parse_only, default=list(SERVICES), metavar="NAME[,NAME]",
                        help=f"start only these services ({', '.join(SERVICES)})")
    faults = parser.add_argument_group("faults (applied to every started service)")
    faults.add_argument("--slow", action="store_true", help=f"delay every answer by {SLOW_DELAY_MS} ms")
    faults.add_argument("--delay-ms", type=_delay, default=None, metavar="MS",
                        help="delay every answer by MS milliseconds, at most one hour (overrides --slow)")
    faults.add_argument("--jitter-ms", type=_jitter, default=0.0, metavar="MS",
                        help="add up to MS milliseconds of random (seeded) delay")
    faults.add_argument("--flaky", action="store_true", help=f"answer {FLAKY_RATE * 100:.0f}%% of requests with 503")
    faults.add_argument("--failure-rate", type=_rate, default=None, metavar="RATE",
                        help="answer RATE (0..1) of requests with --failure-status (overrides --flaky)")
    faults.add_argument("--failure-status", type=_status, default=503, metavar="STATUS",
                        help="status for injected failures (default 503)")
    faults.add_argument("--seed", type=_seed, default=None, help="seed for failures and jitter (reproducible runs)")
    creds = parser.add_argument_group("credentials (defaults are documented in the README)")
    defaults = DEFAULT_CREDENTIALS
    creds.add_argument("--plex-token", default=defaults.plex_token, metavar="TOKEN",
                       help="X-Plex-Token clients must send")
    creds.add_argument("--plex-fixture", default=None, metavar="FILE", help="Plex library fixture (JSON)")
    creds.add_argument("--plextv-username", default=defaults.plextv_username, metavar="USER",
                       help="plex.tv account user name (sign-in)")
    creds.add_argument("--plextv-password", default=defaults.plextv_password, metavar="PASSWORD",
                       help="plex.tv account password (sign-in)")
    creds.add_argument("--plextv-token", default=defaults.plextv_token, metavar="TOKEN",
                       help="the plex.tv account's own token (links a 4-character PIN at /api/v2/pins/link)")
    creds.add_argument("--overseerr-api-key", default=defaults.overseerr_api_key, metavar="KEY",
                       help="X-Api-Key clients must send")
    creds.add_argument("--uptime-kuma-username", default=defaults.uptime_kuma_username, metavar="USER",
                       help="Uptime Kuma login user")
    creds.add_argument("--uptime-kuma-password", default=defaults.uptime_kuma_password, metavar="PASSWORD",
                       help="Uptime Kuma login password")
    return parser


def fault_plan_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The fault plan the flags describe (as accepted by ``FaultPlan.update``)."""
    plan: dict[str, Any] = {}
    delay = args.delay_ms if args.delay_ms is not None else (SLOW_DELAY_MS if args.slow else 0)
    if delay or args.jitter_ms:
        plan.update(delay_ms=delay, jitter_ms=args.jitter_ms)
    rate = args.failure_rate if args.failure_rate is not None else (FLAKY_RATE if args.flaky else 0.0)
    if rate or args.seed is not None:
        plan.update(failure_rate=rate, failure_status=args.failure_status, seed=args.seed)
    return plan


def _options(name: str, args: argparse.Namespace, started: Sequence[Any] = ()) -> dict[str, Any]:
    options: dict[str, Any] = {"host": args.host, "port": getattr(args, f"{name.replace('-', '_')}_port")}
    if name == "plex":
        options.update(token=args.plex_token, fixture=args.plex_fixture)
    elif name == "plextv":  # the account's server is the Plex mock started before it, wherever it listens
        options.update(username=args.plextv_username, password=args.plextv_password, token=args.plextv_token,
                       plex=[m for m in started if m.service_name == "plex"])
    elif name == "overseerr":
        options.update(api_key=args.overseerr_api_key)
    else:  # its monitors watch the mocks started before it, wherever they listen
        options.update(username=args.uptime_kuma_username, password=args.uptime_kuma_password,
                       service_urls={MONITOR_NAMES[m.service_name]: m.url for m in started
                                     if m.service_name in MONITOR_NAMES})
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Start the mocks, print their URLs, wait for SIGINT/SIGTERM, stop them. Returns the exit code."""
    args = build_parser().parse_args(argv)
    plan = fault_plan_from_args(args)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    started = []
    try:
        for name in args.only:
            options = _options(name, args, started)
            mock = create_mock(name, **options)
            mock.faults.update(plan)
            try:
                mock.start()
            except OSError as exc:
                print(f"error: cannot start {name} on {args.host}:{options['port']}: {exc.strerror or exc}",
                      file=sys.stderr)
                return 2
            started.append(mock)
            print(f"{name:<12} {mock.url}", flush=True)
        if plan:
            print(f"faults: {plan}", flush=True)
        print("mock servers ready (Ctrl-C to stop)", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        for mock in reversed(started):
            mock.stop()
    print("mock servers stopped", flush=True)
    return 0
