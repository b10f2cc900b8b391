"""The health page for people: sign-in, one card per service, live updates; added to the dashboard app.

Routes (HTML unless said otherwise):

* ``GET /`` - 303 to the page.
* ``GET /admin/health`` - the page for an admin; 303 to the sign-in form when not signed in (or the session
  expired), a 403 page for a signed-in account without the ``admin`` role.
* ``GET /admin/health/events`` - the live updates (``text/event-stream``, see :mod:`.live`); 401 when not
  signed in, 403 for a non-admin, 429 when too many pages are connected.
* ``GET /admin/sign-in`` - the form; ``POST /admin/sign-in`` - ``username``, ``password``, ``csrf_token``:
  303 to the page, or the form again with 400 (a field missing, too long or holding a control character),
  401 (wrong name or password) or 403 (CSRF token missing or wrong).
* ``POST /admin/sign-out`` - ``csrf_token``: 303 to the sign-in form (403 with a wrong token).
* ``GET /static/health.js``, ``/static/health.css`` - the page's script and style (no inline script or style).

Every response carries a strict Content-Security-Policy (only this origin's
script, style and event stream; no inline script, no framing, forms post
here only) and ``X-Content-Type-Options: nosniff``; pages are ``no-store``.
Everything shown is escaped (Jinja autoescaping; the script sets
``textContent``), so a service's message holding ``<script>`` shows as text.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, redirect, render_template, request, session

from ..clock import SYSTEM_CLOCK, Clock
from .live import MAX_STREAMS, LiveFeed, StatusChecker, TooManyStreams
from .sessions import (CSRF_FIELD, SESSION_COOKIE, Accounts, SessionKeeper, SignInError, check_sign_in_form,
                       session_key)
from .view import clock_time, health_view, service_card

__all__ = ["register_page", "PAGE_PATH", "EVENTS_PATH", "SIGN_IN_PATH", "SIGN_OUT_PATH", "LIVE_EXTENSION",
           "CONTENT_SECURITY_POLICY"]

PAGE_PATH = "/admin/health"
EVENTS_PATH = "/admin/health/events"
SIGN_IN_PATH = "/admin/sign-in"
SIGN_OUT_PATH = "/admin/sign-out"
#: key of the :class:`LiveFeed` in ``app.extensions``
LIVE_EXTENSION = "companion.live_feed"
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}

log = logging.getLogger("companion.dashboard.page")


def register_page(app: Flask, status_service: Any, breakers: Any, *, accounts: Accounts | None, jwt_secret: str,
                  clock: Clock = SYSTEM_CLOCK, secure_cookie: bool = False,
                  check_interval_s: float | None = None, live_interval_s: float = 0.1,
                  max_streams: int = MAX_STREAMS) -> LiveFeed:
    """Add the page's routes to ``app``; return its :class:`LiveFeed` (also ``app.extensions[LIVE_EXTENSION]``).

    ``accounts`` None or empty: nobody can sign in (the form says so).
    ``secure_cookie``: send the session cookie over HTTPS only (behind a TLS
    proxy). ``check_interval_s``: while pages are connected, check the
    services that often (on ``clock``); None: only when something else checks.
    ``max_streams``: pages this process serves live at once (more get 429).
    """
    accounts = accounts if accounts is not None else Accounts()
    keeper = SessionKeeper(clock)
    app.secret_key = session_key(jwt_secret)
    app.config.update(SESSION_COOKIE_NAME=SESSION_COOKIE, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_SECURE=secure_cookie)

    def read() -> dict[str, Any]:
        return health_view(status_service, breakers, clock=clock)

    checker = (StatusChecker(status_service.get_all_statuses, check_interval_s, clock)
               if check_interval_s is not None and status_service is not None else None)
    feed = LiveFeed(read, clock=clock, interval_s=live_interval_s, max_streams=max_streams, checker=checker)
    app.extensions[LIVE_EXTENSION] = feed

    def page(template: str, status: int = 200, **context: Any) -> Response:
        response = Response(render_template(template, paths=PATHS, **context), status=status,
                            mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"
        return response

    def sign_in_form(status: int = 200, error: str | None = None) -> Response:
        return page("sign_in.html", status, error=error, csrf=keeper.csrf_token(session),
                    no_accounts=len(accounts) == 0)

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.get("/")
    def root():
        return redirect(PAGE_PATH, code=303)

    @app.get(PAGE_PATH)
    def health_page():
        account = keeper.account(session)
        if account is None:
            return redirect(SIGN_IN_PATH, code=303)
        if not account.is_admin:
            return page("forbidden.html", 403, account=account, csrf=keeper.csrf_token(session))
        view = health_view(status_service, breakers, clock=clock, check_unknown=True)
        now = clock.now()
        # the template's blank card: what the page's script copies for a service that appears later
        return page("health.html", view=view, account=account, csrf=keeper.csrf_token(session),
                    as_of=clock_time(now.isoformat()), blank=service_card({}, None, None, now))

    @app.get(EVENTS_PATH)
    def events():
        account = keeper.account(session)
        if account is None:
            return Response("not signed in\n", status=401, mimetype="text/plain")
        if not account.is_admin:
            return Response("the health page is for admins only\n", status=403, mimetype="text/plain")
        expires = session["exp"]
        try:
            stream = feed.open_stream(alive=lambda: clock.time() < expires)
        except TooManyStreams as exc:
            return Response(f"{exc}; try again later\n", status=429, mimetype="text/plain",
                            headers={"Retry-After": "5"})
        return Response(stream, mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @app.get(SIGN_IN_PATH)
    def sign_in_page():
        return sign_in_form()

    @app.post(SIGN_IN_PATH)
    def sign_in():
        if not keeper.csrf_valid(session, request.form.get(CSRF_FIELD)):
            return sign_in_form(403, "The sign-in form had expired or did not come from this page: "
                                     "nothing was changed, please sign in again.")
        try:
            name, password = check_sign_in_form(request.form)
        except SignInError as exc:
            return sign_in_form(exc.status, exc.message)
        account = accounts.authenticate(name, password)
        if account is None:
            log.info("health page: a sign-in was refused (wrong user name or password)")
            return sign_in_form(401, "Wrong user name or password.")
        keeper.sign_in(session, account)
        log.info("health page: %r signed in (role %r)", account.name, account.role)
        return redirect(PAGE_PATH, code=303)

    @app.post(SIGN_OUT_PATH)
    def sign_out():
        if not keeper.csrf_valid(session, request.form.get(CSRF_FIELD)):
            return page("forbidden.html", 403, account=keeper.account(session), csrf=keeper.csrf_token(session),
                        error="The sign-out form had expired or did not come from this page: you are still "
                              "signed in.")
        keeper.sign_out(session)
        return redirect(SIGN_IN_PATH, code=303)

    return feed


PATHS = {"page": PAGE_PATH, "events": EVENTS_PATH, "sign_in": SIGN_IN_PATH, "sign_out": SIGN_OUT_PATH}
