"""The mock Overseerr's Flask app: ``/api/v1`` routes, API-key check, validation.

Errors are JSON as the real server writes them: 403
``{"status": 403, "error": "You do not have permission to access this endpoint"}``
without the right ``X-Api-Key``; 400 ``{"message", "errors"}`` for invalid input;
404 ``{"message", "errors"}`` for unknown paths.
"""

from __future__ import annotations

import hmac
import math
from typing import Any, Callable

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from mockservers.core import validation as check

from .catalogue import Catalogue, CatalogueEntry
from .details import movie_details, tv_details
from .store import FILTERS, SORTS, RequestError, RequestStore, field_error

__all__ = ["create_app", "API_PREFIX", "API_KEY_HEADER", "VERSION", "PAGE_SIZE"]

API_PREFIX = "/api/v1"
API_KEY_HEADER = "X-Api-Key"
VERSION = "1.33.2"
PAGE_SIZE = 20  # TMDB's search page size
DEFAULT_TAKE = 10
#: routes a client may call without a key
OPEN_PATHS = frozenset({API_PREFIX + "/status"})
FORBIDDEN = {"status": 403, "error": "You do not have permission to access this endpoint"}


def _error(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> Response:
    body: dict[str, Any] = {"message": message}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    return response


def _query_error(name: str, problem: str, hint: str) -> RequestError:
    return RequestError(f"{name} {problem}: {hint}", errors=[field_error(name, problem, "query")])


def _int_arg(name: str, default: int, minimum: int, hint: str) -> int:
    """A paging value: ASCII digits, ``minimum`` up to a signed 64-bit integer; 400 naming it otherwise."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return check.digits(raw, name, minimum=minimum)
    except check.ValidationError:
        raise _query_error(name, f"must be a whole number from {minimum} to {check.INT64_MAX}, "
                                 f"got {check.shown(raw)}", hint) from None


def _choice_arg(name: str, default: str, choices: Any) -> str:
    value = request.args.get(name) or default
    if value not in choices:
        raise _query_error(name, f"must be one of {', '.join(choices)}, got {value!r}",
                           f"use {name}={default} or leave it out")
    return value


def _json_object() -> dict[str, Any]:
    raw = request.get_data(cache=True)
    try:
        body = check.parse_json(raw or b"")
    except check.ValidationError as exc:
        raise RequestError(f"{exc}: expected an object like "
                           '{"mediaType": "movie", "mediaId": 603}', status=exc.status,
                           errors=[{"path": ".body", "message": "should be valid JSON", "errorCode": "parse"}]) from None
    if not isinstance(body, dict):
        raise RequestError(f"request body must be a JSON object, got {type(body).__name__}: expected "
                           '{"mediaType": "movie", "mediaId": 603}',
                           errors=[{"path": ".body", "message": "should be object", "errorCode": "type.openapi.validation"}])
    return body


def create_app(store: RequestStore, api_key: str | Callable[[], str]) -> Flask:
    """The Overseerr Flask app over ``store``; ``api_key`` (or a function returning it) is the valid key."""
    app = Flask("overseerr-mock")
    app.json.sort_keys = False
    current_key = api_key if callable(api_key) else (lambda: api_key)
    catalogue: Catalogue = store.catalogue

    def with_media_info(result: dict[str, Any], media_type: str, tmdb_id: int, requests: bool = False) -> dict:
        media = store.media_for(media_type, tmdb_id)
        if media is not None:
            result["mediaInfo"] = store.render_media(media, with_requests=requests)
        return result

    @app.before_request
    def check_key() -> Response | None:
        if request.url_rule is None or request.path in OPEN_PATHS:
            return None  # unknown paths answer 404 before the key is checked, as the real server does
        given = request.headers.get(API_KEY_HEADER, "")
        if not hmac.compare_digest(given.encode(), current_key().encode()):
            response = jsonify(FORBIDDEN)
            response.status_code = 403
            return response
        return None

    @app.errorhandler(RequestError)
    def request_error(exc: RequestError) -> Response:
        return _error(exc.status, exc.message, exc.errors if exc.errors or exc.status == 400 else None)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        if code == 404:
            return _error(404, "not found", [{"path": request.path, "message": "not found"}])
        if code == 405:
            return _error(405, f"{request.method} method not allowed",
                          [{"path": request.path, "message": f"{request.method} method not allowed"}])
        return _error(code, exc.description or exc.name)

    @app.errorhandler(check.ValidationError)
    def bad_input(exc: check.ValidationError) -> Response:
        return _error(exc.status, str(exc), [])

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:  # a bug of the mock: the fuzz tests fail on it
        return _error(500, f"mock Overseerr failed: {type(exc).__name__}: {check.shown(str(exc), 300)}")

    @app.get(API_PREFIX + "/status")
    def status():
        return {"version": VERSION, "commitTag": f"v{VERSION}", "updateAvailable": False, "commitsBehind": 0,
                "restartRequired": False}

    @app.get(API_PREFIX + "/auth/me")
    def auth_me():
        return store.user()

    @app.get(API_PREFIX + "/search")
    def search():
        query = request.args.get("query", "")
        if not query.strip():
            raise _query_error("query", "is required and must not be empty", "search with ?query=<text>&page=1")
        page = _int_arg("page", 1, 1, "pages start at 1")
        found = catalogue.search(query)
        window = found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        results = [with_media_info(dict(e.result), e.media_type, e.tmdb_id) if e.media_type != "person"
                   else dict(e.result) for e in window]
        return {"page": page, "totalPages": max(1, math.ceil(len(found) / PAGE_SIZE)),
                "totalResults": len(found), "results": results}

    @app.post(API_PREFIX + "/request")
    def create_request():
        body = _json_object()
        created = store.create(body.get("mediaType"), body.get("mediaId"), body.get("seasons"),
                               body.get("is4k", False), server_id=body.get("serverId"),
                               profile_id=body.get("profileId"), root_folder=body.get("rootFolder"),
                               user_id=body.get("userId"))
        return store.render_request(created), 201

    @app.get(API_PREFIX + "/request")
    def list_requests():
        take = _int_arg("take", DEFAULT_TAKE, 1, "take is the page size, e.g. take=10")
        skip = _int_arg("skip", 0, 0, "skip is how many requests to pass over, e.g. skip=0")
        requested_by = _int_arg("requestedBy", 0, 1, "requestedBy is a user id, e.g. requestedBy=1") or None
        chosen = store.select(_choice_arg("filter", "all", tuple(FILTERS)), _choice_arg("sort", "added", SORTS),
                              _choice_arg("mediaType", "all", ("all", "movie", "tv")), requested_by)
        window = chosen[skip: skip + take]
        return {"pageInfo": {"pages": math.ceil(len(chosen) / take), "pageSize": take, "results": len(chosen),
                             "page": math.ceil(skip / take) + 1},
                "results": [store.render_request(r) for r in window]}

    @app.get(API_PREFIX + "/request/count")
    def count_requests():
        return store.count()

    @app.get(API_PREFIX + "/request/<int:request_id>")
    def get_request(request_id: int):
        try:
            return store.render_request(store.get(request_id))
        except KeyError:
            return _error(404, f"Request not found: no request with id {request_id}.")

    def details(media_type: str, tmdb_id: int, render: Callable[[CatalogueEntry], dict], noun: str):
        """``GET /movie/{id}`` or ``/tv/{id}``: the details, with ``mediaInfo`` once requested."""
        try:
            entry = catalogue.get(media_type, tmdb_id)
        except KeyError as exc:
            return _error(404, f"Unable to retrieve {noun}: {exc.args[0]}.")
        return with_media_info(render(entry), media_type, tmdb_id, requests=True)

    @app.get(API_PREFIX + "/movie/<int:tmdb_id>")
    def movie(tmdb_id: int):
        return details("movie", tmdb_id, movie_details, "movie")

    @app.get(API_PREFIX + "/tv/<int:tmdb_id>")
    def tv(tmdb_id: int):
        return details("tv", tmdb_id, tv_details, "series")

    return app
