"""The mocks' default credentials: the one place they are written.

The mocks, the CLI, the keyword libraries and the benchmarks all read them
from here; each can be overridden (constructor arguments, CLI flags, keyword
arguments). They are test credentials, yet still treated as secrets: the
journal and Robot output never show them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_CREDENTIALS", "Credentials"]


@dataclass(frozen=True)
class Credentials:
    """What a client must present to each mocked service."""

    plex_token: str = "mock-token"
    overseerr_api_key: str = "mock-api-key"
    uptime_kuma_username: str = "admin"
    uptime_kuma_password: str = "admin"
    #: the plex.tv account: its sign-in name and password, and the token it is signed in with on the web
    #: (what links a 4-character PIN at plex.tv/link); tokens the mock issues later are random
    plextv_username: str = "mock-user"
    plextv_password: str = "mock-password"
    plextv_token: str = "mock-plextv-token"


DEFAULT_CREDENTIALS = Credentials()
