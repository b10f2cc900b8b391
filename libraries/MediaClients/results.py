"""Keywords that check whether a result came from the service or from the cache."""

from __future__ import annotations

from typing import Any

from robot.api.deco import keyword

from .calls import describe_result


def _stale(result: Any) -> bool:
    flag = getattr(result, "stale", None)
    if not isinstance(flag, bool):
        raise AssertionError(f"Expected a client result with a 'stale' flag, got {type(result).__name__}: "
                             f"{describe_result(result)}.")
    return flag


def _why_stale(result: Any) -> str:
    reason = getattr(result, "stale_reason", None)
    return f"served from the cache because {reason}" if reason else "served from the cache (no reason recorded)"


class ResultKeywords:
    """Fresh or stale: ``${result.stale}`` is True when the client served its cache
    because the service failed or the breaker was open."""

    @keyword
    def result_should_be_stale(self, result: Any, because: str | None = None) -> None:
        """Fails unless ``result`` was served from the cache (``${result.stale}`` is True).

        ``because`` (optional) must be part of the reason the client fell back
        (``${result.stale_reason}``: the failure that made it, e.g.
        ``connection refused`` or ``Circuit breaker is OPEN``).

        | ${libraries} =    `Get Plex Libraries`
        | `Result Should Be Stale`    ${libraries}    because=connection refused
        """
        if not _stale(result):
            raise AssertionError(f"Result should be stale (served from cache), but it is fresh: "
                                 f"{describe_result(result)}.")
        if because is not None and because not in (getattr(result, "stale_reason", None) or ""):
            raise AssertionError(f"Result is stale as expected, but not because of {because!r}: it was "
                                 f"{_why_stale(result)}.")

    @keyword
    def result_should_be_fresh(self, result: Any) -> None:
        """Fails unless ``result`` came from the service itself (``${result.stale}`` is False).

        A failure says why the client fell back to its cache, e.g. "Result
        should be fresh (from the service), but it was served from the cache
        because plex get_libraries: connection refused ...".

        | `Result Should Be Fresh`    ${libraries}
        """
        if _stale(result):
            raise AssertionError(f"Result should be fresh (from the service), but it was {_why_stale(result)} "
                                 f"({describe_result(result, freshness=False)}).")
