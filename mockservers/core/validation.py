"""Validation at the edge: the one mechanism every mock uses for what comes in.

Everything a client or a test sends to a mock (admin API bodies, query
parameters, headers, Socket.IO event arguments) is checked here before it can
reach a fault plan or a store. A bad value raises :class:`ValidationError`
(a ``ValueError``) whose message names the field, the value received and
what is allowed, e.g. ``delay_ms must be a finite number from 0 to 3600000,
got 1e+308``; the admin API and the services turn it into a 4xx.

The limits (one place, documented in the README's *Reliability* section):

- delays (``delay_ms``, ``jitter_ms``, ``chunk_delay_ms``, ``event_delay_ms``):
  finite, 0 to :data:`MAX_DELAY_MS` (one hour);
- durations (``duration_s``, ``up_s``, ``down_s``, ``hang_max_s``): finite,
  above 0 up to :data:`MAX_DURATION_S` (one day);
- counts and paging values (``times``, ``requests``, ``X-Plex-Container-Start``,
  ``skip``, ``take``, ``limit``, ids): whole numbers within a signed 64-bit
  integer (:data:`INT64_MAX`), written with ASCII digits only (``²`` is not a
  digit here) and at most 19 of them;
- text: valid Unicode (no lone surrogates), no control characters, at most
  :data:`MAX_TEXT` characters unless a field says otherwise;
- header names: RFC 9110 tokens; header values: printable Latin-1 (no CR/LF);
- JSON bodies: at most :data:`MAX_BODY_BYTES` (larger is a 413), nested at
  most :data:`MAX_JSON_DEPTH` deep, numbers finite (``NaN``/``Infinity`` are
  refused unless the route validates every number itself), every string valid
  Unicode;
- query strings: at most :data:`MAX_QUERY_BYTES` (larger is a 414);
- the request head, checked by the server's HTTP protocol while it parses:
  the request target at most :data:`MAX_URL_BYTES` (a 414), at most
  :data:`MAX_HEADER_COUNT` header fields of at most :data:`MAX_HEADER_BYTES`
  in all, names and values (a 431), as a real server limits them.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Callable

__all__ = [
    "ValidationError", "BodyTooLarge", "INT64_MAX", "INT64_MIN", "MAX_DELAY_MS", "MAX_DURATION_S", "MAX_TEXT",
    "MAX_BODY_BYTES", "MAX_JSON_DEPTH", "MAX_QUERY_BYTES", "MAX_HEADER_VALUE", "MAX_URL_BYTES",
    "MAX_HEADER_COUNT", "MAX_HEADER_BYTES", "BODY",
    "finite_number", "delay_ms", "duration_s", "whole_number", "digits", "text", "shown", "is_clean_text",
    "header_name", "header_value", "parse_json", "json_depth", "strict_json", "read_body", "replay_body", "EdgeGuard",
]

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
#: the longest delay a fault may ask for: one hour, in milliseconds
MAX_DELAY_MS = 3_600_000.0
#: the longest duration a fault may ask for: one day, in seconds
MAX_DURATION_S = 86_400.0
#: default bound on a text field's length (characters)
MAX_TEXT = 4096
#: the largest request body a mock reads (1 MiB); larger is answered 413
MAX_BODY_BYTES = 1024 * 1024
#: bodies up to this size are read and thrown away before a 413, so the client sees the answer, not a reset
DRAIN_LIMIT_BYTES = 16 * 1024 * 1024
#: how deep JSON arrays/objects may nest
MAX_JSON_DEPTH = 32
#: the longest query string accepted (bytes); longer is answered 414
MAX_QUERY_BYTES = 8192
#: the longest header value a fault may inject (characters)
MAX_HEADER_VALUE = 8192
#: the longest request target (path and query) a mock reads (bytes); longer is answered 414 while parsing
MAX_URL_BYTES = 16 * 1024
#: the most header fields one request may have (Apache's LimitRequestFields); more is answered 431
MAX_HEADER_COUNT = 100
#: the most bytes of header names and values one request may have (nginx's 4 x 8 KiB); more is answered 431
MAX_HEADER_BYTES = 32 * 1024
#: scope key: the whole request body, read once at the edge
BODY = "mockservers.body"

_ASCII_DIGITS = re.compile(r"[0-9]+")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# C0 controls, DEL and C1 controls (tab, newline and carriage return included)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ValidationError(ValueError):
    """A value failed validation; the message names the field, the value and what is allowed."""

    status = 400


class BodyTooLarge(ValidationError):
    """A request body over :data:`MAX_BODY_BYTES`: answered 413."""

    status = 413


def shown(value: Any, limit: int = 60) -> str:
    """``repr`` of ``value``, shortened so a huge input does not make a huge message."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return f"an integer of {len(str(abs(value))) if abs(value) < 10**4000 else 'over 4000'} digits"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    try:
        shown = repr(value)
    except Exception:  # noqa: BLE001 - a repr that fails must not hide the real problem
        shown = f"a {type(value).__name__}"
    return shown if len(shown) <= limit else shown[:limit] + f"... ({len(shown)} characters)"


