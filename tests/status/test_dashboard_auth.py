"""The health dashboard's bearer-token authentication and the token helper."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
import requests

from companion.dashboard import DASHBOARD_PATH, TokenError, mint_token, verify_token
from companion.dashboard.tokens import main as tokens_main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(make_dashboard, fakes):
    service = fakes.StatusService([fakes.status("plex", "up"), fakes.status("overseerr", "up")])
    return make_dashboard(service, fakes.Breakers({}))


def get_dashboard(server, authorization=None):
    headers = {} if authorization is None else {"Authorization": authorization}
    return requests.get(server.url + DASHBOARD_PATH, headers=headers, timeout=5)


def test_health_needs_no_authentication(server):
    response = requests.get(server.url + "/health", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def signed(secret, **claims):
    """An HS256 token with exactly these claims (``None`` values left out), whatever their type."""
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm="HS256")


def claims(**overrides):
    """Header factory: an admin token issued now for 5 minutes, with ``overrides`` applied."""
    def make(secret):
        now = int(time.time())
        return "Bearer " + signed(secret, **{"sub": "qa", "role": "admin", "iat": now, "exp": now + 300, **overrides})
    return make


def relative(**offsets):
    """Header factory: time claims as offsets (seconds) from now."""
    def make(secret):
        now = int(time.time())
        values = {name: now + offset for name, offset in offsets.items()}
        return "Bearer " + signed(secret, sub="qa", role="admin", **values)
    return make


NAN, INF = float("nan"), float("inf")
DAY = 24 * 3600
FOREIGN = "another-secret-of-at-least-32-bytes!!"


#: the auth matrix: every way a bearer token can be presented, and the answer
@pytest.mark.parametrize(("case", "header", "status", "error_fragment"), [
    ("admin", lambda s: "Bearer " + mint_token(s), 200, None),
    ("admin, nbf passed", relative(nbf=-10, iat=-10, exp=300), 200, None),
    ("admin, lifetime exactly 24 h", relative(iat=0, exp=DAY), 200, None),
    ("admin, iat 30 s ahead (clock skew)", relative(iat=30, exp=300), 200, None),
    ("no header", lambda s: None, 401, "missing Authorization header"),
    ("basic scheme", lambda s: "Basic YWRtaW46YWRtaW4=", 401, "unsupported Authorization scheme"),
    ("empty bearer", lambda s: "Bearer ", 401, "expected 'Bearer <token>'"),
    ("malformed", lambda s: "Bearer not-a-jwt-at-all", 401, "malformed token"),
    ("over-long", lambda s: "Bearer " + "a" * 5000, 401, "longer than 4096 characters"),
    ("payload not an object", lambda s: "Bearer " + jwt.api_jws.encode(b"[1, 2]", s, algorithm="HS256"), 401,
     "malformed token"),
    ("bad signature", lambda s: "Bearer " + mint_token(FOREIGN), 401, "signature verification failed"),
    ("alg none", lambda s: "Bearer " + jwt.encode({"role": "admin", "exp": 4102444800}, None, algorithm="none"), 401,
     "algorithm not allowed"),
    ("expired", lambda s: "Bearer " + mint_token(s, expires_in=timedelta(seconds=-5)), 401, "token expired"),
    ("no exp", claims(exp=None), 401, "missing required claim 'exp'"),
    ("exp NaN", claims(exp=NAN), 401, "'exp' claim must be a finite number from 0 to 253402300799"),
    ("exp Infinity", claims(exp=INF), 401, "'exp' claim must be a finite number"),
    ("exp -Infinity", claims(exp=-INF), 401, "'exp' claim must be a finite number"),
    ("exp 10**30", claims(exp=10**30), 401, "got 1000000000000000000000000000000"),
    ("exp 1e308", claims(exp=1e308), 401, "'exp' claim must be a finite number"),
    ("exp negative", claims(exp=-1), 401, "'exp' claim must be a finite number"),
    ("exp a string", claims(exp="4102444800"), 401, "'exp' claim must be a number of seconds since the epoch, got str"),
    ("exp a boolean", claims(exp=True), 401, "'exp' claim must be a number of seconds since the epoch, got bool"),
    ("exp a list", claims(exp=[1]), 401, "got list"),
    ("nbf NaN", claims(nbf=NAN), 401, "'nbf' claim must be a finite number"),
    ("nbf a string", claims(nbf="now"), 401, "'nbf' claim must be a number"),
    ("nbf in the future", relative(nbf=60, iat=0, exp=300), 401, "token not yet valid"),
    ("iat Infinity", claims(iat=INF), 401, "'iat' claim must be a finite number"),
    ("iat 10**30", claims(iat=10**30), 401, "'iat' claim must be a finite number"),
    ("iat 2 h in the future", relative(iat=7200, exp=7500), 401, "'iat' (issued at) is more than 60 s in the future"),
    ("lifetime 25 h", relative(iat=0, exp=DAY + 3600), 401, "lifetime 90000 s exceeds the maximum of 86400 s"),
    ("lifetime 25 h, no iat", relative(exp=DAY + 3600), 401, "exceeds the maximum of 86400 s ('exp' - now)"),
    ("viewer role", lambda s: "Bearer " + mint_token(s, role="viewer"), 403, "role 'viewer' is not allowed"),
    ("no role", lambda s: "Bearer " + mint_token(s, role=None), 403, "token has no role"),
    ("role a long string", claims(role="x" * 1000), 403, "(1002 characters)"),
])
def test_auth_matrix(server, fakes, case, header, status, error_fragment):
    authorization = header(fakes.jwt_secret)
    response = get_dashboard(server, authorization)
    assert response.status_code == status, (case, response.text)
    body = response.json()
    assert body["success"] is (status == 200)
    if status == 200:
        assert [s["name"] for s in body["data"]["services"]] == ["plex", "overseerr"]
        return
    assert error_fragment in body["error"]
    assert "data" not in body
    token = (authorization or "").partition(" ")[2].strip()
    if token:
        assert token not in response.text, "the error must not echo the token"
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expiry_follows_the_injected_clock(make_dashboard, fakes, clock):
    server = make_dashboard(fakes.StatusService([fakes.status("plex", "up")]), None, clock=clock)
    token = mint_token(fakes.jwt_secret, expires_in=timedelta(minutes=5), now=clock.now())
    assert get_dashboard(server, f"Bearer {token}").status_code == 200
    clock.advance(minutes=5)
    response = get_dashboard(server, f"Bearer {token}")
    assert response.status_code == 401
    assert response.json()["error"] == "token expired"


def test_verify_token_returns_the_claims(fakes):
    token = mint_token(fakes.jwt_secret, role="admin", subject="robot", team="qa")
    claims = verify_token(f"Bearer {token}", fakes.jwt_secret)
    assert (claims["sub"], claims["role"], claims["team"]) == ("robot", "admin", "qa")
    assert claims["exp"] - claims["iat"] == 300


def test_verify_token_without_a_role_requirement_accepts_any_role(fakes):
    token = mint_token(fakes.jwt_secret, role="viewer")
    assert verify_token(f"bearer {token}", fakes.jwt_secret, required_role=None)["role"] == "viewer"
    with pytest.raises(TokenError) as err:
        verify_token(f"Bearer {token}", fakes.jwt_secret)
    assert err.value.status == 403


def test_token_cli_prints_a_verifiable_token(capsys, fakes):
    assert tokens_main(["--secret", fakes.jwt_secret, "--role", "viewer", "--expires-in", "60"]) == 0
    token = capsys.readouterr().out.strip()
    claims = verify_token(f"Bearer {token}", fakes.jwt_secret, required_role="viewer")
    assert claims["exp"] - claims["iat"] == 60


def test_token_cli_runs_as_a_module(fakes):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "libraries"), str(ROOT)]))
    done = subprocess.run([sys.executable, "-m", "companion.dashboard.tokens", "--secret", fakes.jwt_secret,
                           "--role", "admin", "--expires-in", "300"],
                          capture_output=True, text=True, env=env, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert verify_token("Bearer " + done.stdout.strip(), fakes.jwt_secret)["role"] == "admin"
