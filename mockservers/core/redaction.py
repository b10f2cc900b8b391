"""Redaction: secrets never reach the journal, by their value and by their name.

A :class:`Redactor` knows the mock's current secret values (a callable, so a
Plex token changed through the admin API or a JWT minted a moment ago counts)
and a list of secret-looking names. It is the one place secrets are hidden:
the journal, and every answer of a mock that echoes what a caller gave it (the
Overseerr mock's webhook deliveries), go through it. :meth:`Redactor.text` replaces

1. every secret value wherever it appears, in any case (``MOCK-TOKEN``),
   JSON-escaped and URL-encoded, and base64-encoded: the whole base64 run that
   holds it is replaced, whatever comes before or after it in the encoded text
   (``Basic base64(user:secret)``), in the standard and the URL-safe alphabet,
   of the secret as is, upper- or lower-cased;
2. the credentials of a URL (``scheme://user:secret@host``: the whole userinfo,
   since a token may be the user name);
3. the value of every JSON field whose name is secret-looking, also inside a
   JSON string (escaped quotes), string or not;
4. the value of every ``name=value`` pair (form bodies, query strings) whose
   name is secret-looking.

Names compare case-insensitively, ignoring surrounding blanks, ``-`` and
``_`` (``X-Plex-Token ``, ``plexToken`` and ``x_plex_token`` are one name).
Values shorter than :data:`MIN_SECRET_LENGTH` are redacted by name only (a
one-letter "secret" would blank out every word containing that letter). A
base64 form is recognised by the part of it that the secret alone decides, at
least :data:`MIN_BASE64_CORE` characters: a secret of 3 characters is found
in base64 only where it starts on a 3-byte boundary of the encoded text.
"""

from __future__ import annotations

import base64
import json
import re
from functools import lru_cache
from typing import Callable, Iterable
from urllib.parse import quote, quote_plus, unquote_plus

__all__ = ["REDACTED", "SECRET_NAMES", "MIN_SECRET_LENGTH", "MIN_BASE64_CORE", "Redactor", "normalize_name"]

REDACTED = "*****"
#: names whose values are secret wherever they appear (headers, query, form and JSON fields)
SECRET_NAMES = ("authorization", "proxy-authorization", "x-plex-token", "plex-token", "x-api-key", "api-key",
                "key", "x-auth-token", "auth-token", "access-token", "refresh-token", "token", "jwt", "cookie",
                "set-cookie", "password", "pass", "passwd", "pwd", "secret", "client-secret")
#: shorter secret values are only redacted by name
MIN_SECRET_LENGTH = 3
#: the fewest base64 characters that identify a secret's base64 form (4 encode 3 bytes)
MIN_BASE64_CORE = 4

_NAME = r"[^\"\\\r\n]{1,64}"
# "name": "value" | number | literal  (plain JSON)
_JSON_FIELD = re.compile(rf'"(?P<name>{_NAME})"(?P<sep>\s*:\s*)(?P<value>"(?:[^"\\]|\\.)*"|[^,}}\]\s]+)')
# \"name\": \"value\" (JSON inside a JSON string)
_ESCAPED_FIELD = re.compile(rf'\\"(?P<name>{_NAME})\\"(?P<sep>\s*:\s*)(?P<value>\\".*?\\"|[^,}}\]\s\\]+)')
# name=value in form bodies and query strings
_FORM_FIELD = re.compile(r"(?:(?<=^)|(?<=[&;?\s]))(?P<name>[^=&;?\s]{1,64})(?P<sep>=)(?P<value>[^&;\s]*)")
# scheme://userinfo@ (the userinfo has no '/', '?', '#', '@' or blank)
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]{0,31}://)(?P<userinfo>[^/?#@\s\"'<>]{1,512})@")
#: the characters of a base64 run (both alphabets); a run ends at anything else
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")


