"""Unit tests of the transport's parts: settings validation, breaker registry, retry policy, read cache."""

from __future__ import annotations

import pytest

from companion import (AuthenticationError, BadResponseError, CircuitBreakerFactory, CircuitOpenError,
                          ClientSettings, RequestRejectedError, ServiceTimeoutError, ServiceUnavailableError)
from companion.breakers import trips_breaker
from companion.cache import MISSING, ReadCache
from companion.retry import RetryPolicy, is_retryable
from companion.transport import _retry_after_s
from mockservers.core.clock import VirtualClock


class RecordingClock(VirtualClock):
    """A virtual clock that also notes every sleep."""

    def __init__(self, slept: list[float]) -> None:
        super().__init__()
        self.slept = slept

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        super().sleep(seconds)


@pytest.mark.parametrize("field, value, message", [
    ("read_timeout_s", 0, "read_timeout_s must be > 0"),
    ("retry_attempts", 0, "retry_attempts must be a whole number from 1"),
    ("retry_attempts", 2.5, "retry_attempts must be a whole number from 1"),
    ("reset_timeout_s", float("nan"), "reset_timeout_s must be > 0 and <= 86400"),
    ("cache_ttl_s", float("inf"), "cache_ttl_s must be >= 0 and <= 86400"),
    ("retry_seed", "7", "retry_seed must be an integer or None"),
    ("cache_ttl_s", -1, "cache_ttl_s must be >= 0"),
    ("fail_max", "3", "fail_max must be a number"),
])
def test_settings_refuse_bad_values_with_a_clear_message(field, value, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ClientSettings(**{field: value})


def test_settings_refuse_a_backoff_cap_below_the_initial_backoff():
    with pytest.raises(ValueError, match="retry_max_backoff_s must be >= retry_initial_backoff_s"):
        ClientSettings(retry_initial_backoff_s=1, retry_max_backoff_s=0.5)
    with pytest.raises(ValueError, match="reconnect_max_backoff_s must be >= reconnect_initial_backoff_s"):
        ClientSettings(reconnect_initial_backoff_s=2, reconnect_max_backoff_s=1)


def test_the_defaults_are_the_production_settings():
    s = ClientSettings()
    assert (s.connect_timeout_s, s.read_timeout_s, s.retry_attempts, s.retry_initial_backoff_s,
            s.retry_max_backoff_s, s.retry_max_total_s, s.retry_seed) == (3.05, 10.0, 3, 0.2, 2.0, 15.0, None)
    assert (s.cache_ttl_s, s.cache_max_entries, s.fail_max, s.reset_timeout_s, s.success_threshold) == (
        60.0, 1024, 5, 30.0, 1)
    assert (s.reconnect_initial_backoff_s, s.reconnect_max_backoff_s) == (1.0, 30.0)


def test_factory_registry():
    factory = CircuitBreakerFactory()
    plex = factory.create("plex", fail_max=2, reset_timeout=1, success_threshold=2)
    assert factory.get("plex") is plex and factory.get_or_create("plex") is plex
    assert factory.names == ["plex"]
    with pytest.raises(ValueError, match="already exists"):
        factory.create("plex")
    with pytest.raises(KeyError, match="no circuit breaker named 'sonarr'; known: plex"):
        factory.get("sonarr")
    metrics = factory.all_metrics()["plex"]
    assert metrics == {"name": "plex", "state": "closed", "failures": 0, "successes": 0, "rejected": 0,
                       "ignored": 0, "outdated": 0, "last_failure": None, "opened_at": None,
                       "consecutive_failures": 0, "next_probe_at": None, "probes_in_flight": 0,
                       "fail_max": 2, "reset_timeout_s": 1, "success_threshold": 2}


def test_a_registered_breaker_can_be_reconfigured_keeping_its_state():
    factory = CircuitBreakerFactory()
    breaker = factory.create("plex", fail_max=1, reset_timeout=60)
    with pytest.raises(ServiceUnavailableError):
        breaker.call("op", lambda: (_ for _ in ()).throw(ServiceUnavailableError("plex", "op", "down")))
    factory.configure("plex", fail_max=4, reset_timeout=0.5)
    metrics = breaker.metrics()
    assert (metrics["state"], metrics["fail_max"], metrics["reset_timeout_s"], metrics["success_threshold"]) == (
        "open", 4, 0.5, 1)
    with pytest.raises(ValueError, match="reset_timeout > 0"):
        factory.configure("plex", reset_timeout=0)
    with pytest.raises(KeyError, match="no circuit breaker named 'sonarr'"):
        factory.configure("sonarr", fail_max=2)


def test_breaker_options_are_validated():
    with pytest.raises(ValueError, match="fail_max"):
        CircuitBreakerFactory().create("x", fail_max=0)


def test_only_health_failures_trip_a_breaker():
    assert trips_breaker(ServiceUnavailableError("s", "op", "x"))
    assert trips_breaker(ServiceTimeoutError("s", "op", "x"))
    assert trips_breaker(BadResponseError("s", "op", "x"))
    assert not trips_breaker(AuthenticationError("s", "op", "x", status=401))
    assert not trips_breaker(RequestRejectedError("s", "op", "x", status=404))
    assert not trips_breaker(CircuitOpenError("s", "op"))
    assert not trips_breaker(KeyError("bug"))


def test_open_breaker_raises_circuit_open_and_counts_rejections():
    breaker = CircuitBreakerFactory().create("plex", fail_max=1, reset_timeout=60)

    def down():
        raise ServiceUnavailableError("plex", "op", "refused")

    with pytest.raises(ServiceUnavailableError):
        breaker.call("op", down)
    calls = []
    with pytest.raises(CircuitOpenError, match="Circuit breaker is OPEN for plex"):
        breaker.call("op", lambda: calls.append(1))
    assert calls == [] and breaker.metrics()["rejected"] == 1


def error(status=None, safe=True):
    e = ServiceUnavailableError("s", "op", "x", status=status)
    e.retry_safe = safe
    return e


@pytest.mark.parametrize("failure, retryable", [
    (error(), True), (error(503), True), (error(429), True), (error(502), True), (error(504), True),
    (error(500), False), (error(safe=False), False), (ServiceTimeoutError("s", "op", "t"), True),
    (CircuitOpenError("s", "op"), False), (BadResponseError("s", "op", "x"), False),
    (RequestRejectedError("s", "op", "x", status=400), False),
])
def test_what_is_retried(failure, retryable):
    assert is_retryable(failure) is retryable


def test_backoff_is_exponential_bounded_and_reproducible_with_a_seed():
    def waits(seed):
        slept: list[float] = []
        policy = RetryPolicy(ClientSettings(retry_attempts=6, retry_initial_backoff_s=0.1, retry_max_backoff_s=0.4,
                                            retry_seed=seed), clock=RecordingClock(slept))
        with pytest.raises(ServiceUnavailableError):
            policy.run(lambda: (_ for _ in ()).throw(error(503)))
        assert policy.last_attempts == 6
        return slept

    first = waits(3)
    assert first == waits(3) and first != waits(4)
    assert len(first) == 5
    assert 0.05 <= first[0] <= 0.1 and all(0.2 <= w <= 0.4 for w in first[2:])


def test_retry_after_wins_over_a_shorter_backoff():
    slept: list[float] = []
    failure = error(429)
    failure.retry_after_s = 1.5
    outcomes = iter([failure])

    def call():
        for e in outcomes:
            raise e
        return "ok"

    policy = RetryPolicy(ClientSettings(retry_initial_backoff_s=0.01, retry_max_backoff_s=0.02),
                         clock=RecordingClock(slept))
    assert policy.run(call) == "ok" and slept == [1.5]


@pytest.mark.parametrize("header, seconds", [("2", 2.0), ("0", 0.0), ("-3", 0.0), ("soon", None), (None, None)])
def test_retry_after_header_forms(header, seconds):
    assert _retry_after_s(header) == seconds


def test_retry_after_as_an_http_date():
    assert _retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_read_cache_fresh_then_stale():
    clock = VirtualClock()
    cache = ReadCache(ttl_s=10, clock=clock)
    cache.put("k", {"v": [1]})
    assert cache.get_fresh("k") == {"v": [1]}
    clock.advance(11)
    assert cache.get_fresh("k") is MISSING and cache.get_stale("k") == {"v": [1]}
    cache.clear()
    assert cache.get_stale("k") is MISSING and len(cache) == 0


def test_read_cache_with_zero_ttl_keeps_only_the_fallback():
    cache = ReadCache(ttl_s=0)
    cache.put("k", 1)
    assert cache.get_fresh("k") is MISSING and cache.get_stale("k") == 1
