"""The plex.tv mock's Flask app: PINs, the account, sign-in and sign-out, and the account's resources.

Routes (all under ``/api/v2``; XML unless ``Accept`` names ``application/json``; the ``X-Plex-*`` values
from a header or the query string, as plex.tv takes them):

==============================  ===============================================================================
``POST /pins``                  ``strong=true`` for an OAuth PIN (25 characters, 30 min), else a 4-character
                                one (15 min); needs ``X-Plex-Product`` and ``X-Plex-Client-Identifier`` (400
                                naming the one missing); 201 with ``id``, ``code``, ``expiresIn``, ``expiresAt``,
                                ``authToken`` null, ``clientIdentifier`` ...
``GET /pins/{id}``              the PIN for the client that created it (``X-Plex-Client-Identifier``):
                                ``authToken`` null until approved or linked, then a new token of the account;
                                404 once expired on the mock's clock, once denied, or for another client
``PUT /pins/link``              form ``code`` (a 4-character PIN) with the ``X-Plex-Token`` of the signed-in
                                account: links it (204); 404 for an unknown, strong or expired code
``GET /user``                   the account, carrying the token given; 401 for an unknown or revoked token
``POST /users/signin``          form ``login`` (user name or email) and ``password``: 201 with the account and
                                a new token; 401 when they do not match
``DELETE /users/signout``       revokes the token given (204)
``GET /resources``              the account's servers with their connections (relay ones only with
                                ``includeRelay=1``) and the access token of the caller's token
==============================  ===============================================================================

Errors are plex.tv's ``{"errors": [{"code", "message", "status"}]}`` (XML ``<errors><error/></errors>``):
1000 bad request, 1001 "User could not be authenticated" (401), 1020 "Code not found or expired" (404).
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from mockservers.core import validation as check

from .account import PlexTvAccount, PlexTvError
from .render import error_reply, pin_data, reply, resource_data, user_data

__all__ = ["create_app", "API", "TOKEN_NAME", "MAX_HEADER"]

API = "/api/v2"
TOKEN_NAME = "X-Plex-Token"
#: the longest ``X-Plex-*`` value or form field accepted
MAX_HEADER = 256
MAX_TOKEN = 1024
_TRUE, _FALSE = ("1", "true"), ("0", "false")


def _bad(message: str) -> PlexTvError:
    return PlexTvError(400, 1000, message)


def _x_plex(name: str, required: bool = False) -> str | None:
    """An ``X-Plex-*`` value from the headers or the query string; 400 when required and missing, or not clean."""
    value = request.headers.get(name, request.args.get(name))
    if value is None or value == "":
        if required:
            raise _bad(f"{name} is missing: send it as a header or a query parameter")
        return None
    try:
        return check.text(value, name, max_length=MAX_HEADER)
    except check.ValidationError as exc:
        raise _bad(str(exc)) from None


def _flag(name: str) -> bool:
    """A ``0``/``1``/``true``/``false`` parameter (query or form; absent = false); 400 naming anything else."""
    raw = request.values.get(name)
    if raw is None:
        return False
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE + ("",):
        return False
    raise _bad(f"{name} must be 1, 0, true or false, got {check.shown(raw)}")


def _field(name: str) -> str:
    """A required form (or query) field: clean text up to :data:`MAX_HEADER` characters; 400 otherwise."""
    value = request.values.get(name)
    if not value:
        raise _bad(f"{name} is required")
    try:
        return check.text(value, name, max_length=MAX_HEADER)
    except check.ValidationError as exc:
        raise _bad(str(exc)) from None


def _token() -> str | None:
    value = request.headers.get(TOKEN_NAME) or request.args.get(TOKEN_NAME)
    return value if value and len(value) <= MAX_TOKEN else None


def create_app(account: PlexTvAccount) -> Flask:
    """The plex.tv Flask app over ``account``."""
    app = Flask("plextv-mock")

    def answer(root: str, data, status: int = 200) -> Response:
        return reply(root, data, request.headers.get("Accept"), status)

    @app.errorhandler(PlexTvError)
    def refused(exc: PlexTvError) -> Response:
        return error_reply(exc.status, exc.code, exc.message, request.headers.get("Accept"))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        message = {404: "Not found", 405: f"{request.method} is not allowed here"}.get(code, exc.description or "")
        return error_reply(code, 1000, message, request.headers.get("Accept"))

    @app.errorhandler(check.ValidationError)
    def bad_input(exc: check.ValidationError) -> Response:
        return error_reply(exc.status, 1000, str(exc), request.headers.get("Accept"))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:  # a bug of the mock: the fuzz tests fail on it
        return error_reply(500, 1000, f"mock plex.tv failed: {type(exc).__name__}: {check.shown(str(exc), 300)}",
                           request.headers.get("Accept"))

    @app.post(API + "/pins")
    def create_pin():
        strong = _flag("strong")
        product = _x_plex("X-Plex-Product", required=True)
        client = _x_plex("X-Plex-Client-Identifier", required=True)
        return answer("pin", pin_data(account.create_pin(strong, client, product)), 201)

    @app.get(API + "/pins/<int:pin_id>")
    def get_pin(pin_id: int):
        client = _x_plex("X-Plex-Client-Identifier", required=True)
        return answer("pin", pin_data(account.pin_for(pin_id, client)))

    @app.put(API + "/pins/link")
    def link_pin():
        token = _token()
        account.live_token(token)  # 401 before anything about the code is told
        account.link(_field("code"), token)
        return Response(status=204)

    @app.get(API + "/user")
    def user():
        return answer("user", user_data(account, account.live_token(_token())))

    @app.post(API + "/users/signin")
    def sign_in():
        client = _x_plex("X-Plex-Client-Identifier", required=True)
        token = account.sign_in(_field("login"), _field("password"), client)
        return answer("user", user_data(account, token), 201)

    @app.delete(API + "/users/signout")
    def sign_out():
        token = account.live_token(_token())
        account.revoke(token=token.value)
        return Response(status=204)

    @app.get(API + "/resources")
    def resources():
        include_relay = _flag("includeRelay")
        for name in ("includeHttps", "includeIPv6"):
            _flag(name)  # accepted and checked; every connection here is plain http over IPv4
        listed = account.resources(_token())
        return answer("resources", [resource_data(server, access, account.created_at, include_relay)
                                    for server, access in listed])

    return app
