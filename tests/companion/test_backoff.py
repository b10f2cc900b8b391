"""The one backoff (equal jitter, seeded) and the retry policy on tenacity, on a clock the test owns."""

from __future__ import annotations

import random
import time

import pytest

from companion import ClientSettings, ServiceUnavailableError
from companion.retry import EqualJitterBackoff, RetryPolicy
from companion.uptime_kuma import UptimeKumaClient
from mockservers.core.clock import VirtualClock


class RecordingClock(VirtualClock):
    """A virtual clock that also notes every sleep."""

    def __init__(self) -> None:
        super().__init__()
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        super().sleep(seconds)


def failing(times: int, retry_after_s: float | None = None):
    calls = []

    def call():
        calls.append(1)
        if len(calls) <= times:
            error = ServiceUnavailableError("plex", "op", "HTTP 503", status=503)
            error.retry_after_s = retry_after_s
            raise error
        return "ok"

    return call, calls


def test_equal_jitter_is_half_the_exponential_plus_a_seeded_uniform_half():
    backoff = EqualJitterBackoff(0.2, 2.0, seed=5)
    rng = random.Random(5)
    for attempt, exponential in [(1, 0.2), (2, 0.4), (3, 0.8), (4, 1.6), (5, 2.0), (40, 2.0)]:
        assert backoff.delay(attempt) == exponential / 2 + rng.uniform(0, exponential / 2)


def test_the_same_seed_gives_the_same_waits_and_another_seed_others():
    def waits(seed):
        backoff = EqualJitterBackoff(1.0, 30.0, seed=seed)
        return [backoff.delay(n) for n in range(1, 9)]

    assert waits(3) == waits(3) and waits(3) != waits(4)
    assert all(e / 2 <= w <= e for w, e in zip(waits(3), [1, 2, 4, 8, 16, 30, 30, 30]))


def test_retries_with_production_backoff_take_no_real_time_and_move_the_clock_by_what_they_slept():
    clock = RecordingClock()
    policy = RetryPolicy(ClientSettings(retry_attempts=3, retry_seed=1), clock=clock)  # 0.2 s, 0.4 s backoffs
    call, calls = failing(2)
    started = time.perf_counter()
    assert policy.run(call) == "ok"
    assert time.perf_counter() - started < 0.1
    assert len(calls) == 3 and policy.last_attempts == 3  # tenacity's statistics
    expected = EqualJitterBackoff(0.2, 2.0, seed=1)
    assert clock.slept == [expected.delay(1), expected.delay(2)]
    assert clock.advanced_s == pytest.approx(sum(clock.slept))


def test_attempts_are_bounded_and_the_last_error_is_raised():
    policy = RetryPolicy(ClientSettings(retry_attempts=4, retry_seed=1), clock=RecordingClock())
    call, calls = failing(10)
    with pytest.raises(ServiceUnavailableError, match="HTTP 503"):
        policy.run(call)
    assert len(calls) == 4 and policy.last_attempts == 4


def test_retry_after_wins_over_a_shorter_backoff_and_the_time_budget_is_kept_on_the_clock():
    clock = RecordingClock()
    policy = RetryPolicy(ClientSettings(retry_attempts=10, retry_max_total_s=10, retry_seed=1), clock=clock)
    call, calls = failing(10, retry_after_s=4.0)
    with pytest.raises(ServiceUnavailableError):
        policy.run(call)
    assert clock.slept == [4.0, 4.0]  # a third wait would end 12 s after the start: past the 10 s budget
    assert len(calls) == 3 and policy.last_attempts == 3


def test_the_uptime_kuma_reconnect_uses_the_same_seeded_backoff():
    settings = ClientSettings(reconnect_initial_backoff_s=1.0, reconnect_max_backoff_s=30.0, retry_seed=9)
    client = UptimeKumaClient("http://127.0.0.1:1", "admin", "secret", settings=settings)
    assert isinstance(client.backoff, EqualJitterBackoff)
    same = EqualJitterBackoff(1.0, 30.0, seed=9)
    assert [client.backoff.delay(n) for n in range(1, 7)] == [same.delay(n) for n in range(1, 7)]
