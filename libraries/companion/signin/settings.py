"""``SignInSettings``: how the companion signs in with Plex (the network and breaker knobs are ``ClientSettings``).

=========================  ==================  ==================================================================
setting                    default             what it is
=========================  ==================  ==================================================================
``product``                ``Companion``       ``X-Plex-Product``: the name the user sees on the approval page
``client_identifier``      None                ``X-Plex-Client-Identifier``; None = a new random one per sign-in
                                               object (an app keeps its own, e.g. in its settings or store)
``plextv_url``             https://plex.tv     where plex.tv is (tests: the mock)
``poll_initial_s``         1                   wait before the second look at the PIN; grows ...
``poll_max_s``             5                   ... by ``poll_factor`` up to this (on the companion's clock)
``poll_factor``            1.5
``probe_timeout_s``        2                   how long each connection may take to answer ``GET /identity``
=========================  ==================  ==================================================================
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

__all__ = ["SignInSettings"]

#: no wait may exceed an hour: a larger value is a unit mistake
MAX_SECONDS = 3600.0


@dataclass(frozen=True)
class SignInSettings:
    """Sign-in settings; the defaults are production's (see the module doc)."""

    product: str = "Companion"
    client_identifier: str | None = None
    plextv_url: str = "https://plex.tv"
    poll_initial_s: float = 1.0
    poll_max_s: float = 5.0
    poll_factor: float = 1.5
    probe_timeout_s: float = 2.0

    def __post_init__(self) -> None:
        if not isinstance(self.product, str) or not self.product.strip():
            raise ValueError(f"SignInSettings.product must be a non-empty name, got {self.product!r}")
        if not str(self.plextv_url).startswith(("http://", "https://")):
            raise ValueError(f"SignInSettings.plextv_url must be an http(s) URL, got {self.plextv_url!r}")
        for name in ("poll_initial_s", "poll_max_s", "probe_timeout_s", "poll_factor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not 0 < value <= MAX_SECONDS:
                raise ValueError(f"SignInSettings.{name} must be a number above 0 and at most {MAX_SECONDS:g}, "
                                 f"got {value!r}")
        if self.poll_factor < 1 or self.poll_max_s < self.poll_initial_s:
            raise ValueError("SignInSettings: poll_factor must be at least 1 and poll_max_s at least poll_initial_s, "
                             f"got {self.poll_factor!r} and {self.poll_max_s!r} < {self.poll_initial_s!r}")

    def identifier(self) -> str:
        """The client identifier to use: the configured one, else a new random one."""
        return self.client_identifier or f"companion-{uuid.uuid4()}"
