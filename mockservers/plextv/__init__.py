"""The plex.tv mock: PIN sign-in (OAuth and plex.tv/link), the account, and the servers it can reach."""

from .mock import DEFAULT_CONNECTIONS, PlexTvMock

__all__ = ["PlexTvMock", "DEFAULT_CONNECTIONS"]
