"""The real PyPI client ``plexapi`` signs in through the plex.tv mock, unmodified, and reaches the Plex mock.

plexapi calls ``https://plex.tv/api/v2/...`` through the ``requests.Session`` it is given; the session
here sends those calls to the mock instead (the only change: the base URL). Everything else is plexapi's
own code: the PIN (OAuth and plex.tv/link), the account, the resources and ``MyPlexResource.connect()``,
which probes the listed connections in parallel and returns the first that answers.
"""

from __future__ import annotations

import os

os.environ.setdefault("PLEXAPI_CONFIG_PATH", os.devnull)
os.environ.setdefault("PLEXAPI_HEADER_IDENTIFIER", "mockservers-plextv-compat-tests")

import pytest  # noqa: E402
import requests  # noqa: E402
from plexapi.exceptions import NotFound, Unauthorized  # noqa: E402
from plexapi.myplex import MyPlexAccount, MyPlexPinLogin  # noqa: E402

from mockservers import PlexMock, PlexTvMock  # noqa: E402
from mockservers.credentials import DEFAULT_CREDENTIALS  # noqa: E402

PLEX_TV = "https://plex.tv"


class PlexTvSession(requests.Session):
    """A ``requests.Session`` that sends plex.tv's calls to ``base_url``."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):  # noqa: D102
        if url.startswith(PLEX_TV + "/"):
            url = self.base_url + url[len(PLEX_TV):]
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def plex():
    with PlexMock() as mock:
        yield mock


@pytest.fixture
def tv(plex):
    with PlexTvMock(plex=plex) as mock:
        yield mock


@pytest.fixture
def session(tv):
    with PlexTvSession(tv.url) as session:
        yield session


def test_plexapi_signs_in_with_an_oauth_pin_lists_the_server_and_connects_to_it(tv, plex, session):
    login = MyPlexPinLogin(session=session, oauth=True)
    assert "code=" in login.oauthUrl() and not login.checkLogin()
    tv.approve_pin()
    assert login.checkLogin() and login.token

    account = MyPlexAccount(token=login.token, session=session)
    assert (account.username, account.email, account.subscriptionActive) == ("mock-user", "mock-user@example.com",
                                                                              False)
    [resource] = account.resources()
    assert resource.clientIdentifier == plex.machine_identifier and resource.presence and resource.owned
    assert [c.local for c in resource.connections] == [True, False, False]

    server = resource.connect(timeout=5)
    assert server.machineIdentifier == resource.clientIdentifier
    assert server._baseurl == resource.connections[0].uri  # local first
    assert [section.title for section in server.library.sections()] == ["Movies", "TV Shows"]
    assert plex.journal.count("GET", "/library/sections") == 1


def test_plexapi_connects_through_the_remote_address_when_the_local_one_refuses(tv, plex, session):
    tv.set_connection(plex.machine_identifier, "local", "refuses")
    account = MyPlexAccount(token=DEFAULT_CREDENTIALS.plextv_token, session=session)
    [resource] = account.resources()
    server = resource.connect(timeout=2)
    assert server._baseurl == resource.connections[1].uri
    assert server.library.section("Movies").totalSize == 100


def test_plexapi_gets_not_found_when_no_connection_answers(tv, plex, session):
    for location in ("local", "remote", "relay"):
        tv.set_connection(plex.machine_identifier, location, "refuses")
    [resource] = MyPlexAccount(token=DEFAULT_CREDENTIALS.plextv_token, session=session).resources()
    with pytest.raises(NotFound, match="Unable to connect to resource: Mock Plex"):
        resource.connect(timeout=2)


def test_plexapi_links_a_four_character_pin_from_the_signed_in_account(tv, session):
    device = MyPlexPinLogin(session=session)
    code = device.pin
    assert len(code) == 4 and not device.checkLogin()
    MyPlexAccount(token=DEFAULT_CREDENTIALS.plextv_token, session=session).link(code)
    assert device.checkLogin() and device.token
    assert MyPlexAccount(token=device.token, session=session).username == "mock-user"


def test_plexapi_signs_in_with_the_password_and_out_again(tv, session):
    account = MyPlexAccount("mock-user", "mock-password", session=session)
    token = account.authToken
    assert token and token != DEFAULT_CREDENTIALS.plextv_token
    account.signout()
    with pytest.raises(Unauthorized):
        MyPlexAccount(token=token, session=session)
    with pytest.raises(Unauthorized):
        MyPlexAccount("mock-user", "not-the-password", session=session)
