"""The health page over real HTTP: sign-in, sessions and CSRF, who sees what, escaping, security headers."""

from __future__ import annotations

import re

import pytest
import requests

from companion.dashboard import PAGE_PATH, SIGN_IN_PATH, SIGN_OUT_PATH, Accounts
from companion.dashboard.page import CONTENT_SECURITY_POLICY
from companion.dashboard.sessions import SESSION_COOKIE, SESSION_LIFETIME_S

PASSWORDS = {"ann": "ann's password", "bob": "bob's password"}


@pytest.fixture(scope="module")
def accounts() -> Accounts:
    """ann (admin) and bob (user); hashed once for the module (scrypt takes a while)."""
    return Accounts.from_passwords({"ann": (PASSWORDS["ann"], "admin"), "bob": (PASSWORDS["bob"], "user")})


@pytest.fixture
def statuses(fakes):
    return fakes.StatusService([fakes.status("plex", "down"), fakes.status("overseerr", "up")])


@pytest.fixture
def page(make_dashboard, fakes, statuses, accounts, clock):
    """A dashboard with the page, on the fixed test clock."""
    breakers = fakes.Breakers({"plex": {"state": "closed", "failures": 0, "rejected": 0}})
    return make_dashboard(statuses, breakers, accounts=accounts, clock=clock)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(server, name: str, password: str | None = None, session: requests.Session | None = None,
            **extra) -> requests.Response:
    session = session or requests.Session()
    form = session.get(server.url + SIGN_IN_PATH, timeout=10)
    data = {"username": name, "password": PASSWORDS.get(name, "x") if password is None else password,
            "csrf_token": csrf_of(form.text), **extra}
    response = session.post(server.url + SIGN_IN_PATH, data=data, timeout=10, allow_redirects=False)
    response.session = session
    return response


