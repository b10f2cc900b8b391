"""11. The health page: how fast it is served and shown, and how soon a change reaches an open page.

* **served**: ``GET /admin/health`` for a signed-in admin (three services, their verdicts known), server
  time as the client sees it (median and p95 of ``rounds`` requests), and the bytes of the page, its
  script and its style;
* **shown**: the page loaded in the system's headless Chromium (driven over the DevTools protocol with
  ``websocket-client``): navigation start to the load event, and to the first contentful paint;
* **time to update**: a circuit breaker opens (a failing call through it) while a page is open; the time
  until the change is there: as an event on the stream (an HTTP client reading it), and in the browser's
  page (its card shows ``open``). Median and p95 of ``changes`` changes.

Without a chromium on PATH the browser rows say so and the rest still runs.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from typing import Any, Callable

import requests

from .model import BenchConfig, Section
from .stats import percentile

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]
PASSWORD = "benchmark admin password"


class _Statuses:
    """Three services whose verdicts are known (the page renders them, no check runs)."""

    services = ["plex", "overseerr", "uptime-kuma"]
    breaker_names: dict[str, str] = {}

    def __init__(self) -> None:
        self.entries = [{"name": name, "status": "up", "response_time_ms": 12.0, "source": "poll",
                         "last_check": "2025-01-15T12:00:00.000Z", "message": f"{name} responded in 12 ms"}
                        for name in self.services]

    @property
    def last_statuses(self) -> list[dict[str, Any]]:
        return [dict(e) for e in self.entries]

    def get_all_statuses(self) -> list[dict[str, Any]]:
        return self.last_statuses

    def get_status(self, name: str) -> dict[str, Any]:
        return next(dict(e) for e in self.entries if e["name"] == name)

    def stale_answers(self) -> dict[str, Any]:
        return {}


def _signed_in(url: str) -> requests.Session:
    session = requests.Session()
    form = session.get(url + "/admin/sign-in", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    session.post(url + "/admin/sign-in", data={"username": "admin", "password": PASSWORD, "csrf_token": token},
                 timeout=10)
    return session


def _fail_once(breaker: Any) -> None:
    from companion.errors import ServiceUnavailableError

    def down() -> None:
        raise ServiceUnavailableError("plex", "benchmark", "connection refused")

    try:
        breaker.call("benchmark", down)
    except ServiceUnavailableError:
        pass


def _ms(values: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(values), 2), "p95_ms": round(percentile(values, 95), 2)}


class _DevTools:
    """A headless Chromium on a free DevTools port and one page target, spoken to over a websocket."""

    def __init__(self, chromium: str) -> None:
        import websocket

        self.profile = tempfile.TemporaryDirectory(prefix="bench-chromium-")
        self.process = subprocess.Popen([chromium, *CHROMIUM_FLAGS, "--remote-debugging-port=0",
                                         f"--user-data-dir={self.profile.name}", "about:blank"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        port = None
        while port is None and time.monotonic() < deadline:
            line = self.process.stderr.readline()
            found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            port = int(found.group(1)) if found else None
        if port is None:
            self.close()
            raise RuntimeError("chromium did not start its DevTools server")
        threading.Thread(target=self.process.stderr.read, daemon=True).start()  # keep its pipe drained
        targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(t for t in targets if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=20)
        self.ids = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.ids += 1
        self.socket.send(json.dumps({"id": self.ids, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.ids:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result["result"].get("value")

    def close(self) -> None:
        try:
            self.socket.close()
        except Exception:  # noqa: BLE001 - closing goes on
            pass
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._remove_profile()

    def _remove_profile(self, within_s: float = 10.0) -> None:
        """Remove the profile folder once Chromium's helper processes, which outlive the browser process for a
        moment, stop writing into it ("Directory not empty" on a busy machine): tried until it is gone."""
        deadline = time.monotonic() + within_s
        while True:
            try:
                self.profile.cleanup()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


_LOADED = """new Promise(done => {
  const ready = () => { const nav = performance.getEntriesByType("navigation")[0];
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    done({load: nav.loadEventEnd, paint: paint ? paint.startTime : null}); };
  const wait = () => (document.readyState === "complete" && document.body.dataset.live === "connected")
    ? setTimeout(ready, 0) : setTimeout(wait, 5);
  wait(); })"""
#: resolves once the Plex card shows its breaker in the given state (looked at every frame)
_SHOWS = """new Promise(done => { const card = document.querySelector('.card[data-service="plex"]');
  const look = () => card.dataset.breaker === "%s" ? done(true) : requestAnimationFrame(look); look(); })"""


def _browser(url: str, cookie: str, breakers: Any, rounds: int, changes: int) -> dict[str, Any]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return {"browser": "no chromium on PATH"}
    tools = _DevTools(chromium)
    try:
        tools.call("Page.enable")
        tools.call("Network.enable")
        tools.call("Network.setCookie", name="companion_session", value=cookie, url=url)
        loads, paints, updates = [], [], []
        for _ in range(rounds):
            tools.call("Page.navigate", url=url + "/admin/health")
            timing = tools.evaluate(_LOADED)
            loads.append(timing["load"])
            if timing["paint"] is not None:
                paints.append(timing["paint"])
        for _ in range(changes):
            started = time.perf_counter()
            _fail_once(breakers.get("plex"))
            tools.evaluate(_SHOWS % "open")
            updates.append((time.perf_counter() - started) * 1000)
            breakers.reset_all()
            tools.evaluate(_SHOWS % "closed")
        return {"load": _ms(loads), "paint": _ms(paints) if paints else None, "update": _ms(updates)}
    finally:
        tools.close()


def measure(rounds: int = 30, changes: int = 20) -> dict[str, Any]:
    """Serve the page in-process and measure it (see the module doc)."""
    from companion.breakers import CircuitBreakerFactory
    from companion.dashboard import Accounts, DashboardServer, create_dashboard_app

    breakers = CircuitBreakerFactory()
    breakers.create("plex", fail_max=1, reset_timeout=30)
    app = create_dashboard_app(_Statuses(), breakers, jwt_secret="b" * 40, webhook_secret=None,
                               accounts=Accounts.from_passwords({"admin": (PASSWORD, "admin")}))
    with DashboardServer(app) as server:
        session = _signed_in(server.url)
        served, sizes = [], {}
        for _ in range(rounds):
            started = time.perf_counter()
            page = session.get(server.url + "/admin/health", timeout=10)
            served.append((time.perf_counter() - started) * 1000)
        sizes["page"] = len(page.content)
        for name in ("health.js", "health.css"):
            sizes[name] = len(session.get(f"{server.url}/static/{name}", timeout=10).content)
        pushed = []
        with session.get(server.url + "/admin/health/events", stream=True, timeout=10) as stream:
            lines = stream.iter_lines(decode_unicode=True)
            next(line for line in lines if line.startswith("data: "))
            for _ in range(changes):
                started = time.perf_counter()
                _fail_once(breakers.get("plex"))
                next(line for line in lines if line.startswith("data: ") and '"breaker":"open"' in line)
                pushed.append((time.perf_counter() - started) * 1000)
                breakers.reset_all()
                next(line for line in lines if line.startswith("data: ") and '"breaker":"closed"' in line)
        browser = _browser(server.url, session.cookies.get("companion_session"), breakers, max(3, rounds // 3),
                           changes)
    return {"served": _ms(served), "bytes": sizes, "pushed": _ms(pushed), **browser}


def run(config: BenchConfig, *, log: Callable[[str], None] = print) -> Section:
    """The health page's benchmark section."""
    started = time.perf_counter()
    m = measure(rounds=config.health_page_rounds, changes=config.health_page_changes)
    kib = sum(m["bytes"].values()) / 1024

    def cell(values: dict[str, float] | None) -> str:
        return "no paint entry" if values is None else f"{values['median_ms']:.1f} ms (p95 {values['p95_ms']:.1f})"

    rows = [
        {"what": "page served (GET /admin/health, 3 services)", "time": cell(m["served"]),
         "target": "part of < 200 ms"},
        {"what": "page + script + style", "time": f"{kib:.1f} KiB "
                                                  f"({', '.join(f'{k} {v} B' for k, v in m['bytes'].items())})",
         "target": "no framework, no build"},
        {"what": "breaker opens -> event on the stream", "time": cell(m["pushed"]), "target": "< 1 s"},
    ]
    if "browser" in m:
        rows.append({"what": "in Chromium", "time": m["browser"], "target": ""})
    else:
        rows += [
            {"what": "Chromium: navigation -> load event", "time": cell(m["load"]), "target": "< 200 ms"},
            {"what": "Chromium: navigation -> first contentful paint", "time": cell(m["paint"]),
             "target": "< 200 ms"},
            {"what": "Chromium: breaker opens -> the card shows open", "time": cell(m["update"]),
             "target": "< 1 s"},
        ]
    section = Section(key="health_page", title="Health page: served, shown, time to update",
                      description="In-process dashboard server (werkzeug, threaded) on this machine; the page's "
                                  "live feed samples the state every 0.1 s. Medians and p95.",
                      columns=["what", "time", "target"], rows=rows, raw=m)
    section.notes.append("Time to update = the change (a failing call opens the breaker) until it is on the "
                         "stream / in the card: at most one sampling interval (0.1 s) plus sending and applying.")
    section.elapsed_s = time.perf_counter() - started
    log(f"health_page: served {m['served']['median_ms']:.1f} ms, pushed {m['pushed']['median_ms']:.1f} ms"
        + (f", load {m['load']['median_ms']:.1f} ms, update {m['update']['median_ms']:.1f} ms" if "load" in m else ""))
    return section
