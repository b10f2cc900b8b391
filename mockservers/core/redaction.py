"""Redaction: secrets never reach the journal, by their value and by their name.

A :class:`Redactor` knows the mock's current secret values (a callable, so a
Plex token changed through the admin API or a JWT minted a moment ago counts)
and a list of secret-looking names. :meth:`Redactor.text` replaces

1. every secret value wherever it appears, also JSON-escaped and URL-encoded;
2. the value of every JSON field whose name is secret-looking, also inside a
   JSON string (escaped quotes), string or not;
3. the value of every ``name=value`` pair (form bodies, query strings) whose
   name is secret-looking.

Names compare case-insensitively, ignoring surrounding blanks, ``-`` and
``_`` (``X-Plex-Token ``, ``plexToken`` and ``x_plex_token`` are one name).
Values shorter than :data:`MIN_SECRET_LENGTH` are redacted by name only (a
one-letter "secret" would blank out every word containing that letter).
"""

from __future__ import annotations

import json
import re
from typing import Callable, Iterable
from urllib.parse import quote, quote_plus, unquote_plus

__all__ = ["REDACTED", "SECRET_NAMES", "MIN_SECRET_LENGTH", "Redactor", "normalize_name"]

REDACTED = "*****"
#: names whose values are secret wherever they appear (headers, query, form and JSON fields)
SECRET_NAMES = ("authorization", "proxy-authorization", "x-plex-token", "plex-token", "x-api-key", "api-key",
                "key", "x-auth-token", "auth-token", "access-token", "refresh-token", "token", "jwt", "cookie",
                "set-cookie", "password", "pass", "passwd", "pwd", "secret", "client-secret")
#: shorter secret values are only redacted by name
MIN_SECRET_LENGTH = 3

_NAME = r"[^\"\\\r\n]{1,64}"
# "name": "value" | number | literal  (plain JSON)
_JSON_FIELD = re.compile(rf'"(?P<name>{_NAME})"(?P<sep>\s*:\s*)(?P<value>"(?:[^"\\]|\\.)*"|[^,}}\]\s]+)')
# \"name\": \"value\" (JSON inside a JSON string)
_ESCAPED_FIELD = re.compile(rf'\\"(?P<name>{_NAME})\\"(?P<sep>\s*:\s*)(?P<value>\\".*?\\"|[^,}}\]\s\\]+)')
# name=value in form bodies and query strings
_FORM_FIELD = re.compile(r"(?:(?<=^)|(?<=[&;?\s]))(?P<name>[^=&;\s]{1,64})(?P<sep>=)(?P<value>[^&;\s]*)")


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

    def _variants(self) -> list[str]:
        found: set[str] = set()
        for value in self._values():
            if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
                continue
            found.update((value, json.dumps(value)[1:-1], quote(value, safe=""), quote_plus(value)))
            found.add(json.dumps(value, ensure_ascii=False)[1:-1])
        return sorted((v for v in found if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)

    def by_value(self, text: str) -> str:
        """``text`` with every configured secret value (and its escaped forms) replaced."""
        for variant in self._variants():
            if variant in text:
                text = text.replace(variant, REDACTED)
        return text

    def text(self, text: str) -> str:
        """``text`` with secrets replaced by value, then by field name (JSON, escaped JSON, form)."""
        if not text:
            return text
        text = self.by_value(text)

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