def test_the_page_sends_a_visitor_without_a_session_to_the_sign_in_form(page):
    response = requests.get(page.url + PAGE_PATH, timeout=10, allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(SIGN_IN_PATH)
    root = requests.get(page.url + "/", timeout=10, allow_redirects=False)
    assert (root.status_code, root.headers["Location"].endswith(PAGE_PATH)) == (303, True)


def test_the_sign_in_form_sets_an_http_only_same_site_session_cookie_with_a_csrf_token(page):
    response = requests.get(page.url + SIGN_IN_PATH, timeout=10)
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(SESSION_COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    assert len(csrf_of(response.text)) >= 32


def test_a_secure_cookie_is_sent_over_https_only(make_dashboard, statuses, accounts):
    server = make_dashboard(statuses, None, accounts=accounts, secure_cookie=True)
    assert "Secure" in requests.get(server.url + SIGN_IN_PATH, timeout=10).headers["Set-Cookie"]


def test_an_admin_signs_in_and_sees_one_card_per_service_with_the_summary(page):
    response = sign_in(page, "ann")
    assert response.status_code == 303 and response.headers["Location"].endswith(PAGE_PATH)
    shown = response.session.get(page.url + PAGE_PATH, timeout=10)
    assert shown.status_code == 200
    cards = re.findall(r'<article class="card" data-service="([^"]*)" data-status="([^"]*)"', shown.text)
    assert cards[:2] == [("plex", "down"), ("overseerr", "up")]
    assert cards[2] == ("", "unknown")  # the blank card of the <template>, for services that appear later
    assert 'data-field="servicesDown">1<' in shown.text and 'data-field="totalServices">2<' in shown.text
    assert "Signed in as <b id=\"signed-in-as\">ann</b>" in shown.text


def test_every_answer_carries_a_strict_content_security_policy_and_pages_are_not_stored(page):
    shown = sign_in(page, "ann").session.get(page.url + PAGE_PATH, timeout=10)
    assert shown.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert shown.headers["Cache-Control"] == "no-store"
    # no inline script or style, no event handler attributes
    assert "<script>" not in shown.text and "<style" not in shown.text and "style=" not in shown.text
    assert not re.search(r"\son[a-z]+=", shown.text)
    assert re.search(r'<script src="/static/health\.js" defer></script>', shown.text)
    script = requests.get(page.url + "/static/health.js", timeout=10)
    assert script.status_code == 200 and "EventSource" in script.text
    assert script.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(("name", "password"), [("ann", "not her password"), ("nobody", "whatever")])
def test_a_wrong_password_or_an_unknown_name_is_refused_alike_and_starts_no_session(page, name, password):
    response = sign_in(page, name, password)
    assert response.status_code == 401
    assert "Wrong user name or password." in response.text
    assert password not in response.text
    after = response.session.get(page.url + PAGE_PATH, timeout=10, allow_redirects=False)
    assert after.status_code == 303


@pytest.mark.parametrize(("token", "why"), [(None, "missing"), ("forged-token", "wrong")])
def test_a_sign_in_without_the_forms_csrf_token_changes_nothing(page, token, why):
    session = requests.Session()
    session.get(page.url + SIGN_IN_PATH, timeout=10)
    data = {"username": "ann", "password": PASSWORDS["ann"]}
    if token is not None:
        data["csrf_token"] = token
    response = session.post(page.url + SIGN_IN_PATH, data=data, timeout=10, allow_redirects=False)
    assert response.status_code == 403, why
    assert "did not come from this page" in response.text
    assert session.get(page.url + PAGE_PATH, timeout=10, allow_redirects=False).status_code == 303


def test_a_sign_in_from_another_browser_without_the_cookie_is_refused(page):
    token = csrf_of(requests.get(page.url + SIGN_IN_PATH, timeout=10).text)  # a page elsewhere copied the token
    response = requests.post(page.url + SIGN_IN_PATH, timeout=10, allow_redirects=False,
                             data={"username": "ann", "password": PASSWORDS["ann"], "csrf_token": token})
    assert response.status_code == 403


@pytest.mark.parametrize(("form", "message"), [
    ({"password": "x"}, "'username' is required"),
    ({"username": "ann"}, "'password' is required"),
    ({"username": "a" * 65, "password": "x"}, "'username' is 65 characters long; at most 64 allowed"),
    ({"username": "ann", "password": "p" * 1025}, "'password' is 1025 characters long; at most 1024 allowed"),
    ({"username": "an\x00n", "password": "x"}, "'username' contains the control character U+0000"),
    ({"username": "ann", "password": "pass\x1bword"}, "'password' contains the control character U+001B"),
])
def test_a_bad_field_gets_400_naming_it_and_the_password_is_never_echoed(page, form, message):
    session = requests.Session()
    token = csrf_of(session.get(page.url + SIGN_IN_PATH, timeout=10).text)
    response = session.post(page.url + SIGN_IN_PATH, data={**form, "csrf_token": token}, timeout=10)
    assert response.status_code == 400
    assert message.replace("'", "&#39;") in response.text
    if form.get("password", "x") != "x":
        assert form["password"] not in response.text


def test_a_non_admin_may_sign_in_but_gets_a_clear_403_page_and_no_events(page):
    session = sign_in(page, "bob").session
    shown = session.get(page.url + PAGE_PATH, timeout=10)
    assert shown.status_code == 403
    assert "for admins only" in shown.text and "role <b>user</b>" in shown.text
    assert 'class="card"' not in shown.text
    events = session.get(page.url + "/admin/health/events", timeout=10)
    assert events.status_code == 403


def test_the_event_stream_needs_a_session(page):
    assert requests.get(page.url + "/admin/health/events", timeout=10).status_code == 401


def test_sign_out_needs_the_csrf_token_and_then_ends_the_session(page):
    session = sign_in(page, "ann").session
    refused = session.post(page.url + SIGN_OUT_PATH, data={"csrf_token": "forged"}, timeout=10)
    assert refused.status_code == 403 and "you are still signed in" in refused.text
    assert session.get(page.url + PAGE_PATH, timeout=10).status_code == 200
    token = csrf_of(session.get(page.url + PAGE_PATH, timeout=10).text)
    out = session.post(page.url + SIGN_OUT_PATH, data={"csrf_token": token}, timeout=10, allow_redirects=False)
    assert out.status_code == 303 and out.headers["Location"].endswith(SIGN_IN_PATH)
    assert session.get(page.url + PAGE_PATH, timeout=10, allow_redirects=False).status_code == 303


def test_signing_in_starts_a_new_session_with_a_new_csrf_token(page):
    session = requests.Session()
    before = csrf_of(session.get(page.url + SIGN_IN_PATH, timeout=10).text)
    sign_in(page, "ann", session=session)
    after = csrf_of(session.get(page.url + PAGE_PATH, timeout=10).text)
    assert after != before


def test_a_session_expires_after_eight_hours_on_the_companions_clock(page, clock):
    session = sign_in(page, "ann").session
    clock.advance(seconds=SESSION_LIFETIME_S - 1)
    assert session.get(page.url + PAGE_PATH, timeout=10, allow_redirects=False).status_code == 200
    clock.advance(seconds=1)
    assert session.get(page.url + PAGE_PATH, timeout=10, allow_redirects=False).status_code == 303
    assert session.get(page.url + "/admin/health/events", timeout=10).status_code == 401


def test_without_accounts_nobody_can_sign_in_and_the_form_says_so(make_dashboard, statuses):
    server = make_dashboard(statuses, None)
    form = requests.get(server.url + SIGN_IN_PATH, timeout=10)
    assert "No accounts are configured" in form.text
    assert sign_in(server, "ann").status_code == 401


def test_a_message_holding_markup_is_shown_as_text(make_dashboard, fakes, accounts):
    entry = dict(fakes.status("plex", "down"), message='<script>alert("x")</script><img src=x onerror=alert(1)>')
    server = make_dashboard(fakes.StatusService([entry]), None, accounts=accounts)
    shown = sign_in(server, "ann").session.get(server.url + PAGE_PATH, timeout=10)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in shown.text
    assert "<img" not in shown.text and '<script>alert' not in shown.text


def test_a_service_the_page_does_not_know_gets_a_card_under_its_own_name(make_dashboard, fakes, accounts):
    server = make_dashboard(fakes.StatusService([fakes.status("state-store", "degraded"),
                                                 fakes.status("new-thing", "up")]), None, accounts=accounts)
    shown = sign_in(server, "ann").session.get(server.url + PAGE_PATH, timeout=10)
    assert re.search(r'data-field="title">State store<', shown.text)
    assert re.search(r'data-field="title">new-thing<', shown.text)


def test_a_page_with_no_service_says_so(make_dashboard, fakes, accounts):
    server = make_dashboard(fakes.StatusService([]), None, accounts=accounts)
    assert "No service is configured." in sign_in(server, "ann").session.get(server.url + PAGE_PATH, timeout=10).text


def test_accounts_hold_only_password_hashes_and_need_a_role():
    accounts = Accounts.from_passwords({"ann": ("secret words", "admin")})
    assert "secret words" not in repr(accounts) and "secret words" not in repr(vars(accounts))
    assert accounts.authenticate("ann", "secret words").is_admin
    assert accounts.authenticate("ann", "other") is None
    with pytest.raises(ValueError, match="has no role"):
        Accounts({"ann": ("hash", "")})
    with pytest.raises(ValueError, match="'password' is required"):
        Accounts.from_passwords({"ann": ("", "admin")})