def _g(number: float) -> str:
    if isinstance(number, int):
        return str(number)
    return str(int(number)) if number.is_integer() and abs(number) < 1e16 else f"{number:.15g}"


# -- numbers ------------------------------------------------------------------------------
def finite_number(value: Any, field: str, *, minimum: float = 0.0, maximum: float, integer: bool = False,
                  exclusive_minimum: bool = False) -> float | int:
    """``value`` if it is a JSON number (not a bool), finite, and within ``minimum``..``maximum``.

    ``integer`` also requires a whole number (returned as ``int``);
    ``exclusive_minimum`` makes the lower bound itself invalid (``> 0``).
    """
    kind = "whole number" if integer else "finite number"
    low = f"above {_g(minimum)}" if exclusive_minimum else f"from {_g(minimum)}"
    allowed = f"{field} must be a {kind} {low} to {_g(maximum)}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"{allowed}, got {shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(f"{allowed}, got {shown(value)}")
    too_low = value <= minimum if exclusive_minimum else value < minimum
    if too_low or value > maximum:
        raise ValidationError(f"{allowed}, got {shown(value)}")
    if integer:
        if isinstance(value, float) and not value.is_integer():
            raise ValidationError(f"{allowed}, got {shown(value)}")
        return int(value)
    return float(value)


def delay_ms(value: Any, field: str = "delay_ms") -> float:
    """A delay in milliseconds: finite, 0 to :data:`MAX_DELAY_MS` (one hour)."""
    return finite_number(value, field, minimum=0.0, maximum=MAX_DELAY_MS)


def duration_s(value: Any, field: str = "duration_s", *, minimum: float = 0.0) -> float:
    """A duration in seconds: finite, above ``minimum`` (0) up to :data:`MAX_DURATION_S` (one day)."""
    return finite_number(value, field, minimum=minimum, maximum=MAX_DURATION_S, exclusive_minimum=True)


def whole_number(value: Any, field: str, *, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    """A JSON whole number within ``minimum``..``maximum`` (a signed 64-bit integer by default)."""
    return int(finite_number(value, field, minimum=minimum, maximum=maximum, integer=True))


def digits(raw: Any, field: str, *, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    """A whole number written in ASCII digits (query strings, headers): ``minimum``..``maximum``.

    Surrounding blanks are allowed. Signs, ``_``, other scripts' digits (``²``,
    ``٣``) and more than 19 digits are refused before any conversion.
    """
    allowed = f"{field} must be a whole number from {minimum} to {maximum}"
    if not isinstance(raw, str):
        raise ValidationError(f"{allowed}, got {shown(raw)}")
    stripped = raw.strip(" \t")
    if not _ASCII_DIGITS.fullmatch(stripped) or len(stripped.lstrip("0")) > 19:
        raise ValidationError(f"{allowed}, got {shown(raw)}")
    value = int(stripped)
    if not minimum <= value <= maximum:
        raise ValidationError(f"{allowed}, got {shown(raw)}")
    return value


# -- text ----------------------------------------------------------------------------------
def is_clean_text(value: Any, *, allow_newlines: bool = False) -> bool:
    """True for a ``str`` that is valid Unicode (encodable as UTF-8) without control characters."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    if allow_newlines:
        value = value.replace("\n", "").replace("\r", "").replace("\t", "")
    return _CONTROL.search(value) is None


def text(value: Any, field: str, *, max_length: int = MAX_TEXT, allow_empty: bool = False,
         allow_newlines: bool = False) -> str:
    """``value`` if it is a string of valid Unicode without control characters, at most ``max_length`` long."""
    rule = (f"{field} must be {'a' if allow_empty else 'a non-empty'} string of at most {max_length} characters, "
            "valid Unicode without control characters")
    if not isinstance(value, str) or (not value and not allow_empty) or len(value) > max_length:
        raise ValidationError(f"{rule}, got {shown(value)}")
    if not is_clean_text(value, allow_newlines=allow_newlines):
        raise ValidationError(f"{rule}, got {shown(value)}")
    return value


def header_name(value: Any, field: str = "header name") -> str:
    """An HTTP header name: a non-empty RFC 9110 token (letters, digits, ``!#$%&'*+-.^_`|~``), at most 256."""
    if not isinstance(value, str) or len(value) > 256 or not _TOKEN.fullmatch(value):
        raise ValidationError(f"{field} must be an HTTP token of 1 to 256 letters, digits or !#$%&'*+-.^_`|~, "
                              f"got {shown(value)}")
    return value


def header_value(value: Any, field: str = "header value") -> str:
    """An HTTP header value: printable Latin-1 (tab allowed), no CR/LF or other controls, at most 8192."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    ok = isinstance(value, str) and len(value) <= MAX_HEADER_VALUE
    if ok:
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            ok = False
    if not ok or _CONTROL.search(value.replace("\t", "")):
        raise ValidationError(f"{field} must be a string of at most {MAX_HEADER_VALUE} printable Latin-1 "
                              f"characters (no CR, LF or other control characters), got {shown(value)}")
    return value


# -- JSON ----------------------------------------------------------------------------------
def json_depth(raw: str) -> int:
    """How deep arrays/objects nest in JSON text (strings skipped), without parsing it: O(n), no recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> Any:
    raise ValidationError(f"request body contains {name}: JSON numbers must be finite")


def _check_values(value: Any, allow_non_finite: bool) -> None:
    """Every string valid Unicode, every number finite (unless allowed); iterative, so depth cannot hurt."""
    stack: list[tuple[Any, str]] = [(value, "body")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if not is_clean_text(item, allow_newlines=True):
                raise ValidationError(f"{where} must be valid Unicode without control characters "
                                      f"(no lone surrogates), got {shown(item)}")
        elif isinstance(item, float) and not allow_non_finite and not math.isfinite(item):
            raise ValidationError(f"{where} must be a finite number, got {shown(item)}")
        elif isinstance(item, dict):
            for key, child in item.items():
                if not is_clean_text(key):
                    raise ValidationError(f"{where} has a field name that is not clean text: {shown(key)}")
                stack.append((child, f"{key}" if where == "body" else f"{where}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{index}]") for index, child in enumerate(item))


def parse_json(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH, allow_non_finite: bool = False) -> Any:
    """Parse a request body strictly: size, nesting, syntax, finite numbers, valid Unicode; else ValidationError.

    ``allow_non_finite`` lets ``NaN``/``Infinity`` through for routes that check
    every number themselves (so their message can name the field and range).
    """
    if isinstance(raw, bytes):
        if len(raw) > MAX_BODY_BYTES:
            raise BodyTooLarge(f"request body is {len(raw)} bytes: at most {MAX_BODY_BYTES} bytes are accepted")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"request body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    depth = json_depth(raw)
    if depth > max_depth:
        raise ValidationError(f"request body nests {depth} levels deep: at most {max_depth} are accepted")
    try:
        kwargs: dict[str, Any] = {} if allow_non_finite else {"parse_constant": _refuse_constant}
        value = json.loads(raw, **kwargs)
    except ValidationError:
        raise
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"request body is not valid JSON: {str(exc)[:200]}") from None
    _check_values(value, allow_non_finite)
    return value


def strict_json(value: Any) -> str:
    """JSON text that any parser accepts: ``NaN``/``Infinity`` refused (``ValueError``)."""
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


# -- the edge of every mock ----------------------------------------------------------------
async def read_body(scope: dict[str, Any], receive: Callable) -> bytes:
    """The whole request body of an ASGI ``http`` request; :class:`BodyTooLarge` over :data:`MAX_BODY_BYTES`.

    A body that announces more than the limit (``Content-Length``) is read and
    thrown away first when it is at most :data:`DRAIN_LIMIT_BYTES`, so the client
    can read the 413 instead of a reset.
    """
    announced = chunked = None
    for name, value in scope["headers"]:
        if name == b"content-length":
            announced = value
        elif name == b"transfer-encoding":
            chunked = value
    if announced is None and chunked is None:
        return b""  # HTTP/1.1: no length and not chunked means no body
    length = None
    if announced is not None:
        raw = announced.decode("latin-1")
        try:
            length = digits(raw, "Content-Length")
        except ValidationError:
            raise ValidationError(f"Content-Length must be a whole number of bytes, got {shown(raw)}") from None
        if length > MAX_BODY_BYTES:
            if length <= DRAIN_LIMIT_BYTES:
                await _drain(receive)
            raise BodyTooLarge(f"request body is {length} bytes: at most {MAX_BODY_BYTES} bytes are accepted")
        if length == 0:
            return b""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge(f"request body is over {MAX_BODY_BYTES} bytes: at most {MAX_BODY_BYTES} "
                               "bytes are accepted")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _drain(receive: Callable) -> None:
    """Read and drop a too-large body so the client can read the 413."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def replay_body(body: bytes, receive: Callable) -> Callable:
    """A ``receive`` that hands the body already read to the app, then passes on to the server's."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> dict[str, Any]:
        if pending:
            return pending.pop()
        return await receive()

    return replay


class EdgeGuard:
    """The outermost ASGI layer of every mock: request size limits before anything else runs.

    It reads every request body (so no unread bytes are left on a kept-alive
    connection) and puts it in the scope (:data:`BODY`), answers 413 for a body
    over :data:`MAX_BODY_BYTES` and 414 for a query string over
    :data:`MAX_QUERY_BYTES` (JSON ``{"error": ...}``), and closes the connection
    after those answers. ``on_refused`` is told about each refusal (the mock
    journals nothing for them).
    """

    def __init__(self, app: Callable, on_refused: Callable[[dict[str, Any], int, str], None] | None = None) -> None:
        self.app = app
        self.on_refused = on_refused

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        try:
            if len(query) > MAX_QUERY_BYTES:
                raise _UriTooLong(f"query string is {len(query)} bytes: at most {MAX_QUERY_BYTES} are accepted")
            body = await read_body(scope, receive)
        except ValidationError as exc:
            payload = strict_json({"error": str(exc), "status": exc.status}).encode()
            await send({"type": "http.response.start", "status": exc.status,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(payload)).encode()), (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": payload})
            if self.on_refused is not None:
                self.on_refused(scope, exc.status, str(exc))
            return
        scope[BODY] = body
        await self.app(scope, replay_body(body, receive), send)


class _UriTooLong(ValidationError):
    status = 414
