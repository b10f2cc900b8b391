"""A signed-in app: the server through the chosen connection, one rediscovery, plex.tv down, a revoked token."""

from __future__ import annotations

import logging

import pytest

from companion import AuthenticationError, CircuitOpenError, ServiceUnavailableError, StatusService
from companion.signin import SignInRequiredError


def sections_requests(plex) -> int:
    return plex.journal.count("GET", "/library/sections")


def resources_requests(tv) -> int:
    return tv.journal.count("GET", "/api/v2/resources")


def metrics(sign_in, name: str = "plex") -> dict:
    return sign_in.breakers.get(name).metrics()


def test_a_refusing_connection_is_rediscovered_and_the_call_answers_fresh(signed_in, tv, plex):
    client = signed_in.plex_client
    tv.set_connection(plex.machine_identifier, "local", "refuses")
    libraries = client.get_libraries()
    assert libraries.stale is False and [lib["title"] for lib in libraries] == ["Movies", "TV Shows"]
    assert signed_in.connection_location == "remote" and client.base_url == signed_in.connection_uri
    assert resources_requests(tv) == 2  # the sign-in's, and the rediscovery's
    assert metrics(signed_in)["failures"] == 0 and metrics(signed_in)["successes"] == 1
    assert signed_in.store.load().uri == signed_in.connection_uri  # the new choice is kept


def test_a_server_that_moved_is_found_at_its_new_address(signed_in, tv, plex):
    client = signed_in.plex_client
    old = signed_in.connection_uri
    tv.set_server(plex.machine_identifier, connections=[{"location": "remote"}])
    assert client.test_connection()["machine_identifier"] == plex.machine_identifier
    assert signed_in.connection_uri != old and signed_in.connection_uri == tv.servers[0]["connections"][0]["uri"]


def test_every_connection_down_is_rediscovered_once_then_the_breaker_and_the_cache_take_over(signed_in, tv, plex,
                                                                                           clock):
    client = signed_in.plex_client
    client.get_libraries()
    clock.advance(60)  # the cache TTL: the next read goes to the server
    for location in ("local", "remote", "relay"):
        tv.set_connection(plex.machine_identifier, location, "refuses")
    first = client.get_libraries()
    assert first.stale is True and "connection refused" in first.stale_reason
    assert resources_requests(tv) == 2  # one rediscovery, which found nothing that answers
    for _ in range(2):
        assert client.get_libraries().stale is True
    assert resources_requests(tv) == 2  # no more rediscoveries in this episode
    assert metrics(signed_in)["state"] == "open" and metrics(signed_in)["failures"] == 3
    before = sections_requests(plex)
    assert client.get_libraries().stale is True  # open: no request, the cache answers
    assert sections_requests(plex) == before and metrics(signed_in)["rejected"] == 1
    clock.advance(30)  # the reset timeout: the next call is the probe, and it may rediscover again
    tv.set_connection(plex.machine_identifier, "relay", "answers")
    probe = client.get_libraries()
    assert probe.stale is False and signed_in.connection_location == "relay"
    assert resources_requests(tv) == 3 and metrics(signed_in)["state"] == "closed"


def test_without_a_cache_the_caller_gets_the_unavailable_error(signed_in, tv, plex):
    for location in ("local", "remote", "relay"):
        tv.set_connection(plex.machine_identifier, location, "refuses")
    with pytest.raises(ServiceUnavailableError, match="plex test_connection failed: connection refused"):
        signed_in.plex_client.test_connection()
    with pytest.raises(ServiceUnavailableError) as caught:
        signed_in.plex_client.test_connection()
    assert not isinstance(caught.value, CircuitOpenError)
    assert resources_requests(tv) == 2


def test_plex_tv_down_never_stops_a_signed_in_app(signed_in, tv, plex):
    tv.take_down()
    client = signed_in.plex_client
    assert client.get_libraries().stale is False
    tv.set_connection(plex.machine_identifier, "local", "refuses")  # the doors keep working without plex.tv
    client.clear_cache()
    libraries = client.get_libraries()
    assert libraries.stale is False and signed_in.connection_location == "remote"  # from the servers kept
    assert signed_in.signed_in
    with pytest.raises(ServiceUnavailableError, match="plextv get_account failed: connection refused"):
        signed_in.check_account()


