"""Property-based fuzzing of every mock's admin API and service API (hypothesis).

Each test feeds at least :data:`EXAMPLES` generated bad inputs and, after each
one, checks that

- the answer came (no hang: every request has a timeout) and is not a 5xx;
- admin answers are a 4xx in strict JSON (never ``NaN``/``Infinity``) and the
  mock's state did not change (bad input changes nothing);
- the server thread is alive and a normal request still gets its normal answer.

Runs are reproducible (``derandomize=True``: the same inputs every run) and
bounded (about 5 s per test on a 2-core machine).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
import requests
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockservers import OverseerrMock, PlexMock, PlexTvMock, UptimeKumaMock
from mockservers.core.clock import MAX_ADVANCE_S

# untraced: `make test` runs it outside coverage (pyproject.toml markers)
# the timeout catches a hang, not slowness: the fuzzers took more than 120 s at load 28 on 2 cores
pytestmark = [pytest.mark.timeout(300), pytest.mark.untraced]

#: bad inputs per API and run
EXAMPLES = 500
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=list(HealthCheck))
TIMEOUT = 5.0
PLEX_TOKEN = {"X-Plex-Token": "mock-token"}
PLEXTV_TOKEN = {"X-Plex-Token": "mock-plextv-token"}
OVERSEERR_KEY = {"X-Api-Key": "mock-api-key"}

# -- bad values, by what a field expects ---------------------------------------------------------
NAN, INF = float("nan"), float("inf")
NOT_NUMBERS = ["5", "", None, True, False, [], {}, [1], {"a": 1}, "\ud800", "NaN"]
NON_FINITE = [NAN, INF, -INF]
BAD_TEXT = ["", "\ud800", "bad \udfff name", "a\r\nInjected: 1", "\x00", "\x7f", "\x85", 5, 1.5, None,
            True, [], {}, ["x"], "x" * 70_000]


def bad_number(low: float, high: float, *, low_ok: bool = True, whole: bool = False) -> st.SearchStrategy:
    """Values that are not a number in ``low``..``high`` (``low_ok``: low itself is valid)."""
    below = st.floats(max_value=float(low), exclude_max=low_ok, allow_nan=False) | st.integers(max_value=int(low) - 1)
    above = st.floats(min_value=float(high), exclude_min=True, allow_nan=False) | st.integers(min_value=int(high) + 1)
    options = [st.sampled_from(NOT_NUMBERS + NON_FINITE + [2**63, 2**64, 10**30, 1e308, -1e308]), below, above]
    if whole:
        options.append(st.floats(min_value=low + 0.01, max_value=min(high, 1e6) - 0.01).filter(
            lambda x: not float(x).is_integer()))
    return st.one_of(*options)


BAD = {
    "ms": bad_number(0, 3_600_000),
    "s": bad_number(0, 86_400, low_ok=False),
    "rate": bad_number(0, 1),
    "status": bad_number(100, 599, whole=True),
    "count": bad_number(1, 2**63 - 1, whole=True),
    "seed": st.one_of(st.sampled_from([x for x in NOT_NUMBERS if x is not None] + NON_FINITE + [1.5, 2**63, -2**63 - 1,
                                       10**30])),
    "advance": bad_number(0, MAX_ADVANCE_S),
    "text": st.sampled_from(BAD_TEXT) | st.text(alphabet=st.characters(codec="utf-8", categories=["Cc"]),
                                                 min_size=1, max_size=5),
    "bool": st.sampled_from([0, 1, "true", None, [], {}, 1.0, "yes", NAN]),
    "number": st.sampled_from(NOT_NUMBERS + NON_FINITE + [1e308, -1e308, 10**30]),
    "sections": st.sampled_from(["x", 5, None, {}, [5], [{}], [{"key": 1}], "\ud800", [None],
                                 [{"key": "1", "title": "T", "type": "movie", "generate": 10**9}],
                                 [{"key": "1", "title": "T", "type": "show", "items": [{"title": "S",
                                                                                         "seasons": 10**6}]}]]),
    "path": st.sampled_from(["nope", "", 5, None, "/\ud800", "/" + "x" * 3000, "/a\x00", [], {"p": "/"}]),
    "action": st.sampled_from(["explode", 99, 600, True, None, [], {}, {"color": 1}, {"status": 99},
                               {"status": 429, "headers": {"X": "a\r\nb"}}, {"status": 429, "headers": {"A B": "x"}},
                               {"delay_ms": NAN}, {"delay_ms": 1e308}, {"fault": "dribble", "chunk_size": 0},
                               {"fault": "dribble", "chunk_delay_ms": INF}, {"fault": "melt"}, {"status": 503,
                               "body": "\ud800"}, "\ud800", 2**63]),
}


def bad_object(fields: dict[str, str]) -> st.SearchStrategy:
    """A JSON object where one field (of ``fields``: name -> kind) has a bad value, maybe beside valid-looking ones."""
    return st.sampled_from(sorted(fields)).flatmap(lambda name: BAD[fields[name]].map(lambda value: {name: value}))


def encode(value: Any) -> bytes:
    """JSON text as a careless client would send it (NaN/Infinity allowed, lone surrogates escaped)."""
    try:
        return json.dumps(value).encode()
    except ValueError:  # an int over Python's 4300-digit limit
        return b'{"x": ' + b"9" * 5000 + b"}"


RAW_BODIES = [b"", b"{", b"[1, 2]", b'"text"', b"42", b"null", b"\xff\xfe", b'{"a": NaN', b"[" * 50_000,
              b'{"a":' * 5000 + b"1" + b"}" * 5000, b'{"zzz": 1}', b"{" + b'"k": 1,' * 10 + b"}",
              b"x" * (1024 * 1024 + 10)]


@dataclass(frozen=True)
class Route:
    """One admin route: method, path, and the body fields it takes (name -> kind)."""

    method: str
    path: str
    fields: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    #: valid fields sent beside the bad one (so the bad one is what the route must refuse)
    base: dict[str, Any] = field(default_factory=dict)

    def cases(self) -> st.SearchStrategy:
        if self.query:
            return st.sampled_from(sorted(self.query)).flatmap(
                lambda name: (st.sampled_from(["-1", "abc", "", "9" * 400, "²", "1.5", "1e3", " ", "0x10"])
                              | st.text(max_size=8).filter(lambda t: not t.strip().isdigit()))
                .map(lambda value: (self, None, {name: value})))
        bodies = st.sampled_from(RAW_BODIES)
        if self.fields:
            bad = bad_object(self.fields).map(lambda fields: encode({**self.base, **fields}))
            bodies = st.one_of(bodies, bad, bad)
        return bodies.map(lambda raw: (self, raw, None))


OUTAGE = {"outage": "outage"}
BAD["outage"] = st.one_of(bad_object({"duration_s": "s"}), bad_object({"requests": "count"}),
                          BAD["action"].map(lambda a: {"requests": 1, "action": a}),
                          st.sampled_from([5, "x", [], {}, {"zz": 1}]))
BAD["flapping"] = st.one_of(bad_object({"up_s": "s"}).map(lambda d: {"down_s": 1, "up_s": 1, **d}),
                            bad_object({"down_s": "s"}).map(lambda d: {"up_s": 1, "down_s": 1, **d}),
                            st.sampled_from([{"up_s": 1}, {"up_s": 1, "down_s": 1, "start": "sideways"}, 7]))
BAD["routes"] = st.one_of(BAD["action"].map(lambda a: [{"path": "/x", "action": a}]),
                          BAD["path"].map(lambda p: [{"path": p}]), st.sampled_from([{}, "x", [1], [None]]))
BAD["sequence"] = st.one_of(BAD["action"].map(lambda a: [503, a]), st.sampled_from([[], "503", {}, [[]]]))

PLAN_FIELDS = {"delay_ms": "ms", "jitter_ms": "ms", "failure_rate": "rate", "failure_status": "status",
               "seed": "seed", "hang_max_s": "s", "outage": "outage", "flapping": "flapping", "routes": "routes"}
CORE_ROUTES = [
    Route("PUT", "/__admin/faults", PLAN_FIELDS),
    Route("PATCH", "/__admin/faults", PLAN_FIELDS),
    Route("POST", "/__admin/faults/routes", {"action": "action", "path": "path", "times": "count",
                                             "sequence": "sequence"}),
    Route("POST", "/__admin/down", {"duration_s": "s"}),
    Route("POST", "/__admin/clock", {"advance_s": "advance"}),
    Route("GET", "/__admin/faults/preview", query={"n": "count"}),
    Route("GET", "/__admin/journal", query={"status": "status", "limit": "count"}),
]
PLEX_ROUTES = CORE_ROUTES + [
    Route("PUT", "/__admin/plex/token", {"token": "text"}),
    Route("PUT", "/__admin/plex/library", {"sections": "sections", "seed": "seed", "server": "text"}),
    Route("POST", "/__admin/plex/sections/1/items", {"title": "text", "year": "seed", "rating": "number",
                                                     "genres": "text", "seasons": "text"}),
    Route("POST", "/__admin/plex/sections/2/items", {"title": "text", "seasons": "s", "duration": "seed"}),
    Route("DELETE", "/__admin/plex/items/0"),
]
OVERSEERR_ROUTES = CORE_ROUTES + [
    Route("POST", "/__admin/overseerr/requests", {"mediaType": "text", "mediaId": "seed", "status": "status",
                                                  "is4k": "bool"}),
    Route("PUT", "/__admin/overseerr/requests/1/status", {"status": "status", "media_status": "status"}),
    Route("POST", "/__admin/overseerr/webhooks", {"url": "text", "timeout": "s", "request_id": "count",
                                                  "notification_type": "text"}),
]
KUMA_ROUTES = CORE_ROUTES + [
    Route("POST", "/__admin/uptime-kuma/monitors", {"name": "text", "type": "text", "url": "text"}),
    Route("POST", "/__admin/uptime-kuma/monitors/1/status", {"status": "text", "msg": "text", "ping": "ms"}),
    Route("PUT", "/__admin/uptime-kuma/socket-faults", {"event_delay_ms": "ms", "reject_logins": "bool",
                                                         "stop_events": "bool"}),
    Route("PATCH", "/__admin/uptime-kuma/socket-faults", {"event_delay_ms": "ms"}),
]

BAD["connections"] = st.sampled_from([5, "x", {}, [None], [5], [{}], [{"location": "moon"}],
                                      [{"location": "local", "behaviour": "melts"}],
                                      [{"location": "local", "behaviour": "slow", "delay_ms": NAN}],
                                      [{"location": "local", "delay_ms": -1}], [{"location": "local", "colour": 1}],
                                      [{"location": "remote"}] * 17, [{"location": "\ud800"}]])
BAD["nullable_text"] = st.one_of(BAD["text"], st.just(None))
SERVER = {"name": "Fuzz", "clientIdentifier": "fuzz-1", "target": "http://127.0.0.1:9"}
PLEXTV_ROUTES = CORE_ROUTES + [
    Route("POST", "/__admin/plextv/tokens/revoke", {"token": "nullable_text", "issued_to": "nullable_text"}),
    Route("POST", "/__admin/plextv/servers", {"name": "text", "clientIdentifier": "text", "target": "text",
                                              "presence": "bool", "owned": "bool", "connections": "connections"},
          base=SERVER),
    Route("PATCH", "/__admin/plextv/servers/{machine}", {"presence": "bool", "name": "nullable_text",
                                                         "connections": "connections"}),
    Route("PATCH", "/__admin/plextv/servers/{machine}/connections/local", {"behaviour": "nullable_text",
                                                                           "delay_ms": "ms"},
          base={"behaviour": "slow"}),
    Route("PATCH", "/__admin/plextv/servers/{machine}/connections/9", {"behaviour": "text"}),
    Route("POST", "/__admin/plextv/pins/latest/approve"),
    Route("POST", "/__admin/plextv/pins/12/deny"),
    Route("DELETE", "/__admin/plextv/servers/nope"),
]


def strict_json(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"answer is not strict JSON: it contains {name}")
    return json.loads(text, parse_constant=refuse)


class Harness:
    """One mock under fuzzing: sends inputs, checks the answer, the state and a normal follow-up request."""

    def __init__(self, mock, normal: Callable[[requests.Session], None], state: Callable[[], Any]) -> None:
        self.mock, self.normal, self.state = mock, normal, state
        self.session = requests.Session()
        self.session.trust_env = False  # localhost only: skips reading proxy settings from the environment per request
        self.count = 0

    def alive(self) -> None:
        thread = self.mock._thread
        assert thread is not None and thread.is_alive(), "the server thread died"
        self.normal(self.session)

    def admin(self, case: tuple[Route, bytes | None, dict | None]) -> None:
        route, raw, query = case
        self.count += 1
        before = self.state()
        path = route.path.replace("{machine}", getattr(self, "machine", ""))
        answer = self.session.request(route.method, self.mock.url + path, data=raw, params=query,
                                      timeout=TIMEOUT, headers={"Content-Type": "application/json"})
        assert 400 <= answer.status_code < 500, f"{route.method} {route.path} {raw!r:.200} {query} -> " \
                                                 f"{answer.status_code} {answer.text[:300]}"
        assert "error" in strict_json(answer.text)
        assert self.state() == before, f"{route.method} {route.path} {raw!r:.200} changed the mock's state"
        self.alive()

    def service(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        self.count += 1
        kwargs.setdefault("timeout", TIMEOUT)
        answer = self.session.request(method, self.mock.url + path, **kwargs)
        assert answer.status_code < 500, f"{method} {path} {kwargs} -> {answer.status_code} {answer.text[:300]}"
        self.alive()
        return answer


def core_state(mock) -> tuple:
    return (json.dumps(mock.faults.to_dict(), sort_keys=True), mock.clock.advanced_s, mock.is_running(),
            mock.journal.total_recorded)


# -- the mocks under test (one each for the module: fuzzing must not need fresh ones) ------------------
@pytest.fixture(scope="module")
def plex():
    with PlexMock() as mock:
        def normal(session):
            answer = session.get(mock.url + "/library/sections", headers=PLEX_TOKEN, timeout=TIMEOUT)
            assert answer.status_code == 200 and b'<Directory' in answer.content

        def state():
            return core_state(mock) + (mock.token, json.dumps(mock.library.summary(), sort_keys=True))

        yield Harness(mock, normal, state)


@pytest.fixture(scope="module")
def plextv():
    with PlexMock() as plex, PlexTvMock(plex=plex) as mock:
        def normal(session):
            answer = session.get(mock.url + "/api/v2/user", headers=PLEXTV_TOKEN, timeout=TIMEOUT)
            assert answer.status_code == 200 and b"<user " in answer.content

        def state():
            return core_state(mock) + (json.dumps(mock.servers, sort_keys=True), json.dumps(mock.pins, sort_keys=True),
                                       json.dumps(mock.account.summary()["tokens"], sort_keys=True))

        harness = Harness(mock, normal, state)
        harness.machine = plex.machine_identifier
        yield harness


@pytest.fixture(scope="module")
def overseerr():
    with OverseerrMock() as mock:
        def normal(session):
            answer = session.get(mock.url + "/api/v1/status", timeout=TIMEOUT)
            assert answer.status_code == 200 and answer.json()["version"]

        def state():
            return core_state(mock) + (json.dumps(mock.requests, sort_keys=True), len(mock.webhook_deliveries))

        yield Harness(mock, normal, state)


@pytest.fixture(scope="module")
def kuma():
    with UptimeKumaMock(ping_interval_s=1.0) as mock:
        def normal(session):
            answer = session.get(mock.url + "/api/status-page/default", timeout=TIMEOUT)
            assert answer.status_code == 200 and answer.json()["publicGroupList"]

        def state():
            return core_state(mock) + (json.dumps(mock.monitors, sort_keys=True), repr(mock.socket_faults),
                                       json.dumps([mock.heartbeats(m) for m in mock.monitors], sort_keys=True))

        yield Harness(mock, normal, state)


def run_admin_fuzz(harness: Harness, routes: list[Route]) -> None:
    @FUZZ
    @given(case=st.sampled_from(routes).flatmap(Route.cases))
    def fuzz(case):
        harness.admin(case)

    fuzz()
    assert harness.count >= EXAMPLES


# -- admin APIs ---------------------------------------------------------------------------------------
def test_plex_admin_api_survives_bad_input(plex):
    run_admin_fuzz(plex, PLEX_ROUTES)


def test_plextv_admin_api_survives_bad_input(plextv):
    run_admin_fuzz(plextv, PLEXTV_ROUTES)


def test_overseerr_admin_api_survives_bad_input(overseerr):
    run_admin_fuzz(overseerr, OVERSEERR_ROUTES)


def test_uptime_kuma_admin_api_survives_bad_input(kuma):
    run_admin_fuzz(kuma, KUMA_ROUTES)


# -- service APIs ------------------------------------------------------------------------------------------
ODD_TEXT = st.one_of(st.sampled_from(["-1", "", "9" * 5000, "²", "٣", "1_0", "0x1", "1e3", "NaN", "\x00", "%",
                                      "titleSort," * 50, "titleSort:sideways", "a" * 1000]), st.text(max_size=20))
#: header values a client can send (requests refuses CR, LF and leading blanks itself)
LATIN1 = st.text(alphabet=st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=40).filter(
    lambda v: not v or v[0] not in " \t\x0b\x0c")


@st.composite
def plex_requests(draw) -> tuple[str, str, dict]:
    path = draw(st.sampled_from([
        "/library/sections/1/all", "/library/sections/2/all", "/library/all", "/hubs/search", "/search",
        "/library/metadata/1000/children", "/library/metadata/1001/allLeaves", "/library/sections/1/genre",
        "/library/sections/1/year", "/library/sections/{x}/all", "/library/metadata/{x}", "/library/sections/{x}",
        "/{x}", "/identity"]))
    path = path.replace("{x}", requests.utils.quote(draw(ODD_TEXT), safe=""))
    names = draw(st.lists(st.sampled_from(["X-Plex-Container-Start", "X-Plex-Container-Size", "type", "limit",
                                           "year", "sort", "genre", "title", "title=", "studio", "includeGuids",
                                           "includeMeta", "sectionId", "query", "movie.year", "contentRating=="]),
                          min_size=1, max_size=3))
    params = {name: draw(ODD_TEXT) for name in names}
    headers = dict(PLEX_TOKEN)
    if draw(st.booleans()):
        headers[draw(st.sampled_from(["X-Plex-Container-Start", "X-Plex-Container-Size", "X-Plex-Token",
                                      "Accept"]))] = draw(LATIN1)
    return path, "GET", {"params": params, "headers": {k: v.encode("latin-1") for k, v in headers.items()}}


def test_plex_service_api_survives_bad_input(plex):
    @FUZZ
    @given(request=plex_requests())
    def fuzz(request):
        path, method, kwargs = request
        plex.service(method, path, **kwargs)

    fuzz()
    assert plex.count >= EXAMPLES


JSONISH = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10)
                       | st.sampled_from(["\ud800", 2**64, 10**30]),
                       lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8),
                                                                                           children, max_size=3),
                       max_leaves=8)


@st.composite
def overseerr_requests(draw) -> tuple[str, str, dict]:
    kind = draw(st.sampled_from(["search", "list", "details", "create", "raw"]))
    headers = dict(OVERSEERR_KEY)
    if kind == "search":
        return "/api/v1/search", "GET", {"params": {"query": draw(ODD_TEXT), "page": draw(ODD_TEXT)},
                                         "headers": headers}
    if kind == "list":
        names = draw(st.lists(st.sampled_from(["take", "skip", "filter", "sort", "mediaType"]), min_size=1,
                              max_size=3))
        return "/api/v1/request", "GET", {"params": {n: draw(ODD_TEXT) for n in names}, "headers": headers}
    if kind == "details":
        what = draw(st.sampled_from(["movie", "tv", "request"]))
        return f"/api/v1/{what}/{requests.utils.quote(draw(ODD_TEXT), safe='')}", "GET", {"headers": headers}
    if kind == "create":  # always with one bad field, so nothing is created
        body = {"mediaType": "movie", "mediaId": 603}
        body.update(draw(bad_object({"mediaType": "text", "mediaId": "seed", "is4k": "bool"})))
        return "/api/v1/request", "POST", {"data": encode(body), "headers": {**headers,
                                                                             "Content-Type": "application/json"}}
    raw = draw(st.sampled_from(RAW_BODIES) | JSONISH.map(encode))
    return "/api/v1/request", "POST", {"data": raw, "headers": {**headers, "Content-Type": "application/json"}}


def test_overseerr_service_api_survives_bad_input(overseerr):
    @FUZZ
    @given(request=overseerr_requests())
    def fuzz(request):
        path, method, kwargs = request
        overseerr.service(method, path, **kwargs)

    fuzz()
    assert overseerr.count >= EXAMPLES
    assert overseerr.mock.requests == []  # every generated request body had a bad field


@st.composite
def plextv_requests(draw) -> tuple[str, str, dict]:
    odd = draw(ODD_TEXT)
    quoted = requests.utils.quote(odd, safe="")
    client = {"X-Plex-Product": draw(LATIN1), "X-Plex-Client-Identifier": draw(LATIN1)}
    token = draw(st.sampled_from([PLEXTV_TOKEN, {}, {"X-Plex-Token": "made-up"}]) | LATIN1.map(
        lambda value: {"X-Plex-Token": value}))
    kind = draw(st.sampled_from(["pin", "poll", "link", "user", "signin", "signout", "resources", "raw", "path"]))
    if kind == "pin":
        return "/api/v2/pins", "POST", {"params": {"strong": odd}, "headers": client}
    if kind == "poll":
        return f"/api/v2/pins/{quoted}", "GET", {"headers": client}
    if kind == "link":
        return "/api/v2/pins/link", "PUT", {"data": {"code": odd}, "headers": token}
    if kind == "user":
        return "/api/v2/user", "GET", {"headers": token, "params": {"X-Plex-Token": odd}}
    if kind == "signin":
        return "/api/v2/users/signin", "POST", {"data": {"login": odd, "password": draw(ODD_TEXT)}, "headers": client}
    if kind == "signout":  # never with the account's own token: the follow-up request needs it
        return "/api/v2/users/signout", "DELETE", {"headers": {"X-Plex-Token": draw(LATIN1)}}
    if kind == "resources":
        names = draw(st.lists(st.sampled_from(["includeHttps", "includeRelay", "includeIPv6"]), min_size=1, max_size=3))
        return "/api/v2/resources", "GET", {"params": {n: draw(ODD_TEXT) for n in names}, "headers": token}
    if kind == "raw":
        path, method = draw(st.sampled_from([("/api/v2/pins", "POST"), ("/api/v2/pins/link", "PUT"),
                                             ("/api/v2/users/signin", "POST")]))
        return path, method, {"data": draw(st.sampled_from(RAW_BODIES) | JSONISH.map(encode)),
                              "headers": {**client, **token, "Content-Type": draw(st.sampled_from(
                                  ["application/json", "application/x-www-form-urlencoded", "text/plain"]))}}
    return f"/api/v2/{quoted}", draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"])), {"headers": token}


def test_plextv_service_api_survives_bad_input(plextv):
    @FUZZ
    @given(request=plextv_requests())
    def fuzz(request):
        path, method, kwargs = request
        headers = kwargs.get("headers") or {}
        kwargs["headers"] = {k: v.encode("latin-1") if isinstance(v, str) else v for k, v in headers.items()}
        plextv.service(method, path, **kwargs)

    fuzz()
    assert plextv.count >= EXAMPLES
    assert plextv.mock.account.summary()["tokens"]["live"] == 1  # nothing signed in or linked


@st.composite
def kuma_requests(draw) -> tuple[str, str, dict]:
    odd = requests.utils.quote(draw(ODD_TEXT), safe="")
    path = draw(st.sampled_from([f"/api/status-page/{odd}", f"/api/status-page/heartbeat/{odd}",
                                 f"/api/badge/{odd}/status", "/metrics", "/api/badge/1/status", f"/{odd}"]))
    headers = {}
    if path == "/metrics" or draw(st.booleans()):
        headers["Authorization"] = draw(st.sampled_from(["Basic ", "Basic !!!", "Bearer x", "Basic " + "A" * 5000,
                                                         "Basic YWRtaW4=", "Basic gICA6gA==", "Digest x"])
                                        | LATIN1)
    return path, "GET", {"headers": {k: v.encode("latin-1") for k, v in headers.items()}}


def test_uptime_kuma_http_api_survives_bad_input(kuma):
    @FUZZ
    @given(request=kuma_requests())
    def fuzz(request):
        path, method, kwargs = request
        kuma.service(method, path, **kwargs)

    fuzz()
    assert kuma.count >= EXAMPLES


def test_uptime_kuma_socket_io_answers_every_bad_event(kuma):
    client = socketio.Client(reconnection=False)
    client.connect(kuma.mock.url, transports=["websocket"], wait_timeout=5)
    calls = []
    try:
        assert client.call("login", {"username": "admin", "password": "admin", "token": ""}, timeout=5)["ok"]

        def normal() -> None:
            answer = client.call("getMonitor", 1, timeout=TIMEOUT)
            assert answer["ok"] and answer["monitor"]["id"] == 1, answer

        events = st.sampled_from(["login", "loginByToken", "getMonitor", "getMonitorBeats", "add", "deleteMonitor",
                                  "\ud800", "x" * 300])
        argument = JSONISH | st.sampled_from([NAN, INF, -INF, 1e308, "²", "9" * 400, {"username": "\ud800"},
                                              {"username": "admin", "password": NAN}])

        deadline = time.monotonic() + 5
        while True:  # logged in once the after-login work ran
            try:
                normal()
                break
            except AssertionError:
                assert time.monotonic() < deadline
                time.sleep(0.02)

        @FUZZ
        @given(event=events, args=st.lists(argument, min_size=0, max_size=3))
        def fuzz(event, args):
            calls.append(event)
            packed = tuple(args) if len(args) != 1 else args[0]
            if event == "getMonitorBeats" and args:
                packed = (1, *args[:1])
            answer = client.call(event, packed, timeout=TIMEOUT) if args else client.call(event, timeout=TIMEOUT)
            assert answer is None or isinstance(answer, dict)
            if isinstance(answer, dict) and "data" not in answer:
                assert answer["ok"] is False or event in ("login", "loginByToken", "getMonitor")
            assert kuma.mock._thread.is_alive()
            normal()

        fuzz()
    finally:
        client.disconnect()
    assert len(calls) >= EXAMPLES
