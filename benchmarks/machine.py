"""What machine a run happened on: cores, Python, platform, load, date."""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime, timezone
from typing import Any

__all__ = ["machine_info"]


def machine_info() -> dict[str, Any]:
    """Facts printed at the top of the report (the load average says how busy the box was)."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "load_average_1_5_15": load,
        "executable": sys.executable,
    }
