"""The HTTP endpoints the load benchmarks hit, with the credentials the mocks expect by default."""

from __future__ import annotations

from dataclasses import dataclass, field

from mockservers.credentials import DEFAULT_CREDENTIALS

__all__ = ["Target", "PLEX_ITEMS_PATH", "OVERSEERR_SEARCH_PATH", "plex_targets", "overseerr_target", "warm_up"]

PLEX_TOKEN = DEFAULT_CREDENTIALS.plex_token
OVERSEERR_API_KEY = DEFAULT_CREDENTIALS.overseerr_api_key
PLEX_ITEMS_PATH = "/library/sections/1/all?X-Plex-Container-Start=0&X-Plex-Container-Size=50"
OVERSEERR_SEARCH_PATH = "/api/v1/search?query=the"


@dataclass(frozen=True)
class Target:
    """One endpoint under load: which service, which path, which format, which headers."""

    service: str
    path: str
    fmt: str
    headers: dict[str, str] = field(default_factory=dict)

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + self.path


def plex_targets() -> list[Target]:
    """The Plex items page as JSON and as XML (Plex's default)."""
    return [Target("plex", PLEX_ITEMS_PATH, "json", {"X-Plex-Token": PLEX_TOKEN, "Accept": "application/json"}),
            Target("plex", PLEX_ITEMS_PATH, "xml", {"X-Plex-Token": PLEX_TOKEN, "Accept": "application/xml"})]


def overseerr_target() -> Target:
    """Overseerr search (JSON only)."""
    return Target("overseerr", OVERSEERR_SEARCH_PATH, "json", {"X-Api-Key": OVERSEERR_API_KEY})


def warm_up(base_url: str, target: Target, times: int = 5) -> None:
    """A few requests first (Flask builds lazily); raises when the endpoint does not answer 200."""
    import requests

    with requests.Session() as session:
        for _ in range(times):
            response = session.get(target.url(base_url), headers=target.headers, timeout=10)
            if response.status_code != 200:
                raise RuntimeError(f"{target.service} {target.path} answered {response.status_code} during warm-up, "
                                   "expected 200: check the mock and its credentials")
