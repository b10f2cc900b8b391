"""Mocks shared by every test folder: each fixture starts one on a free port and stops it afterwards."""

from __future__ import annotations

import copy
import pickle

import pytest

import mockservers.plex.data as plex_data
from mockservers import OverseerrMock, PlexMock, UptimeKumaMock


def _default_library_built_once(parse):
    """Test-only speed-up: each PlexMock parses and generates its default library (tens of thousands of
    items, always the same: one fixture, one seed). Build it the first time in a test process, then give
    every later mock its own copy of that result (a pickle round trip: fresh objects, same rng state).
    Other fixtures go through ``parse`` itself; so does the default one once per process (coverage unchanged)."""
    built: list[bytes] = []
    default = copy.deepcopy(dict(plex_data.DEFAULT_FIXTURE))

    def parse_once(fixture):
        if fixture != default:
            return parse(fixture)
        if not built:
            built.append(pickle.dumps(parse(fixture), protocol=pickle.HIGHEST_PROTOCOL))
        return pickle.loads(built[0])

    return parse_once


plex_data._parse = _default_library_built_once(plex_data._parse)


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
