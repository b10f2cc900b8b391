"""The clock file: how a companion process (every worker) keeps the tests' time."""

from __future__ import annotations

import threading
import time

import pytest

from atest_support.followed_clock import FollowedClock
from companion.clock import OffsetFileClock, read_clock_offset, write_clock_offset


@pytest.fixture
def clock_file(tmp_path):
    path = tmp_path / "clock.json"
    write_clock_offset(path, 0)
    return path


def test_the_clock_is_the_wall_clock_plus_the_offset_in_the_file(clock_file):
    write_clock_offset(clock_file, 3600)
    clock = OffsetFileClock(clock_file)
    assert clock.advanced_s == 3600
    assert clock.time() - time.time() == pytest.approx(3600, abs=1)
    assert clock.monotonic() - time.monotonic() == pytest.approx(3600, abs=1)
    assert clock.now().timestamp() - time.time() == pytest.approx(3600, abs=1)


def test_two_readers_of_one_file_see_a_new_offset_at_once(clock_file):
    first, second = OffsetFileClock(clock_file), OffsetFileClock(clock_file)
    write_clock_offset(clock_file, 30)
    assert first.advanced_s == second.advanced_s == 30
    write_clock_offset(clock_file, 90.5)
    assert first.advanced_s == second.advanced_s == 90.5


def test_the_offset_never_goes_back(clock_file):
    clock = OffsetFileClock(clock_file)
    write_clock_offset(clock_file, 60)
    assert clock.advanced_s == 60
    write_clock_offset(clock_file, 10)
    assert clock.advanced_s == 60


def test_a_file_that_cannot_be_read_for_a_moment_keeps_the_last_offset(clock_file):
    clock = OffsetFileClock(clock_file)
    write_clock_offset(clock_file, 5)
    assert clock.advanced_s == 5
    clock_file.write_text("{half a fi", encoding="utf-8")
    assert clock.advanced_s == 5
    clock_file.unlink()
    assert clock.advanced_s == 5
    write_clock_offset(clock_file, 7)
    assert clock.advanced_s == 7


@pytest.mark.parametrize("content, message", [
    ("not json", "is not JSON"),
    ('{"advanced_s": -1}', "must hold"),
    ('{"advanced_s": "5"}', "must hold"),
    ('{"advanced_s": true}', "must hold"),
    ("[1]", "must hold"),
    ('{"advanced_s": 1e300}', "must hold"),
])
def test_a_bad_file_is_refused_when_the_clock_is_made(tmp_path, content, message):
    path = tmp_path / "clock.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        OffsetFileClock(path)


def test_a_missing_file_is_refused_when_the_clock_is_made(tmp_path):
    with pytest.raises(OSError):
        read_clock_offset(tmp_path / "missing.json")


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "5", True, 1e12])
def test_only_a_sensible_offset_is_written(tmp_path, bad):
    with pytest.raises(ValueError, match="a clock offset must be a number"):
        write_clock_offset(tmp_path / "clock.json", bad)
    assert not (tmp_path / "clock.json").exists()


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def refuse(*_args):
        raise OSError("disk full")

    monkeypatch.setattr("companion.clock.os.replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_clock_offset(tmp_path / "clock.json", 1)
    assert list(tmp_path.iterdir()) == []


def test_a_wait_ends_when_the_tests_move_the_clock_past_it(clock_file):
    clock, event = OffsetFileClock(clock_file), threading.Event()
    mover = threading.Timer(0.05, lambda: write_clock_offset(clock_file, 3600))
    started = time.monotonic()
    mover.start()
    assert clock.wait(event, 60) is False  # an hour of the clock passed, not of the wall clock
    assert time.monotonic() - started < 5


def test_a_wait_ends_when_its_event_is_set_and_sleeps_are_real(clock_file):
    clock, event = OffsetFileClock(clock_file), threading.Event()
    threading.Timer(0.02, event.set).start()
    assert clock.wait(event, 60) is True
    assert clock.wait(event, None) is True
    started = time.monotonic()
    clock.sleep(0.01)
    clock.sleep(0)
    assert time.monotonic() - started >= 0.01 and clock.advanced_s == 0


def test_a_followed_clock_writes_its_offset_at_once_and_after_every_move(tmp_path):
    clock, path = FollowedClock(), tmp_path / "clock.json"
    clock.advance(10)
    stop = clock.follow_with_file(path)
    assert read_clock_offset(path) == 10
    clock.advance(20)
    assert read_clock_offset(path) == 30
    clock.sleep(5)  # a retry's backoff moves the clock too
    assert read_clock_offset(path) == 35
    stop()
    stop()  # twice is fine
    clock.advance(1)
    assert read_clock_offset(path) == 35


def test_followers_hear_the_new_offset_after_what_fell_due(tmp_path):
    clock, heard, due = FollowedClock(), [], []
    clock.call_later(5, lambda: due.append(clock.advanced_s))
    clock.follow(lambda offset: heard.append((offset, list(due))))
    clock.advance(5)
    assert heard == [(5, [5])]
