"""Benchmark 8: which HTTP server the mocks run on — candidates side by side in one run.

Each candidate serves the project's own Plex items page (50 items, JSON,
rendered once by a :class:`~mockservers.PlexMock`) from its own process,
pinned to the first core, while wrk runs on the second; rounds are
interleaved and medians reported (as the anchor benchmark does):

- ``werkzeug``: werkzeug's threaded WSGI server (what the mocks ran on before),
  a bare WSGI app returning the bytes;
- ``uvicorn``: uvicorn's httptools protocol on uvloop, a bare ASGI app returning
  the bytes (the serving mechanism the mocks run on now);
- ``uvicorn+a2wsgi``: the same server with a Flask route returning the bytes
  mounted through a2wsgi (what a mock pays on a cache miss);
- ``mock``: ``python -m mockservers --only plex``, the whole mock (edge limits,
  admin, faults, journal, ready bytes).

``python -m benchmarks.servers serve NAME PORT`` runs one candidate (used by
the benchmark itself). granian and cheroot are not in ``requirements.txt``;
they are measured when importable, else the section says so.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Callable

from .loadgen import LoadGenerator
from .model import BenchConfig, Section
from .processes import pin, serving
from .stats import median_load, or_na
from .targets import PLEX_ITEMS_PATH, Target, plex_targets, warm_up

__all__ = ["run", "CANDIDATES"]

CONNECTIONS = 32
CANDIDATES = ("werkzeug", "uvicorn", "uvicorn+a2wsgi", "granian", "cheroot", "mock")
COLUMNS = ["server", "what it serves", "req/s", "server CPU %", "p50 ms", "p99 ms", "x werkzeug", "errors"]
_WHAT = {"werkzeug": "bare WSGI app, ready bytes", "uvicorn": "bare ASGI app, ready bytes",
         "uvicorn+a2wsgi": "Flask route via a2wsgi, ready bytes", "granian": "bare WSGI app, ready bytes",
         "cheroot": "bare WSGI app, ready bytes", "mock": "the whole Plex mock (faults, journal, ready bytes)"}


def _page() -> bytes:
    """The project's 50-item Plex page as JSON, rendered once."""
    import requests

    from mockservers import PlexMock

    target = plex_targets()[0]
    with PlexMock() as mock:
        return requests.get(target.url(mock.url), headers=target.headers, timeout=10).content


def _available(name: str) -> bool:
    if name in ("granian", "cheroot"):
        try:
            __import__("granian" if name == "granian" else "cheroot.wsgi")
        except ImportError:
            return False
    return True


def serve(name: str, port: int) -> None:
    """Run candidate ``name`` on ``127.0.0.1:port`` until killed."""
    if name == "mock":
        from mockservers.cli import main

        sys.exit(main(["--only", "plex", "--plex-port", str(port)]))
    page = _page()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(page)))]

    def wsgi(environ: dict, start_response: Callable) -> list[bytes]:
        start_response("200 OK", headers)
        return [page]

    if name == "werkzeug":
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_request(self, *args: object, **kwargs: object) -> None:
                pass

        make_server("127.0.0.1", port, wsgi, threaded=True, request_handler=Quiet).serve_forever()
    elif name in ("uvicorn", "uvicorn+a2wsgi"):
        import uvicorn

        raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(page)).encode())]

        async def asgi(scope: dict, receive: Callable, send: Callable) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
            await send({"type": "http.response.body", "body": page})

        app: Callable = asgi
        if name == "uvicorn+a2wsgi":
            from a2wsgi import WSGIMiddleware
            from flask import Flask, Response

            flask_app = Flask("candidate")
            flask_app.add_url_rule("/library/sections/<key>/all", "all",
                                   lambda key: Response(page, content_type="application/json"))
            app = WSGIMiddleware(flask_app, workers=32)
        uvicorn.run(app, host="127.0.0.1", port=port, http="httptools", loop="uvloop", lifespan="off",
                    log_level="warning", access_log=False, interface="asgi3")
    elif name == "granian":  # pragma: no cover - only when installed
        from granian import Granian
        from granian.constants import Interfaces

        Granian("benchmarks.servers:_granian_app", address="127.0.0.1", port=port, interface=Interfaces.WSGI).serve()
    elif name == "cheroot":  # pragma: no cover - only when installed
        from cheroot.wsgi import Server

        Server(("127.0.0.1", port), wsgi, numthreads=32).safe_start()
    else:
        raise SystemExit(f"unknown candidate {name!r}: expected one of {', '.join(CANDIDATES)}")


def run(config: BenchConfig, load: LoadGenerator, *, rounds: int | None = None,
        log: Callable[[str], None] = print) -> Section:
    """Every available candidate at 32 connections, rounds interleaved, medians
    (``rounds`` default: ``config.rounds``)."""
    rounds = rounds or config.rounds
    started = time.perf_counter()
    section = Section(key="servers", title="8. Candidate servers for the mocks",
                      description=(f"GET {PLEX_ITEMS_PATH.split('?')[0]} (the project's 50-item JSON page) at "
                                   f"{CONNECTIONS} connections, {config.load_duration_s:g} s per point, {rounds} "
                                   f"interleaved rounds, medians; load engine: {load.engine}."),
                      columns=COLUMNS)
    names = [name for name in CANDIDATES if _available(name)]
    missing = [name for name in CANDIDATES if name not in names]
    if missing:
        section.notes.append(f"not measured (not installed): {', '.join(missing)}.")
    target = Target("plex", PLEX_ITEMS_PATH, "json", plex_targets()[0].headers)
    samples: dict[str, list[dict]] = {name: [] for name in names}
    previous_affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    try:
        for round_no in range(rounds):
            for name in names:
                with serving(lambda port, name=name: [sys.executable, "-m", "benchmarks.servers", "serve", name,
                                                      str(port)], target.path) as server:
                    pin(0, {1})  # wrk inherits this process's core
                    warm_up(server.url, target)
                    result = load.run(target.url(server.url), headers=target.headers, connections=CONNECTIONS,
                                      duration_s=config.load_duration_s, server_pid=server.process.pid)
                samples[name].append(result)
                log(f"  round {round_no + 1} {name}: {result['rps']:.0f} req/s, server CPU {result['server_cpu_pct']} %, "
                    f"p99 {result['p99_ms']:.1f} ms")
    finally:
        if previous_affinity is not None:
            os.sched_setaffinity(0, previous_affinity)
    medians = {name: median_load(runs) for name, runs in samples.items()}
    base = medians["werkzeug"]["rps"] if "werkzeug" in medians else None
    for name in names:
        m = medians[name]
        section.rows.append({
            "server": name, "what it serves": _WHAT[name], "req/s": round(m["rps"]), "server CPU %": or_na(m["server_cpu_pct"]),
            "p50 ms": round(m["p50_ms"], 2), "p99 ms": round(m["p99_ms"], 2),
            "x werkzeug": round(m["rps"] / base, 2) if base else "n/a", "errors": m["errors"]})
    section.notes.append("Each server is its own process pinned to core 0; the load generator runs on core 1 "
                         "(when the platform can pin). server CPU %: the server process's CPU time over the load "
                         "run, in % of one core.")
    if load.note:
        section.notes.append(load.note)
    section.elapsed_s = time.perf_counter() - started
    return section


def _granian_app(environ: dict, start_response: Callable) -> list[bytes]:  # pragma: no cover - granian only
    page = _granian_app.__dict__.setdefault("page", _page())
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(page)))])
    return [page]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit("usage: python -m benchmarks.servers serve NAME PORT")
