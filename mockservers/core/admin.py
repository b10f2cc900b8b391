"""The admin API every mock serves under ``/__admin/``: the outer layer of a mock.

:meth:`AdminApi.wrap` puts it in front of the service (and of the fault
middleware): admin requests are answered before any fault logic runs, so they
are never faulted, delayed or journaled.

JSON in and out. Answers are strict JSON (never ``NaN``/``Infinity``). Bad
input is a 400 whose ``error`` names the field, the value and what is allowed
(:mod:`.validation`); an unknown route a 404; a body over 1 MiB a 413.

It needs only what :class:`AdminTarget` describes (the server implements it),
so this module imports nothing from the server or the middleware.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from . import validation as check
from .clock import MAX_ADVANCE_S, VirtualClock, check_advance
from .faults import MAX_PREVIEW, FaultPlan
from .journal import RequestJournal

__all__ = ["AdminApi", "AdminError", "AdminTarget", "ADMIN_PREFIX", "json_body", "json_response"]

ADMIN_PREFIX = "/__admin"
#: how many decisions ``GET /__admin/faults/preview`` lists when ``n`` is not given
DEFAULT_PREVIEW = 10


class AdminError(Exception):
    """Raised by admin handlers: becomes ``{"error": message}`` with ``status``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class AdminTarget(Protocol):
    """What the common admin routes need from a mock (:class:`~mockservers.core.server.MockServer` has it)."""

    service_name: str
    faults: FaultPlan
    journal: RequestJournal
    clock: VirtualClock

    def describe(self) -> dict[str, Any]: ...  # noqa: D102

    def take_down(self, duration: float | None = None) -> None: ...  # noqa: D102

    def reset(self) -> None: ...  # noqa: D102

    def data_changed(self) -> None: ...  # noqa: D102


