"""AppSettings: flags and COMPANION_* variables, production defaults, checks at the edge, secrets never shown."""

from __future__ import annotations

import pickle

import pytest

from companion import ClientSettings
from companion.app_settings import (DEFAULT_PORT, OPTIONS, AppSettings, SecretText, SettingsError, build_parser,
                                    settings_from)

JWT = "j" * 40
ENV = {"COMPANION_JWT_SECRET": JWT}


def test_defaults_are_production_ones():
    settings = settings_from([], ENV)
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", DEFAULT_PORT, 1)
    assert settings.state_url == "memory://" and settings.database_url == "sqlite:///companion.sqlite3"
    assert settings.client == ClientSettings() and settings.clock_file is None
    assert settings.plex_url is None and settings.webhook_secret is None
    assert settings.jwt_secret.reveal() == JWT and settings.log_level == "warning" and settings.access_log is False


def test_a_flag_wins_over_its_variable_and_a_variable_over_the_default():
    env = {**ENV, "COMPANION_WORKERS": "3", "COMPANION_PORT": "9000", "COMPANION_FAIL_MAX": "7"}
    settings = settings_from(["--workers", "2", "--reset-timeout-s", "45"], env)
    assert settings.workers == 2 and settings.port == 9000
    assert settings.client.fail_max == 7 and settings.client.reset_timeout_s == 45.0


def test_an_empty_variable_counts_as_unset():
    assert settings_from([], {**ENV, "COMPANION_PORT": ""}).port == DEFAULT_PORT


def test_services_with_their_credentials():
    env = {**ENV, "COMPANION_PLEX_TOKEN": "plex-secret", "COMPANION_OVERSEERR_API_KEY": "key-secret",
           "COMPANION_UPTIME_KUMA_PASSWORD": "pw-secret"}
    settings = settings_from(["--plex-url", "http://plex:32500", "--overseerr-url", "https://o.example/",
                              "--uptime-kuma-url", "http://kuma:3101", "--uptime-kuma-username", "admin"], env)
    assert settings.plex_token.reveal() == "plex-secret" and settings.overseerr_api_key.reveal() == "key-secret"
    assert settings.uptime_kuma_password.reveal() == "pw-secret" and settings.uptime_kuma_username == "admin"


@pytest.mark.parametrize("flag, value, message", [
    ("--port", "x", "--port must be a whole number, got 'x'"),
    ("--port", "65536", "--port / COMPANION_PORT must be from 0 to 65,535, got 65536"),
    ("--port", "²", "--port must be a whole number"),
    ("--workers", "0", "--workers / COMPANION_WORKERS must be from 1 to 64, got 0"),
    ("--workers", "1.5", "--workers must be a whole number"),
    ("--slow-threshold-ms", "nan", "--slow-threshold-ms must be a finite number"),
    ("--slow-threshold-ms", "abc", "--slow-threshold-ms must be a number"),
    ("--fail-max", "0", "--fail-max / COMPANION_FAIL_MAX must be from 1 to 1,000,000, got 0"),
    ("--read-timeout-s", "-1", "--read-timeout-s / COMPANION_READ_TIMEOUT_S must be from 0 to 86,400, got -1.0"),
    ("--log-level", "loud", "--log-level / COMPANION_LOG_LEVEL must be one of critical, error, warning"),
    ("--plex-url", "ftp://plex", "--plex-url / COMPANION_PLEX_URL must be an http:// or https:// URL"),
    ("--plex-url", "http://user:pw@plex", "without credentials"),
    ("--plex-url", "http://plex:99999", "an http:// or https:// URL"),
    ("--plex-url", "http://plex/?token=1", "query or fragment"),
    ("--host", "bad\nhost", "--host / COMPANION_HOST must be text without control characters"),
    ("--host", " ", "--host / COMPANION_HOST must be non-empty"),
    ("--state-url", "redis-host", "--state-url / COMPANION_STATE_URL must be a URL such as memory://"),
    ("--database-url", "x" * 3000, "must be at most 2048 characters"),
    ("--database-url", "companion.db", "must be a sqlite:///path or postgresql://user:password@host:port/db URL"),
])
def test_a_bad_flag_is_refused_naming_it_the_allowed_values_and_the_value(flag, value, message):
    with pytest.raises(SettingsError) as caught:
        settings_from([flag, value], ENV)
    assert message in str(caught.value)


def test_a_bad_variable_is_refused_naming_the_variable():
    with pytest.raises(SettingsError, match="environment variable COMPANION_WORKERS must be a whole number"):
        settings_from([], {**ENV, "COMPANION_WORKERS": "many"})
    with pytest.raises(SettingsError, match="COMPANION_ACCESS_LOG must be true or false"):
        settings_from([], {**ENV, "COMPANION_ACCESS_LOG": "perhaps"})


@pytest.mark.parametrize("text, expected", [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False)])
def test_switches_read_the_usual_words(text, expected):
    assert settings_from([], {**ENV, "COMPANION_ACCESS_LOG": text}).access_log is expected


def test_a_switch_flag_wins_over_its_variable():
    assert settings_from(["--no-access-log"], {**ENV, "COMPANION_ACCESS_LOG": "yes"}).access_log is False


def test_an_unknown_companion_variable_is_a_mistake():
    with pytest.raises(SettingsError, match="unknown environment variable.*COMPANION_PLEX_TOKNE"):
        settings_from([], {**ENV, "COMPANION_PLEX_TOKNE": "x"})


