"""The plex.tv mock: PINs on its clock, the account, sign-in and sign-out, resources and their doors, admin API."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ElementTree

import pytest
import requests

from mockservers import PlexMock, PlexTvMock
from mockservers.core.clock import VirtualClock
from mockservers.plex.data import DEFAULT_FIXTURE

WEB_TOKEN = "mock-plextv-token"
CLIENT = {"X-Plex-Product": "Companion", "X-Plex-Client-Identifier": "companion-1"}
JSON = {"Accept": "application/json"}


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def plex(clock):
    with PlexMock(clock=clock) as mock:
        yield mock


@pytest.fixture
def tv(plex, clock):
    with PlexTvMock(plex=plex, clock=clock) as mock:
        yield mock


def new_pin(tv, strong: bool = True, client: dict | None = None) -> dict:
    answer = requests.post(tv.url + "/api/v2/pins", params={"strong": "true" if strong else "false"},
                           headers={**(client or CLIENT), **JSON}, timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()


def poll(tv, pin_id: int, client: dict | None = None, accept: dict | None = None) -> requests.Response:
    return requests.get(f"{tv.url}/api/v2/pins/{pin_id}", headers={**(client or CLIENT), **(JSON if accept is None else accept)},
                        timeout=5)


def signed_in_token(tv) -> str:
    pin = new_pin(tv)
    tv.approve_pin(pin["id"])
    return poll(tv, pin["id"]).json()["authToken"]


def resources(tv, token: str, **params) -> list[dict]:
    answer = requests.get(tv.url + "/api/v2/resources", params=params, headers={"X-Plex-Token": token, **JSON},
                          timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


# -- PINs --------------------------------------------------------------------------------------------
def test_a_strong_pin_is_an_oauth_code_that_lives_30_minutes(tv):
    pin = new_pin(tv)
    assert len(pin["code"]) == 25 and pin["code"].isalnum()
    assert pin["expiresIn"] == 1800 and pin["authToken"] is None
    assert pin["clientIdentifier"] == "companion-1" and pin["product"] == "Companion"
    assert pin["expiresAt"].endswith("Z") and pin["qr"].endswith(pin["code"])


def test_a_short_pin_is_four_characters_for_plex_tv_link(tv):
    pin = new_pin(tv, strong=False)
    assert len(pin["code"]) == 4 and pin["code"].isupper() and pin["expiresIn"] == 900


@pytest.mark.parametrize("missing", ["X-Plex-Product", "X-Plex-Client-Identifier"])
def test_creating_a_pin_needs_the_product_and_the_client(tv, missing):
    headers = {k: v for k, v in CLIENT.items() if k != missing}
    answer = requests.post(tv.url + "/api/v2/pins", headers={**headers, **JSON}, timeout=5)
    assert answer.status_code == 400
    assert answer.json() == {"errors": [{"code": 1000, "message": f"{missing} is missing: send it as a header or a "
                                         "query parameter", "status": 400}]}
    xml = requests.post(tv.url + "/api/v2/pins", headers=headers, timeout=5)
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "errors" and root[0].tag == "error" and root[0].get("status") == "400"
    assert tv.pins == []


def test_the_client_may_send_its_identity_in_the_query_string(tv):
    answer = requests.post(tv.url + "/api/v2/pins", params={"strong": "1", **CLIENT}, headers=JSON, timeout=5)
    assert answer.status_code == 201 and answer.json()["clientIdentifier"] == "companion-1"


def test_a_strong_flag_that_is_not_a_boolean_is_refused(tv):
    answer = requests.post(tv.url + "/api/v2/pins", params={"strong": "maybe"}, headers={**CLIENT, **JSON}, timeout=5)
    assert answer.status_code == 400 and "strong must be 1, 0, true or false, got 'maybe'" in answer.text


def test_a_pin_carries_a_token_once_approved(tv):
    pin = new_pin(tv)
    assert poll(tv, pin["id"]).json()["authToken"] is None
    tv.approve_pin(pin["id"])
    token = poll(tv, pin["id"]).json()["authToken"]
    assert token and token != WEB_TOKEN
    assert tv.pins[0]["state"] == "linked"
    me = requests.get(tv.url + "/api/v2/user", headers={"X-Plex-Token": token, **JSON}, timeout=5).json()
    assert me["authToken"] == token and me["username"] == "mock-user"


def test_a_pin_answers_only_the_client_that_created_it(tv):
    pin = new_pin(tv)
    other = poll(tv, pin["id"], client={**CLIENT, "X-Plex-Client-Identifier": "someone-else"})
    assert other.status_code == 404 and other.json()["errors"][0]["code"] == 1020


def test_a_pin_expires_on_the_mocks_clock_even_after_an_answer_was_ready(tv, clock):
    pin = new_pin(tv)
    assert poll(tv, pin["id"]).status_code == 200
    assert poll(tv, pin["id"]).status_code == 200  # the second answer came from the ready bytes
    clock.advance(1799)
    assert poll(tv, pin["id"]).status_code == 200
    clock.advance(1)
    expired = poll(tv, pin["id"])
    assert expired.status_code == 404
    assert expired.json()["errors"] == [{"code": 1020, "message": "Code not found or expired", "status": 404}]
    with pytest.raises(ValueError, match="is expired"):
        tv.approve_pin(pin["id"])


def test_a_denied_pin_is_forgotten_before_it_expires(tv):
    pin = new_pin(tv)
    tv.deny_pin()
    assert poll(tv, pin["id"]).status_code == 404
    assert tv.pins[0]["state"] == "denied"
    with pytest.raises(ValueError, match="is denied"):
        tv.approve_pin(pin["id"])


def test_the_xml_pin_is_what_plexapi_reads(tv):
    pin = new_pin(tv)
    tv.approve_pin(pin["code"])
    root = ElementTree.fromstring(poll(tv, pin["id"], accept={}).content)
    assert root.tag == "pin" and root.get("id") == str(pin["id"]) and root.get("authToken")
    assert root.find("location").get("code") == "US"


def test_linking_a_short_code_needs_the_signed_in_account(tv):
    pin = new_pin(tv, strong=False)
    link = tv.url + "/api/v2/pins/link"
    assert requests.put(link, data={"code": pin["code"]}, timeout=5).status_code == 401
    unknown = requests.put(link, data={"code": "ZZZZ"}, headers={"X-Plex-Token": WEB_TOKEN, **JSON}, timeout=5)
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == 1020
    assert requests.put(link, headers={"X-Plex-Token": WEB_TOKEN}, timeout=5).status_code == 400
    linked = requests.put(link, data={"code": pin["code"].lower()}, headers={"X-Plex-Token": WEB_TOKEN}, timeout=5)
    assert linked.status_code == 204
    assert poll(tv, pin["id"]).json()["authToken"]


def test_a_strong_code_cannot_be_linked_at_plex_tv_link(tv):
    pin = new_pin(tv)
    answer = requests.put(tv.url + "/api/v2/pins/link", data={"code": pin["code"]},
                          headers={"X-Plex-Token": WEB_TOKEN}, timeout=5)
    assert answer.status_code == 404 and tv.pins[0]["state"] == "pending"


# -- account, sign-in, sign-out ------------------------------------------------------------------------
def test_the_account_in_xml_has_what_plexapi_reads(tv):
    answer = requests.get(tv.url + "/api/v2/user", params={"X-Plex-Token": WEB_TOKEN}, timeout=5)
    root = ElementTree.fromstring(answer.content)
    assert root.tag == "user" and root.get("username") == "mock-user" and root.get("confirmed") == "1"
    assert root.find("subscription").get("active") == "0" and root.find("profile") is not None
    assert root.find("entitlements") is not None and root.get("scrobbleTypes") == ""


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_the_account_needs_a_known_token(tv, token):
    headers = {**JSON, **({} if token is None else {"X-Plex-Token": token})}
    answer = requests.get(tv.url + "/api/v2/user", headers=headers, timeout=5)
    assert answer.status_code == 401
    assert answer.json()["errors"][0] == {"code": 1001, "message": "User could not be authenticated", "status": 401}


@pytest.mark.parametrize("login", ["mock-user", "mock-user@example.com"])
def test_signing_in_issues_a_new_token_and_signing_out_revokes_it(tv, login):
    answer = requests.post(tv.url + "/api/v2/users/signin", data={"login": login, "password": "mock-password"},
                           headers={**CLIENT, **JSON}, timeout=5)
    assert answer.status_code == 201
    token = answer.json()["authToken"]
    assert token not in (WEB_TOKEN, None)
    out = requests.delete(tv.url + "/api/v2/users/signout", headers={"X-Plex-Token": token}, timeout=5)
    assert out.status_code == 204
    assert requests.get(tv.url + "/api/v2/user", headers={"X-Plex-Token": token}, timeout=5).status_code == 401
    assert requests.get(tv.url + "/api/v2/user", headers={"X-Plex-Token": WEB_TOKEN}, timeout=5).status_code == 200


@pytest.mark.parametrize("form, status", [({"login": "mock-user", "password": "wrong"}, 401),
                                          ({"login": "nobody", "password": "mock-password"}, 401),
                                          ({"login": "mock-user"}, 400)])
def test_a_failed_sign_in_issues_nothing(tv, form, status):
    answer = requests.post(tv.url + "/api/v2/users/signin", data=form, headers={**CLIENT, **JSON}, timeout=5)
    assert answer.status_code == status
    assert tv.account.summary()["tokens"]["live"] == 1


# -- resources and connections ------------------------------------------------------------------------------
def test_the_account_lists_its_server_under_the_plex_mocks_machine_identifier(tv, plex):
    token = signed_in_token(tv)
    [server] = resources(tv, token, includeHttps=1, includeRelay=1)
    assert server["clientIdentifier"] == plex.machine_identifier and server["name"] == "Mock Plex"
    assert server["provides"] == "server" and server["owned"] is True and server["presence"] is True
    assert [(c["local"], c["relay"]) for c in server["connections"]] == [(True, False), (False, False), (False, True)]
    assert {c["protocol"] for c in server["connections"]} == {"http"}
    assert all(c["uri"] == f"http://{c['address']}:{c['port']}" for c in server["connections"])
    assert [c["location"] for c in tv.servers[0]["connections"]] == ["local", "remote", "relay"]


def test_relay_connections_are_listed_only_when_asked_for(tv):
    token = signed_in_token(tv)
    assert len(resources(tv, token)[0]["connections"]) == 2
    assert len(resources(tv, token, includeRelay=1)[0]["connections"]) == 3
    bad = requests.get(tv.url + "/api/v2/resources", params={"includeRelay": "2"}, headers={"X-Plex-Token": token},
                       timeout=5)
    assert bad.status_code == 400


def test_every_connection_reaches_the_server_with_the_access_token(tv, plex):
    token = signed_in_token(tv)
    [server] = resources(tv, token, includeRelay=1)
    assert server["accessToken"] not in (token, plex.token)
    for connection in server["connections"]:
        answer = requests.get(connection["uri"] + "/library/sections", timeout=5,
                              headers={"X-Plex-Token": server["accessToken"]})
        assert answer.status_code == 200 and b"TV Shows" in answer.content
    account_token = requests.get(server["connections"][0]["uri"] + "/library/sections", timeout=5,
                                 headers={"X-Plex-Token": token})
    assert account_token.status_code == 200
    unknown = requests.get(plex.url + "/library/sections", headers={"X-Plex-Token": "made-up"}, timeout=5)
    assert unknown.status_code == 401 and plex.accepts_token(token)


def test_the_resources_in_xml_nest_the_connections(tv):
    token = signed_in_token(tv)
    answer = requests.get(tv.url + "/api/v2/resources", params={"includeRelay": 1}, headers={"X-Plex-Token": token},
                          timeout=5)
    root = ElementTree.fromstring(answer.content)
    assert root.tag == "resources" and root[0].tag == "resource" and root[0].get("owned") == "1"
    assert [c.get("local") for c in root[0].find("connections")] == ["1", "0", "0"]


def test_a_revoked_token_is_refused_by_plex_tv_and_by_the_server_with_its_access_token(tv, plex):
    token = signed_in_token(tv)
    [server] = resources(tv, token)
    uri = server["connections"][0]["uri"] + "/library/sections"
    for _ in range(2):  # the second answer is a ready one: a revocation must end it too
        assert requests.get(uri, headers={"X-Plex-Token": server["accessToken"]}, timeout=5).status_code == 200
    assert tv.revoke_tokens(issued_to="companion-1") == 1
    assert requests.get(uri, headers={"X-Plex-Token": server["accessToken"]}, timeout=5).status_code == 401
    assert requests.get(uri, headers={"X-Plex-Token": token}, timeout=5).status_code == 401
    assert requests.get(tv.url + "/api/v2/user", headers={"X-Plex-Token": token}, timeout=5).status_code == 401
    assert requests.get(uri, headers={"X-Plex-Token": plex.token}, timeout=5).status_code == 200


def test_an_access_token_opens_only_its_own_server(tv, plex, clock):
    second = PlexMock(clock=clock, fixture={**DEFAULT_FIXTURE, "server": {"friendlyName": "Cabin Plex",
                                                                          "machineIdentifier": "cabin-0001"}})
    with second:
        tv.link_plex(second)
        token = signed_in_token(tv)
        listed = {r["name"]: r for r in resources(tv, token)}
        assert set(listed) == {"Mock Plex", "Cabin Plex"} and listed["Cabin Plex"]["clientIdentifier"] == "cabin-0001"
        cabin = listed["Cabin Plex"]["connections"][0]["uri"] + "/identity"
        assert requests.get(cabin, headers=JSON, timeout=5).json()["MediaContainer"]["machineIdentifier"] == "cabin-0001"
        home_access = listed["Mock Plex"]["accessToken"]
        assert not second.accepts_token(home_access) and plex.accepts_token(home_access)
        assert second.accepts_token(listed["Cabin Plex"]["accessToken"])
        tv.remove_server("cabin-0001")
        assert not second.accepts_token(token)


def test_each_connection_fails_on_its_own(tv, plex):
    token = signed_in_token(tv)
    uris = [c["uri"] for c in resources(tv, token, includeRelay=1)[0]["connections"]]
    machine = plex.machine_identifier
    tv.set_connection(machine, "local", "refuses")
    tv.set_connection(machine, "relay", "hangs")
    with pytest.raises(requests.ConnectionError):
        requests.get(uris[0] + "/identity", timeout=5)
    assert requests.get(uris[1] + "/identity", timeout=5).status_code == 200
    with pytest.raises(requests.ReadTimeout):
        requests.get(uris[2] + "/identity", timeout=0.3)
    tv.set_connection(machine, 2, "slow", delay_ms=300)
    started = time.perf_counter()
    assert requests.get(uris[2] + "/identity", timeout=5).status_code == 200
    assert time.perf_counter() - started >= 0.3
    tv.set_connection(machine, "local", "answers")
    assert requests.get(uris[0] + "/identity", timeout=5).status_code == 200  # the same port listens again
    assert [c["behaviour"] for c in tv.servers[0]["connections"]] == ["answers", "answers", "slow"]


def test_a_door_resets_the_caller_when_the_server_behind_it_is_down(tv, plex):
    token = signed_in_token(tv)
    uri = resources(tv, token)[0]["connections"][1]["uri"]
    plex.take_down()
    with pytest.raises(requests.ConnectionError):
        requests.get(uri + "/identity", timeout=5)
    plex.bring_up()
    assert requests.get(uri + "/identity", timeout=5).status_code == 200


def test_a_server_that_moved_is_listed_at_its_new_address(tv, plex):
    token = signed_in_token(tv)
    old = [c["uri"] for c in resources(tv, token)[0]["connections"]]
    tv.set_server(plex.machine_identifier, connections=[{"location": "remote"}])
    new = [c["uri"] for c in resources(tv, token)[0]["connections"]]
    assert len(new) == 1 and new[0] not in old
    with pytest.raises(requests.ConnectionError):
        requests.get(old[0] + "/identity", timeout=5)
    assert requests.get(new[0] + "/identity", timeout=5).status_code == 200


def test_an_offline_server_is_listed_without_presence(tv, plex):
    token = signed_in_token(tv)
    tv.set_server(plex.machine_identifier, presence=False)
    assert resources(tv, token)[0]["presence"] is False


def test_the_journal_never_shows_a_token_or_the_password(tv):
    token = signed_in_token(tv)
    [server] = resources(tv, token)
    requests.get(tv.url + "/api/v2/user", params={"X-Plex-Token": token}, timeout=5)
    requests.post(tv.url + "/api/v2/users/signin", data={"login": "mock-user", "password": "mock-password"},
                  headers=CLIENT, timeout=5)
    text = repr([entry.to_dict() for entry in tv.journal.entries()])
    for secret in (token, server["accessToken"], WEB_TOKEN, "mock-password"):
        assert secret not in text
    assert "*****" in text


# -- admin API -----------------------------------------------------------------------------------------------
def test_the_admin_api_approves_and_denies_pins_and_shows_no_token(tv):
    first, second = new_pin(tv), new_pin(tv)
    approved = requests.post(f"{tv.url}/__admin/plextv/pins/{first['id']}/approve", timeout=5)
    assert approved.status_code == 200 and approved.json()["state"] == "linked"
    denied = requests.post(f"{tv.url}/__admin/plextv/pins/latest/deny", timeout=5)
    assert denied.json()["id"] == second["id"] and denied.json()["state"] == "denied"
    again = requests.post(f"{tv.url}/__admin/plextv/pins/{second['id']}/approve", timeout=5)
    assert again.status_code == 400 and "is denied" in again.json()["error"]
    assert requests.post(f"{tv.url}/__admin/plextv/pins/123/approve", timeout=5).status_code == 404
    summary = requests.get(tv.url + "/__admin/plextv", timeout=5)
    token = poll(tv, first["id"]).json()["authToken"]
    assert token not in summary.text and WEB_TOKEN not in summary.text
    assert summary.json()["tokens"] == {"live": 2, "revoked": 0, "issued_to": ["companion-1"]}


def test_the_admin_api_revokes_a_clients_tokens(tv):
    token = signed_in_token(tv)
    assert requests.post(tv.url + "/__admin/plextv/tokens/revoke", json={}, timeout=5).status_code == 400
    answer = requests.post(tv.url + "/__admin/plextv/tokens/revoke", json={"issued_to": "companion-1"}, timeout=5)
    assert answer.json() == {"revoked": 1}
    assert requests.get(tv.url + "/api/v2/user", headers={"X-Plex-Token": token}, timeout=5).status_code == 401


def test_the_admin_api_adds_changes_and_removes_servers(tv, plex):
    base = tv.url + "/__admin/plextv/servers"
    added = requests.post(base, json={"name": "Attic", "clientIdentifier": "attic-1", "target": plex.url,
                                      "connections": [{"location": "remote", "behaviour": "slow", "delay_ms": 10}]},
                          timeout=5)
    assert added.status_code == 201 and added.json()["connections"][0]["behaviour"] == "slow"
    changed = requests.patch(base + "/attic-1", json={"presence": False, "name": "Attic Plex"}, timeout=5)
    assert changed.json()["presence"] is False and changed.json()["name"] == "Attic Plex"
    refused = requests.patch(base + "/attic-1/connections/remote", json={"behaviour": "refuses"}, timeout=5)
    assert refused.json()["connections"][0]["behaviour"] == "refuses"
    assert requests.delete(base + "/attic-1", timeout=5).status_code == 200
    assert [s["clientIdentifier"] for s in tv.servers] == [plex.machine_identifier]


@pytest.mark.parametrize("method, path, body, status, message", [
    ("POST", "/servers", {"name": "X", "clientIdentifier": "x"}, 400, "target is required"),
    ("POST", "/servers", {"name": "X", "clientIdentifier": "x", "target": "ftp://h:1"}, 400, "target must be"),
    ("POST", "/servers", {"name": "X", "clientIdentifier": "x", "target": "http://h:1", "owned": "yes"}, 400,
     "owned must be true or false"),
    ("POST", "/servers", {"name": "X", "clientIdentifier": "x", "target": "http://h:1",
                          "connections": [{"location": "moon"}]}, 400, "connections[0].location must be one of"),
    ("POST", "/servers", {"name": "X", "clientIdentifier": "x", "target": "http://h:1", "colour": 1}, 400,
     "unknown field(s) 'colour'"),
    ("PATCH", "/servers/nope", {"presence": False}, 404, "no server with clientIdentifier 'nope'"),
    ("PATCH", "/servers/{machine}/connections/9", {"behaviour": "refuses"}, 404, "no index 9"),
    ("PATCH", "/servers/{machine}/connections/side", {"behaviour": "refuses"}, 400, "by its index or its location"),
    ("PATCH", "/servers/{machine}/connections/local", {"behaviour": "melts"}, 400, "behaviour must be one of"),
    ("PATCH", "/servers/{machine}/connections/local", {}, 400, "behaviour is required"),
    ("PATCH", "/servers/{machine}/connections/relay", {"behaviour": "slow", "delay_ms": -1}, 400,
     "delay_ms must be a finite number from 0 to 3600000"),
    ("DELETE", "/servers/nope", None, 404, "no server"),
])
def test_bad_admin_input_is_a_clear_4xx_and_changes_nothing(tv, plex, method, path, body, status, message):
    before = tv.servers
    answer = requests.request(method, tv.url + "/__admin/plextv" + path.format(machine=plex.machine_identifier),
                              json=body, timeout=5)
    assert answer.status_code == status and message in answer.json()["error"]
    assert tv.servers == before


def test_reset_brings_back_the_linked_server_and_forgets_the_rest(tv, plex, clock):
    token = signed_in_token(tv)
    tv.set_connection(plex.machine_identifier, "local", "refuses")
    second = PlexMock(clock=clock, fixture={**DEFAULT_FIXTURE, "server": {"machineIdentifier": "cabin-0001"}})
    with second:
        tv.link_plex(second)
        tv.reset()
        assert [s["clientIdentifier"] for s in tv.servers] == [plex.machine_identifier]
        assert [c["behaviour"] for c in tv.servers[0]["connections"]] == ["answers"] * 3
        assert tv.pins == [] and not second.accepts_token(WEB_TOKEN) and plex.accepts_token(WEB_TOKEN)
        assert requests.get(tv.url + "/api/v2/user", headers={"X-Plex-Token": token}, timeout=5).status_code == 401


def test_stopping_plex_tv_ends_the_trust_and_closes_the_doors(plex, clock):
    tv = PlexTvMock(plex=plex, clock=clock).start()
    uri = tv.servers[0]["connections"][0]["uri"]
    assert plex.accepts_token(WEB_TOKEN)
    tv.stop()
    assert not plex.accepts_token(WEB_TOKEN)
    with pytest.raises(requests.ConnectionError):
        requests.get(uri + "/identity", timeout=5)
