"""Client results that say whether they are fresh or served stale from the cache, and why.

``result.stale`` is True when the value came from the cache because the
service failed; ``result.stale_reason`` is then that failure's message (e.g.
``plex get_libraries failed: connection refused by http://127.0.0.1:32400 for
GET /library/sections``), None for a fresh result. A stale result's ``repr``
/ ``str`` end with ``(stale: <reason>)``; a fresh one prints as the plain
dict / list.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Data", "DataList", "mark"]


class _Freshness:
    stale: bool = False
    stale_reason: str | None = None

    def _suffix(self) -> str:
        return f" (stale: {self.stale_reason or 'served from the cache'})" if self.stale else ""


class Data(_Freshness, dict):
    """A dict result; ``stale`` / ``stale_reason`` say whether and why it came from the cache."""

    def __repr__(self) -> str:
        return dict.__repr__(self) + self._suffix()

    __str__ = __repr__


class DataList(_Freshness, list):
    """A list result; ``stale`` / ``stale_reason`` as for :class:`Data`."""

    def __repr__(self) -> str:
        return list.__repr__(self) + self._suffix()

    __str__ = __repr__


def mark(value: Any, stale: bool, reason: str | None = None) -> Any:
    """Wrap a dict/list result as :class:`Data`/:class:`DataList` carrying ``stale`` and ``stale_reason``."""
    if isinstance(value, dict):
        result: Any = Data(value)
    elif isinstance(value, list):
        result = DataList(value)
    else:
        return value
    result.stale = stale
    result.stale_reason = reason if stale else None
    return result
