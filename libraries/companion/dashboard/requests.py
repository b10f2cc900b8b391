"""Media requests over HTTP, through the durable outbox (``Authorization: Bearer <JWT>``, any role).

* ``POST /api/v1/requests`` ``{"mediaType": "movie"|"tv", "mediaId": 603, "seasons": [1, 2]|"all",
  "is4k": false, "userId": 1}`` (only ``mediaType`` and ``mediaId`` required) -> **201** delivered (with
  Overseerr's request), **202** accepted and queued (Overseerr is unavailable or older submissions go
  first: the id to follow it by), **409** rejected by Overseerr (its reason in ``error``). The body of each:
  ``{success, data: {status, id, message, submission, overseerrRequest}}``.
* ``GET /api/v1/requests?state=queued&limit=100`` -> the submissions, oldest first (every state without
  ``state``); ``GET /api/v1/requests/<id>`` -> one.
* ``DELETE /api/v1/requests/<id>`` -> cancel a queued one: 200; 409 when it cannot be cancelled (being
  delivered, in doubt, finished), 404 when unknown.

Bad input is a 400 naming the field, the value and what is allowed (bodies at most 16 KiB, JSON nested at
most 4 deep); the outbox's database unreachable is a 503 saying so. Nothing here answers a 500.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from flask import Flask, Response, jsonify, request

__all__ = ["add_request_routes", "REQUESTS_PATH", "MAX_REQUEST_BODY"]

REQUESTS_PATH = "/api/v1/requests"
MAX_REQUEST_BODY = 16 * 1024
_FIELDS = {"mediaType", "mediaId", "seasons", "is4k", "userId"}
_STATUS_CODES = {"delivered": 201, "queued": 202, "rejected": 409}


class _BadInput(ValueError):
    pass


def _depth(value: Any, level: int = 1) -> int:
    if isinstance(value, dict):
        return max([level, *(_depth(v, level + 1) for v in value.values())])
    if isinstance(value, list):
        return max([level, *(_depth(v, level + 1) for v in value)])
    return level


def _no_constant(name: str) -> Any:
    raise _BadInput(f"{name} is not JSON: numbers must be finite")


def _body() -> dict[str, Any]:
    raw = request.get_data(cache=False)
    if len(raw) > MAX_REQUEST_BODY:
        raise _BadInput(f"request body too large: at most {MAX_REQUEST_BODY} bytes")
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _BadInput('body must be a JSON object like {"mediaType": "movie", "mediaId": 603}') from None
    if not isinstance(body, dict):
        raise _BadInput(f"body must be a JSON object, got {type(body).__name__}")
    if _depth(body) > 4:
        raise _BadInput("body is nested too deep: at most 4 levels")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise _BadInput(f"unknown field(s) {', '.join(map(repr, unknown[:5]))}: allowed {', '.join(sorted(_FIELDS))}")
    return body


def _limit() -> int:
    raw = request.args.get("limit", "100")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 1000:
        raise _BadInput(f"query parameter 'limit' must be a whole number from 1 to 1000, got {raw[:20]!r}")
    return int(raw)


def add_request_routes(app: Flask, outbox: Any, authenticate: Callable[[], Response | None],
                       fail: Callable[[int, str], Response]) -> None:
    """Add the routes above to ``app``. ``authenticate()`` returns an error response or None (let through);
    ``fail(status, message)`` builds the JSON error every route of the app answers with."""
    from ..outbox import STATES, CancelError, StoreUnavailableError

    def guarded(handler: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            refused = authenticate()
            if refused is not None:
                return refused
            try:
                return handler(*args, **kwargs)
            except _BadInput as exc:
                return fail(400, str(exc))
            except StoreUnavailableError as exc:
                return fail(503, f"the request outbox is unavailable: {exc}")
        run.__name__ = handler.__name__
        return run

    @app.post(REQUESTS_PATH)
    @guarded
    def submit_media_request():
        body = _body()
        try:
            result = outbox.submit(body.get("mediaType"), body.get("mediaId"), body.get("seasons"),
                                   is4k=body.get("is4k", False), user_id=body.get("userId", 1))
        except ValueError as exc:
            raise _BadInput(str(exc)) from None
        payload: dict[str, Any] = {"success": result.status != "rejected", "data": result.to_dict()}
        if result.status == "rejected":
            payload["error"] = f"Overseerr refused the request: {result.message}"
        return jsonify(payload), _STATUS_CODES[result.status]

    @app.get(REQUESTS_PATH)
    @guarded
    def list_media_requests():
        state = request.args.get("state") or None
        if state is not None and state not in STATES:
            raise _BadInput(f"query parameter 'state' must be one of {', '.join(STATES)}, got {state[:40]!r}")
        found = outbox.store.submissions(state, _limit())
        return jsonify({"success": True, "data": {"count": len(found), "submissions": [s.to_dict() for s in found],
                                                  "outbox": outbox.status()}})

    @app.get(f"{REQUESTS_PATH}/<int:submission_id>")
    @guarded
    def get_media_request(submission_id: int):
        try:
            return jsonify({"success": True, "data": outbox.get(submission_id).to_dict()})
        except KeyError:
            return fail(404, f"no submission with id {submission_id}")

    @app.delete(f"{REQUESTS_PATH}/<int:submission_id>")
    @guarded
    def cancel_media_request(submission_id: int):
        try:
            return jsonify({"success": True, "data": outbox.cancel(submission_id).to_dict()})
        except CancelError as exc:
            return fail(exc.status, str(exc))
