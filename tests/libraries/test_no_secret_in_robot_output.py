"""No secret value reaches Robot's output, at any log level.

The suites that handle credentials run once at ``--loglevel TRACE`` (every keyword argument and return
value logged) with credentials no other text contains: the mocks' default credentials swapped for unique
values (``mockservers.credentials.DEFAULT_CREDENTIALS``, the one source the keyword libraries read), and
the dashboard's JWT and webhook secrets given as ``Secret`` variables. ``output.xml`` and every string of
``log.html`` (Robot stores long ones zlib-compressed, so they are decoded first) are then searched for
each value and for anything shaped like a JWT (minted tokens). A planted suite logs one known value the
same way a leak would, and the search must find it: the check can fail.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import uuid
import zlib
from pathlib import Path

import pytest
from robot.api import ExecutionResult

# untraced: `make test` runs it outside coverage (pyproject.toml markers); pabot measures the libraries.
# The run of nine suites (a browser and companion processes among them) takes more than pytest's default 60 s
# on a busy machine: it has the subprocess's own bound.
ROBOT_RUN_TIMEOUT_S = 300
pytestmark = [pytest.mark.untraced, pytest.mark.timeout(ROBOT_RUN_TIMEOUT_S + 20)]
ROOT = Path(__file__).resolve().parents[2]
#: the suites whose keywords carry credentials, tokens or webhook secrets
SUITES = ["dashboard.robot", "webhooks.robot", "uptime_kuma.robot", "plex.robot", "overseerr.robot",
          "circuit_breaker.robot", "companion_app.robot", "health_page.robot", "plex_sign_in.robot"]
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
PLANTED_SUITE = """*** Test Cases ***
A Value Logged Like A Leak
    Log    ${PLANTED}
    Log    long enough to be stored compressed in log.html: ${PLANTED} ${{ "x" * 300 }}
"""

# the credentials (name=value, before "--"), then robot's arguments; every token the plex.tv mock mints starts with
# ``minted_prefix``, so a minted token (an account's, a server's access token) is found by that prefix
RUNNER = """
import sys
from mockservers import credentials
from mockservers.plextv import account
split = sys.argv.index("--")
values = dict(arg.split("=", 1) for arg in sys.argv[1:split])
account.TOKEN_PREFIX = values.pop("minted_prefix")
credentials.DEFAULT_CREDENTIALS = credentials.Credentials(**values)
import robot
sys.exit(robot.run_cli(sys.argv[split + 1:], exit=False))
"""
CREDENTIALS = ("plex_token", "overseerr_api_key", "uptime_kuma_username", "uptime_kuma_password", "plextv_username",
               "plextv_password", "plextv_token")


def _unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("leak")
    secrets = {"plex_token": _unique("plex-token"), "overseerr_api_key": _unique("overseerr-key"),
               "uptime_kuma_username": _unique("kuma-user"), "uptime_kuma_password": _unique("kuma-password"),
               "plextv_username": _unique("plextv-user"), "plextv_password": _unique("plextv-password"),
               "plextv_token": _unique("plextv-token"), "minted_prefix": _unique("minted"),
               "jwt_secret": _unique("jwt-secret"), "webhook_secret": _unique("webhook-secret"),
               "page_admin_password": _unique("page-admin-password"),
               "page_user_password": _unique("page-user-password")}
    planted = _unique("planted")
    (out / "planted.robot").write_text(PLANTED_SUITE, encoding="utf-8")
    credentials = [f"{name}={secrets[name]}" for name in (*CREDENTIALS, "minted_prefix")] + ["--"]
    args = ["--pythonpath", ".", "--pythonpath", "libraries", "--loglevel", "TRACE", "--outputdir", str(out),
            "--console", "none", "--variable", f"DASHBOARD_JWT_SECRET: Secret:{secrets['jwt_secret']}",
            "--variable", f"DASHBOARD_WEBHOOK_SECRET: Secret:{secrets['webhook_secret']}",
            "--variable", f"HEALTH_PAGE_ADMIN_PASSWORD: Secret:{secrets['page_admin_password']}",
            "--variable", f"HEALTH_PAGE_USER_PASSWORD: Secret:{secrets['page_user_password']}",
            "--variable", f"PLANTED:{planted}", *(f"robot/{suite}" for suite in SUITES), str(out / "planted.robot")]
    result = subprocess.run([sys.executable, "-c", RUNNER, *credentials, *args], cwd=ROOT,
                            timeout=ROBOT_RUN_TIMEOUT_S, capture_output=True, text=True)
    assert result.returncode == 0, (f"the suites failed (rc {result.returncode}): see {out}\n"
                                    f"{_failed_tests(out / 'output.xml')}\n{result.stderr[-2000:]}")
    del secrets["uptime_kuma_username"], secrets["plextv_username"]  # a user name is not a secret: logs may name it
    return {"secrets": secrets, "planted": planted, "output": (out / "output.xml").read_text(encoding="utf-8"),
            "log": _log_text(out / "log.html"), "log_html": (out / "log.html").read_text(encoding="utf-8")}


def _failed_tests(output: Path) -> str:
    """The failed tests of a Robot run and their messages, one per line (so a failure here names its test)."""
    if not output.exists():
        return f"no {output.name}"
    failed = [f"{test.full_name}: {test.message[:500]}"
              for test in ExecutionResult(str(output)).suite.all_tests if test.failed]
    return "\n".join(failed) or "no failed test in output.xml"


def _log_text(path: Path) -> str:
    """Every string of a Robot log.html, decoded: ``*text`` is stored as is, the rest zlib + base64."""
    html = path.read_text(encoding="utf-8")
    strings: list[str] = []
    for chunk in re.findall(r'window\.output\["strings"\]\.concat\((\[.*?\])\);', html, flags=re.S):
        chunk = re.sub(r"(?<!\\)\\x([0-9a-fA-F]{2})", r"\\u00\1", chunk)  # JavaScript's \x3c is JSON's \u003c
        for item in json.loads(chunk):
            strings.append(item[1:] if item.startswith("*") else
                           zlib.decompress(base64.b64decode(item)).decode("utf-8"))
    assert strings, f"no strings found in {path}: has log.html's format changed?"
    return html + "\n".join(strings)


def _leaks(text: str, secrets: dict[str, str]) -> list[str]:
    found = [name for name, value in secrets.items() if value in text]
    found += [f"a JWT ({match[:12]}...)" for match in set(JWT_SHAPE.findall(text))]
    return found


@pytest.mark.parametrize("document", ["output", "log"])
def test_the_search_finds_a_planted_value(run, document):
    assert _leaks(run[document], {"planted": run["planted"]}) == ["planted"]


def test_the_search_reads_the_compressed_strings_of_log_html(run):
    # the long planted message is stored compressed: only the decoded text holds it
    assert run["log"].count(run["planted"]) > run["log_html"].count(run["planted"])


@pytest.mark.parametrize("document", ["output", "log"])
def test_no_secret_value_in_robot_output_at_trace_level(run, document):
    assert _leaks(run[document], run["secrets"]) == []


def test_the_run_really_used_the_credentials_and_tokens(run):
    # the suites above log in, read the dashboard with minted tokens and post webhooks: if none of
    # that happened, finding nothing would prove nothing
    for step in ("Mint Dashboard Token", "Get Webhook Secret", "Connect To Uptime Kuma", "Create Plex Client",
                 "Get Health Page Credentials", "Fill Secret", "Finish Plex Sign-In", "Revoke Plex Tokens"):
        assert step in run["output"], f"{step} did not run"
