"""Fault-injecting mock servers for Plex, plex.tv, Overseerr and Uptime Kuma.

Each mock is a :class:`~mockservers.core.MockServer`: start it in-process on a
free port, steer its fault plan from Python or over ``/__admin/``, read its
request journal. ``python -m mockservers`` starts all four from the shell.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["MockServer", "PlexMock", "PlexTvMock", "OverseerrMock", "UptimeKumaMock", "SERVICES", "MONITOR_NAMES",
           "create_mock"]

_LAZY = {
    "MockServer": "mockservers.core.server",
    "PlexMock": "mockservers.plex",
    "PlexTvMock": "mockservers.plextv",
    "OverseerrMock": "mockservers.overseerr",
    "UptimeKumaMock": "mockservers.uptime_kuma",
}

#: service name -> (mock class name, default CLI port), in start order: plex.tv lists the Plex mock started
#: before it, Uptime Kuma watches the others
SERVICES: dict[str, tuple[str, int]] = {
    "plex": ("PlexMock", 32400),
    "plextv": ("PlexTvMock", 33400),
    "overseerr": ("OverseerrMock", 5055),
    "uptime-kuma": ("UptimeKumaMock", 3001),
}

#: service name -> the default Uptime Kuma monitor watching it (pass ``service_urls`` to point it at a mock)
MONITOR_NAMES: dict[str, str] = {"plex": "Plex", "overseerr": "Overseerr"}


def create_mock(service: str, **options: Any):
    """Create (not start) the mock for ``service`` (``plex``, ``plextv``, ``overseerr``, ``uptime-kuma``)."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}: expected one of {', '.join(SERVICES)}")
    return __getattr__(SERVICES[service][0])(**options)


def __getattr__(name: str) -> Any:
    # lazy, so that importing one mock does not import the others
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mockservers' has no attribute {name!r}")