def json_body(required: bool = True, *, allow_non_finite: bool = False) -> dict[str, Any]:
    """The request's JSON object body (checked by :func:`~.validation.parse_json`), or an :class:`AdminError`.

    ``allow_non_finite`` lets ``NaN``/``Infinity`` reach a route that validates
    every number itself (its message then names the field and the range).
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise AdminError("request body is empty: expected a JSON object")
        return {}
    try:
        body = check.parse_json(raw, allow_non_finite=allow_non_finite)
    except check.ValidationError as exc:
        raise AdminError(str(exc), exc.status) from None
    if not isinstance(body, dict):
        raise AdminError(f"request body must be a JSON object, got {type(body).__name__}")
    return body


def json_response(value: Any, status: int = 200) -> Response:
    """A strict JSON answer (``NaN``/``Infinity`` can never be sent)."""
    return Response(check.strict_json(value), status=status, mimetype="application/json")


def _only_fields(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(check.shown(k) for k in set(body) - set(allowed))
    if unknown:
        raise AdminError(f"unknown field(s) {', '.join(unknown)}: expected {', '.join(allowed)}")


class AdminApi:
    """The ``/__admin/`` Flask app of one mock server.

    Common routes: ``GET health``, ``GET/PUT/PATCH/DELETE faults``,
    ``POST faults/routes``, ``GET faults/preview?n=``, ``GET/DELETE journal``,
    ``POST reset``, ``POST down``, ``GET/POST clock``. Services add theirs
    with :meth:`route`.
    """

    def __init__(self, server: AdminTarget) -> None:
        self.server = server
        self.app = Flask(f"{server.service_name}-admin")
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

    def wrap(self, app: Callable, admin_app: Callable) -> Callable:
        """ASGI app: ``/__admin/...`` goes to ``admin_app`` (this Flask app, served through the
        server's WSGI adapter), the rest to ``app`` (the faulted service)."""

        async def dispatch(scope: dict, receive: Callable, send: Callable) -> None:
            path = scope.get("path", "")
            if scope["type"] == "http" and (path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")):
                await admin_app(scope, receive, send)
                if scope["method"] not in ("GET", "HEAD"):
                    self.changed()
                return
            await app(scope, receive, send)

        return dispatch

    def changed(self) -> None:
        """Called after every admin request that may change state (not GET): the server's ready answers expire."""
        self.server.data_changed()

    # -- internals -----------------------------------------------------------------
    @staticmethod
    def _jsonify(func: Callable) -> Callable:
        def view(**kwargs: Any):
            result = func(**kwargs)
            status = 200
            if isinstance(result, tuple):
                result, status = result
            return json_response(result, status)

        view.__name__ = func.__name__
        return view

    def _install_error_handlers(self) -> None:
        app = self.app

        @app.errorhandler(AdminError)
        def admin_error(exc: AdminError):
            return json_response({"error": exc.message}, exc.status)

        @app.errorhandler(check.ValidationError)
        def validation_error(exc: check.ValidationError):
            return json_response({"error": str(exc)}, exc.status)

        @app.errorhandler(HTTPException)
        def http_error(exc: HTTPException):
            return json_response({"error": f"{exc.code} {exc.name}: {exc.description}"}, exc.code or 500)

        @app.errorhandler(Exception)
        def unexpected(exc: Exception):  # a bug of the mock: a JSON 500 the fuzz tests catch, never an HTML page
            return json_response({"error": f"mock bug: {type(exc).__name__}: {check.shown(str(exc), 300)}"}, 500)

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

        @self.route("/faults/preview")
        def preview_faults():
            n = check.digits(request.args.get("n", str(DEFAULT_PREVIEW)), "n", minimum=1, maximum=MAX_PREVIEW)
            plan = server.faults
            return {"failure_rate": plan.failure_rate, "failure_status": plan.failure_status, "seed": plan.seed,
                    "decisions": plan.preview_failures(n)}

        @self.route("/journal")
        def get_journal():
            args = request.args
            status = args.get("status")
            status = None if status is None else check.digits(status, "status", minimum=0, maximum=599)
            limit = check.digits(args.get("limit", "0"), "limit")
            method, path = args.get("method"), args.get("path")
            if method is not None:
                check.text(method, "method", max_length=16, allow_empty=True)
            if path is not None:
                check.text(path, "path", max_length=2048, allow_empty=True)
            journal = server.journal
            entries = journal.entries(method=method, path=path, status=status, limit=limit or None)
            return {"count": len(entries), "total_recorded": journal.total_recorded, "dropped": journal.dropped,
                    "size_bytes": journal.size_bytes, "max_bytes": journal.max_bytes,
                    "entries": [e.to_dict() for e in entries]}

        @self.route("/journal", methods=["DELETE"])
        def clear_journal():
            server.journal.clear()
            return {"cleared": True}

        @self.route("/down", methods=["POST"])
        def take_down():
            body = json_body(allow_non_finite=True)
            _only_fields(body, ("duration_s",))
            if "duration_s" not in body:
                raise AdminError("duration_s is required: over the admin API a server can only be taken down for "
                                 "a while (it cannot be reached to bring it up)")
            duration = check.duration_s(body["duration_s"], "duration_s")
            server.take_down(duration=duration)
            return {"down": True, "duration_s": body["duration_s"]}

        @self.route("/reset", methods=["POST"])
        def reset():
            server.reset()
            return {"reset": True}

        @self.route("/clock")
        def get_clock():
            return self._clock_state()

        @self.route("/clock", methods=["POST"])
        def advance_clock():
            body = json_body(allow_non_finite=True)
            _only_fields(body, ("advance_s",))
            if "advance_s" not in body:
                raise AdminError(f"advance_s is required: the seconds to move the clock forward, "
                                 f"a finite number from 0 to {MAX_ADVANCE_S:g}")
            server.clock.advance(check_advance(body["advance_s"]))
            return self._clock_state()

    def _clock_state(self) -> dict[str, Any]:
        clock = self.server.clock
        return {"advanced_s": clock.advanced_s, "now": clock.now().isoformat()}

    def _fault_body(self) -> dict[str, Any]:
        body = json_body(allow_non_finite=True)  # every number of a fault plan is range-checked
        service = body.pop("service", None)
        if service is not None and service != self.server.service_name:
            raise AdminError(f"unknown service {service!r}: this is the {self.server.service_name} mock")
        return body
