"""The admin API every mock serves under ``/__admin/``.

JSON in and out. Bad input is a 400 with a message that says what was wrong;
an unknown route a 404; an unexpected error a 400 naming it, never a 500 page.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from .faults import FaultSpecError

if TYPE_CHECKING:  # pragma: no cover
    from .server import MockServer

__all__ = ["AdminApi", "AdminError", "ADMIN_PREFIX", "json_body"]

ADMIN_PREFIX = "/__admin"


class AdminError(Exception):
    """Raised by admin handlers: becomes ``{"error": message}`` with ``status``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def json_body(required: bool = True) -> dict[str, Any]:
    """The request's JSON object body, or an :class:`AdminError` saying why not."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise AdminError("request body is empty: expected a JSON object")
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise AdminError(f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise AdminError(f"request body must be a JSON object, got {type(body).__name__}")
    return body


class AdminApi:
    """The ``/__admin/`` Flask app of one mock server.

    Common routes: ``GET health``, ``GET/PUT/PATCH/DELETE faults``,
    ``POST faults/routes``, ``GET/DELETE journal``, ``POST reset``,
    ``POST down`` / ``POST up``. Services add theirs with :meth:`route`.
    """

    def __init__(self, server: "MockServer") -> None:
        self.server = server
        self.app = Flask(f"{server.service_name}-admin")
        self.app.json.sort_keys = False
        self._install_error_handlers()
        self._install_common_routes()

    def route(self, rule: str, methods: list[str] | None = None) -> Callable:
        """Decorator: add an admin route; ``rule`` is relative to ``/__admin``.

        The handler returns a JSON-able value (or ``(value, status)``) and may
        raise :class:`AdminError` for bad input.
        """

        def decorator(func: Callable) -> Callable:
            self.app.add_url_rule(ADMIN_PREFIX + rule, endpoint=f"{rule}:{func.__name__}",
                                  view_func=self._jsonify(func), methods=methods or ["GET"])
            return func

        return decorator

    def wrap(self, app: Callable) -> Callable:
        """WSGI app: ``/__admin/...`` goes to the admin app, the rest to ``app``."""
        admin_app = self.app

        def dispatch(environ: dict, start_response: Callable):
            path = environ.get("PATH_INFO", "")
            if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
                return admin_app(environ, start_response)
            return app(environ, start_response)

        return dispatch

    # -- internals -----------------------------------------------------------------
    @staticmethod
    def _jsonify(func: Callable) -> Callable:
        def view(**kwargs: Any):
            result = func(**kwargs)
            status = 200
            if isinstance(result, tuple):
                result, status = result
            return jsonify(result), status

        view.__name__ = func.__name__
        return view

    def _install_error_handlers(self) -> None:
        app = self.app

        @app.errorhandler(AdminError)
        def admin_error(exc: AdminError):
            return jsonify({"error": exc.message}), exc.status

        @app.errorhandler(FaultSpecError)
        def fault_error(exc: FaultSpecError):
            return jsonify({"error": str(exc)}), 400

        @app.errorhandler(HTTPException)
        def http_error(exc: HTTPException):
            return jsonify({"error": f"{exc.code} {exc.name}: {exc.description}"}), exc.code

        @app.errorhandler(Exception)
        def unexpected(exc: Exception):  # never a 500 page for bad input
            return jsonify({"error": f"could not handle admin request: {type(exc).__name__}: {exc}"}), 400

    def _install_common_routes(self) -> None:
        server = self.server

        @self.route("/health")
        def health():
            return server.describe()

        @self.route("/faults")
        def get_faults():
            return server.faults.to_dict()

        @self.route("/faults", methods=["PUT"])
        def replace_faults():
            body = self._fault_body()
            server.faults.replace(body)
            return server.faults.to_dict()

        @self.route("/faults", methods=["PATCH", "POST"])
        def update_faults():
            body = self._fault_body()
            server.faults.update(body)
            return server.faults.to_dict()

        @self.route("/faults", methods=["DELETE"])
        def clear_faults():
            server.faults.clear()
            return server.faults.to_dict()

        @self.route("/faults/routes", methods=["POST"])
        def add_route_fault():
            body = self._fault_body()
            rule = server.faults.add_route_fault_from_dict(body)
            return rule.to_dict(), 201

        @self.route("/journal")
        def get_journal():
            args = request.args
            status = args.get("status")
            if status is not None and not status.isdigit():
                raise AdminError(f"status must be an integer HTTP status, got {status!r}")
            limit = args.get("limit", "0")
            if not limit.isdigit():
                raise AdminError(f"limit must be a non-negative integer, got {limit!r}")
            entries = server.journal.entries(method=args.get("method"), path=args.get("path"),
                                             status=int(status) if status else None)
            if int(limit):
                entries = entries[-int(limit):]
            return {"count": len(entries), "total_recorded": server.journal.total_recorded,
                    "entries": [e.to_dict() for e in entries]}

        @self.route("/journal", methods=["DELETE"])
        def clear_journal():
            server.journal.clear()
            return {"cleared": True}

        @self.route("/down", methods=["POST"])
        def take_down():
            body = json_body()
            duration = body.get("duration_s")
            if isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration <= 0:
                raise AdminError("duration_s must be a number of seconds > 0: over the admin API a server "
                                 f"can only be taken down for a while (it cannot be reached to bring it up), got {duration!r}")
            server.take_down(duration=float(duration))
            return {"down": True, "duration_s": duration}

        @self.route("/reset", methods=["POST"])
        def reset():
            server.reset()
            return {"reset": True}

    def _fault_body(self) -> dict[str, Any]:
        body = json_body()
        service = body.pop("service", None)
        if service is not None and service != self.server.service_name:
            raise AdminError(f"unknown service {service!r}: this is the {self.server.service_name} mock")
        return body
