"""Keywords for the app's sign-in with Plex (``companion.signin.PlexSignIn``): start, finish, check, sign out."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from robot.api import logger
from robot.api.deco import keyword
from ResilienceTimeline.context import observe

from atest_support.clock import companion_clock
from atest_support.credentials import credential
from atest_support.waiting import seconds

from .context import ClientContext

TAG = "sign-in"
SignInErrorName = Literal["PinDeniedError", "PinExpiredError", "SignInRequiredError", "NoConnectionError",
                          "ServiceUnavailableError", "ServiceTimeoutError", "CircuitOpenError", "BadResponseError",
                          "AuthenticationError"]
AUTH_URL = "https://app.plex.tv/auth"


class SignInKeywords:
    """Signing the app in with Plex: a strong PIN the user approves at plex.tv, the account's server, the
    connection that answers. Once signed in, the signed-in server's client is the test's Plex client: every
    Plex keyword (`Get Plex Libraries`, `Plex Call Should Fail With` ...) calls it."""

    def __init__(self, context: ClientContext) -> None:
        self.ctx = context

    def _sign_in(self) -> Any:
        if self.ctx.sign_in is None:
            raise AssertionError("No Plex sign-in in this test: create it first with 'Create Plex Sign-In'.")
        return self.ctx.sign_in

    @keyword("Create Plex Sign-In", tags=[TAG])
    def create_plex_sign_in(self, plextv_url: str, probe_timeout: timedelta = timedelta(seconds=5),
                            product: str = "Companion") -> str:
        """Creates the app's sign-in with Plex against plex.tv at ``plextv_url`` (usually ``${PLEXTV_URL}``),
        with the library's client settings, its breakers and the test clock; returns the app's client
        identifier (what plex.tv issues its tokens to). ``probe_timeout`` bounds each connection probe
        (real time; generous by default, so that a busy machine never makes an answering connection look
        dead; a test of a hanging connection waits that long). Not signed in yet; lives until the end of the test.

        | ${client} =    `Create Plex Sign-In`    ${PLEXTV_URL}
        """
        from companion.signin import PlexSignIn, SignInSettings

        if self.ctx.sign_in is not None:
            self.ctx.sign_in.close()
        try:
            options = SignInSettings(product=product, plextv_url=plextv_url, probe_timeout_s=seconds(probe_timeout),
                                     client_identifier=f"companion-atests-{uuid.uuid4().hex[:12]}")
        except ValueError as exc:
            raise AssertionError(f"Cannot create the Plex sign-in: {exc}") from None
        self.ctx.sign_in = PlexSignIn(settings=self.ctx.defaults.as_client_settings(), sign_in=options,
                                      breakers=self.ctx.breakers, clock=companion_clock())
        self.ctx.breakers.configure("plextv", **self.ctx.defaults.breaker_options())
        self.ctx.pending = None
        logger.info(f"Created the Plex sign-in for {plextv_url} (client {options.client_identifier}).")
        return options.client_identifier

    @keyword("Start Plex Sign-In", tags=[TAG])
    def start_plex_sign_in(self) -> str:
        """Starts a sign-in: a strong PIN at plex.tv; returns the auth URL the user opens to approve it.

        | ${url} =    `Start Plex Sign-In`
        """
        sign_in = self._sign_in()
        self.ctx.pending = observe("plextv", "begin", sign_in.begin)
        logger.info(f"Plex sign-in started: open {self.ctx.pending.auth_url} (PIN {self.ctx.pending.pin_id}, "
                    f"expires at {self.ctx.pending.expires_at.isoformat()})")
        return self.ctx.pending.auth_url

    def _finish(self, server: str | None) -> Any:
        sign_in, pending = self._sign_in(), self.ctx.pending
        if pending is None:
            raise AssertionError("No Plex sign-in was started in this test: call 'Start Plex Sign-In' first.")
        return observe("plextv", "finish", lambda: sign_in.finish(pending, server))

    @keyword("Finish Plex Sign-In", tags=[TAG])
    def finish_plex_sign_in(self, server: str | None = None) -> dict:
        """Waits for the user's approval (looking at the PIN with growing pauses on the test clock), then reads the
        account, lists its servers and chooses the connection that answers (``server``: a clientIdentifier; default
        the first online one). Returns the account (``username``, ``email`` ...); the signed-in server's client
        becomes the test's Plex client. Fails with the typed error when the sign-in does not complete.

        | ${account} =    `Finish Plex Sign-In`
        """
        account = self._finish(server)
        self.ctx.pending = None
        self.ctx.use_signed_in_plex()
        sign_in = self.ctx.sign_in
        logger.info(f"Signed in as {account.username}; server {sign_in.server.name!r} through its "
                    f"{sign_in.connection_location} connection {sign_in.connection_uri}")
        return {"username": account.username, "email": account.email, "id": account.id, "title": account.title}

    @keyword("Plex Sign-In Should Fail With", tags=[TAG])
    def plex_sign_in_should_fail_with(self, error: SignInErrorName, message: str | None = None) -> Any:
        """Waits for the sign-in like `Finish Plex Sign-In` and expects it to fail with exactly ``error``
        (``message`` part of its text, never a token); returns the error. The app is then not signed in.

        | `Plex Sign-In Should Fail With`    PinExpiredError    expired
        """
        try:
            account = self._finish(None)
        except Exception as exc:  # any failure is checked below: the wrong kind fails the keyword
            got = f"{type(exc).__name__}: {exc}"
            if type(exc).__name__ != error:
                raise AssertionError(f"The sign-in should have failed with {error}, but failed with {got}") from None
            if message is not None and message not in str(exc):
                raise AssertionError(f"The sign-in failed with {error} as expected, but its message does not "
                                     f"contain {message!r}: {got}") from None
            logger.info(f"The sign-in failed as expected: {got}")
            return exc
        raise AssertionError(f"The sign-in should have failed with {error}, but it signed in as {account.username}.")

    @keyword(tags=[TAG])
    def plex_auth_url_should_name_the_app_and_the_pin(self, url: str) -> None:
        """Fails unless ``url`` is ``https://app.plex.tv/auth#?clientID=<this app>&code=<the PIN's
        code>&context[device][product]=<product>``."""
        sign_in, pending = self._sign_in(), self.ctx.pending
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}{parts.path}"
        query = parse_qs(parts.fragment[1:]) if parts.fragment.startswith("?") else {}
        expected = {"clientID": [sign_in.client_identifier], "code": [pending.code if pending else "?"],
                    "context[device][product]": [sign_in.sign_in_settings.product]}
        if base != AUTH_URL or query != expected:
            raise AssertionError(f"The auth URL should be {AUTH_URL}#?clientID=...&code=...&context[device]"
                                 f"[product]=... for {expected}, got {url}")

    @keyword("Plex Sign-In Should Be Signed In As", tags=[TAG])
    def plex_sign_in_should_be_signed_in_as(self, username: str | None = None) -> str:
        """Fails unless the app is signed in (its sign-in kept) as ``username`` (default: the plex.tv mock's account,
        ``mockservers.credentials``); returns the user name.

        | ${username} =    `Plex Sign-In Should Be Signed In As`
        """
        sign_in = self._sign_in()
        username = username or credential(None, "plextv_username")
        if not sign_in.signed_in or sign_in.account.username != username:
            who = sign_in.account.username if sign_in.account else None
            raise AssertionError(f"The app should be signed in as {username!r}: signed in {sign_in.signed_in}, "
                                 f"account {who!r}, sign in again: {sign_in.sign_in_again!r}")
        if sign_in.store.load() is None:
            raise AssertionError("The app is signed in but its sign-in is not kept in its store.")
        return username

    @keyword("Plex Sign-In Should Not Be Signed In", tags=[TAG])
    def plex_sign_in_should_not_be_signed_in(self, because: str | None = None) -> None:
        """Fails if the app is signed in, or keeps anything of a sign-in (token, servers). ``because`` must be part
        of why it must sign in again, when given (e.g. ``refused the token``)."""
        sign_in = self._sign_in()
        if sign_in.signed_in or sign_in.store.load() is not None:
            raise AssertionError(f"The app should not be signed in, but it is {sign_in!r} "
                                 f"(kept: {sign_in.store.load() is not None}).")
        if because is not None and because not in (sign_in.sign_in_again or ""):
            raise AssertionError(f"The app should have to sign in again because of {because!r}, but the reason "
                                 f"is {sign_in.sign_in_again!r}.")

    @keyword(tags=[TAG])
    def plex_connection_should_be(self, location: Literal["local", "remote", "relay"], uri: str | None = None) -> str:
        """Fails unless the app reaches its server through its ``location`` connection (at ``uri``, if given);
        returns the connection's URI.

        | `Plex Connection Should Be`    remote
        """
        sign_in = self._sign_in()
        if sign_in.connection_location != location or (uri is not None and sign_in.connection_uri != uri):
            raise AssertionError(f"The app should reach its server through the {location} connection"
                                 f"{' ' + uri if uri else ''}, but uses the {sign_in.connection_location} one "
                                 f"{sign_in.connection_uri}.")
        return sign_in.connection_uri

    @keyword("Get Plex Sign-In", tags=[TAG])
    def get_plex_sign_in(self) -> dict:
        """Returns what the app knows: ``signed_in``, ``username``, ``server``, ``connection_location``,
        ``connection_uri``, ``servers`` (names), ``sign_in_again`` (why, or None), ``client_identifier``. No token."""
        sign_in = self._sign_in()
        return {"signed_in": sign_in.signed_in, "username": sign_in.account.username if sign_in.account else None,
                "server": sign_in.server.name if sign_in.server else None,
                "connection_location": sign_in.connection_location, "connection_uri": sign_in.connection_uri,
                "servers": [s.name for s in sign_in.servers], "sign_in_again": sign_in.sign_in_again,
                "client_identifier": sign_in.client_identifier}

    @keyword(tags=[TAG])
    def check_plex_account(self) -> dict:
        """Reads the account at plex.tv with the token kept (the status service's health call for plex.tv)."""
        return dict(observe("plextv", "check_account", self._sign_in().check_account))

    @keyword(tags=[TAG])
    def sign_out_of_plex(self) -> None:
        """Signs out: the sign-in is forgotten here and its token revoked at plex.tv when it can be reached."""
        self._sign_in().sign_out()
        self.ctx.close("plex")
