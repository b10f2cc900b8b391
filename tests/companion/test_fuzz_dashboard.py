"""Fuzz: at least 500 generated bad inputs per dashboard route and the webhook receiver, on every run.

Each input goes to a real ``DashboardServer``; the test fails on any 5xx, an answer
that is not our JSON error shape, a hang (5 s), or a follow-up normal request that
no longer works. Reproducible: hypothesis runs derandomized (fixed seed), no
example database, no deadline.
"""

from __future__ import annotations

import json

import jwt
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companion.dashboard import DashboardServer, create_dashboard_app, mint_token

JWT_SECRET = "fuzz-jwt-secret-0123456789abcdef-0123"
WEBHOOK_SECRET = "fuzz-webhook-secret-0123456789abcdef"
DASHBOARD = "/api/v1/admin/service-health/dashboard"
WEBHOOK = "/api/v1/webhooks/overseerr"
EXAMPLES = 500
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
VALID_NOTIFICATION = {"notification_type": "MEDIA_PENDING", "subject": "The Matrix",
                      "media": {"media_type": "movie", "tmdbId": "603", "status": "PENDING"}}
COUNTS: dict[str, int] = {}
# untraced: `make test` runs it outside coverage, one worker per file (pyproject.toml markers, Makefile)
# the timeout catches a hang, not slowness: 500 inputs per route took more than 60 s at load 29 on 2 cores
pytestmark = [pytest.mark.untraced, pytest.mark.timeout(300)]


class Statuses:
    def get_all_statuses(self):
        return [{"name": "plex", "status": "up", "response_time_ms": 1.0, "last_check": "2025-01-15T12:00:00.000Z",
                 "source": "poll", "message": "ok"}]


@pytest.fixture(scope="module")
def server():
    app = create_dashboard_app(Statuses(), None, jwt_secret=JWT_SECRET, webhook_secret=WEBHOOK_SECRET)
    with DashboardServer(app) as running:
        yield running


@pytest.fixture(scope="module")
def session():
    with requests.Session() as http:
        http.trust_env = False  # localhost only: skips reading proxy settings from the environment per request
        yield http


# -- strategies ---------------------------------------------------------------------------------
#: what a header value can carry on the wire (latin-1, no CR/LF/NUL, no leading blank)
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
                      max_size=300).map(str.lstrip)
weird_number = st.one_of(st.integers(min_value=-(10**40), max_value=10**40), st.floats(allow_nan=True),
                         st.just(10**300), st.just(-0.0))
json_leaf = st.one_of(st.none(), st.booleans(), weird_number, st.text(max_size=40))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                              st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                          max_leaves=12)
claim_value = st.one_of(json_value, st.integers(min_value=0, max_value=2 * 10**9))


@st.composite
def signed_token(draw):
    """A JWT signed with the right secret, with arbitrary claims: the validation must hold on its own."""
    claims = draw(st.dictionaries(st.sampled_from(["exp", "nbf", "iat", "role", "sub", "x"]), claim_value, max_size=5))
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


authorization = st.one_of(
    header_text,
    header_text.map(lambda t: "Bearer " + t),
    signed_token().map(lambda t: "Bearer " + t),
    st.tuples(signed_token(), st.integers(min_value=0, max_value=60)).map(
        lambda tx: "Bearer " + tx[0][:tx[1]] + tx[0][tx[1] + 1:]),  # one character cut out
    st.just(None),
)
query = st.one_of(st.just(""), st.text(max_size=60).map(lambda t: requests.utils.quote(t.encode("utf-8"))),
                  st.binary(max_size=30).map(lambda b: "".join(f"%{x:02x}" for x in b)))


def deep(depth: int, kind: str) -> bytes:
    return (("[" * depth + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)).encode()


