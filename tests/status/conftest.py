"""Fixtures for the status / Uptime Kuma / dashboard tests: in-process mocks on free ports."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, Callable

import pytest

#: HS256 secrets of at least 32 bytes (pyjwt warns about shorter HMAC keys)
JWT_SECRET = "status-tests-jwt-secret-0123456789abcdef"
WEBHOOK_SECRET = "status-tests-webhook-secret-0123456789"


class FakeClock:
    """A ``companion.clock.Clock`` that stands still at a fixed UTC moment until advanced."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime(2025, 1, 15, 12, 0, 0, tzinfo=timezone.utc)
        self.seconds = 1000.0

    def now(self) -> datetime:
        return self.moment

    def time(self) -> float:
        return self.moment.timestamp()

    def monotonic(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        self.advance(seconds=seconds)

    def wait(self, event, timeout):
        return event.is_set()

    def advance(self, **kwargs: float) -> None:
        step = timedelta(**kwargs)
        self.moment += step
        self.seconds += step.total_seconds()


class FakeStatusService:
    """Returns fixed statuses: lets dashboard tests set any state directly."""

    def __init__(self, statuses: list[dict[str, Any]] | None = None) -> None:
        self.statuses = statuses or []
        self.breaker_names: dict[str, str] = {}

    def get_all_statuses(self) -> list[dict[str, Any]]:
        return [dict(s) for s in self.statuses]


class FakeBreakers:
    """``all_metrics()`` with fixed content."""

    def __init__(self, metrics: dict[str, dict[str, Any]] | None = None) -> None:
        self.metrics = metrics or {}

    def all_metrics(self) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in self.metrics.items()}


def status(name: str, state: str, source: str = "poll") -> dict[str, Any]:
    return {"name": name, "status": state, "response_time_ms": 5.0, "last_check": "2025-01-15T12:00:00.000Z",
            "source": source, "message": f"{name} is {state}"}


@pytest.fixture
def fakes() -> SimpleNamespace:
    """Test doubles and secrets for the dashboard tests (conftest is not importable under importlib mode)."""
    return SimpleNamespace(StatusService=FakeStatusService, Breakers=FakeBreakers, Clock=FakeClock, status=status,
                           jwt_secret=JWT_SECRET, webhook_secret=WEBHOOK_SECRET)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_dashboard(request) -> Callable[..., Any]:
    """Start a DashboardServer for a given status service / breakers; all are stopped afterwards."""
    from companion.dashboard import DashboardServer, create_dashboard_app

    def make(status_service: Any, breakers: Any = None, **options: Any):
        options.setdefault("jwt_secret", JWT_SECRET)
        options.setdefault("webhook_secret", WEBHOOK_SECRET)
        server = DashboardServer(create_dashboard_app(status_service, breakers, **options)).start()
        request.addfinalizer(server.stop)
        return server

    return make


@pytest.fixture
def kuma_client_factory(request):
    """Build UptimeKumaClients with fast backoff; all are closed afterwards."""
    from companion.uptime_kuma import UptimeKumaClient

    def make(url: str, username: str = "admin", password: str = "admin", **options: Any) -> UptimeKumaClient:
        options.setdefault("reconnect_backoff", (0.05, 0.3))
        options.setdefault("connect_timeout", 3.0)
        client = UptimeKumaClient(url, username, password, **options)
        request.addfinalizer(client.close)
        return client

    return make
