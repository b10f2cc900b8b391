"""``AppSettings``: everything the companion app needs to run, from flags and ``COMPANION_*`` variables.

One frozen object, built once at the edge (:func:`settings_from`) and checked
there: service URLs and credentials, the dashboard's JWT signing secret and the
webhook secret, the bind address, the number of worker processes, where the
shared state and the durable outbox live, and every
:class:`~companion.settings.ClientSettings` knob. A flag wins over its
environment variable, which wins over the production default.

Every option is described once, in :data:`OPTIONS`; the command line
(``python -m companion --help``), the environment variables, the checks and the
README table all come from it.

Secrets (tokens, API keys, passwords, signing secrets) are held as
:class:`SecretText`: ``str()``/``repr()`` show ``*****``, so no repr, log line,
error message or ``--help`` text carries their value; the code that sends one
calls ``reveal()``. A bad secret is reported by its length, never by its value.
"""

from __future__ import annotations

import argparse
import math
import secrets
import unicodedata
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import urlsplit

from .settings import MAX_COUNT, MAX_SECONDS, ClientSettings

__all__ = ["AppSettings", "SecretText", "SettingsError", "Option", "OPTIONS", "ENV_PREFIX", "build_parser",
           "settings_from", "DEFAULT_PORT", "MIN_JWT_SECRET_LENGTH", "MAX_WORKERS"]

ENV_PREFIX = "COMPANION_"
DEFAULT_PORT = 8080
#: HS256 wants a key at least as long as its hash (RFC 7518, 3.2): 32 bytes
MIN_JWT_SECRET_LENGTH = 32
MAX_WORKERS = 64
#: the longest text any option takes (URLs, secrets, paths)
MAX_TEXT = 2048
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names the flag / variable, what is allowed and what was given
    (a secret only by its length)."""


class SecretText:
    """A secret string that never shows itself: ``str()`` and ``repr()`` are ``*****``; ``reveal()`` is the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"SecretText takes a string, got {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The secret itself: only for the place that sends or checks it."""
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretText) and secrets.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((SecretText, len(self._value)))

    def __repr__(self) -> str:
        return "SecretText('*****')"

    def __str__(self) -> str:
        return "*****"

    def __reduce__(self) -> tuple[Any, ...]:  # picklable (the server hands settings to its worker processes)
        return (SecretText, (self._value,))


def reveal(value: SecretText | None) -> str | None:
    """The plain text of a secret setting, or None when it is not set."""
    return None if value is None else value.reveal()


# -- the options ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Option:
    """One setting as the outside world gives it: its flag, its environment variable, how to read and check it."""

    name: str                       #: the AppSettings field (``client.<name>`` for a ClientSettings knob)
    help: str
    kind: str = "text"              #: text | url | secret | int | float | bool | choice
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    group: str = "companion"

    @property
    def field_name(self) -> str:
        return self.name.removeprefix("client.")

    @property
    def flag(self) -> str:
        return "--" + self.field_name.replace("_", "-")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.field_name.upper()

    @property
    def secret(self) -> bool:
        return self.kind == "secret"


def _client_options() -> list[Option]:
    """One option per ClientSettings knob, with its production default in the help."""
    defaults = ClientSettings()
    options = []
    for f in fields(ClientSettings):
        default = getattr(defaults, f.name)
        if f.name == "retry_seed":
            options.append(Option(f"client.{f.name}", "seed of every retry / reconnect jitter (default: random)",
                                  "int", minimum=-(2 ** 63), maximum=2 ** 63 - 1, group="clients"))
        elif isinstance(default, int):
            options.append(Option(f"client.{f.name}", f"default {default}", "int", minimum=1, maximum=MAX_COUNT,
                                  group="clients"))
        else:
            options.append(Option(f"client.{f.name}", f"seconds, default {default:g}", "float", minimum=0,
                                  maximum=MAX_SECONDS, group="clients"))
    return options


