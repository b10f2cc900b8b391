"""The health dashboard's bearer-token authentication and the token helper."""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_admin_token_reads_the_dashboard(server, fakes):
    response = get_dashboard(server, "Bearer " + mint_token(fakes.jwt_secret))
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert [s["name"] for s in body["data"]["services"]] == ["plex", "overseerr"]


def token_without_exp(secret):
    return jwt.encode({"sub": "qa", "role": "admin"}, secret, algorithm="HS256")


def unsigned_token():
    return jwt.encode({"sub": "qa", "role": "admin", "exp": 4102444800}, None, algorithm="none")


@pytest.mark.parametrize(("case", "header", "status", "error_fragment"), [
    ("no header", lambda s: None, 401, "missing Authorization header"),
    ("basic scheme", lambda s: "Basic YWRtaW46YWRtaW4=", 401, "unsupported Authorization scheme"),
    ("empty bearer", lambda s: "Bearer ", 401, "expected 'Bearer <token>'"),
    ("malformed", lambda s: "Bearer not-a-jwt-at-all", 401, "malformed token"),
    ("bad signature", lambda s: "Bearer " + mint_token("another-secret-of-at-least-32-bytes!!"), 401,
     "signature verification failed"),
    ("expired", lambda s: "Bearer " + mint_token(s, expires_in=timedelta(seconds=-5)), 401, "token expired"),
    ("no exp claim", lambda s: "Bearer " + token_without_exp(s), 401, "missing required claim 'exp'"),
    ("alg none", lambda s: "Bearer " + unsigned_token(), 401, "algorithm not allowed"),
    ("viewer role", lambda s: "Bearer " + mint_token(s, role="viewer"), 403, "role 'viewer' is not allowed"),
    ("no role", lambda s: "Bearer " + mint_token(s, role=None), 403, "token has no role"),
])
def test_refused_tokens(server, fakes, case, header, status, error_fragment):
    authorization = header(fakes.jwt_secret)
    response = get_dashboard(server, authorization)
    assert response.status_code == status, case
    body = response.json()
    assert body["success"] is False
    assert error_fragment in body["error"]
    assert "data" not in body
    if authorization:
        token = authorization.partition(" ")[2].strip()
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