def test_a_token_the_server_refuses_is_sign_in_again_and_never_a_breaker_failure(signed_in, tv, plex, clock):
    client = signed_in.plex_client
    client.get_libraries()
    clock.advance(60)
    tv.revoke_tokens(issued_to=signed_in.client_identifier)
    for _ in range(4):  # more than fail_max: an authentication problem never opens the breaker
        with pytest.raises(SignInRequiredError, match="plex get_libraries failed: the server refused the token "
                                                      r"\(HTTP 401\): sign in again"):
            client.get_libraries()
    assert metrics(signed_in)["state"] == "closed" and metrics(signed_in)["failures"] == 0
    assert metrics(signed_in)["ignored"] == 4
    assert not signed_in.signed_in and signed_in.store.load() is None
    assert signed_in.sign_in_again == "the server refused the token (HTTP 401)"
    with pytest.raises(SignInRequiredError, match="sign in again"):
        signed_in.check_account()


def test_a_token_plex_tv_refuses_is_sign_in_again(signed_in, tv):
    tv.revoke_tokens(issued_to=signed_in.client_identifier)
    with pytest.raises(SignInRequiredError) as caught:
        signed_in.check_account()
    assert isinstance(caught.value, AuthenticationError) and caught.value.service == "plextv"
    assert str(caught.value) == "plextv get_account failed: plex.tv refused the token (HTTP 401): sign in again"
    assert metrics(signed_in, "plextv")["failures"] == 0


def test_a_rediscovery_that_meets_a_revoked_token_is_sign_in_again(signed_in, tv, plex):
    client = signed_in.plex_client
    tv.set_connection(plex.machine_identifier, "local", "refuses")
    tv.account.revoke(issued_to=signed_in.client_identifier)  # plex.tv knows; the server is not asked first
    with pytest.raises(SignInRequiredError, match="plex.tv refused the token"):
        client.get_libraries()


def test_the_status_service_reports_plex_tv_as_its_own_service(signed_in, tv):
    status = StatusService(plex=signed_in.plex_client, plextv=signed_in, breakers=signed_in.breakers,
                           clock=signed_in.clock)
    assert status.services == ["plex", "plextv"]
    up = status.get_status("plextv")
    assert up["status"] == "up" and up["source"] == "poll" and "signed in as mock-user" in up["message"]
    tv.take_down()
    statuses = {s["name"]: s for s in status.get_all_statuses()}
    assert statuses["plex"]["status"] == "up"
    assert statuses["plextv"]["status"] == "down" and "connection refused" in statuses["plextv"]["message"]
    tv.bring_up()
    tv.revoke_tokens(issued_to=signed_in.client_identifier)
    down = status.get_status("plextv")
    assert down["status"] == "down" and down["message"].endswith("sign in again")


def test_before_signing_in_plex_tv_is_down_saying_so(make_sign_in):
    sign_in = make_sign_in()
    status = StatusService(plextv=sign_in, breakers=sign_in.breakers, clock=sign_in.clock)
    entry = status.get_status("plextv")
    assert entry["status"] == "down"
    assert entry["message"] == "plextv check_account failed: not signed in with Plex: sign in again"


def test_no_token_reaches_a_log_an_error_or_a_repr(make_sign_in, tv, plex, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in = make_sign_in()
    pending = sign_in.begin()
    tv.approve_pin(pending.pin_id)
    sign_in.finish(pending)
    token, access = sign_in.store.load().token, sign_in.server.access_token
    texts = [repr(sign_in), repr(sign_in.store.load()), repr(sign_in.server), repr(sign_in.plex_client)]
    tv.set_connection(plex.machine_identifier, "local", "refuses")
    tv.take_down()
    sign_in.plex_client.get_libraries()
    for failing in (sign_in.check_account, lambda: sign_in.plextv.get_servers(token)):
        with pytest.raises(ServiceUnavailableError) as caught:
            failing()
        texts.append(str(caught.value))
    texts += [record.getMessage() for record in caplog.records]
    for text in texts:
        assert token not in text and access not in text
    assert any("rediscovered 'Mock Plex' through the servers kept" in text for text in texts)
