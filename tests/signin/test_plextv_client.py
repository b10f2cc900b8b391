"""``PlexTvClient``: what it makes of plex.tv's answers, good and bad (bodies injected through the mock's faults)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from companion import BadResponseError, CircuitBreakerFactory, PlexTvClient, RequestRejectedError
from companion.plextv import _when, auth_url
from mockservers.credentials import DEFAULT_CREDENTIALS

from .conftest import SETTINGS

TOKEN = DEFAULT_CREDENTIALS.plextv_token


@pytest.fixture
def client(tv, clock, request) -> PlexTvClient:
    made = PlexTvClient(tv.url, client_identifier="client-tests", product="Companion", settings=SETTINGS,
                        breakers=CircuitBreakerFactory(clock=clock), clock=clock)
    request.addfinalizer(made.close)
    return made


def answer_with(tv, path: str, body) -> None:
    tv.faults.add_route_fault(path, {"status": 200, "body": body if isinstance(body, str) else json.dumps(body),
                                     "headers": {"Content-Type": "application/json"}})


def test_the_servers_come_with_their_connections_local_first(client, tv, plex):
    [server] = client.get_servers(TOKEN)
    assert server.client_identifier == plex.machine_identifier and server.owned and server.presence
    assert [c.location for c in server.in_order()] == ["local", "remote", "relay"]
    assert server.access_token and server.access_token not in repr(server)
    assert server.product_version == plex.library.server["version"]


def test_a_pin_of_another_client_is_not_found(client, tv):
    pin = client.create_pin()
    assert pin.client_identifier == "client-tests" and pin.auth_token is None
    other = PlexTvClient(tv.url, client_identifier="someone-else", settings=SETTINGS, clock=client.clock)
    with pytest.raises(RequestRejectedError) as caught:
        other.get_pin(pin.id)
    other.close()
    assert caught.value.status == 404 and "Code not found or expired" in str(caught.value)


@pytest.mark.parametrize("path, body, call, message", [
    ("/api/v2/resources", {"not": "a list"}, "servers", "expected a list of resources"),
    ("/api/v2/resources", [{"name": "X", "provides": "server"}], "servers",
     "a resource without name, clientIdentifier, connections"),
    ("/api/v2/resources", [{"name": "X", "clientIdentifier": "x", "provides": "server", "connections": 5}], "servers",
     "a resource whose connections are not a list"),
    ("/api/v2/resources", [{"name": "X", "clientIdentifier": "x", "provides": "server", "connections": [{}]}],
     "servers", "a connection without uri"),
    ("/api/v2/user", {"username": "x"}, "account", "an account without id, username"),
    ("/api/v2/user", "[1, 2]", "account", "an account without id, username: list"),
    ("/api/v2/pins", {"id": 1, "code": "c", "expiresAt": "soon"}, "pin", "a PIN without a readable expiresAt"),
    ("/api/v2/pins", "not json", "pin", "malformed JSON"),
])
def test_answers_of_the_wrong_shape_are_bad_responses(client, tv, path, body, call, message):
    answer_with(tv, path, body)
    calls = {"servers": lambda: client.get_servers(TOKEN), "account": lambda: client.get_account(TOKEN),
             "pin": client.create_pin}
    with pytest.raises(BadResponseError, match=message):
        calls[call]()


def test_resources_that_are_not_servers_are_left_out(client, tv):
    answer_with(tv, "/api/v2/resources", [
        {"name": "TV", "clientIdentifier": "tv", "provides": "client,player", "connections": []},
        {"name": "Box", "clientIdentifier": "box", "provides": "server", "owned": "1", "presence": 1,
         "connections": [{"uri": "http://10.0.0.2:32500/", "local": True, "port": "x"},
                         {"uri": "https://relay.example:443", "relay": "1", "port": 443}]}])
    [server] = client.get_servers(TOKEN)
    assert (server.name, server.owned, server.presence) == ("Box", True, True)
    assert [(c.uri, c.location, c.port) for c in server.connections] == [("http://10.0.0.2:32500", "local", 0),
                                                                          ("https://relay.example:443", "relay", 443)]


def test_times_are_read_as_plex_tv_writes_them():
    assert _when("2026-12-01T14:00:00Z") == datetime(2026, 12, 1, 14, tzinfo=timezone.utc)
    assert _when(0) == datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert _when("yesterday") is None and _when(None) is None and _when(True) is None


def test_the_auth_url_keeps_the_brackets_plex_documents():
    assert auth_url("app 1", "abc", "My App") == ("https://app.plex.tv/auth#?clientID=app+1&code=abc"
                                                   "&context[device][product]=My+App")


def test_a_client_needs_its_identity():
    with pytest.raises(ValueError, match="a client identifier and a product name"):
        PlexTvClient(client_identifier="")


def test_signing_out_revokes_the_token(client, tv):
    pin = client.create_pin()
    tv.approve_pin(pin.id)
    token = client.get_pin(pin.id).auth_token
    assert client.get_account(token)["username"] == "mock-user"
    client.sign_out(token)
    assert tv.account.summary()["tokens"]["revoked"] == 1
