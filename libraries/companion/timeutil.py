"""UTC time in the one format every answer uses: ISO 8601 with milliseconds and a ``Z``."""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["utc_now", "iso_utc"]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def iso_utc(moment: datetime) -> str:
    """``2024-12-16T21:13:58.000Z`` (a naive ``moment`` is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
