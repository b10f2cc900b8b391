"""Client results that say whether they are fresh or served stale from the cache."""

from __future__ import annotations

from typing import Any

__all__ = ["Data", "DataList", "mark"]


class Data(dict):
    """A dict result; ``stale`` is True when it came from the cache because the service failed."""

    stale: bool = False


class DataList(list):
    """A list result; ``stale`` as for :class:`Data`."""

    stale: bool = False


def mark(value: Any, stale: bool) -> Any:
    """Wrap a dict/list result as :class:`Data`/:class:`DataList` carrying the ``stale`` flag."""
    if isinstance(value, dict):
        result: Any = Data(value)
    elif isinstance(value, list):
        result = DataList(value)
    else:
        return value
    result.stale = stale
    return result