#: every setting, in --help order
OPTIONS: tuple[Option, ...] = (
    Option("host", "address to bind (default 127.0.0.1; 0.0.0.0 = every interface)", group="server"),
    Option("port", f"port to bind (default {DEFAULT_PORT}; 0 = a free port, printed when ready)", "int",
           minimum=0, maximum=65535, group="server"),
    Option("workers", f"worker processes serving the one port (default 1, at most {MAX_WORKERS})", "int",
           minimum=1, maximum=MAX_WORKERS, group="server"),
    Option("log_level", "log level of the server (default warning)", "choice", choices=LOG_LEVELS, group="server"),
    Option("access_log", "log one line per request (default off)", "bool", group="server"),
    Option("plex_url", "Plex server URL, e.g. http://plex.local:32400 (unset = Plex not reported)", "url",
           group="services"),
    Option("plex_token", "X-Plex-Token (required with --plex-url)", "secret", group="services"),
    Option("overseerr_url", "Overseerr URL, e.g. http://overseerr.local:5055 (unset = not reported)", "url",
           group="services"),
    Option("overseerr_api_key", "Overseerr X-Api-Key (required with --overseerr-url)", "secret", group="services"),
    Option("plextv_url", "plex.tv, for signing in with Plex, e.g. https://plex.tv (unset = no sign-in, plex.tv not "
                         "reported)", "url", group="services"),
    Option("plex_client_identifier", "this app's X-Plex-Client-Identifier at plex.tv, the same in every worker "
                                     "(default companion-<instance>)", group="services"),
    Option("uptime_kuma_url", "Uptime Kuma URL (unset = every service is polled)", "url", group="services"),
    Option("uptime_kuma_username", "Uptime Kuma login user (required with --uptime-kuma-url)", group="services"),
    Option("uptime_kuma_password", "Uptime Kuma login password (required with --uptime-kuma-url)", "secret",
           group="services"),
    Option("slow_threshold_ms", "a service answering slower is reported degraded (default 1000)", "float",
           minimum=1, maximum=MAX_SECONDS * 1000, group="services"),
    Option("jwt_secret", f"HS256 secret the dashboard's bearer tokens are signed with (required, at least "
                         f"{MIN_JWT_SECRET_LENGTH} characters)", "secret", group="security"),
    Option("webhook_secret", "Authorization value Overseerr's webhooks must carry (unset = webhooks are accepted "
                             "without one)", "secret", group="security"),
    Option("admin_username", "the health page's admin account: user name (unset = nobody can sign in)",
           group="security"),
    Option("admin_password", "the health page's admin account: password (required with --admin-username; "
                             "kept only as a salted hash)", "secret", group="security"),
    Option("secure_cookie", "send the health page's session cookie over HTTPS only (set behind a TLS proxy; "
                            "default off)", "bool", group="security"),
    Option("check_interval_s", "while a health page is open, check the services this often (seconds, default 15)",
           "float", minimum=1, maximum=MAX_SECONDS, group="services"),
    Option("state_url", "where breaker state, cached answers and webhooks are shared between workers "
                        "(default memory://: each worker its own)", group="stores"),
    Option("database_url", "the durable outbox's database: sqlite:///path (default sqlite:///companion.sqlite3) "
                           "or postgresql://user:password@host:port/db", group="stores"),
    Option("outbox_lease_s", "seconds a worker holds an outbox row it delivers; a crashed worker's row is taken "
                             "again, checked against Overseerr first, after this (default 300)", "float",
           minimum=1, maximum=MAX_SECONDS, group="stores"),
    Option("clock_file", "TESTS ONLY: a file holding how far the tests moved the clock (never set in production)",
           group="tests"),
    *_client_options(),
)

_GROUP_TITLES = {"server": "server", "services": "services", "security": "security", "stores": "stores",
                 "clients": "client resilience (ClientSettings)", "tests": "tests"}


@dataclass(frozen=True)
class AppSettings:
    """What the companion app runs with; the defaults are production's. Build it with :func:`settings_from`
    (flags and environment) or directly (tests); either way every value is checked here."""

    jwt_secret: SecretText
    plex_url: str | None = None
    plex_token: SecretText | None = None
    overseerr_url: str | None = None
    overseerr_api_key: SecretText | None = None
    plextv_url: str | None = None
    plex_client_identifier: str | None = None
    uptime_kuma_url: str | None = None
    uptime_kuma_username: str | None = None
    uptime_kuma_password: SecretText | None = None
    slow_threshold_ms: float = 1000.0
    webhook_secret: SecretText | None = None
    admin_username: str | None = None
    admin_password: SecretText | None = None
    secure_cookie: bool = False
    check_interval_s: float = 15.0
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 1
    log_level: str = "warning"
    access_log: bool = False
    state_url: str = "memory://"
    database_url: str = "sqlite:///companion.sqlite3"
    outbox_lease_s: float = 300.0
    clock_file: str | None = None
    client: ClientSettings = field(default_factory=ClientSettings)
    #: new at every start of the app, the same in all its workers: its health route shows it (not a secret)
    instance: str = field(default_factory=lambda: secrets.token_hex(8))

    def __post_init__(self) -> None:
        for option in OPTIONS:
            if option.name.startswith("client."):
                continue
            _check(option, getattr(self, option.name), option.name)
        if not isinstance(self.client, ClientSettings):
            raise SettingsError(f"client must be a ClientSettings, got {type(self.client).__name__}")
        _check_pairs(self)

    @property
    def url(self) -> str:
        """The base URL this app is reached at (the bound port once known: see :meth:`with_port`)."""
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def with_port(self, port: int) -> "AppSettings":
        """The same settings with the port actually bound (port 0 asked for a free one)."""
        return replace(self, port=port)

    def describe(self) -> str:
        """One line for the log: what is configured, secrets only as set / unset."""
        parts = [f"{self.workers} worker{'s' if self.workers != 1 else ''}"]
        for name in ("plex_url", "plextv_url", "overseerr_url", "uptime_kuma_url"):
            value = getattr(self, name)
            parts.append(f"{name.removesuffix('_url')} {value or 'off'}")
        parts.append(f"state {self.state_url}")
        if self.clock_file:
            parts.append("test clock file")
        return ", ".join(parts)


