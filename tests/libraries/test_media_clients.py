"""MediaClients keyword library: settings, clients, expected failures, breakers, results, per-test reset."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from MediaClients import MediaClients
from atest_support.settings import TestSettings
from companion.errors import ServiceUnavailableError
from mockservers import PlexMock

SECRET_TOKEN = "plex-tok-3f9a7c1e-do-not-log"


@pytest.fixture
def lib():
    """A MediaClients instance; its scope ends (listener ``close``) after the test."""
    library = MediaClients(retry_backoff=timedelta(milliseconds=1), retry_max_backoff=timedelta(milliseconds=5))
    yield library
    library.close()


@pytest.fixture
def secret_plex():
    """A Plex mock whose token is recognisable in any message that would leak it."""
    with PlexMock(token=SECRET_TOKEN) as mock:
        yield mock


# -- settings ------------------------------------------------------------------------------------
def test_settings_overrides_apply_and_none_keeps_the_default():
    settings = TestSettings().with_overrides(read_timeout=timedelta(milliseconds=300), fail_max=None)
    assert settings.read_timeout == timedelta(milliseconds=300) and settings.fail_max == 3
    client = settings.as_client_settings()
    assert (client.read_timeout_s, client.connect_timeout_s, client.fail_max) == (0.3, 0.5, 3)
    assert settings.breaker_options() == {"fail_max": 3, "reset_timeout": 30.0, "success_threshold": 1}


def test_unknown_setting_is_rejected_naming_the_known_ones():
    with pytest.raises(ValueError) as err:
        TestSettings().with_overrides(read_timout=timedelta(seconds=1))
    message = str(err.value)
    assert message.startswith("unknown client setting(s) ['read_timout']: expected some of [")
    assert "'read_timeout'" in message


@pytest.mark.parametrize("name", ["retry_attempts", "fail_max", "success_threshold"])
def test_counts_below_one_are_rejected(name):
    with pytest.raises(ValueError, match=rf"^{name} must be at least 1, got 0$"):
        TestSettings().with_overrides(**{name: 0})


def test_library_import_validates_its_defaults():
    with pytest.raises(ValueError, match="fail_max must be at least 1, got 0"):
        MediaClients(fail_max=0)


def test_describe_uses_robot_time_units():
    text = TestSettings().describe()
    assert "connect_timeout=500ms" in text and "read_timeout=2s" in text and "fail_max=3" in text


def test_create_client_with_a_bad_override_fails_naming_the_service(lib, plex_mock):
    with pytest.raises(AssertionError, match=r"^Cannot create the plex client: retry_attempts must be at least 1"):
        lib.create_plex_client(plex_mock.url, retry_attempts=0)
    assert lib.plex is None


@pytest.mark.parametrize(("override", "named"), [
    ({"reset_timeout": timedelta(seconds=-1)}, "reset_timeout"),
    ({"connect_timeout": timedelta(0)}, "connect_timeout"),
])
def test_bad_time_overrides_fail_naming_the_setting(lib, plex_mock, override, named):
    # the library wraps only the count checks in "Cannot create the plex client"; times fail in ClientSettings
    with pytest.raises((AssertionError, ValueError), match=named):
        lib.create_plex_client(plex_mock.url, **override)
    assert lib.plex is None


# -- clients and calls -----------------------------------------------------------------------------
def test_plex_calls_return_what_the_client_returned(lib, plex_mock, robot_log):
    lib.create_plex_client(plex_mock.url)
    assert lib.has_client("plex") and not lib.has_client("overseerr")
    server = lib.test_plex_connection()
    assert server["machine_identifier"]
    libraries = lib.get_plex_libraries()
    assert len(libraries) >= 1
    lib.result_should_be_fresh(libraries)
    page = lib.get_plex_library_items(str(libraries[0]["key"]), offset=0, limit=5)
    assert len(page["items"]) == 5 and page["total_size"] >= 5
    assert lib.search_plex("") == []
    assert any("plex get_libraries -> " in line for line in robot_log)
    assert not any("mock-token" in line for line in robot_log)


def test_overseerr_calls_round_trip_a_request(lib, overseerr_mock):
    lib.create_overseerr_client(overseerr_mock.url)
    assert lib.get_overseerr_status()["version"]
    assert "results" in lib.search_overseerr("Matrix")
    created = lib.submit_overseerr_request("movie", 603)
    assert lib.get_overseerr_request(created["id"])["id"] == created["id"]
    listed = lib.list_overseerr_requests(take=10)
    assert [r["id"] for r in listed["results"]] == [created["id"]]


def test_calls_without_a_client_say_how_to_create_one(lib):
    with pytest.raises(AssertionError) as err:
        lib.get_plex_libraries()
    assert str(err.value) == ("No plex client in this test (created: none). "
                              "Create one first with 'Create Plex Client'.")
    with pytest.raises(AssertionError, match="'Create Overseerr Client'"):
        lib.circuit_breaker_should_be("overseerr", "closed")


def test_stale_result_is_served_when_the_service_is_down(lib, plex_mock):
    lib.create_plex_client(plex_mock.url, cache_ttl=timedelta(0))
    lib.get_plex_libraries()
    plex_mock.take_down()
    stale = lib.get_plex_libraries()
    lib.result_should_be_stale(stale)
    with pytest.raises(AssertionError, match=r"^Result should be fresh \(from the service\), but it was served"):
        lib.result_should_be_fresh(stale)


def test_fresh_result_fails_the_stale_check(lib, plex_mock):
    lib.create_plex_client(plex_mock.url)
    fresh = lib.get_plex_libraries()
    with pytest.raises(AssertionError, match=r"^Result should be stale \(served from cache\), but it is fresh"):
        lib.result_should_be_stale(fresh)


def test_result_keywords_need_a_stale_flag(lib):
    with pytest.raises(AssertionError, match=r"^Expected a client result with a 'stale' flag, got dict: \{a, b\}"):
        lib.result_should_be_stale({"a": 1, "b": 2})


def test_clear_client_cache_sends_the_next_read_to_the_service(lib, plex_mock):
    lib.create_plex_client(plex_mock.url)
    lib.get_plex_libraries()
    lib.get_plex_libraries()
    assert plex_mock.journal.count("GET", "/library/sections") == 1
    lib.clear_client_cache("plex")
    lib.get_plex_libraries()
    assert plex_mock.journal.count("GET", "/library/sections") == 2


# -- expected failures ---------------------------------------------------------------------------
def test_call_should_fail_with_passes_on_the_right_type_and_returns_the_error(lib, plex_mock):
    lib.create_plex_client(plex_mock.url)
    plex_mock.take_down()
    error = lib.plex_call_should_fail_with("ServiceUnavailableError", "get libraries", message="plex")
    assert isinstance(error, ServiceUnavailableError) and error.service == "plex"
    assert isinstance(lib.client_call_should_fail_with("plex", "ServiceUnavailableError"), ServiceUnavailableError)


def test_wrong_error_type_names_expected_and_actual(lib, plex_mock):
    lib.create_plex_client(plex_mock.url)
    plex_mock.take_down()
    with pytest.raises(AssertionError) as err:
        lib.client_call_should_fail_with("plex", "ServiceTimeoutError")
    assert str(err.value).startswith("plex test_connection should have failed with ServiceTimeoutError, "
                                     "but failed with ServiceUnavailableError: plex test_connection failed")


def test_a_call_that_succeeds_fails_the_check(lib, plex_mock):
    lib.create_plex_client(plex_mock.url)
    with pytest.raises(AssertionError, match=r"^plex get_libraries should have failed with BadResponseError, "
                                             r"but it returned \d+ item\(s\) \(fresh\)\.$"):
        lib.plex_call_should_fail_with("BadResponseError", "get libraries")


def test_message_mismatch_and_repeated_calls(lib, plex_mock):
    lib.create_plex_client(plex_mock.url, fail_max=5)
    plex_mock.take_down()
    with pytest.raises(AssertionError, match=r"\(call 1 of 2\) failed with ServiceUnavailableError as expected, "
                                             r"but its message does not contain 'teapot'"):
        lib.plex_call_should_fail_with("ServiceUnavailableError", "get libraries", message="teapot", times=2)
    with pytest.raises(AssertionError, match=r"^times must be at least 1, got 0\.$"):
        lib.plex_call_should_fail_with("ServiceUnavailableError", times=0)
    with pytest.raises(AssertionError, match=r"^plex has no call 'get status': expected one of test_connection"):
        lib.plex_call_should_fail_with("ServiceUnavailableError", "get status")


def test_authentication_failure_never_shows_the_token(lib, secret_plex):
    lib.create_plex_client(secret_plex.url, token="wrong-" + SECRET_TOKEN)
    error = lib.plex_call_should_fail_with("AuthenticationError", "get libraries")
    assert SECRET_TOKEN not in str(error)
    with pytest.raises(AssertionError) as err:
        lib.plex_call_should_fail_with("ServiceUnavailableError", "get libraries")
    assert "but failed with AuthenticationError" in str(err.value)
    assert SECRET_TOKEN not in str(err.value)


def test_an_error_leaking_the_credential_fails_without_repeating_it(lib, secret_plex, monkeypatch):
    lib.create_plex_client(secret_plex.url, token=SECRET_TOKEN)

    def leaky() -> None:
        raise ServiceUnavailableError("plex", "test_connection", f"refused for token {SECRET_TOKEN}")

    monkeypatch.setattr(lib.plex, "test_connection", leaky)
    with pytest.raises(AssertionError) as err:
        lib.plex_call_should_fail_with("ServiceUnavailableError")
    assert "contains the plex credential" in str(err.value)
    assert SECRET_TOKEN not in str(err.value)


def test_error_naming_another_service_fails(lib, plex_mock, monkeypatch):
    lib.create_plex_client(plex_mock.url)

    def wrong_service() -> None:
        raise ServiceUnavailableError("overseerr", "get_status", "refused")

    monkeypatch.setattr(lib.plex, "test_connection", wrong_service)
    with pytest.raises(AssertionError, match=r"naming service 'overseerr', expected 'plex'"):
        lib.plex_call_should_fail_with("ServiceUnavailableError")


def test_overseerr_failure_keywords(lib, overseerr_mock):
    lib.create_overseerr_client(overseerr_mock.url, api_key="not-the-key")
    error = lib.overseerr_call_should_fail_with("AuthenticationError", "list requests")
    assert error.operation == "list_requests" and "not-the-key" not in str(error)
    overseerr_mock.take_down()
    error = lib.client_call_should_fail_with("overseerr", "ServiceUnavailableError")
    assert error.operation == "get_status"


# -- circuit breakers -----------------------------------------------------------------------------
def test_create_with_fail_max_one_reconfigures_the_breaker(lib, plex_mock):
    lib.create_plex_client(plex_mock.url, fail_max=1, reset_timeout=timedelta(seconds=30))
    metrics = lib.get_circuit_breaker_metrics("plex")
    assert (metrics["fail_max"], metrics["reset_timeout_s"]) == (1, 30.0)
    plex_mock.take_down()
    lib.plex_call_should_fail_with("ServiceUnavailableError", "get libraries")
    lib.circuit_breaker_should_be("plex", "open")
    lib.plex_call_should_fail_with("CircuitOpenError", "get libraries", message="Circuit breaker is OPEN for plex")
    lib.circuit_breaker_metrics_should_be("plex", failures=1, rejected=1, successes=0)
    lib.create_plex_client(plex_mock.url)  # the library defaults apply again; state is kept
    assert lib.get_circuit_breaker_metrics("plex")["fail_max"] == 3


def test_breaker_state_failure_names_state_and_counters(lib, plex_mock):
    lib.create_plex_client(plex_mock.url)
    lib.test_plex_connection()
    with pytest.raises(AssertionError) as err:
        lib.circuit_breaker_should_be("plex", "open")
    assert str(err.value) == ("Circuit breaker plex should be open, but it is closed "
                              "(failures 0, consecutive_failures 0, successes 1, rejected 0).")


def test_breaker_metrics_failure_lists_every_wrong_counter(lib, plex_mock):
    lib.create_plex_client(plex_mock.url)
    lib.test_plex_connection()
    lib.circuit_breaker_metrics_should_be("plex", failures=0, successes=1)
    with pytest.raises(AssertionError) as err:
        lib.circuit_breaker_metrics_should_be("plex", failures=2, successes=1, rejected=3)
    assert str(err.value).startswith("Circuit breaker plex metrics differ: failures 0 (expected 2), "
                                     "rejected 0 (expected 3); all: failures 0,")


def test_wait_until_breaker_is_half_open_then_closed(lib, plex_mock):
    lib.create_plex_client(plex_mock.url, fail_max=1, reset_timeout=timedelta(milliseconds=200))
    plex_mock.take_down()
    lib.plex_call_should_fail_with("ServiceUnavailableError")
    lib.wait_until_circuit_breaker_is("plex", "half-open", timeout=timedelta(seconds=10))
    plex_mock.bring_up()
    lib.wait_until_circuit_breaker_is("plex", "closed", timeout=timedelta(seconds=10), probe="get libraries")
    lib.circuit_breaker_should_be("plex", "closed")


def test_wait_until_breaker_failure_format(lib, plex_mock):
    lib.create_plex_client(plex_mock.url, fail_max=1, reset_timeout=timedelta(seconds=60))
    plex_mock.take_down()
    lib.plex_call_should_fail_with("ServiceUnavailableError")  # open already: every probe meets the open breaker,
    # so the last one seen is the same however few probes a busy machine fits into 300 ms
    with pytest.raises(AssertionError) as err:
        lib.wait_until_circuit_breaker_is("plex", "closed", timeout=timedelta(milliseconds=300),
                                          interval=timedelta(milliseconds=50))
    message = str(err.value)
    assert message.startswith("Circuit breaker plex did not become closed in 300 ms: last seen open "
                              "(probe test_connection: CircuitOpenError: plex test_connection failed: "
                              "Circuit breaker is OPEN for plex")
    assert "mock-token" not in message


def test_wait_with_an_unknown_probe_fails_at_once(lib, plex_mock):
    lib.create_plex_client(plex_mock.url)
    with pytest.raises(AssertionError, match=r"^plex has no call 'reboot'"):
        lib.wait_until_circuit_breaker_is("plex", "closed", probe="reboot")


# -- per-test reset --------------------------------------------------------------------------------
def _open_breaker(lib, mock) -> None:
    lib.create_plex_client(mock.url, fail_max=1, reset_timeout=timedelta(seconds=60))
    mock.take_down()
    lib.plex_call_should_fail_with("ServiceUnavailableError")
    lib.circuit_breaker_should_be("plex", "open")


@pytest.mark.parametrize("reset", ["end_test", "reset_clients", "close"])
def test_reset_closes_clients_and_zeroes_breakers(lib, plex_mock, monkeypatch, reset):
    _open_breaker(lib, plex_mock)
    client = lib.plex
    closed: list[bool] = []
    real_close = client.close
    monkeypatch.setattr(client, "close", lambda: (closed.append(True), real_close()))
    {"end_test": lambda: lib.end_test(None, None), "reset_clients": lib.reset_clients,
     "close": lib.close}[reset]()
    assert closed == [True]
    assert lib.plex is None and not lib.has_client("plex")
    metrics = lib.breakers.get("plex").metrics()
    assert (metrics["state"], metrics["failures"], metrics["rejected"]) == ("closed", 0, 0)


def test_a_new_test_starts_with_a_closed_breaker_and_no_cache(lib, plex_mock):
    _open_breaker(lib, plex_mock)
    lib.end_test(None, None)
    plex_mock.bring_up()
    lib.create_plex_client(plex_mock.url)
    lib.circuit_breaker_metrics_should_be("plex", failures=0, consecutive_failures=0, rejected=0)
    lib.result_should_be_fresh(lib.get_plex_libraries())


def test_no_stale_value_survives_into_the_next_test(lib, plex_mock):
    lib.create_plex_client(plex_mock.url, cache_ttl=timedelta(0))
    lib.get_plex_libraries()
    lib.end_test(None, None)
    lib.create_plex_client(plex_mock.url, cache_ttl=timedelta(0))
    plex_mock.take_down()
    lib.plex_call_should_fail_with("ServiceUnavailableError", "get libraries")


# -- the keyword surface Robot sees ------------------------------------------------------------------
def test_listener_hooks_and_properties_are_not_keywords(lib):
    names = set(lib.get_keyword_names())
    assert {"create_plex_client", "client_call_should_fail_with", "wait_until_circuit_breaker_is"} <= names
    assert not names & {"close", "end_test", "has_client", "plex", "overseerr", "breakers"}
    assert all(lib.get_keyword_documentation(name).strip() for name in names)
    assert lib.ROBOT_LIBRARY_LISTENER is lib and lib.ROBOT_LIBRARY_SCOPE == "SUITE"


def test_client_settings_are_named_only_arguments(lib):
    arguments = lib.get_keyword_arguments("create_plex_client")
    assert arguments[:3] == ["url", ("token", None), "*"]  # None: the default of mockservers.credentials
    assert ("fail_max", None) in arguments and ("reset_timeout", None) in arguments
    assert lib.get_keyword_types("create_plex_client")["reset_timeout"] == timedelta | None


def test_stale_result_checks_say_why_it_was_stale():
    from companion.results import mark

    from MediaClients.results import ResultKeywords

    stale = mark([{"title": "Movies"}], stale=True, reason="plex get_libraries: connection refused")
    keywords = ResultKeywords()
    keywords.result_should_be_stale(stale, because="connection refused")
    with pytest.raises(AssertionError) as err:
        keywords.result_should_be_fresh(stale)
    assert str(err.value) == ("Result should be fresh (from the service), but it was served from the cache because "
                              "plex get_libraries: connection refused (1 item(s)).")
    with pytest.raises(AssertionError, match=r"not because of 'read timeout': it was served from the cache because"):
        keywords.result_should_be_stale(stale, because="read timeout")


def test_the_outbox_files_directory_goes_when_the_library_scope_ends(lib):
    url = lib.create_outbox_database("sqlite")
    directory = lib._context.outbox.directory
    assert url.startswith(f"sqlite:///{directory}") and os.path.isdir(directory)
    lib.close()
    assert not os.path.exists(directory) and lib._context.outbox.directory is None
