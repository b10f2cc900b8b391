"""Fault schedules: checked at load (errors name the row or line), played on the clock onto real mocks."""

from __future__ import annotations

import json
import threading

import pytest
import requests

from mockservers import OverseerrMock, UptimeKumaMock
from ResilienceTimeline.context import TimelineContext
from ResilienceTimeline.schedule import ScheduleError, SchedulePlayer, load_json, parse_rows, rows_from

THREE_SERVICES = ["0s", "plex", "refuse", "40s",
                  "5s", "overseerr", "delay 2s", "10s",
                  "20s", "uptime-kuma", "drop-sockets", "-"]


def test_a_three_service_table_loads_in_time_order():
    schedule = parse_rows(rows_from([["20s", "uptime-kuma", "drop-sockets", "-"], ["0s", "plex", "refuse", "40s"],
                                     ["5", "overseerr", "503", "1 min"]]))
    assert [e.describe() for e in schedule.entries] == [
        "at 0 s plex: connection refused for 40 s",
        "at 5 s overseerr: every request answers 503 for 60 s",
        "at 20 s uptime-kuma: Socket.IO connections dropped",
    ]
    assert schedule.services == ["overseerr", "plex", "uptime-kuma"]


@pytest.mark.parametrize("fault, label", [("status 429", "every request answers 429"), ("reset", "every request: reset"),
                                          ("delay:250ms", "delay 250 ms"), ("HANG", "every request: hang"),
                                          ("Status=502", "every request answers 502")])
def test_fault_spellings(fault, label):
    assert parse_rows(["1s", "plex", fault, "2s"]).entries[0].label == label


@pytest.mark.parametrize("cells, message", [
    (["0s", "jellyfin", "refuse", "1s"], "row 1: unknown service 'jellyfin': expected one of plex, plextv, overseerr, "
                                         "uptime-kuma"),
    (["0s", "plex", "refuse", "1s", "1s", "plex", "explode", "1s"], "row 2: unknown fault 'explode': expected one of"),
    (["-1s", "plex", "refuse", "1s"], "row 1: the time must be a finite time from 0"),
    (["nan", "plex", "refuse", "1s"], "row 1: the time must be a finite time from 0"),
    (["inf", "plex", "refuse", "1s"], "row 1: the time must be a finite time from 0"),
    (["soon", "plex", "refuse", "1s"], "row 1: the time must be a time such as 5s"),
    (["0s", "plex", "refuse", "0s"], "row 1: the duration must be longer than 0 s"),
    (["0s", "plex", "refuse", "NaN"], "row 1: the duration must be a finite time"),
    (["0s", "plex", "drop-sockets", "-"], "row 1: drop-sockets is an Uptime Kuma fault, not one of plex"),
    (["0s", "uptime-kuma", "drop-sockets", "5s"], "row 1: drop-sockets happens at one moment"),
    (["0s", "plex", "status 200", "5s"], "row 1: unknown fault 'status 200'"),
    (["0s", "plex", "refuse"], "row 1: 3 cell(s) ['0s', 'plex', 'refuse']: every row has four cells"),
    ([], "no rows"),
])
def test_bad_rows_fail_at_load_naming_the_row(cells, message):
    with pytest.raises(ScheduleError) as err:
        parse_rows(cells)
    assert message in str(err.value)


@pytest.mark.parametrize("cells, clash", [
    (["0s", "plex", "503", "10s", "5s", "plex", "reset", "10s"], "row 2: 'at 5 s plex: every request: reset for 10 s' "
                                                                  "overlaps 'at 0 s plex: every request answers 503 for "
                                                                  "10 s' (row 1)"),
    (["0s", "plex", "delay 1s", "-", "30s", "plex", "delay 2s", "5s"], "row 2:"),
    (["0s", "plex", "refuse", "10s", "9s", "plex", "delay 1s", "5s"], "row 2:"),
])
def test_contradicting_windows_on_one_mock_fail_naming_both(cells, clash):
    with pytest.raises(ScheduleError, match="contradicts it") as err:
        parse_rows(cells)
    assert clash in str(err.value)


