"""Sign in with Plex: a strong PIN approved in the browser, the account's servers, the connection that answers.

:class:`PlexSignIn` is the one entry point (``begin``, ``finish``, ``plex_client``, ``check_account``,
``sign_out``); the modules are its parts: :mod:`.pins` (waiting for the approval), :mod:`.discovery`
(probing connections), :mod:`.store` (what is kept), :mod:`.errors`, :mod:`.settings`.
"""

from .discovery import ChosenConnection, ConnectionProber
from .errors import NoConnectionError, PinDeniedError, PinExpiredError, SignInError, SignInRequiredError
from .pins import PendingSignIn, PinPoller
from .session import PlexSignIn
from .settings import SignInSettings
from .store import MemorySignInStore, SignInState, SignInStore

__all__ = ["ChosenConnection", "ConnectionProber", "MemorySignInStore", "NoConnectionError", "PendingSignIn",
           "PinDeniedError", "PinExpiredError", "PinPoller", "PlexSignIn", "SignInError", "SignInRequiredError",
           "SignInSettings", "SignInState", "SignInStore"]
