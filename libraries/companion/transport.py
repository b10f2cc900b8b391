"""The one HTTP transport under every client: cache -> circuit breaker -> retry -> requests.Session.

:meth:`HttpTransport.read` is the path of a cached read; :meth:`HttpTransport.guarded`
runs any multi-request operation as one logical call on the breaker, and
:meth:`HttpTransport.send` is one raw attempt that turns every failure into a
typed :mod:`~companion.errors` error. Secrets travel in headers only and
never reach an error message.
"""

from __future__ import annotations

import email.utils
import logging
import math
import threading
from datetime import datetime, timezone
from typing import Any, Callable, Hashable, Mapping, TypeVar

import requests
from urllib3.exceptions import NewConnectionError

from .breakers import CircuitBreakerFactory, ServiceBreaker
from .cache import MISSING, ReadCache, StaleSince
from .clock import SYSTEM_CLOCK, Clock
from .errors import (AuthenticationError, BadResponseError, CircuitOpenError, IntegrationError, RequestRejectedError,
                     ServiceTimeoutError, ServiceUnavailableError, redact, redact_text)
from .results import mark
from .retry import RetryPolicy
from .settings import ClientSettings

__all__ = ["HttpTransport"]

T = TypeVar("T")
log = logging.getLogger("companion.transport")
USER_AGENT = "companion/1.0 (+robot acceptance tests)"


def _retry_after_s(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (compared with ``now``); None if unusable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - (now or datetime.now(timezone.utc))).total_seconds())