def _check_pairs(settings: AppSettings) -> None:
    """A service URL needs its credentials (and credentials without their URL are a mistake too)."""
    pairs = {"plex_url": ("plex_token",), "overseerr_url": ("overseerr_api_key",),
             "uptime_kuma_url": ("uptime_kuma_username", "uptime_kuma_password"),
             "admin_username": ("admin_password",)}
    by_name = {o.name: o for o in OPTIONS}
    for url_name, credential_names in pairs.items():
        url_option = by_name[url_name]
        for name in credential_names:
            option = by_name[name]
            given = getattr(settings, name) is not None
            if getattr(settings, url_name) and not given:
                raise SettingsError(f"{option.flag} / {option.env} is required with {url_option.flag}")
            if given and not getattr(settings, url_name):
                raise SettingsError(f"{option.flag} / {option.env} is set but {url_option.flag} / "
                                    f"{url_option.env} is not: set both or neither")


# -- checking one value ----------------------------------------------------------------------------------------
def _shown(option: Option, value: Any) -> str:
    """How a rejected value is quoted: a secret only by its length."""
    if option.secret:
        text = value.reveal() if isinstance(value, SecretText) else str(value)
        return f"a secret of {len(text)} characters"
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + f"... ({len(str(value))} characters)"


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,g}"


def _where(option: Option) -> str:
    return f"{option.flag} / {option.env}"


def _text_problem(text: str) -> str | None:
    if len(text) > MAX_TEXT:
        return f"at most {MAX_TEXT} characters"
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        return "text without control characters"
    return None


def _check(option: Option, value: Any, label: str) -> None:
    def fail(allowed: str) -> None:
        raise SettingsError(f"{_where(option)} must be {allowed}, got {_shown(option, value)}")

    if value is None:
        if option.name == "jwt_secret":
            raise SettingsError(f"{_where(option)} is required: the secret the dashboard's bearer tokens are "
                                f"signed with (at least {MIN_JWT_SECRET_LENGTH} characters)")
        if option.kind in ("url", "secret") or option.name in ("uptime_kuma_username", "admin_username",
                                                                "clock_file", "plex_client_identifier"):
            return
        fail("set")
    if option.kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                option.kind == "int" and not isinstance(value, int)):
            fail("a whole number" if option.kind == "int" else "a number")
        if not math.isfinite(value) or not option.minimum <= value <= option.maximum:
            fail(f"from {_number(option.minimum)} to {_number(option.maximum)}")
        return
    if option.kind == "bool":
        if not isinstance(value, bool):
            fail("true or false")
        return
    if option.secret:
        if not isinstance(value, SecretText):
            fail("a SecretText")
        text = value.reveal()
    elif not isinstance(value, str):
        fail("text")
        return
    else:
        text = value
    problem = _text_problem(text)
    if problem:
        fail(problem)
    if option.kind == "choice" and text not in option.choices:
        fail(f"one of {', '.join(option.choices)}")
    if option.secret and not text:
        fail("non-empty")
    if option.name == "jwt_secret" and len(text) < MIN_JWT_SECRET_LENGTH:
        fail(f"at least {MIN_JWT_SECRET_LENGTH} characters")
    if option.kind == "url":
        _check_url(option, text, fail)
    if option.name in ("host", "uptime_kuma_username", "admin_username", "clock_file",
                       "plex_client_identifier") and not text.strip():
        fail("non-empty")
    if option.name == "state_url" and "://" not in text:
        fail("a URL such as memory:// or redis://host:6379/0")
    if option.name == "database_url" and not text.startswith(("sqlite:///", "postgresql://", "postgres://")):
        from .outbox.store import redact_url  # a database URL may hold a password: never shown

        raise SettingsError(f"{_where(option)} must be a sqlite:///path or postgresql://user:password@host:port/db "
                            f"URL, got {redact_url(text)[:80]!r}")


