"""Keywords for the service-health dashboard: start it, mint tokens, read it, check webhooks."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Literal

from robot.api import logger
from robot.api.deco import keyword
from robot.api.types import Secret
from robot.libraries.BuiltIn import BuiltIn

from atest_support.clock import companion_clock
from atest_support.waiting import seconds, wait_until

from .context import (JWT_SECRET_VARIABLE, PAGE_ADMIN, PAGE_ADMIN_PASSWORD_VARIABLE, PAGE_USER,
                      PAGE_USER_PASSWORD_VARIABLE, WEBHOOK_SECRET_VARIABLE, HealthContext)

Credentials = Literal["admin", "non-admin", "no-role", "expired", "bad-signature", "malformed", "wrong-scheme",
                      "none"]
WebhookSecret = Literal["valid", "wrong", "none"]
PageCredentials = Literal["admin", "non-admin", "wrong-password", "unknown-user"]

#: the dashboard's routes (``companion.dashboard.DASHBOARD_PATH`` / ``WEBHOOK_PATH``; written here so that
#: importing this library does not import Flask)
DASHBOARD_PATH = "/api/v1/admin/service-health/dashboard"
WEBHOOK_PATH = "/api/v1/webhooks/overseerr"
#: the health page (``companion.dashboard.PAGE_PATH``)
HEALTH_PAGE_PATH = "/admin/health"
#: the HS256 secret a "bad-signature" token is signed with (not the dashboard's, and no secret of the test)
FOREIGN_SECRET = "not-the-dashboard-secret-0123456789abcdef"


def _body(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


class _CurrentStatus:
    """The dashboard's view of the status service: whatever `Create Status Service` built last."""

    def __init__(self, context: HealthContext) -> None:
        self.ctx = context

    @property
    def breaker_names(self) -> dict[str, str]:
        return getattr(self.ctx.status, "breaker_names", None) or {}

    @property
    def services(self) -> list[str]:
        return list(self.ctx.status.services) if self.ctx.status is not None else []

    def get_all_statuses(self) -> list[dict[str, Any]]:
        statuses = self.ctx.status.get_all_statuses() if self.ctx.status is not None else []
        self.ctx.status_story.seen(statuses)
        return statuses

    def get_status(self, service: str) -> dict[str, Any]:
        entry = self.ctx.status.get_status(service)
        self.ctx.status_story.seen([entry])
        return entry

    @property
    def last_statuses(self) -> list[dict[str, Any]]:
        """The latest verdicts (no check: the health page's live updates read these from their own thread)."""
        return self.ctx.status.last_statuses if self.ctx.status is not None else []

    def stale_answers(self) -> dict[str, Any]:
        return self.ctx.status.stale_answers() if self.ctx.status is not None else {}


class _CurrentBreakers:
    """The dashboard's view of the breaker registry the status service uses."""

    def __init__(self, context: HealthContext) -> None:
        self.ctx = context

    def all_metrics(self) -> dict[str, Any]:
        return self.ctx.breakers.all_metrics() if self.ctx.breakers is not None else {}