def _never_sent(error: requests.RequestException) -> bool:
    """True when the request cannot have reached the server (refused, or the connect timed out)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (NewConnectionError, ConnectionRefusedError)):
            return True
        linked = (*current.args, getattr(current, "reason", None), current.__cause__, current.__context__)
        stack.extend(item for item in linked if isinstance(item, BaseException))
    return False


class HttpTransport:
    """HTTP for one service: base URL, auth headers, timeouts, retry, breaker and read cache."""

    def __init__(self, service: str, base_url: str, *, headers: Mapping[str, str], settings: ClientSettings,
                 breakers: CircuitBreakerFactory, clock: Clock = SYSTEM_CLOCK, secrets: tuple[str, ...] = ()) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"{service} base URL must start with http:// or https://, got {base_url!r}")
        self.service = service
        self.secrets = tuple(secret for secret in secrets if secret)
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        self.breaker: ServiceBreaker = breakers.get_or_create(
            service, fail_max=settings.fail_max, reset_timeout=settings.reset_timeout_s,
            success_threshold=settings.success_threshold)
        self.clock = clock
        self.retry = RetryPolicy(settings, clock)
        self.cache = ReadCache(settings.cache_ttl_s, settings.cache_max_entries, timer=clock.monotonic)
        #: since when this transport's reads have been answered stale (what the health page shows)
        self.stale_since = StaleSince(clock)
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, **headers})
        self._last_call = threading.local()  # what this thread's last call reports
        #: asked when a call's attempts have all failed, inside the breaker and before any stale fallback:
        #: True makes the call go once more (e.g. the server was found at another address, see
        #: :meth:`move_to`); it may raise another error instead (e.g. "sign in again"); None: nobody is asked
        self.on_failure: Callable[[IntegrationError], bool] | None = None

    def add_secret(self, secret: str) -> None:
        """Mask ``secret`` (a credential learnt after construction) wherever it would appear in an error."""
        if secret and secret not in self.secrets:
            self.secrets = (*self.secrets, secret)

    def move_to(self, base_url: str) -> None:
        """Send the next requests to ``base_url``: the same service at another address (cache and breaker stay)."""
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"{self.service} base URL must start with http:// or https://, got {base_url!r}")
        self.base_url = base_url.rstrip("/")

    @property
    def last_call_stale(self) -> bool:
        """True when this thread's last call answered from the cache because the service failed."""
        return getattr(self._last_call, "stale", False)

    # -- the layers ----------------------------------------------------------------------
    def read(self, operation: str, fetch: Callable[[], T], *, cache_key: Hashable | None = None) -> Any:
        """A read: fresh from the cache, else through breaker and retry; stale from the cache if that fails.

        ``fetch`` performs one attempt (usually :meth:`send` and a parser). The
        result is marked ``stale`` (True only for a fallback value) and, when
        stale, carries ``stale_reason``: the message of the error that made it
        fall back (for an open breaker, with the breaker's last failure); the
        fallback is logged (``companion.transport``, WARNING) with the same reason.
        """
        self.begin_call()
        if cache_key is not None:
            cached = self.cache.get_fresh(cache_key)
            if cached is not MISSING:
                return mark(cached, stale=False)
        try:
            value = self.guarded(operation, lambda: self._attempt(fetch))
        except (ServiceUnavailableError, BadResponseError) as error:
            stale = self.cache.get_stale(cache_key) if cache_key is not None else MISSING
            if stale is MISSING:
                raise
            reason = self._stale_reason(error)
            self._last_call.stale, self._last_call.reason = True, reason
            self.stale_since.served_stale(reason)
            log.warning("%s %s served stale from the cache: %s", self.service, operation, reason)
            return mark(stale, stale=True, reason=reason)
        self.stale_since.served_fresh()
        if cache_key is not None:
            self.cache.put(cache_key, value)
        return mark(value, stale=False)

    def _attempt(self, fetch: Callable[[], T]) -> T:
        """``fetch`` with its retries; when they all fail, :attr:`on_failure` may send it once more."""
        try:
            return self.retry.run(fetch)
        except IntegrationError as error:
            if self.on_failure is None or not self.on_failure(error):
                raise
        return self.retry.run(fetch)

    def _stale_reason(self, error: Exception) -> str:
        reason = str(error)
        if isinstance(error, CircuitOpenError):
            last = self.breaker.metrics()["last_failure"]
            if last:
                reason += f" (last failure: {last['error']})"
        return reason

    @property
    def last_call_stale_reason(self) -> str | None:
        """Why this thread's last call answered from the cache (None when it did not)."""
        return getattr(self._last_call, "reason", None)

    def begin_call(self) -> None:
        """Reset what this thread's last call reports (stale, attempts): every client call starts here."""
        self._last_call.stale, self._last_call.reason = False, None
        self.retry.forget_last()

    def guarded(self, operation: str, func: Callable[[], T]) -> T:
        """``func`` as one logical call on the service's breaker (CircuitOpenError while open).

        Any error leaving ``func`` has the client's secret values masked before the breaker records it.
        """
        def redacting() -> T:
            try:
                return func()
            except Exception as error:
                redact(error, self.secrets)
                raise

        return self.breaker.call(operation, redacting)

    # -- one attempt -----------------------------------------------------------------------
    def send(self, operation: str, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             headers: Mapping[str, str] | None = None, json: Any = None, idempotent: bool | None = None,
             ok_statuses: tuple[int, ...] = (200,)) -> requests.Response:
        """One HTTP request; a typed error for anything but ``ok_statuses``.

        Errors of a request that may have reached the server carry
        ``retry_safe=False`` unless the request is idempotent (GET/HEAD by default).
        """
        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD", "OPTIONS")
        url = f"{self.base_url}{path}"
        try:
            response = self.session.request(method, url, params=params, headers=headers, json=json,
                                            timeout=self.settings.timeout)
        except requests.Timeout as exc:
            phase = "connect" if isinstance(exc, requests.ConnectTimeout) else "read"
            timeout = self.settings.connect_timeout_s if phase == "connect" else self.settings.read_timeout_s
            raise self._mark(ServiceTimeoutError(self.service, operation,
                                                 f"no answer from {self.base_url} within the {phase} timeout "
                                                 f"({timeout:g}s) for {method} {path}"),
                             idempotent or _never_sent(exc)) from None
        except requests.exceptions.ChunkedEncodingError as exc:
            raise BadResponseError(self.service, operation,
                                   f"truncated body from {method} {path}: {type(exc).__name__}") from None
        except requests.ConnectionError as exc:
            never_sent = _never_sent(exc)
            what = "connection refused" if never_sent else "connection reset or closed"
            raise self._mark(ServiceUnavailableError(self.service, operation,
                                                     f"{what} by {self.base_url} for {method} {path}"),
                             idempotent or never_sent) from None
        except requests.RequestException as exc:
            raise ServiceUnavailableError(self.service, operation,
                                          f"{method} {path} failed: {type(exc).__name__}") from None
        if response.status_code not in ok_statuses:
            raise self._mark(self._status_error(operation, method, path, response), idempotent)
        return response

    def _status_error(self, operation: str, method: str, path: str, response: requests.Response) -> IntegrationError:
        status = response.status_code
        detail = f"HTTP {status} from {method} {path}"
        message = _error_message(response)
        if message:
            detail += f": {message}"
        if status in (401, 403):
            return AuthenticationError(self.service, operation, f"credentials rejected ({detail})", status=status)
        if status == 429 or status >= 500:
            error = ServiceUnavailableError(self.service, operation, detail, status=status)
            error.retry_after_s = _retry_after_s(response.headers.get("Retry-After"), self.clock.now())
            return error
        return RequestRejectedError(self.service, operation, detail, status=status)

    @staticmethod
    def _mark(error: IntegrationError, retry_safe: bool) -> IntegrationError:
        error.retry_safe = retry_safe
        return error

    def json(self, operation: str, response: requests.Response) -> Any:
        """The JSON body, or :class:`BadResponseError` saying why not."""
        try:
            return response.json()
        except ValueError:
            snippet = response.text[:60].replace("\n", " ")
            raise BadResponseError(self.service, operation,
                                   f"malformed JSON from {response.request.method} "
                                   f"{requests.utils.urlparse(response.url).path}: {snippet!r}") from None

    def clear_cache(self) -> None:
        """Forget every cached read (and so any run of stale answers: nothing is left to serve)."""
        self.cache.clear()
        self.stale_since.served_fresh()

    def __repr__(self) -> str:
        return f"<HttpTransport {self.service} {redact_text(self.base_url, self.secrets)}>"

    def close(self) -> None:
        self.session.close()


def _error_message(response: requests.Response) -> str:
    """A short message from an error body (JSON ``message``/``error``), never the whole page."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("message", "error", "msg"):
            if isinstance(body.get(key), str):
                return body[key][:200]
        errors = body.get("errors")  # plex.tv: {"errors": [{"code", "message", "status"}]}
        if isinstance(errors, list):
            return "; ".join(str(e["message"]) for e in errors if isinstance(e, dict) and "message" in e)[:200]
    return ""

