"""Fixtures for the sign-in tests: a Plex mock, a plex.tv mock listing it, and one virtual clock for all."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from companion import CircuitBreakerFactory, ClientSettings
from companion.signin import PlexSignIn, SignInSettings
from mockservers import PlexMock, PlexTvMock
from mockservers.core.clock import VirtualClock

#: test-sized network timeouts; every duration on the clock is production-size
SETTINGS = ClientSettings(connect_timeout_s=0.5, read_timeout_s=1.0, retry_seed=1, fail_max=3)
#: generous: a connection that should answer never times out on a busy machine (tests of hanging
#: connections give their own, shorter one)
PROBE_TIMEOUT_S = 5.0


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def plex(clock):
    with PlexMock(clock=clock) as mock:
        yield mock


@pytest.fixture
def tv(plex, clock):
    with PlexTvMock(plex=plex, clock=clock) as mock:
        yield mock


@pytest.fixture
def make_sign_in(tv, clock, request) -> Callable[..., PlexSignIn]:
    """A ``PlexSignIn`` against the plex.tv mock on the test's clock; closed at teardown."""
    def make(probe_timeout_s: float = PROBE_TIMEOUT_S, **options: Any) -> PlexSignIn:
        options.setdefault("settings", SETTINGS)
        options.setdefault("sign_in", SignInSettings(plextv_url=tv.url, probe_timeout_s=probe_timeout_s,
                                                     client_identifier="companion-tests"))
        options.setdefault("breakers", CircuitBreakerFactory(clock=clock))
        sign_in = PlexSignIn(clock=clock, **options)
        request.addfinalizer(sign_in.close)
        return sign_in

    return make


@pytest.fixture
def signed_in(make_sign_in, tv) -> PlexSignIn:
    """Signed in (the PIN approved at once), the local connection chosen."""
    sign_in = make_sign_in()
    pending = sign_in.begin()
    tv.approve_pin(pending.pin_id)
    sign_in.finish(pending)
    return sign_in