class DashboardKeywords:
    """The health dashboard and its Overseerr webhook receiver, over real HTTP."""

    def __init__(self, context: HealthContext) -> None:
        self.ctx = context
        self._session: Any = None

    @property
    def session(self) -> Any:
        """One ``requests.Session`` for the dashboard calls (requests is imported on first use)."""
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def _http_timeout(self) -> float:
        return seconds(self.ctx.timeout)

    # -- lifecycle --------------------------------------------------------------------------
    @keyword(tags=["dashboard"])
    def start_dashboard(self, port: int = 0) -> str:
        """Starts the dashboard app (JSON dashboard, webhook receiver, health page) on 127.0.0.1 and returns
        its base URL. ``port`` 0 (the default) takes a free one.

        Its JWT and webhook secrets are made up at random for this suite, or
        read from the test variables ``${DASHBOARD_JWT_SECRET}`` and
        ``${DASHBOARD_WEBHOOK_SECRET}`` when set (``--variable
        "DASHBOARD_JWT_SECRET: Secret:..."``); they are never logged. The
        health page has two accounts, an admin and a non-admin, with passwords
        made up the same way (``${HEALTH_PAGE_ADMIN_PASSWORD}``,
        ``${HEALTH_PAGE_USER_PASSWORD}``): see `Get Health Page Credentials`.
        Sets the suite variables ``${DASHBOARD_URL}``,
        ``${DASHBOARD_WEBHOOK_URL}`` and ``${HEALTH_PAGE_URL}``. The dashboard
        reads whatever status service `Create Status Service` built last. It
        is stopped at the end of the suite.

        | `Start Dashboard`
        | `Create Status Service`    use_uptime_kuma=${False}
        """
        from companion.dashboard import DashboardServer, create_dashboard_app

        self.ctx.stop_dashboard()
        app = create_dashboard_app(_CurrentStatus(self.ctx), _CurrentBreakers(self.ctx),
                                   jwt_secret=self.ctx.dashboard_secret(JWT_SECRET_VARIABLE),
                                   webhook_secret=self.ctx.dashboard_secret(WEBHOOK_SECRET_VARIABLE),
                                   clock=companion_clock(), accounts=self.ctx.page_accounts())
        server = DashboardServer(app, port=port).start()
        self.ctx.dashboard = server
        BuiltIn().set_suite_variable("${DASHBOARD_URL}", server.url)
        BuiltIn().set_suite_variable("${DASHBOARD_WEBHOOK_URL}", server.url + WEBHOOK_PATH)
        BuiltIn().set_suite_variable("${HEALTH_PAGE_URL}", server.url + HEALTH_PAGE_PATH)
        logger.info(f"Dashboard listening at {server.url} (health page: {server.url + HEALTH_PAGE_PATH})")
        return server.url

    @keyword(tags=["dashboard"])
    def stop_dashboard(self) -> None:
        """Stops the dashboard (no error when it is not running); open health pages lose their live updates."""
        self.ctx.stop_dashboard()

    @keyword(tags=["dashboard"])
    def restart_dashboard(self) -> str:
        """Stops the dashboard and starts a new one on the same port, with the same secrets and accounts
        (so a signed-in page stays signed in and can reconnect by itself). Returns its base URL."""
        port = self.ctx.require_dashboard().port
        self.ctx.stop_dashboard()
        return self.start_dashboard(port)

    @keyword(tags=["dashboard"])
    def get_health_page_credentials(self, kind: PageCredentials = "admin") -> tuple[str, Secret]:
        """Returns a user name and a password (a ``Secret``, logged as ``<secret>``) for the health page's
        sign-in form.

        | *kind*           | *what the page does with it* |
        | admin            | signs in; the page shows every service |
        | non-admin        | signs in; the page answers 403 (admins only) |
        | wrong-password   | the admin's name with a password that is not the admin's: refused |
        | unknown-user     | a name no account has: refused |

        | ${name}    ${password} =    `Get Health Page Credentials`    non-admin
        """
        accounts = {"admin": (PAGE_ADMIN, self.ctx.dashboard_secret(PAGE_ADMIN_PASSWORD_VARIABLE)),
                    "non-admin": (PAGE_USER, self.ctx.dashboard_secret(PAGE_USER_PASSWORD_VARIABLE)),
                    "wrong-password": (PAGE_ADMIN, "not-the-admin-password"),
                    "unknown-user": ("nobody-here", "not-a-password")}
        if kind not in accounts:
            raise AssertionError(f"No health page credentials {kind!r}: expected one of {', '.join(accounts)}.")
        name, password = accounts[kind]
        return name, Secret(password)

    # -- tokens --------------------------------------------------------------------------------
    @keyword(tags=["dashboard"])
    def mint_dashboard_token(self, credentials: Credentials = "admin") -> Secret:
        """Returns a bearer token of the given kind, as a ``Secret`` (logged as ``<secret>``).

        | *credentials*   | *token* |
        | admin           | valid, role ``admin``, expires in 5 minutes (of the test clock) |
        | non-admin       | valid, role ``user`` |
        | no-role         | valid, without a ``role`` claim |
        | expired         | role ``admin``, expired a minute ago |
        | bad-signature   | role ``admin``, signed with another secret |
        | malformed       | ``not-a-jwt`` |

        | ${token} =    `Mint Dashboard Token`    non-admin
        """
        from companion.dashboard import mint_token

        secret = self.ctx.dashboard_secret(JWT_SECRET_VARIABLE)
        now = companion_clock().now()  # the dashboard judges expiry on the same clock
        tokens = {
            "admin": lambda: mint_token(secret, role="admin", now=now),
            "non-admin": lambda: mint_token(secret, role="user", now=now),
            "no-role": lambda: mint_token(secret, role=None, now=now),
            "expired": lambda: mint_token(secret, role="admin", expires_in=timedelta(minutes=-1), now=now),
            "bad-signature": lambda: mint_token(FOREIGN_SECRET, role="admin", now=now),
            "malformed": lambda: "not-a-jwt",
        }
        if credentials not in tokens:
            raise AssertionError(f"No token for credentials {credentials!r}: expected one of {', '.join(tokens)}.")
        return Secret(tokens[credentials]())

    def _authorization(self, credentials: Credentials | Secret) -> str | None:
        if isinstance(credentials, Secret):
            return f"Bearer {credentials.value}"
        if credentials == "none":
            return None
        if credentials == "wrong-scheme":
            return f"Basic {self.mint_dashboard_token('admin').value}"
        return f"Bearer {self.mint_dashboard_token(credentials).value}"

    # -- reading the dashboard ---------------------------------------------------------------------
    @keyword(tags=["dashboard"])
    def request_dashboard(self, credentials: Credentials | Secret = "admin") -> Any:
        """Sends ``GET /api/v1/admin/service-health/dashboard`` with the given credentials; returns the response.

        ``credentials`` is a kind from `Mint Dashboard Token`, ``none`` (no
        ``Authorization`` header), ``wrong-scheme`` (``Basic <admin token>``) or a
        token from `Mint Dashboard Token`. The token is logged as ``*****``.
        No status check: see `Dashboard Should Refuse` and `Get Dashboard`.

        | ${response} =    `Request Dashboard`    expired
        | Should Be Equal As Integers    ${response.status_code}    401
        """
        url = self.ctx.require_dashboard().url + DASHBOARD_PATH
        authorization = self._authorization(credentials)
        headers = {"Accept": "application/json"}
        if authorization is not None:
            headers["Authorization"] = authorization
        response = self.session.get(url, headers=headers, timeout=self._http_timeout())
        shown = "none" if authorization is None else f"{authorization.split(' ')[0]} ***** ({credentials})"
        logger.info(f"GET {DASHBOARD_PATH} (Authorization: {shown}) -> {response.status_code}\n"
                    f"{response.text[:4000]}")
        return response

    @keyword(tags=["dashboard"])
    def dashboard_should_refuse(self, credentials: Credentials | Secret, status: int, error: str = "") -> dict:
        """Fails unless the dashboard answers ``status`` with a JSON error body for ``credentials``.

        The body must be ``{"success": false, "error": "..."}`` with ``error``
        containing ``error``; it must not echo the token. A 401 must carry
        ``WWW-Authenticate: Bearer ...``. Returns the body.

        | `Dashboard Should Refuse`    none         401    missing Authorization header
        | `Dashboard Should Refuse`    non-admin    403    'admin' role required
        """
        response = self.request_dashboard(credentials)
        body = _body(response)
        problems = []
        if response.status_code != status:
            problems.append(f"status {response.status_code}, expected {status}")
        if not isinstance(body, dict) or body.get("success") is not False or not isinstance(body.get("error"), str):
            problems.append(f"body is not a JSON error {{success: false, error: ...}}: {body!r}"[:500])
        elif error not in body["error"]:
            problems.append(f"error {body['error']!r} does not contain {error!r}")
        token = response.request.headers.get("Authorization", "").partition(" ")[2]
        if token and token in response.text:
            problems.append("the error body echoes the token")
        if status == 401 and not response.headers.get("WWW-Authenticate", "").startswith("Bearer"):
            problems.append(f"401 without 'WWW-Authenticate: Bearer ...' "
                            f"(got {response.headers.get('WWW-Authenticate')!r})")
        if problems:
            raise AssertionError(f"Dashboard with {credentials} credentials: " + "; ".join(problems))
        return body

    @keyword(tags=["dashboard"])
    def get_dashboard(self, credentials: Credentials | Secret = "admin") -> dict:
        """Reads the dashboard (200 and ``success: true`` required) and returns its ``data`` object.

        ``data`` holds ``timestamp``, ``services`` (each with ``circuitBreaker``)
        and ``summary`` (``totalServices``, ``servicesUp``, ``servicesDown``,
        ``servicesDegraded``, ``circuitBreakersOpen``).

        The dashboard lists the services of the status service: without one
        (`Create Status Service`) this keyword fails and says so, rather than
        reading an empty dashboard.

        | ${data} =    `Get Dashboard`
        | Should Be Equal As Integers    ${data}[summary][servicesDown]    1
        """
        self.ctx.require_status()
        response = self.request_dashboard(credentials)
        body = _body(response)
        if response.status_code != 200 or not isinstance(body, dict) or body.get("success") is not True:
            raise AssertionError(f"Reading the dashboard failed: {response.status_code} {str(body)[:500]}")
        return body["data"]

    @keyword(tags=["dashboard"])
    def wait_until_dashboard_summary_is(self, timeout: timedelta | None = None, **expected: int) -> dict:
        """Reads the dashboard until its ``summary`` has the ``expected`` counts; returns the last data.

        Every read is a real status check (it may call the services and so move
        their circuit breakers). Counts not named are not checked. ``timeout``
        defaults to the library's. To check data already read, once, see
        `Summary Should Show`.

        | `Wait Until Dashboard Summary Is`    servicesDown=1    servicesUp=2
        | `Wait Until Dashboard Summary Is`    circuitBreakersOpen=1    timeout=10s
        """
        if not expected:
            raise AssertionError("Name at least one count, e.g. servicesDown=1.")
        self.ctx.require_status()  # fail at once, saying what to call first, rather than time out

        def accept(data: dict) -> bool:
            summary = data["summary"]
            return all(summary.get(name) == value for name, value in expected.items())

        data = wait_until(self.get_dashboard, accept, what="The dashboard summary",
                          expected=", ".join(f"{k}={v}" for k, v in expected.items()),
                          timeout=self.ctx.timeout_or_default(timeout))
        logger.info(f"Dashboard summary: {data['summary']}")
        return data

    @keyword(tags=["dashboard"])
    def summary_should_show(self, data: dict, **expected: int) -> None:
        """Fails unless the ``summary`` of dashboard ``data`` (from `Get Dashboard`) has the ``expected`` counts.

        No new read: checks data already fetched. Counts not named are not checked.

        | ${data} =    `Get Dashboard`
        | `Summary Should Show`    ${data}    totalServices=3    servicesUp=3
        """
        summary = data["summary"]
        wrong = {name: summary.get(name) for name, value in expected.items() if summary.get(name) != value}
        if wrong:
            raise AssertionError(f"Dashboard summary {summary} differs from the expected "
                                 f"{', '.join(f'{k}={v}' for k, v in expected.items())} in {', '.join(wrong)}")

    @keyword(tags=["dashboard"])
    def dashboard_should_list_service(self, service: str, status: Literal["up", "down", "degraded"]) -> dict:
        """Reads the dashboard once and fails unless ``service`` is listed with ``status``; returns its entry."""
        services = {s["name"]: s for s in self.get_dashboard()["services"]}
        if service not in services:
            listed = ", ".join(services) or "nothing"
            raise AssertionError(f"The dashboard does not list {service!r}; it lists {listed}")
        if services[service]["status"] != status:
            raise AssertionError(f"The dashboard lists {service} as {services[service]['status']}, expected {status}: "
                                 f"{services[service]}")
        return services[service]

    # -- webhooks --------------------------------------------------------------------------------------
    @keyword(tags=["webhooks"])
    def get_webhook_secret(self, kind: WebhookSecret = "valid") -> Secret | None:
        """Returns the ``Authorization`` value for the webhook endpoint as a ``Secret``.

        ``valid`` is the dashboard's webhook secret, ``wrong`` another value,
        ``none`` returns ``${None}`` (no header).

        | ${secret} =    `Get Webhook Secret`
        | `Send Overseerr Webhook`    ${DASHBOARD_WEBHOOK_URL}    TEST_NOTIFICATION    authorization=${secret}
        """
        if kind == "none":
            return None
        if kind == "wrong":
            return Secret("not-the-webhook-secret")
        return Secret(self.ctx.dashboard_secret(WEBHOOK_SECRET_VARIABLE))

    @keyword(tags=["webhooks"])
    def post_to_webhook_endpoint(self, body: Any, secret: WebhookSecret = "valid") -> Any:
        """POSTs ``body`` (a dict/list sent as JSON, or a string sent as is) to the webhook endpoint.

        Returns the response without checking it. The secret is logged as ``*****``.

        | ${response} =    `Post To Webhook Endpoint`    ${{{"hello": "world"}}}
        | Should Be Equal As Integers    ${response.status_code}    400
        """
        url = self.ctx.require_dashboard().url + WEBHOOK_PATH
        headers = {"Content-Type": "application/json"}
        authorization = self.get_webhook_secret(secret)
        if authorization is not None:
            headers["Authorization"] = authorization.value
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        response = self.session.post(url, data=data, headers=headers, timeout=self._http_timeout())
        logger.info(f"POST {WEBHOOK_PATH} (Authorization: {'none' if authorization is None else '*****'} [{secret}])"
                    f" -> {response.status_code}\n{response.text[:2000]}")
        return response

    def _inbox(self) -> Any:
        return self.ctx.require_dashboard().inbox

    @keyword(tags=["webhooks"])
    def webhook_inbox_should_contain(self, notification_type: str, request_id: str | None = None,
                                     tmdb_id: str | None = None, count: int | None = None) -> dict | None:
        """Fails unless the dashboard has accepted a ``notification_type`` notification; returns the newest such record.

        One read, no waiting: the receiver records a notification before it
        answers, so once `Send Overseerr Webhook` has returned it is there.
        ``request_id`` / ``tmdb_id`` must match the payload's ``request.request_id`` /
        ``media.tmdbId`` when given (compared as text). With ``count``, exactly
        that many such notifications must be in the inbox; ``count=0`` checks
        that none arrived (and returns ``${None}``). A record is shaped as in
        `Get Received Webhook Notifications`.

        | `Webhook Inbox Should Contain`    MEDIA_APPROVED    request_id=${request}[id]
        | `Webhook Inbox Should Contain`    MEDIA_AVAILABLE    count=0
        """
        inbox = self._inbox()

        def matches(record: dict) -> bool:
            payload = record["payload"]
            if record["notification_type"] != notification_type:
                return False
            if request_id is not None and str((payload.get("request") or {}).get("request_id")) != str(request_id):
                return False
            return tmdb_id is None or str((payload.get("media") or {}).get("tmdbId")) == str(tmdb_id)

        found = [r for r in inbox.received() if matches(r)]
        wanted = notification_type + (f" for request {request_id}" if request_id else "") + \
            (f" for tmdbId {tmdb_id}" if tmdb_id else "")
        if (not found) if count is None else len(found) != count:
            seen = [f"{r['notification_type']} {r['subject']!r}" for r in inbox.received()]
            expected = "at least 1" if count is None else str(count)
            raise AssertionError(f"The webhook inbox holds {len(found)} {wanted} notification(s), expected "
                                 f"{expected}. Inbox holds: {seen or 'nothing'}")
        if not found:
            logger.info(f"No {wanted} notification received, as expected")
            return None
        logger.info(f"Webhook received: {json.dumps(found[-1], indent=2)}")
        return found[-1]

    @keyword(tags=["webhooks"])
    def get_received_webhook_notifications(self, notification_type: str | None = None) -> list[dict]:
        """Lists the notifications the dashboard accepted, oldest first, over its HTTP API; returns the records.

        Sends ``GET /api/v1/webhooks/overseerr`` (with ``?type=<notification_type>``
        when given) with the dashboard's webhook secret, the credential of that
        route (logged as ``*****``), and fails unless it answers 200. Without a
        type every notification is listed; an unknown type fails with the
        dashboard's 400 naming the allowed ones.

        The answer is ``{"success": true, "data": {"count": n, "notifications": [...]}}``;
        this keyword returns ``notifications``, each record shaped:

        | *field*             | *value* |
        | id                  | 1, 2, ... in the order received |
        | received_at         | ISO 8601 UTC on the dashboard's clock, e.g. ``2026-12-01T14:00:00.000Z`` |
        | notification_type   | e.g. ``MEDIA_APPROVED`` |
        | subject             | the notification's subject |
        | payload             | the whole notification as received (``media``, ``request``, ``extra``, ...) |

        | ${approvals} =    `Get Received Webhook Notifications`    MEDIA_APPROVED
        | Length Should Be    ${approvals}    1
        | Should Be Equal    ${approvals}[0][payload][media][status]    PROCESSING
        """
        url = self.ctx.require_dashboard().url + WEBHOOK_PATH
        params = {} if notification_type is None else {"type": notification_type}
        headers = {"Accept": "application/json", "Authorization": self.get_webhook_secret("valid").value}
        response = self.session.get(url, params=params, headers=headers, timeout=self._http_timeout())
        body = _body(response)
        shown = WEBHOOK_PATH + ("" if notification_type is None else f"?type={notification_type}")
        if response.status_code != 200 or not isinstance(body, dict) or body.get("success") is not True:
            raise AssertionError(f"Listing the webhook notifications failed: {response.status_code} {str(body)[:500]}")
        notifications = body["data"]["notifications"]
        logger.info(f"GET {shown} (Authorization: *****) -> 200: {len(notifications)} notification(s)"
                    + "".join(f"\n  {n['id']} {n['notification_type']} {n['subject']!r}" for n in notifications))
        return notifications

    @keyword(tags=["webhooks"])
    def webhook_inbox_should_be_empty(self) -> None:
        """Fails if the dashboard accepted any webhook notification."""
        records = self._inbox().received()
        if records:
            raise AssertionError(f"Expected no webhook notifications, got {len(records)}: "
                                 f"{[r['notification_type'] for r in records]}")

    @keyword(tags=["webhooks"])
    def clear_webhook_inbox(self) -> None:
        """Forgets the notifications received so far."""
        self._inbox().clear()