def _check_url(option: Option, text: str, fail: Callable[[str], None]) -> None:
    allowed = "an http:// or https:// URL with a host and without credentials"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        fail(allowed)
        return
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        fail(allowed)
    if parts.query or parts.fragment:
        fail(f"{allowed}, query or fragment")


# -- flags and environment -------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m companion``: one flag per option, every default None (= not given)."""
    parser = argparse.ArgumentParser(
        prog="python -m companion",
        description="Serve the companion app (service-health page, dashboard API and Overseerr webhook receiver) "
                    "with N worker processes on one port, until SIGINT/SIGTERM.",
        epilog=f"Every flag can be given as an environment variable instead: {ENV_PREFIX} + the flag's name in "
               f"capitals with underscores (--plex-url -> {ENV_PREFIX}PLEX_URL); a flag wins over its variable. "
               "Secrets are best given as variables (flags show in the process list); no value is ever printed.")
    groups: dict[str, Any] = {}
    for option in OPTIONS:
        group = groups.get(option.group)
        if group is None:
            group = groups[option.group] = parser.add_argument_group(_GROUP_TITLES[option.group])
        help_text = f"{option.help} [{option.env}]"
        if option.kind == "bool":
            group.add_argument(option.flag, dest=option.field_name, action=argparse.BooleanOptionalAction,
                               default=None, help=help_text)
        else:
            metavar = {"url": "URL", "secret": "SECRET", "int": "N", "float": "X", "choice": "LEVEL"}.get(
                option.kind, "TEXT")
            group.add_argument(option.flag, dest=option.field_name, default=None, metavar=metavar, help=help_text)
    return parser


def _convert(option: Option, text: str, source: str) -> Any:
    """The text of a flag / variable as the option's type; SettingsError naming ``source`` otherwise."""
    def fail(allowed: str) -> SettingsError:
        shown = f"a secret of {len(text)} characters" if option.secret else repr(text[:80])
        return SettingsError(f"{source} must be {allowed}, got {shown}")

    if option.kind == "int":
        stripped = text.strip()
        body = stripped[1:] if stripped[:1] in "+-" else stripped
        if not (body.isascii() and body.isdigit()) or len(body) > 19:
            raise fail("a whole number")
        return int(stripped)
    if option.kind == "float":
        try:
            number = float(text)
        except ValueError:
            raise fail("a number") from None
        if not math.isfinite(number):
            raise fail("a finite number")
        return number
    if option.kind == "bool":
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise fail("true or false (1/0, yes/no, on/off)")
    if option.secret:
        return SecretText(text)
    if option.kind == "choice":
        return text.strip().lower()
    return text


def settings_from(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None,
                  **overrides: Any) -> AppSettings:
    """The settings the flags ``argv`` and the ``COMPANION_*`` variables of ``environ`` describe.

    A flag wins over its variable; an empty variable counts as unset. ``overrides``
    (field names; ``client`` a ClientSettings) win over both (for tests). Raises
    :class:`SettingsError` saying which flag / variable is wrong; ``argv`` errors
    (an unknown flag) exit through argparse as usual (status 2).
    """
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    environ = environ if environ is not None else {}
    values: dict[str, Any] = {}
    client: dict[str, Any] = {}
    for option in OPTIONS:
        given = getattr(args, option.field_name)
        if given is not None and option.kind == "bool":
            value = given
        elif given is not None:
            value = _convert(option, given, option.flag)
        elif environ.get(option.env):
            value = _convert(option, environ[option.env], f"environment variable {option.env}")
        else:
            continue
        if option.name.startswith("client."):
            _check(option, value, option.name)
            client[option.field_name] = value
        else:
            values[option.field_name] = value
    unknown = sorted(name for name in environ if name.startswith(ENV_PREFIX)
                     and name not in {o.env for o in OPTIONS})
    if unknown:
        raise SettingsError(f"unknown environment variable(s) {', '.join(unknown)}: the companion reads "
                            f"{ENV_PREFIX}<FLAG NAME>, see python -m companion --help")
    if client:
        try:
            values["client"] = ClientSettings(**client)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"client settings: {exc}") from None
    values.update(overrides)
    if "jwt_secret" not in values:
        option = next(o for o in OPTIONS if o.name == "jwt_secret")
        raise SettingsError(f"{_where(option)} is required: the secret the dashboard's bearer tokens are signed "
                            f"with (at least {MIN_JWT_SECRET_LENGTH} characters)")
    return AppSettings(**values)
