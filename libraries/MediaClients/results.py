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


class ResultKeywords:
    """Fresh or stale: ``${result.stale}`` is True when the client served its cache
    because the service failed or the breaker was open."""

    @keyword
    def result_should_be_stale(self, result: Any) -> None:
        """Fails unless ``result`` was served from the cache (``${result.stale}`` is True).

        | ${libraries} =    `Get Plex Libraries`
        | `Result Should Be Stale`    ${libraries}
        """
        if not _stale(result):
            raise AssertionError(f"Result should be stale (served from cache), but it is fresh: "
                                 f"{describe_result(result)}.")

    @keyword
    def result_should_be_fresh(self, result: Any) -> None:
        """Fails unless ``result`` came from the service itself (``${result.stale}`` is False).

        | `Result Should Be Fresh`    ${libraries}
        """
        if _stale(result):
            raise AssertionError(f"Result should be fresh (from the service), but it was served from cache: "
                                 f"{describe_result(result)}.")
