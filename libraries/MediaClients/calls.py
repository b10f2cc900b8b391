"""Calling a client operation by name, and describing what came back (without secrets)."""

from __future__ import annotations

from typing import Any, Callable

from robot.api import logger
from ResilienceTimeline.context import observe

from .context import ClientContext

__all__ = ["OPERATIONS", "operation_name", "call_client", "describe_result"]

#: the client operations a keyword may name, per service
OPERATIONS: dict[str, tuple[str, ...]] = {
    "plex": ("test_connection", "get_libraries", "get_library_items", "search"),
    "overseerr": ("get_status", "search", "submit_request", "list_requests", "get_request"),
}

#: the cheap call that tells whether a service answers
HEALTH_OPERATION = {"plex": "test_connection", "overseerr": "get_status"}


def operation_name(service: str, call: str) -> str:
    """``Get Libraries`` / ``get libraries`` / ``get_libraries`` -> ``get_libraries`` (checked)."""
    name = "_".join(call.strip().lower().replace("-", " ").split())
    if name not in OPERATIONS[service]:
        raise AssertionError(f"{service} has no call {call!r}: expected one of {', '.join(OPERATIONS[service])}.")
    return name


def bound_operation(context: ClientContext, service: str, call: str) -> Callable[..., Any]:
    """The client method ``call`` of ``service``'s client in this test, observed: what it answers (fresh,
    stale) and whether the open breaker rejected it go onto the running test's resilience timeline, if any."""
    name = operation_name(service, call)
    method = getattr(context.get(service), name)

    def observed(*args: Any, **kwargs: Any) -> Any:
        return observe(service, name, lambda: method(*args, **kwargs))

    return observed


def call_client(context: ClientContext, service: str, call: str, *args: Any, **kwargs: Any) -> Any:
    """Call one client operation, log what came back, and return it."""
    name = operation_name(service, call)
    result = bound_operation(context, service, name)(*args, **kwargs)
    logger.info(f"{service} {name} -> {describe_result(result)}")
    return result


def describe_result(result: Any, freshness: bool = True) -> str:
    """A short, secret-free description: size, keys, and (``freshness``) whether and why it was served stale."""
    stale = getattr(result, "stale", None) if freshness else None
    if stale is None:
        freshness = ""
    elif stale:
        reason = getattr(result, "stale_reason", None)
        freshness = f" (stale: served from the cache because {reason})" if reason else " (stale: from the cache)"
    else:
        freshness = " (fresh)"
    if isinstance(result, list):
        return f"{len(result)} item(s){freshness}"
    if isinstance(result, dict):
        keys = ", ".join(sorted(str(k) for k in result)[:8])
        return f"{{{keys}{', ...' if len(result) > 8 else ''}}}{freshness}"
    return f"{type(result).__name__}{freshness}"