@st.composite
def webhook_body(draw) -> bytes:
    kind = draw(st.sampled_from(["binary", "json", "notification", "deep", "escapes"]))
    if kind == "binary":
        return draw(st.binary(max_size=400))
    if kind == "json":
        return json.dumps(draw(json_value)).encode()
    if kind == "deep":
        return deep(draw(st.integers(min_value=1, max_value=30_000)), draw(st.sampled_from(["list", "object"])))
    if kind == "escapes":
        escape = draw(st.sampled_from(["\\ud800", "\\udfff", "\\u0000", "\\x", "\\ud83d\\ude00", "\\"]))
        return ('{"notification_type": "TEST_NOTIFICATION", "subject": "' + escape + '"}').encode()
    note = json.loads(json.dumps(VALID_NOTIFICATION))  # a notification with one field replaced
    path = draw(st.sampled_from([("notification_type",), ("subject",), ("media",), ("media", "media_type"),
                                 ("media", "status"), ("media", "tmdbId"), ("request",), ("extra",)]))
    target = note
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = draw(json_value)
    return json.dumps(note).encode()


# -- the checks ---------------------------------------------------------------------------------
def check_answer(response: requests.Response, route: str) -> None:
    assert response.status_code < 500, (route, response.status_code, response.text[:300])
    body = response.json()  # always JSON, never an HTML error page
    if response.status_code >= 400:
        assert body["success"] is False and isinstance(body["error"], str) and body["error"], body
        assert JWT_SECRET not in response.text and WEBHOOK_SECRET not in response.text


def follow_up(session: requests.Session, server: DashboardServer, route: str) -> None:
    """A normal request to the same route still gets its normal answer."""
    if route == "health":
        answer = session.get(server.url + "/health", timeout=5)
        assert answer.status_code == 200, answer.text
    elif route == "dashboard":
        answer = session.get(server.url + DASHBOARD, headers={"Authorization": "Bearer " + mint_token(JWT_SECRET)},
                             timeout=5)
        assert answer.status_code == 200 and answer.json()["data"]["summary"]["totalServices"] == 1, answer.text
    elif route == "webhook-post":
        answer = session.post(server.url + WEBHOOK, json=VALID_NOTIFICATION,
                              headers={"Authorization": WEBHOOK_SECRET}, timeout=5)
        assert answer.status_code == 202, answer.text
    else:
        answer = session.get(server.url + WEBHOOK, headers={"Authorization": WEBHOOK_SECRET}, timeout=5)
        assert answer.status_code == 200 and answer.json()["success"] is True, answer.text


def send(session, server, route, method, path, auth, query_string="", body=None, content_type=None):
    headers = {}
    if auth is not None:
        headers["Authorization"] = auth
    if content_type is not None:
        headers["Content-Type"] = content_type
    url = server.url + path + (f"?{query_string}" if query_string else "")
    response = session.request(method, url, headers=headers, data=body, timeout=5)
    check_answer(response, route)
    follow_up(session, server, route)
    COUNTS[route] = COUNTS.get(route, 0) + 1


@FUZZ
@given(auth=authorization, query_string=query, body=st.one_of(st.none(), st.binary(max_size=200)))
def test_fuzz_health(server, session, auth, query_string, body):
    send(session, server, "health", "GET", "/health", auth, query_string, body)


@FUZZ
@given(auth=authorization, query_string=query)
def test_fuzz_dashboard(server, session, auth, query_string):
    send(session, server, "dashboard", "GET", DASHBOARD, auth, query_string)


@FUZZ
@given(body=webhook_body(), right_secret=st.booleans(), content_type=st.one_of(st.none(), header_text))
def test_fuzz_webhook_receiver(server, session, body, right_secret, content_type):
    auth = WEBHOOK_SECRET if right_secret else "wrong-secret"
    send(session, server, "webhook-post", "POST", WEBHOOK, auth, body=body, content_type=content_type)


@FUZZ
@given(method=st.sampled_from(["GET", "DELETE"]), auth=st.one_of(st.just(WEBHOOK_SECRET), header_text),
       query_string=st.one_of(query, st.text(max_size=30).map(lambda t: "type=" + requests.utils.quote(t))))
def test_fuzz_webhook_inbox(server, session, method, auth, query_string):
    send(session, server, "webhook-inbox", method, WEBHOOK, auth, query_string)


def test_every_route_got_at_least_500_inputs():
    """Runs after the fuzz tests in this module (pytest keeps file order)."""
    if len(COUNTS) < 4:
        pytest.skip(f"run with the fuzz tests of this module (counts: {COUNTS})")
    assert all(count >= EXAMPLES for count in COUNTS.values()), COUNTS