def _base64_cores(secret: bytes) -> set[str]:
    """The base64 characters that ``secret`` alone decides, at each of the 3 byte alignments, in both alphabets.

    Character ``j`` of an encoding covers bits ``6j .. 6j+6``; with ``k`` bytes
    before the secret it is the secret's alone when those bits lie within
    ``8k .. 8k + 8 len(secret)``.
    """
    cores: set[str] = set()
    for k in range(3):
        encoded = base64.b64encode(b"\0" * k + secret).decode("ascii")
        first, end = -(-8 * k // 6), (8 * k + 8 * len(secret)) // 6
        core = encoded[first:end]
        if len(core) >= MIN_BASE64_CORE:
            cores.update((core, core.translate(str.maketrans("+/", "-_"))))
    return cores


class _ValueForms:
    """Every form of some secret values: a quick test (``in``, lower-cased) and the pattern that finds them."""

    __slots__ = ("lowered", "cores", "pattern")

    def __init__(self, plain: set[str], cores: set[str]) -> None:
        self.lowered = tuple({p.lower() for p in plain})
        self.cores = tuple(cores)
        alternatives = [f"(?P<plain>(?i:{'|'.join(map(re.escape, sorted(plain, key=len, reverse=True)))}))"]
        if cores:
            alternatives.append(f"(?P<b64>{'|'.join(map(re.escape, sorted(cores, key=len, reverse=True)))})")
        self.pattern = re.compile("|".join(alternatives))

    def may_occur_in(self, text: str) -> bool:
        """False when no form occurs in ``text`` (the common case, decided without the pattern)."""
        if any(core in text for core in self.cores):
            return True
        lowered = text.lower()
        return any(form in lowered for form in self.lowered)


@lru_cache(maxsize=64)
def _value_forms(values: tuple[str, ...]) -> _ValueForms | None:
    """The forms of ``values``: group ``plain`` of the pattern (any case) or group ``b64`` (a base64 core)."""
    plain: set[str] = set()
    cores: set[str] = set()
    for value in values:
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
            continue
        plain.update((value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
                      quote(value, safe=""), quote_plus(value)))
        for form in {value, value.upper(), value.lower()}:
            cores |= _base64_cores(form.encode("utf-8", "surrogatepass"))
    plain = {p for p in plain if len(p) >= MIN_SECRET_LENGTH}
    return _ValueForms(plain, cores) if plain else None


def _base64_run(text: str, start: int, end: int, floor: int) -> tuple[int, int]:
    """The whole base64 run around ``text[start:end]`` (not before ``floor``), with its ``=`` padding."""
    while start > floor and text[start - 1] in _BASE64_CHARS:
        start -= 1
    while end < len(text) and text[end] in _BASE64_CHARS:
        end += 1
    while end < len(text) and text[end] == "=":
        end += 1
    return start, end


def normalize_name(name: str) -> str:
    """``" X-Plex_Token "`` -> ``"xplextoken"``: the form names are compared in."""
    return re.sub(r"[\s_\-]", "", name).lower()


class Redactor:
    """Replaces a mock's secrets in journal text (see the module doc). Thread-safe (no state changes)."""

    def __init__(self, names: Iterable[str] = SECRET_NAMES,
                 values: Callable[[], Iterable[str]] | None = None) -> None:
        self._names = frozenset(normalize_name(n) for n in (*SECRET_NAMES, *names))
        self._values = values or (lambda: ())

    def is_secret_name(self, name: str) -> bool:
        """True when ``name`` (any case, blanks, ``-``/``_``) is one of the secret names."""
        return normalize_name(unquote_plus(name)) in self._names

    def current_values(self) -> tuple[str, ...]:
        """The secret values in use now (kept with a journal entry recorded now)."""
        return tuple(self._values())

    def with_values(self, earlier: Iterable[str]) -> "Redactor":
        """A redactor for the same names that also replaces ``earlier`` secret values (besides the current ones)."""
        other = Redactor.__new__(Redactor)
        other._names = self._names
        current = self._values
        other._values = lambda: (*earlier, *current())
        return other

    def by_value(self, text: str) -> str:
        """``text`` with every configured secret value replaced, in every form of the module doc (1.)."""
        forms = _value_forms(tuple(self._values())) if text else None
        if forms is None or not forms.may_occur_in(text):
            return text
        parts: list[str] = []
        done = 0
        for match in forms.pattern.finditer(text):
            start, end = match.span()
            if start < done:
                continue  # inside a base64 run already replaced
            if match["b64"] is not None:
                start, end = _base64_run(text, start, end, done)
            parts += (text[done:start], REDACTED)
            done = end
        return "".join(parts) + text[done:] if parts else text

    @staticmethod
    def url_credentials(text: str) -> str:
        """``text`` with the userinfo of every URL in it (``scheme://user:secret@``) replaced."""
        return _URL_USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text) if "@" in text else text

    def text(self, text: str) -> str:
        """``text`` with secrets replaced by value, in URLs' userinfo, then by field name (JSON, escaped JSON, form)."""
        if not text:
            return text
        text = self.url_credentials(self.by_value(text))

        def field(match: re.Match) -> str:
            if not self.is_secret_name(match["name"]):
                return match[0]
            value = match["value"]
            if value.startswith('\\"'):
                replacement = f'\\"{REDACTED}\\"'
            elif value.startswith('"'):
                replacement = f'"{REDACTED}"'
            else:
                replacement = REDACTED
            return match[0][: match.start("value") - match.start()] + replacement

        text = _JSON_FIELD.sub(field, text)
        text = _ESCAPED_FIELD.sub(field, text)
        return _FORM_FIELD.sub(field, text)

    def mapping(self, mapping: dict[str, str]) -> dict[str, str]:
        """Headers or query parameters: secret names get :data:`REDACTED`, other values are redacted by value."""
        out: dict[str, str] = {}
        for key, value in mapping.items():
            clean_key = self.by_value(key)
            out[clean_key] = REDACTED if self.is_secret_name(key) else self.text(value)
        return out
