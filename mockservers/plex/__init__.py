"""Mock Plex Media Server: XML/JSON ``MediaContainer`` replies that real Plex clients accept.

``PlexMock`` serves it on the shared mock-server mechanism (faults, journal,
``/__admin/``); ``create_app`` builds the bare Flask app over a ``PlexLibrary``;
fixtures follow the schema documented in :mod:`mockservers.plex.data`.
"""

from .app import create_app
from .data import DEFAULT_FIXTURE, PlexLibrary, read_fixture
from .mock import PlexMock

__all__ = ["DEFAULT_FIXTURE", "PlexLibrary", "PlexMock", "create_app", "read_fixture"]
