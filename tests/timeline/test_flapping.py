"""Flapping on the timeline: the watcher records its phases, the picture draws each down and up phase (issue 22,
item 9c), from when the flapping began to when it ended."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from ResilienceTimeline.render import COLOURS, MAX_PHASES, flapping_phases, render_svg
from ResilienceTimeline.timeline import Timeline

SVG = "{http://www.w3.org/2000/svg}"
LABEL = "flapping 10 s down / 20 s up"


def test_the_watcher_records_the_phases_of_a_flapping_plan(context, clock, plex):
    plex.faults.set_flapping(up_s=20, down_s=10)
    context.look()
    clock.advance(70)
    plex.faults.clear()
    context.look()
    began, ended = context.timeline.events("fault", "plex")
    assert (began.get("state"), began.get("label"), ended.get("state")) == ("on", LABEL, "off")
    assert began.get("phases") == {"down_s": 10.0, "up_s": 20.0, "start": "down", "steady": False,
                                   "since": began.time}


def test_phases_keep_counting_from_when_the_flapping_began_while_other_faults_change(context, clock, plex):
    plex.faults.set_flapping(up_s=20, down_s=10)
    context.look()
    clock.advance(5)
    plex.faults.set_delay(100)  # the mock's flapping phases go on from where they were
    context.look()
    first, _, second = context.timeline.events("fault", "plex")
    assert second.get("phases")["since"] == first.time and second.time - first.time >= 5


def test_a_flapping_plan_with_other_faults_is_steady_besides_its_phases(context, plex):
    plex.faults.set_flapping(up_s=2, down_s=1)
    plex.faults.set_delay(100)
    context.look()
    [began] = context.timeline.events("fault", "plex")
    assert began.get("phases")["steady"] is True


def test_phases_alternate_from_the_start_and_are_cut_at_the_end():
    phases = flapping_phases(100.0, 161.0, {"down_s": 10, "up_s": 20, "start": "down"})
    assert phases == [("down", 100.0, 110.0), ("up", 110.0, 130.0), ("down", 130.0, 140.0), ("up", 140.0, 160.0),
                      ("down", 160.0, 161.0)]
    assert flapping_phases(0.0, 25.0, {"down_s": 10, "up_s": 20, "start": "up"}) == [("up", 0.0, 20.0),
                                                                                    ("down", 20.0, 25.0)]
    assert flapping_phases(0.0, 1e6, {"down_s": 1, "up_s": 1, "start": "down"}) is None  # too many to draw


def flapping_story(clock, steady: bool = False) -> ElementTree.Element:
    timeline = Timeline(clock)
    t0 = timeline.started_at
    phases = {"down_s": 10, "up_s": 20, "start": "down", "steady": steady}
    timeline.record("fault", "plex", at=t0 + 1, state="on", label=LABEL, window="plan", phases=phases)
    timeline.record("request", "plex", at=t0 + 2, method="GET", path="/identity", status=503, duration_ms=1.0)
    timeline.record("request", "plex", at=t0 + 12, method="GET", path="/identity", status=200, duration_ms=1.0)
    timeline.record("fault", "plex", at=t0 + 61, state="off", label=LABEL, window="plan")
    clock.advance(62)
    return ElementTree.fromstring(render_svg(timeline))


def phase_rects(root: ElementTree.Element) -> list[ElementTree.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("data-phase")]


def test_each_down_phase_is_shaded_and_each_up_phase_outlined(clock):
    root = flapping_story(clock)
    rects = phase_rects(root)
    assert [r.get("data-phase") for r in rects] == ["down", "up", "down", "up"]
    assert [r.get("fill") for r in rects] == [COLOURS["fault"], "none", COLOURS["fault"], "none"]
    xs = [float(r.get("x")) for r in rects]
    assert xs == sorted(xs) and len(set(xs)) == 4
    titles = [r.find(f"{SVG}title").text for r in rects]
    assert titles[0] == "flapping: down +1.000 s .. +11.000 s" and titles[1] == "flapping: up +11.000 s .. +31.000 s"
    windows = [g for g in root.iter(f"{SVG}g") if g.get("class") == "fault"]
    assert len(windows) == 1 and windows[0].find(f"{SVG}title").text == LABEL
    assert not [r for r in windows[0].findall(f"{SVG}rect") if not r.get("data-phase")]  # no continuous shading


def test_a_steady_fault_besides_flapping_keeps_the_whole_window_shaded(clock):
    root = flapping_story(clock, steady=True)
    window = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "fault")
    assert len([r for r in window.findall(f"{SVG}rect") if not r.get("data-phase")]) == 1
    assert [r.get("data-phase") for r in phase_rects(root)] == ["down", "up", "down", "up"]


def test_phases_too_short_to_draw_make_one_window_that_says_so(clock):
    timeline = Timeline(clock)
    phases = {"down_s": 0.001, "up_s": 0.001, "start": "down", "steady": False}
    timeline.record("fault", "plex", state="on", label="flapping 0.001 s down / 0.001 s up", window="plan",
                    phases=phases)
    clock.advance(MAX_PHASES)
    root = ElementTree.fromstring(render_svg(timeline))
    assert phase_rects(root) == []
    window = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "fault")
    assert window.find(f"{SVG}title").text.endswith("(phases too short to draw one by one)")


def test_the_legend_names_the_up_phase(clock):
    texts = [t.text for t in flapping_story(clock).iter(f"{SVG}text")]
    assert "fault window" in texts and "flapping: up" in texts