def test_windows_that_touch_or_differ_in_kind_or_mock_are_fine():
    parse_rows(["0s", "plex", "503", "10s", "10s", "plex", "reset", "5s",       # one after the other
                "0s", "plex", "delay 1s", "30s",                               # a delay beside a status
                "0s", "overseerr", "refuse", "30s"])                           # another mock


def write(tmp_path, text: str):
    path = tmp_path / "schedule.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_json_loads_a_list_or_an_entries_object(tmp_path):
    entries = [{"at": 0, "service": "plex", "fault": "refuse", "for": 40},
               {"at": "5s", "service": "overseerr", "fault": "delay 2s", "for": "10s"},
               {"at": 20, "service": "uptime-kuma", "fault": "drop-sockets"}]
    listed = load_json(write(tmp_path, json.dumps(entries, indent=2)))
    wrapped = load_json(write(tmp_path, json.dumps({"name": "three services", "entries": entries}, indent=2)))
    assert listed.describe() == wrapped.describe() and len(listed.entries) == 3
    assert [e.where for e in wrapped.entries] == ["line 4", "line 10", "line 16"]
    assert listed.source == "schedule.json"


def test_json_errors_name_the_line_of_the_entry(tmp_path):
    text = ('[\n  {"at": 0, "service": "plex", "fault": "refuse", "for": 40},\n'
            '  {"at": -5, "service": "overseerr", "fault": "503", "for": 10}\n]')
    with pytest.raises(ScheduleError, match=r"schedule.json, line 3: the time must be a finite time from 0"):
        load_json(write(tmp_path, text))


@pytest.mark.parametrize("text, message", [
    ("{", "not valid JSON"),
    ('{"name": "x"}', 'an object with an "entries" list'),
    ("[]", "has no entries"),
    ('[\n 5\n]', "line 2: an entry must be an object"),
    ('[\n {"at": 0, "service": "plex", "fault": "refuse", "until": 3}\n]', "line 2: an entry has 'at', 'service'"),
    ('[\n {"at": 0, "service": "plex", "fault": "refuse", "for": 9},\n {"at": 1, "service": "plex", '
     '"fault": "refuse", "for": 1}\n]', "line 3: 'at 1 s plex"),
])
def test_bad_json_schedules_fail_with_a_clear_message(tmp_path, text, message):
    with pytest.raises(ScheduleError, match="schedule.json") as err:
        load_json(write(tmp_path, text))
    assert message in str(err.value)


def test_a_missing_file_is_a_schedule_error(tmp_path):
    with pytest.raises(ScheduleError, match="cannot read the schedule"):
        load_json(tmp_path / "absent.json")


@pytest.fixture
def three_mocks(clock, plex):
    with OverseerrMock(clock=clock) as overseerr, UptimeKumaMock() as kuma:
        yield {"plex": plex, "overseerr": overseerr, "uptime-kuma": kuma}


def status_of(mock, path: str = "/") -> int | str:
    try:
        return requests.get(mock.url + path, timeout=2).status_code
    except requests.ConnectionError:
        return "refused"


def test_advancing_the_virtual_clock_plays_the_due_entries(clock, three_mocks):
    plex, overseerr = three_mocks["plex"], three_mocks["overseerr"]
    ctx = TimelineContext(clock=clock)
    for service, mock in three_mocks.items():
        ctx.watch_mock(service, mock)
    ctx.begin("schedule")
    player = ctx.play(parse_rows(["0s", "plex", "refuse", "40s", "5s", "overseerr", "503", "10s",
                                  "20s", "uptime-kuma", "drop-sockets", "-"]))
    assert status_of(plex) == "refused" and status_of(overseerr, "/api/v1/status") == 200

    def advance(seconds: float) -> None:
        clock.advance(seconds)
        ctx.look()  # settles the schedule, as the library does after every keyword

    advance(5)
    assert status_of(overseerr, "/api/v1/status") == 503
    advance(10)
    assert status_of(overseerr, "/api/v1/status") == 200
    advance(5)
    assert player.applied[-1] == "start at 20 s uptime-kuma: Socket.IO connections dropped"
    assert status_of(plex) == "refused"
    advance(20)
    assert status_of(plex) == 401  # listening again (no token: Plex's 401)
    faults = [(e.service, e.get("state"), round(ctx.timeline.elapsed(e.time))) for e in ctx.timeline.events("fault")]
    assert faults == [("plex", "on", 0), ("overseerr", "on", 5), ("overseerr", "off", 15),
                      ("uptime-kuma", "instant", 20), ("plex", "off", 40)]
    ctx.look()  # the watcher saw the same changes through the player: nothing recorded twice
    assert len(ctx.timeline.events("fault")) == 5
    ctx.close()


