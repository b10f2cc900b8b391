"""Uptime Kuma's vocabulary: heartbeat status codes and times (no python-socketio import).

The status service reads these without loading the Socket.IO client.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

__all__ = ["MonitorStatus", "STATUS_NAMES", "parse_kuma_time"]


class MonitorStatus:
    """Uptime Kuma heartbeat status codes and their names."""

    DOWN = 0
    UP = 1
    PENDING = 2
    MAINTENANCE = 3


#: heartbeat status code -> name used everywhere in this package
STATUS_NAMES: dict[int, str] = {
    MonitorStatus.DOWN: "down",
    MonitorStatus.UP: "up",
    MonitorStatus.PENDING: "pending",
    MonitorStatus.MAINTENANCE: "maintenance",
}


def parse_kuma_time(value: Any) -> datetime | None:
    """Parse a heartbeat ``time`` (``YYYY-MM-DD HH:MM:SS.mmm``, UTC in 1.23) to an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("T", " ").rstrip("Z")
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