def test_client_settings_that_disagree_are_refused():
    with pytest.raises(SettingsError, match="client settings: .*retry_max_backoff_s must be >= "):
        settings_from(["--retry-initial-backoff-s", "5", "--retry-max-backoff-s", "1"], ENV)


def test_a_service_url_needs_its_credentials_and_credentials_need_their_url():
    with pytest.raises(SettingsError, match="--plex-token / COMPANION_PLEX_TOKEN is required with --plex-url"):
        settings_from(["--plex-url", "http://plex:32500"], ENV)
    with pytest.raises(SettingsError, match="COMPANION_OVERSEERR_API_KEY is set but --overseerr-url"):
        settings_from([], {**ENV, "COMPANION_OVERSEERR_API_KEY": "k"})


def test_the_jwt_secret_is_required_and_long_enough_and_never_shown():
    with pytest.raises(SettingsError, match="COMPANION_JWT_SECRET is required"):
        settings_from([], {})
    with pytest.raises(SettingsError, match="is required"):
        AppSettings(jwt_secret=None)  # type: ignore[arg-type]
    short = "short-secret-value"
    with pytest.raises(SettingsError) as caught:
        settings_from([], {"COMPANION_JWT_SECRET": short})
    assert "at least 32 characters, got a secret of 18 characters" in str(caught.value)
    assert short not in str(caught.value)


def test_a_bad_secret_is_described_by_its_length_only():
    with pytest.raises(SettingsError) as caught:
        settings_from([], {**ENV, "COMPANION_WEBHOOK_SECRET": "zq\x07xv-secret"})
    assert "a secret of 12 characters" in str(caught.value) and "zq" not in str(caught.value)


def test_no_repr_str_or_description_shows_a_secret():
    env = {"COMPANION_JWT_SECRET": JWT, "COMPANION_PLEX_TOKEN": "plex-token-value",
           "COMPANION_WEBHOOK_SECRET": "webhook-secret-value"}
    settings = settings_from(["--plex-url", "http://plex:32500"], env)
    for text in (repr(settings), str(settings), settings.describe(), repr(settings.plex_token),
                 str(settings.plex_token), f"{settings.jwt_secret}"):
        for secret in env.values():
            assert secret not in text
    assert "*****" in repr(settings)


def test_help_names_every_variable_and_shows_no_value(capsys):
    env = {**ENV, "COMPANION_PLEX_TOKEN": "plex-token-value"}
    with pytest.raises(SystemExit) as exited:
        settings_from(["--help"], env)
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for option in OPTIONS:
        assert option.flag in text and option.env in text
    assert JWT not in text and "plex-token-value" not in text


def test_an_unknown_flag_ends_with_status_2_like_every_argparse_program(capsys):
    with pytest.raises(SystemExit) as exited:
        settings_from(["--wokers", "2"], ENV)
    assert exited.value.code == 2 and "unrecognized arguments: --wokers" in capsys.readouterr().err


def test_secret_text_compares_by_value_pickles_and_refuses_non_text():
    assert SecretText("a") == SecretText("a") and SecretText("a") != SecretText("b") and SecretText("a") != "a"
    assert hash(SecretText("ab")) == hash(SecretText("cd")) and len(SecretText("abc")) == 3
    assert pickle.loads(pickle.dumps(SecretText("value"))).reveal() == "value"
    with pytest.raises(TypeError):
        SecretText(42)  # type: ignore[arg-type]


def test_settings_checked_when_built_directly():
    with pytest.raises(SettingsError, match="--workers / COMPANION_WORKERS must be a whole number"):
        AppSettings(jwt_secret=SecretText(JWT), workers=True)  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="--access-log / COMPANION_ACCESS_LOG must be true or false"):
        AppSettings(jwt_secret=SecretText(JWT), access_log="yes")  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="must be a SecretText"):
        AppSettings(jwt_secret=JWT)  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="--host / COMPANION_HOST must be text"):
        AppSettings(jwt_secret=SecretText(JWT), host=5)  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="--host / COMPANION_HOST must be set"):
        AppSettings(jwt_secret=SecretText(JWT), host=None)  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="client must be a ClientSettings"):
        AppSettings(jwt_secret=SecretText(JWT), client={})  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="--plex-token / COMPANION_PLEX_TOKEN must be non-empty"):
        AppSettings(jwt_secret=SecretText(JWT), plex_url="http://p", plex_token=SecretText(""))


def test_overrides_win_and_the_url_names_a_reachable_host():
    settings = settings_from([], ENV, host="0.0.0.0", port=0)
    assert settings.with_port(4321).url == "http://127.0.0.1:4321"
    assert settings_from([], ENV, host="::1").url == f"http://[::1]:{DEFAULT_PORT}"
    assert settings_from([], ENV).instance != settings_from([], ENV).instance  # new at every start


def test_the_parser_knows_every_option_once():
    parser = build_parser()
    flags = [action.option_strings[0] for action in parser._actions if action.option_strings][1:]
    assert len(flags) == len(set(flags)) == len(OPTIONS)


def test_the_readme_names_every_variable():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [o.env for o in OPTIONS if o.group != "clients" and o.env not in readme]
    assert not missing, f"README's table of python -m companion settings lacks {missing}"