def test_entries_a_long_advance_passes_are_placed_where_they_were_due(clock, three_mocks):
    ctx = TimelineContext(clock=clock)
    for service, mock in three_mocks.items():
        ctx.watch_mock(service, mock)
    ctx.begin("one jump")
    ctx.play(parse_rows(["0s", "plex", "refuse", "40s", "5s", "overseerr", "503", "10s",
                         "20s", "uptime-kuma", "drop-sockets", "-"]))
    clock.advance(45)  # one jump past every entry: each is applied now, but placed at its own moment
    ctx.look()
    faults = [(e.service, e.get("state"), round(ctx.timeline.elapsed(e.time))) for e in ctx.timeline.events("fault")]
    assert faults == [("plex", "on", 0), ("overseerr", "on", 5), ("overseerr", "off", 15),
                      ("uptime-kuma", "instant", 20), ("plex", "off", 40)]
    ctx.close()


class LazyClock:
    """A clock whose scheduled calls never fire by themselves: as when ``VirtualClock.advance`` returned
    while its timer thread had not run a due step yet."""

    def __init__(self) -> None:
        self.now = 1000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def call_later(self, delay_s, callback):
        return threading.Timer(3600, callback)  # never started: cancel() is all it needs


def test_settle_runs_the_due_steps_in_order_and_each_only_once(plex):
    clock = LazyClock()
    player = SchedulePlayer(parse_rows(["1s", "plex", "503", "2s", "3s", "plex", "reset", "1s"]), {"plex": plex},
                            clock).start()
    assert player.applied == []
    clock.now += 3.5
    player.settle()
    player.settle()
    assert player.applied == ["start at 1 s plex: every request answers 503 for 2 s",
                              "end at 1 s plex: every request answers 503 for 2 s",
                              "start at 3 s plex: every request: reset for 1 s"]
    player.stop()
    assert player.applied[-1] == "stop at 3 s plex: every request: reset for 1 s"


def test_stopping_ends_the_windows_still_on_and_cancels_the_rest(clock, three_mocks):
    plex, overseerr = three_mocks["plex"], three_mocks["overseerr"]
    player = SchedulePlayer(parse_rows(["0s", "plex", "delay 1s", "-", "1s", "overseerr", "refuse", "5s"]),
                            three_mocks, clock).start()
    assert plex.faults.delay_ms == 1000 and [e.fault for e in player.active] == ["delay"]
    player.stop()
    assert plex.faults.delay_ms == 0 and player.active == []
    clock.advance(2)
    assert overseerr.is_running()  # the refusal at 1 s was cancelled


def test_a_schedule_for_a_mock_not_running_fails_before_playing(clock, plex):
    with pytest.raises(ScheduleError, match="no mock running for overseerr \\(running: plex\\)"):
        SchedulePlayer(parse_rows(["0s", "overseerr", "503", "1s"]), {"plex": plex}, clock)


def test_on_the_wall_clock_the_schedule_runs_in_real_time(plex):
    class Wall:
        def time(self):
            import time
            return time.time()

    done = threading.Event()
    player = SchedulePlayer(parse_rows(["0.05s", "plex", "503", "0.05s"]), {"plex": plex}, Wall(),
                            on_change=lambda service, mock: done.set() if not player.active else None).start()
    assert done.wait(2)
    assert [line.split(" at ")[0] for line in player.applied] == ["start", "end"]
