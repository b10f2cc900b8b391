"""``ConnectionProber``: which answers count as the server, and what a failed probe says."""

from __future__ import annotations

import time

import pytest

from companion import RequestRejectedError
from companion.plextv import Connection, ServerResource
from companion.signin import ConnectionProber, NoConnectionError, PendingSignIn


def server_at(plex, *uris: str) -> ServerResource:
    connections = tuple(Connection(uri, location) for uri, location in zip(uris, ("local", "remote", "relay")))
    return ServerResource("Mock Plex", plex.machine_identifier, True, True, connections)


def problems(prober: ConnectionProber, server: ServerResource) -> str:
    with pytest.raises(NoConnectionError) as caught:
        prober.choose(server)
    return str(caught.value)


def test_a_server_plex_tv_lists_without_connections_cannot_be_reached(plex):
    assert problems(ConnectionProber(1.0), server_at(plex)) == ("plex connect failed: plex.tv lists no connection "
                                                                "for 'Mock Plex'")


def test_an_error_status_is_not_the_server(plex):
    plex.faults.add_route_fault("/identity", 503)
    assert f"local {plex.url}: HTTP 503" in problems(ConnectionProber(5.0), server_at(plex, plex.url))


@pytest.mark.parametrize("body, content_type, chosen", [
    ('<MediaContainer size="0" machineIdentifier="{machine}"/>', "text/xml", True),
    ('<MediaContainer size="0"/>', "text/xml", False),
    ("{{not xml or json", "text/plain", False),
    ('{{"MediaContainer": []}}', "application/json", False),
])
def test_the_identity_may_be_xml_and_must_name_the_server(plex, body, content_type, chosen):
    plex.faults.add_route_fault("/identity", {"status": 200, "body": body.format(machine=plex.machine_identifier),
                                              "headers": {"Content-Type": content_type}})
    server = server_at(plex, plex.url)
    if chosen:
        assert ConnectionProber(5.0).choose(server).uri == plex.url
    else:
        assert "another server answered (no machineIdentifier)" in problems(ConnectionProber(5.0), server)


def test_an_address_that_is_no_url_is_reported_not_raised(plex):
    message = problems(ConnectionProber(1.0), server_at(plex, "http://"))
    assert message.endswith("local http://: InvalidURL")


def test_the_first_good_answer_in_order_wins_without_waiting_for_the_slow_ones(tv, plex):
    tv.set_connection(plex.machine_identifier, "relay", "hangs")
    [listed] = tv.servers
    server = ServerResource("Mock Plex", plex.machine_identifier, True, True,
                            tuple(Connection(c["uri"], c["location"]) for c in listed["connections"]))
    started = time.monotonic()
    chosen = ConnectionProber(30.0).choose(server)
    assert chosen.connection.location == "local"
    assert time.monotonic() - started < 15  # the hanging relay's 30 s timeout was not waited for


def test_a_pin_plex_tv_refuses_otherwise_than_404_is_raised_as_it_is(make_sign_in, tv):
    sign_in = make_sign_in()
    pending = sign_in.begin()
    tv.faults.add_route_fault("/api/v2/pins/*", 400)
    with pytest.raises(RequestRejectedError) as caught:
        sign_in.poller.wait(PendingSignIn(pending.pin_id, pending.code, pending.auth_url, pending.expires_at))
    assert caught.value.status == 400
