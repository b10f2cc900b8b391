"""What every keyword library shares: one test-settings source, default credentials from
``mockservers.credentials``, a library-level ``timeout``, ``Secret`` credentials, names that say whether they wait."""

from __future__ import annotations

import typing
from datetime import timedelta

import pytest
from robot.api.types import Secret

from MediaClients import MediaClients
from MockServices import MockServices
from ServiceHealth import ServiceHealth
from atest_support.credentials import credential, default_credentials
from atest_support.library import LibraryContext
from atest_support.settings import TestSettings
from mockservers.credentials import DEFAULT_CREDENTIALS

LIBRARIES = (MockServices, MediaClients, ServiceHealth)
#: keyword arguments that carry a credential
CREDENTIAL_ARGUMENTS = {"token", "api_key", "password", "plex_token", "authorization"}
#: checks whose ``timeout`` bounds one call (a login), not a poll
ONE_CALL_TIMEOUTS = {"uptime_kuma_login_should_be_rejected"}


def _keywords(library_class):
    library = library_class()
    try:
        return {name: library.get_keyword_types(name) for name in library.get_keyword_names()}, library
    finally:
        library.close()


def test_default_credentials_come_from_mockservers():
    assert default_credentials() is DEFAULT_CREDENTIALS
    assert credential(None, "plex_token") == DEFAULT_CREDENTIALS.plex_token
    assert credential(Secret("s3cret"), "plex_token") == "s3cret"
    assert credential("plain", "uptime_kuma_password") == "plain"


def test_default_credentials_are_read_when_used_not_at_import(monkeypatch):
    from mockservers import credentials

    monkeypatch.setattr(credentials, "DEFAULT_CREDENTIALS", credentials.Credentials(plex_token="swapped"))
    assert credential(None, "plex_token") == "swapped"


def test_one_settings_source_builds_the_companion_settings():
    settings = TestSettings().as_client_settings()
    assert type(settings).__name__ == "ClientSettings" and type(settings).__module__ == "companion.settings"


def test_library_timeout_is_the_default_of_every_wait():
    context = LibraryContext(timedelta(seconds=2))
    assert context.timeout_or_default(None) == timedelta(seconds=2)
    assert context.timeout_or_default(timedelta(milliseconds=1)) == timedelta(milliseconds=1)


@pytest.mark.parametrize("library_class", LIBRARIES)
def test_every_library_takes_a_timeout_import_argument(library_class):
    library = library_class(timeout=timedelta(milliseconds=250))
    try:
        assert library._context.timeout == timedelta(milliseconds=250)
    finally:
        library.close()


def test_mock_wait_uses_the_library_timeout(robot_vars):
    library = MockServices(timeout=timedelta(milliseconds=200))
    try:
        library.start_mock_service("plex")
        with pytest.raises(AssertionError, match=r"did not become at least 1 in 200 ms"):
            library.wait_until_mock_has_received("plex", "GET", "/identity")
    finally:
        library.close()


@pytest.mark.parametrize("library_class", LIBRARIES)
def test_no_keyword_hard_codes_a_timeout(library_class):
    keywords, library = _keywords(library_class)
    for name in keywords:
        for argument in library.get_keyword_arguments(name):
            if isinstance(argument, tuple) and argument[0] == "timeout":
                assert argument[1] is None, f"{name}: timeout defaults to {argument[1]!r}, not the library's"


@pytest.mark.parametrize("library_class", LIBRARIES)
def test_every_credential_argument_accepts_a_secret(library_class):
    keywords, _ = _keywords(library_class)
    checked = 0
    for name, types in keywords.items():
        for argument, hint in types.items():
            if argument in CREDENTIAL_ARGUMENTS:
                checked += 1
                assert Secret in typing.get_args(hint) or hint is Secret, f"{name}({argument}) takes {hint}"
    assert checked, "no credential argument found: the check would prove nothing"


@pytest.mark.parametrize("library_class", LIBRARIES)
def test_checks_that_wait_say_so_in_their_name(library_class):
    keywords, library = _keywords(library_class)
    for name in keywords:
        arguments = [a[0] if isinstance(a, tuple) else a for a in library.get_keyword_arguments(name)]
        is_check = "should" in name or name.startswith("wait_until")
        if is_check and "timeout" in arguments and name not in ONE_CALL_TIMEOUTS:
            assert name.startswith("wait_until"), f"{name} waits (it takes a timeout) but is not 'Wait Until ...'"


def test_no_resource_or_suite_writes_a_default_credential_down():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    values = (DEFAULT_CREDENTIALS.plex_token, DEFAULT_CREDENTIALS.overseerr_api_key,
              f"password={DEFAULT_CREDENTIALS.uptime_kuma_password}")
    files = [*root.glob("resources/*.resource"), *root.glob("robot/*.robot")]
    assert files
    found = [f"{path.name}: {value}" for path in files for value in values
             if value in path.read_text(encoding="utf-8")]
    assert not found
