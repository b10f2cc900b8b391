"""The mocks' default credentials, read from their one source: ``mockservers.credentials``.

Keyword arguments that carry a credential default to ``None`` and take it from
here when the call is made (not at import), so a run can swap the defaults
(the secret-leak test does) and nothing else writes them down.
"""

from __future__ import annotations

from typing import Any

from .secret import reveal

__all__ = ["default_credentials", "credential"]


def default_credentials() -> Any:
    """``mockservers.credentials.DEFAULT_CREDENTIALS`` as it is now (a small module: importing it is cheap)."""
    from mockservers import credentials

    return credentials.DEFAULT_CREDENTIALS


def credential(value: Any, name: str) -> str:
    """The plain text of ``value`` (a ``Secret`` or text), or of the default credential ``name`` when None.

    ``name`` is a field of ``Credentials``: ``plex_token``, ``overseerr_api_key``,
    ``uptime_kuma_username``, ``uptime_kuma_password``.
    """
    if value is None:
        return getattr(default_credentials(), name)
    return str(reveal(value))
