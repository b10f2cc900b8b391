"""Waiting for the user to approve a PIN: poll it with a growing pause, on the companion's clock.

plex.tv says nothing when the user declines: it forgets the PIN, and a poll gets a 404, the same 404 an
expired PIN gets. The PIN's ``expiresAt`` tells them apart: a 404 before it is a denial
(:class:`~.errors.PinDeniedError`), at or after it an expiry (:class:`~.errors.PinExpiredError`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from ..clock import Clock
from ..errors import RequestRejectedError
from ..plextv import SERVICE, PlexTvClient
from .errors import PinDeniedError, PinExpiredError
from .settings import SignInSettings

__all__ = ["PendingSignIn", "PinPoller"]

log = logging.getLogger("companion.signin")


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in waiting for the user: open ``auth_url`` in a browser and approve it before ``expires_at``."""

    pin_id: int
    code: str
    auth_url: str
    expires_at: datetime


class PinPoller:
    """Polls one PIN until it carries a token, was declined, or expired.

    The pause between looks starts at ``settings.poll_initial_s`` and grows by ``poll_factor`` up to
    ``poll_max_s``; it never sleeps past the PIN's expiry (one last look comes right at it). Pauses go
    through ``clock.sleep``, so a test clock lets half an hour of polling pass at once.
    """

    def __init__(self, plextv: PlexTvClient, settings: SignInSettings, clock: Clock) -> None:
        self.plextv, self.settings, self.clock = plextv, settings, clock
        #: how many times the last :meth:`wait` looked at the PIN
        self.polls = 0

    def wait(self, pending: PendingSignIn) -> str:
        """The token the PIN carries once approved; :class:`PinDeniedError` / :class:`PinExpiredError` otherwise.

        A failure of plex.tv (after the transport's retries) is raised as it is: the sign-in did not happen.
        """
        pause = self.settings.poll_initial_s
        self.polls = 0
        while True:
            self.polls += 1
            try:
                pin = self.plextv.get_pin(pending.pin_id)
            except RequestRejectedError as error:
                if error.status != 404:
                    raise
                raise self._gone(pending) from None
            if pin.auth_token:
                log.info("plex.tv PIN %s approved after %d look(s)", pending.pin_id, self.polls)
                return pin.auth_token
            left = (pending.expires_at - self.clock.now()).total_seconds()
            if left <= 0:
                raise PinExpiredError(SERVICE, "sign_in", f"PIN {pending.pin_id} expired at "
                                      f"{pending.expires_at.isoformat()} before anybody approved it")
            self.clock.sleep(min(pause, left))
            pause = min(pause * self.settings.poll_factor, self.settings.poll_max_s)

    def _gone(self, pending: PendingSignIn) -> Exception:
        now = self.clock.now()
        if now >= pending.expires_at:
            return PinExpiredError(SERVICE, "sign_in", f"PIN {pending.pin_id} expired at "
                                   f"{pending.expires_at.isoformat()} before anybody approved it")
        return PinDeniedError(SERVICE, "sign_in", f"the sign-in was declined: plex.tv forgot PIN {pending.pin_id} "
                              f"{(pending.expires_at - now).total_seconds():.0f}s before it would have expired")
