"""Mocks shared by every test folder: each fixture starts one on a free port and stops it afterwards."""

from __future__ import annotations

import pytest

from mockservers import OverseerrMock, PlexMock, UptimeKumaMock


@pytest.fixture
def plex_mock():
    """The Plex mock with its default library and token ``mock-token``."""
    with PlexMock(token="mock-token") as mock:
        yield mock


@pytest.fixture
def overseerr_mock():
    """The Overseerr mock with API key ``mock-api-key`` and no requests yet."""
    with OverseerrMock(api_key="mock-api-key") as mock:
        yield mock


@pytest.fixture
def kuma():
    """The Uptime Kuma mock (admin/admin, three monitors up)."""
    with UptimeKumaMock(username="admin", password="admin") as mock:
        yield mock
