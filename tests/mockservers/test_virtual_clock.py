"""VirtualClock on its own: forward-only offset, callbacks run by advance() or by real time."""

from __future__ import annotations

import threading
import time

import pytest

from mockservers.core.clock import VirtualClock


def test_advance_moves_every_reading_by_the_same_amount():
    clock = VirtualClock()
    before = (clock.monotonic(), clock.time(), clock.now().timestamp())
    clock.advance(30)
    after = (clock.monotonic(), clock.time(), clock.now().timestamp())
    assert all(29.9 < b - a < 31 for a, b in zip(before, after))
    assert clock.advanced_s == 30


def test_sleep_moves_the_clock_by_exactly_what_it_sleeps_without_waiting():
    clock = VirtualClock()
    started = time.monotonic()
    clock.sleep(60)
    assert clock.advanced_s == 60
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "30", None, True, 10**12])
def test_a_bad_advance_is_refused_and_the_clock_does_not_move(bad):
    clock = VirtualClock()
    with pytest.raises(ValueError, match="advance_s"):
        clock.advance(bad)
    assert clock.advanced_s == 0


def test_callbacks_fall_due_in_order_when_the_clock_passes_them():
    clock = VirtualClock()
    ran: list[str] = []
    clock.call_later(20, lambda: ran.append("20 s"))
    clock.call_later(10, lambda: ran.append("10 s"))
    cancelled = clock.call_later(15, lambda: ran.append("cancelled"))
    cancelled.cancel()
    clock.advance(5)
    assert ran == []
    clock.advance(20)
    assert ran == ["10 s", "20 s"]


def test_advance_returns_only_after_a_callback_the_timer_thread_picked_up_has_finished():
    clock = VirtualClock()
    started, finished = threading.Event(), threading.Event()

    def slow_callback() -> None:
        started.set()
        time.sleep(0.05)
        finished.set()

    clock.call_later(0.01, slow_callback)  # due by real time: the timer thread runs it
    assert started.wait(2)
    clock.advance(1)
    assert finished.is_set()


def test_wait_ends_when_the_clock_is_advanced_past_the_timeout():
    clock = VirtualClock()
    never = threading.Event()
    mover = threading.Timer(0.02, clock.advance, args=(3600,))
    mover.start()
    started = time.monotonic()
    assert clock.wait(never, 3600) is False
    assert time.monotonic() - started < 2
