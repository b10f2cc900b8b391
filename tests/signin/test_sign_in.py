"""Signing in with Plex: the PIN, its approval on the clock, and what is kept (all or nothing)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from companion import ServiceUnavailableError
from companion.signin import (MemorySignInStore, NoConnectionError, PinDeniedError, PinExpiredError, SignInSettings,
                              SignInRequiredError)
from mockservers import PlexMock
from mockservers.credentials import DEFAULT_CREDENTIALS
from mockservers.plex.data import DEFAULT_FIXTURE

#: a token of the account (the one it uses on the web), as an approved PIN would carry one
WEB_TOKEN = DEFAULT_CREDENTIALS.plextv_token


def test_begin_gives_the_auth_url_of_a_strong_pin(make_sign_in, tv):
    sign_in = make_sign_in()
    pending = sign_in.begin()
    url = urlsplit(pending.auth_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://app.plex.tv/auth"
    assert url.fragment.startswith("?clientID=companion-tests&code=")
    assert "&context[device][product]=Companion" in url.fragment
    assert parse_qs(url.fragment[1:]) == {"clientID": ["companion-tests"], "code": [pending.code],
                                          "context[device][product]": ["Companion"]}
    [pin] = tv.pins
    assert pin["strong"] and pin["code"] == pending.code and pin["clientIdentifier"] == "companion-tests"
    assert not sign_in.signed_in


def test_approved_sign_in_keeps_the_account_the_servers_and_the_local_connection(make_sign_in, tv, plex):
    store = MemorySignInStore()
    sign_in = make_sign_in(store=store)
    pending = sign_in.begin()
    tv.approve_pin(pending.pin_id)
    account = sign_in.finish(pending)
    assert (account.username, account.email) == ("mock-user", "mock-user@example.com")
    assert sign_in.signed_in and sign_in.server.client_identifier == plex.machine_identifier
    assert sign_in.connection_location == "local" and sign_in.connection_uri == tv.servers[0]["connections"][0]["uri"]
    kept = store.load()
    assert kept.token and kept.uri == sign_in.connection_uri and kept.account == account
    assert [s.name for s in sign_in.servers] == ["Mock Plex"]
    assert [lib["title"] for lib in sign_in.plex_client.get_libraries()] == ["Movies", "TV Shows"]
    assert sign_in.plex_client is sign_in.plex_client


def test_polling_pauses_grow_on_the_clock_until_the_approval(make_sign_in, tv, clock):
    sign_in = make_sign_in()
    pending = sign_in.begin()
    started = clock.advanced_s
    clock.call_later(5.0, lambda: tv.approve_pin(pending.pin_id))  # the user approves 5 s later
    sign_in.finish(pending)
    # looks at 0, 1, 2.5, 4.75 (pending) and 8.125 s (approved): pauses 1, 1.5, 2.25, 3.375
    assert sign_in.poller.polls == 5
    assert tv.journal.count("GET", "/api/v2/pins/*") == 5
    assert clock.advanced_s - started == pytest.approx(8.125)


def test_a_pin_nobody_approves_expires_after_its_half_hour(make_sign_in, tv, clock):
    sign_in = make_sign_in()
    pending = sign_in.begin()
    started, started_offset = clock.monotonic(), clock.advanced_s
    with pytest.raises(PinExpiredError, match=f"PIN {pending.pin_id} expired at") as caught:
        sign_in.finish(pending)
    assert caught.value.service == "plextv"
    waited = clock.monotonic() - started  # the pauses (moved) and the requests (real time)
    assert 1798.5 <= waited <= 1800.5  # the last look is at the expiry (plex.tv states it to the second)
    paused = clock.advanced_s - started_offset  # what the pauses alone moved the clock by (no real time in it)
    pauses, total = [1.0], 1.0  # 1, 1.5, 2.25, 3.375, then 5 s each; the last one cut short at the expiry
    while total < paused - 0.01:
        pauses.append(min(pauses[-1] * 1.5, 5.0))
        total += pauses[-1]
    # a look at once, then one after each pause (the requests' real time, however long on a busy machine,
    # shortens the schedule: the pauses are counted from the clock's own advances, so the count is exact up
    # to the last pause, cut at the expiry)
    assert len(pauses) <= sign_in.poller.polls <= 1 + len(pauses)
    assert tv.journal.count("GET", "/api/v2/pins/*") == sign_in.poller.polls
    assert not sign_in.signed_in


def test_a_pin_that_expired_before_the_app_looked_is_expired_not_denied(make_sign_in, tv, clock):
    sign_in = make_sign_in()
    pending = sign_in.begin()
    clock.advance(1801)
    with pytest.raises(PinExpiredError):
        sign_in.finish(pending)
    assert sign_in.poller.polls == 1


def test_a_declined_pin_is_a_denial(make_sign_in, tv):
    sign_in = make_sign_in()
    pending = sign_in.begin()
    tv.deny_pin(pending.pin_id)
    with pytest.raises(PinDeniedError, match="the sign-in was declined"):
        sign_in.finish(pending)
    assert not sign_in.signed_in


def test_plex_tv_down_when_the_sign_in_starts_is_a_clear_error(make_sign_in, tv):
    sign_in = make_sign_in()
    tv.take_down()
    with pytest.raises(ServiceUnavailableError, match="plextv create_pin failed: connection refused"):
        sign_in.begin()


def test_plex_tv_down_after_the_approval_keeps_nothing(make_sign_in, tv):
    store = MemorySignInStore()
    sign_in = make_sign_in(store=store)
    pending = sign_in.begin()
    tv.approve_pin(pending.pin_id)
    tv.faults.add_route_fault("/api/v2/resources", 503)
    with pytest.raises(ServiceUnavailableError, match="plextv get_servers failed: HTTP 503"):
        sign_in.finish(pending)
    assert store.load() is None and not sign_in.signed_in and sign_in.account is None
    with pytest.raises(SignInRequiredError, match="not signed in with Plex: sign in again"):
        sign_in.plex_client


def test_the_remote_connection_is_chosen_when_the_local_one_refuses(make_sign_in, tv, plex):
    tv.set_connection(plex.machine_identifier, "local", "refuses")
    sign_in = make_sign_in()
    sign_in.complete(WEB_TOKEN)
    assert sign_in.connection_location == "remote"


def test_a_slow_relay_is_chosen_when_nothing_else_answers(make_sign_in, tv, plex):
    tv.set_connection(plex.machine_identifier, "local", "refuses")
    tv.set_connection(plex.machine_identifier, "remote", "refuses")
    tv.set_connection(plex.machine_identifier, "relay", "slow", delay_ms=100)
    sign_in = make_sign_in()
    sign_in.complete(WEB_TOKEN)
    assert sign_in.connection_location == "relay"


def test_no_answering_connection_says_what_each_one_did(make_sign_in, tv, plex):
    tv.set_connection(plex.machine_identifier, "local", "refuses")
    tv.set_connection(plex.machine_identifier, "remote", "hangs")
    tv.set_connection(plex.machine_identifier, "relay", "refuses")
    sign_in = make_sign_in(probe_timeout_s=0.5)
    with pytest.raises(NoConnectionError) as caught:
        sign_in.complete(WEB_TOKEN)
    message = str(caught.value)
    assert message.startswith("plex connect failed: no connection of 'Mock Plex' answered: local http://")
    assert "no answer within 0.5s" in message and message.count("connection refused or reset") == 2
    assert not sign_in.signed_in


def test_an_address_answered_by_another_server_is_no_good(make_sign_in, tv, plex, clock):
    other = PlexMock(clock=clock, fixture={**DEFAULT_FIXTURE, "server": {"machineIdentifier": "someone-else"}})
    with other:
        tv.add_server("Mock Plex", other.url, client_identifier=plex.machine_identifier,
                      connections=[{"location": "local"}])
        sign_in = make_sign_in()
        with pytest.raises(NoConnectionError, match=r"another server answered \(someone-else\)"):
            sign_in.complete(WEB_TOKEN)


def test_an_offline_server_is_passed_over_for_an_online_one(make_sign_in, tv, plex, clock):
    cabin = PlexMock(clock=clock, fixture={**DEFAULT_FIXTURE, "server": {"friendlyName": "Cabin Plex",
                                                                         "machineIdentifier": "cabin-0001"}})
    with cabin:
        tv.link_plex(cabin)
        tv.set_server(plex.machine_identifier, presence=False)
        sign_in = make_sign_in()
        sign_in.complete(WEB_TOKEN)
        assert sign_in.server.name == "Cabin Plex" and [s.name for s in sign_in.servers] == ["Mock Plex", "Cabin Plex"]
        sign_in.complete(WEB_TOKEN, server_id="cabin-0001")
        assert sign_in.server.client_identifier == "cabin-0001"
        with pytest.raises(NoConnectionError, match="the account has no server 'nope'"):
            sign_in.complete(WEB_TOKEN, server_id="nope")
        tv.set_server("cabin-0001", presence=False)
        with pytest.raises(NoConnectionError, match="no server of the account is online"):
            sign_in.complete(WEB_TOKEN)


def test_a_kept_sign_in_needs_no_plex_tv_at_all(make_sign_in, signed_in, tv):
    store = MemorySignInStore()
    store.save(signed_in.store.load())
    tv.take_down()
    again = make_sign_in(store=store)
    assert again.signed_in and again.account.username == "mock-user"
    assert [lib["title"] for lib in again.plex_client.get_libraries()] == ["Movies", "TV Shows"]


def test_signing_out_revokes_the_token_at_plex_tv_and_forgets_it_here(signed_in, tv):
    token = signed_in.store.load().token
    signed_in.sign_out()
    assert not signed_in.signed_in and signed_in.store.load() is None
    assert not tv.accepts(tv.servers[0]["clientIdentifier"], token)


def test_signing_out_while_plex_tv_is_down_still_signs_out_here(signed_in, tv):
    tv.take_down()
    signed_in.sign_out()
    assert not signed_in.signed_in and signed_in.store.load() is None


def test_a_token_plex_tv_refuses_at_sign_in_is_sign_in_again(make_sign_in):
    with pytest.raises(SignInRequiredError, match="plex.tv refused the new token: sign in again"):
        make_sign_in().complete("not-a-token")


@pytest.mark.parametrize("options, message", [
    ({"product": " "}, "product must be a non-empty name"),
    ({"plextv_url": "plex.tv"}, "plextv_url must be an http(s) URL"),
    ({"poll_initial_s": 0}, "poll_initial_s must be a number above 0"),
    ({"probe_timeout_s": float("nan")}, "probe_timeout_s must be a number above 0"),
    ({"poll_max_s": 0.5}, "poll_max_s at least poll_initial_s"),
    ({"poll_factor": 0.5}, "poll_factor must be at least 1"),
])
def test_bad_sign_in_settings_are_refused(options, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SignInSettings(**options)
