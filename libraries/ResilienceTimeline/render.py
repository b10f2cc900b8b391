"""The timeline as an inline SVG picture and a compact HTML table (plain strings: nothing heavy imported).

The picture has one lane per service. In each lane, from the top:

- **mock**: the requests the mock received, coloured by their answer (2xx/3xx
  green, 4xx amber, 5xx red, no answer (reset, hang) purple), Socket.IO
  (re)connects as teal triangles up, dropped sockets as triangles down;
- **client**: what the Uptime Kuma client reported (teal triangles: (re)connect
  and login up, drop down; small teal dots: pushes), the calls through the breaker (green tick: success, red tick:
  failure), calls the open breaker rejected without traffic (black crossed
  square), answers served stale from the cache (blue diamond), fresh answers
  (small green ring), status-service results (small squares by status);
- **breaker**: its state as a band (green closed, red open, amber half-open;
  hatched amber: open with the reset timeout passed, the next call is the probe).

Fault windows are shaded pink across the lane with their label; a flapping
mock's window is drawn phase by phase: each down phase shaded, each up phase
only outlined (dashed), from when the flapping began. Instant faults are
dashed lines. The x axis is the time since the test began on the test's
clock; every event gets a few pixels of its own, so a burst of calls made at
the same virtual moment is spread out instead of drawn on top of itself (the
ticks say where the seconds are). Every mark has a tooltip with its event.
"""

from __future__ import annotations

import bisect
import html
import math
from typing import Iterable

from .events import Event
from .story import breaker_periods
from .timeline import Timeline

__all__ = ["render_svg", "render_table", "render_html", "flapping_phases", "COLOURS", "MAX_PHASES"]

COLOURS = {
    "ok": "#2e7d32", "client-error": "#f9a825", "server-error": "#c62828", "no-answer": "#6a1b9a",
    "closed": "#a5d6a7", "open": "#ef9a9a", "half-open": "#ffe082", "awaiting": "#ffe082",
    "fault": "#f8bbd0", "stale": "#1565c0", "rejected": "#212121", "socket": "#00838f",
    "up": "#2e7d32", "down": "#c62828", "degraded": "#ef6c00", "grid": "#e0e0e0", "text": "#263238",
}
LEFT, RIGHT, TOP, LANE_H, SHORT_LANE_H, LEGEND_H = 150, 18, 34, 78, 40, 52
ROW_MOCK, ROW_CLIENT, BAND_Y, BAND_H = 18, 40, 56, 12
SLOT_PX = 7.0
#: flapping phases drawn one by one at most; more make one window (a picture of 1 s phases over hours says nothing)
MAX_PHASES = 400
_NICE_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600,
               1800, 3600, 7200, 21600, 86400)


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def request_outcome(event: Event) -> str:
    """``ok``, ``client-error``, ``server-error`` or ``no-answer`` for a request event."""
    status = int(event.get("status") or 0)
    if status == 0:
        return "no-answer"
    return "ok" if status < 400 else "client-error" if status < 500 else "server-error"


class _Scale:
    """Time -> x: proportional to time, plus a few pixels per event so bursts stay readable."""

    def __init__(self, moments: Iterable[float], start: float, end: float, x0: float, width: float) -> None:
        knots = sorted({start, end, *moments})
        self.start, self.end = knots[0], knots[-1]
        span = max(self.end - self.start, 1e-9)
        slot = min(SLOT_PX, 0.5 * width / max(len(knots) - 1, 1))
        rate = (width - slot * (len(knots) - 1)) / span
        self.times = knots
        self.xs = [x0 + rate * (t - self.start) + slot * i for i, t in enumerate(knots)]

    def __call__(self, moment: float) -> float:
        times, xs = self.times, self.xs
        if moment <= times[0]:
            return xs[0]
        if moment >= times[-1]:
            return xs[-1]
        i = bisect.bisect_right(times, moment)
        t0, t1, x0, x1 = times[i - 1], times[i], xs[i - 1], xs[i]
        return x0 + (x1 - x0) * (moment - t0) / (t1 - t0)


def _ticks(start: float, end: float, scale: _Scale, origin: float) -> list[tuple[float, str]]:
    span = max(end - start, 1e-9)
    step = next((s for s in _NICE_STEPS if span / s <= 8), _NICE_STEPS[-1])
    ticks, last_x = [], -1e9
    first = math.ceil((start - origin) / step - 1e-9) * step
    value = first
    while origin + value <= end + 1e-9 and len(ticks) < 200:
        x = scale(origin + value)
        if x - last_x >= 48:
            label = f"{value:.3f}".rstrip("0").rstrip(".") if step < 1 else f"{value:.0f}"
            ticks.append((x, f"{label} s"))
            last_x = x
        value = round(value + step, 9)
    return ticks


def _band_segments(events: list[Event], service: str, start: float, end: float) -> list[tuple[str, float, float]]:
    """(state, from, to) for the breaker band; open past its reset timeout is ``awaiting``."""
    segments = []
    for period in breaker_periods(events, service, start):
        stop = min(period.end, end)
        if stop <= period.start and period.end != math.inf:
            continue
        if period.state == "open" and period.opened_by is not None:
            timeout = float(period.opened_by.get("reset_timeout_s") or 0)
            due = period.start + timeout
            if timeout and due < stop:
                segments.append(("open", period.start, due))
                segments.append(("awaiting", due, stop))
                continue
        segments.append((period.state, period.start, max(stop, period.start)))
    return segments


def _fault_windows(events: list[Event], service: str, end: float) -> tuple[list[tuple[float, float, Event]], list[Event]]:
    """``(from, to, the event that began it)`` for each window of ``service``, and its instant faults."""
    windows, instants, open_ = [], [], {}
    for event in events:
        if event.kind != "fault" or event.service != service:
            continue
        state, key = event.get("state", "on"), event.get("window", event.get("label"))
        if state == "instant":
            instants.append(event)
        elif state == "on":
            open_[key] = event
        elif key in open_:
            began = open_.pop(key)
            windows.append((began.time, event.time, began))
    windows.extend((began.time, end, began) for began in open_.values())
    return sorted(windows, key=lambda w: (w[0], w[1], w[2].seq)), instants


def flapping_phases(began: float, ended: float, phases: dict) -> list[tuple[str, float, float]] | None:
    """``(down|up, from, to)`` for each phase of a flapping window from ``began`` to ``ended``; phases count from
    ``phases["since"]`` (default ``began``), alternating ``down_s`` and ``up_s`` from ``start``. None when more
    than :data:`MAX_PHASES` would be drawn."""
    down, up = float(phases["down_s"]), float(phases["up_s"])
    order = [("down", down), ("up", up)] if phases.get("start", "down") == "down" else [("up", up), ("down", down)]
    origin, period = float(phases.get("since", began)), down + up
    if period <= 0 or (ended - began) / period * 2 > MAX_PHASES:
        return None
    cycle = origin + max(0, int((began - origin) // period)) * period
    out: list[tuple[str, float, float]] = []
    while cycle < ended:
        at = cycle
        for name, length in order:
            start, stop = max(at, began), min(at + length, ended)
            if stop > start:
                out.append((name, start, stop))
            at += length
        cycle += period
    return out


def _fault_window(began: float, ended: float, event: Event, scale: _Scale, timeline: Timeline, top: float,
                  height: float) -> str:
    """One fault window: shaded with its label, or phase by phase for a flapping mock."""
    label, phases = str(event.get("label", "")), event.get("phases")
    drawn = flapping_phases(began, ended, phases) if isinstance(phases, dict) else None
    title = label + (" (phases too short to draw one by one)" if phases and drawn is None else "")
    x1, x2 = scale(began), scale(ended)
    out = [f'<g class="fault"><title>{_esc(title)}</title>']
    if drawn is None or phases.get("steady"):
        out.append(f'<rect x="{x1:.1f}" y="{top}" width="{max(x2 - x1, 2):.1f}" height="{height}" '
                   f'fill="{COLOURS["fault"]}" opacity="0.75"/>')
    for name, start, stop in drawn or []:
        a, b = scale(start), scale(stop)
        look = (f'fill="{COLOURS["fault"]}" opacity="0.75"' if name == "down" else
                f'fill="none" stroke="{COLOURS["fault"]}" stroke-width="1.5" stroke-dasharray="3 2"')
        out.append(f'<rect data-phase="{name}" x="{a:.1f}" y="{top}" width="{max(b - a, 1):.1f}" height="{height}" '
                   f'{look}><title>flapping: {name} {timeline.elapsed(start):+.3f} s .. '
                   f'{timeline.elapsed(stop):+.3f} s</title></rect>')
    out.append(f'<text x="{x1 + 3:.1f}" y="{top + 8}" font-size="9" fill="#ad1457">{_esc(label[:60])}</text></g>')
    return "".join(out)


def _mark(event: Event, x: float, y: float, timeline: Timeline) -> str:
    tip = f"<title>{_esc(f'{timeline.elapsed(event.time):+.3f} s {event.service}: {event.describe()}')}</title>"
    kind = event.kind
    if kind == "request":
        colour = COLOURS[request_outcome(event)]
        if request_outcome(event) == "no-answer":
            return (f'<g stroke="{colour}" stroke-width="2">{tip}<line x1="{x - 4:.1f}" y1="{y - 4}" '
                    f'x2="{x + 4:.1f}" y2="{y + 4}"/><line x1="{x - 4:.1f}" y1="{y + 4}" x2="{x + 4:.1f}" '
                    f'y2="{y - 4}"/></g>')
        return f'<circle cx="{x:.1f}" cy="{y}" r="4" fill="{colour}">{tip}</circle>'
    if kind == "call":
        colour = COLOURS["ok"] if event.get("result") == "success" else COLOURS["server-error"]
        return (f'<line x1="{x:.1f}" y1="{y - 6}" x2="{x:.1f}" y2="{y + 6}" stroke="{colour}" '
                f'stroke-width="3">{tip}</line>')
    if kind == "rejected":
        count = int(event.get("count", 1) or 1)
        times = (f'<text x="{x + 6:.1f}" y="{y + 4}" font-size="9" stroke="none" fill="{COLOURS["rejected"]}">'
                 f'×{count}</text>') if count > 1 else ""
        return (f'<g stroke="{COLOURS["rejected"]}" stroke-width="1.5" fill="white">{tip}'
                f'<rect x="{x - 4.5:.1f}" y="{y - 4.5}" width="9" height="9"/>'
                f'<line x1="{x - 4.5:.1f}" y1="{y + 4.5}" x2="{x + 4.5:.1f}" y2="{y - 4.5}"/>{times}</g>')
    if kind == "answer":
        if event.get("stale"):
            return (f'<path d="M{x:.1f} {y - 6}l6 6-6 6-6-6z" fill="{COLOURS["stale"]}">{tip}</path>')
        return f'<circle cx="{x:.1f}" cy="{y}" r="3" fill="none" stroke="{COLOURS["ok"]}">{tip}</circle>'
    if kind == "socket":
        if event.get("event") == "push":
            return f'<circle cx="{x:.1f}" cy="{y}" r="2.5" fill="{COLOURS["socket"]}">{tip}</circle>'
        up = event.get("event") not in ("disconnect", "drop", "login-rejected")
        path = f"M{x - 5:.1f} {y + 4}h10l-5-9z" if up else f"M{x - 5:.1f} {y - 4}h10l-5 9z"
        return f'<path d="{path}" fill="{COLOURS["socket"]}">{tip}</path>'
    if kind == "status":
        colour = COLOURS.get(str(event.get("status")), COLOURS["text"])
        return f'<rect x="{x - 3:.1f}" y="{y - 3}" width="6" height="6" fill="{colour}">{tip}</rect>'
    if kind == "outbox":  # an envelope: hollow when queued, filled when delivered, red when rejected
        fill = {"delivered": COLOURS["ok"], "rejected": COLOURS["server-error"]}.get(str(event.get("event")), "white")
        return (f'<g stroke="{COLOURS["stale"]}" stroke-width="1.2" fill="{fill}">{tip}'
                f'<rect x="{x - 5:.1f}" y="{y - 3.5}" width="10" height="7"/>'
                f'<path d="M{x - 5:.1f} {y - 3.5}l5 4 5-4" fill="none"/></g>')
    return f'<circle cx="{x:.1f}" cy="{y}" r="2" fill="{COLOURS["text"]}">{tip}</circle>'


_ROW = {"request": ROW_MOCK, "socket": ROW_MOCK}


def _row(event: Event) -> int:
    """The row of a mark: what the mock saw (requests, its sockets) or what the client saw (the rest, and
    socket events the client reported itself, ``side=client``)."""
    if event.kind == "socket" and event.get("side") == "client":
        return ROW_CLIENT
    return _ROW.get(event.kind, ROW_CLIENT)


def _legend(y: int, width: int) -> str:
    items = [
        ('<circle cx="6" cy="0" r="4" fill="{ok}"/>', "2xx/3xx"),
        ('<circle cx="6" cy="0" r="4" fill="{client-error}"/>', "4xx"),
        ('<circle cx="6" cy="0" r="4" fill="{server-error}"/>', "5xx"),
        ('<g stroke="{no-answer}" stroke-width="2"><line x1="2" y1="-4" x2="10" y2="4"/>'
         '<line x1="2" y1="4" x2="10" y2="-4"/></g>', "no answer"),
        ('<path d="M1 4h10l-5-9z" fill="{socket}"/>', "socket connect"),
        ('<path d="M1 -4h10l-5 9z" fill="{socket}"/>', "socket drop"),
        ('<circle cx="6" cy="0" r="2.5" fill="{socket}"/>', "push"),
        ('<rect x="0" y="-6" width="14" height="12" fill="{fault}"/>', "fault window"),
        ('<rect x="0" y="-6" width="14" height="12" fill="none" stroke="{fault}" stroke-width="1.5" '
         'stroke-dasharray="3 2"/>', "flapping: up"),
        ('<line x1="6" y1="-6" x2="6" y2="6" stroke="{ok}" stroke-width="3"/>'
         '<line x1="12" y1="-6" x2="12" y2="6" stroke="{server-error}" stroke-width="3"/>', "call ok / failed"),
        ('<g stroke="{rejected}" fill="white" stroke-width="1.5"><rect x="1.5" y="-4.5" width="9" height="9"/>'
         '<line x1="1.5" y1="4.5" x2="10.5" y2="-4.5"/></g>', "rejected, no request"),
        ('<path d="M6 -6l6 6-6 6-6-6z" fill="{stale}"/>', "answer stale"),
        ('<circle cx="6" cy="0" r="3" fill="none" stroke="{ok}"/>', "answer fresh"),
        ('<g stroke="{stale}" fill="white"><rect x="1" y="-3.5" width="10" height="7"/></g>', "request queued"),
        ('<g stroke="{stale}" fill="{ok}"><rect x="1" y="-3.5" width="10" height="7"/></g>', "request delivered"),
        ('<rect x="0" y="-5" width="14" height="10" fill="{closed}"/>', "closed"),
        ('<rect x="0" y="-5" width="14" height="10" fill="{open}"/>', "open"),
        ('<rect x="0" y="-5" width="14" height="10" fill="url(#tl-hatch)"/>', "open, probe due"),
        ('<rect x="0" y="-5" width="14" height="10" fill="{half-open}"/>', "half-open"),
        ('<rect x="3" y="-3" width="6" height="6" fill="{degraded}"/>', "status (colour: up/degraded/down)"),
    ]
    parts, x, row = [], 8, 0
    for symbol, text in items:
        w = 26 + 6.0 * len(text)
        if x + w > width - RIGHT:
            x, row = 8, row + 1
        parts.append(f'<g transform="translate({x:.0f},{y + 16 + row * 20})">{symbol.format(**COLOURS)}'
                     f'<text x="18" y="4">{_esc(text)}</text></g>')
        x += w
    return "".join(parts)


def _rows_in_use(events: list[Event], service: str) -> tuple[bool, bool]:
    """Does ``service``'s lane need its client row, its breaker band?"""
    mine = [e for e in events if e.service == service]
    client = any(_row(e) == ROW_CLIENT and e.kind not in ("fault", "breaker") for e in mine)
    return client, any(e.kind in ("breaker", "call", "rejected") for e in mine)


def render_svg(timeline: Timeline, *, width: int = 980, title: str = "", events: list[Event] | None = None) -> str:
    """The picture as one ``<svg>`` element (no scripts, no external references)."""
    events = timeline.events() if events is None else events
    services = list(dict.fromkeys(e.service for e in events))
    start = timeline.started_at
    end = max([timeline.now(), *(e.time for e in events)]) if events else timeline.now()
    scale = _Scale((e.time for e in events), start, end, LEFT + 6, width - LEFT - RIGHT - 12)
    rows = {service: _rows_in_use(events, service) for service in services}
    heights = [LANE_H if any(rows[service]) else SHORT_LANE_H for service in services] or [LANE_H]
    bottom = TOP + sum(heights)
    height = bottom + LEGEND_H
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="resilience-timeline" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" font-family="Helvetica,Arial,sans-serif" '
           f'font-size="11" fill="{COLOURS["text"]}" role="img">',
           f'<title>{_esc(title or "Resilience timeline")}</title>',
           '<defs><pattern id="tl-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffe082"/>'
           '<line x1="0" y1="0" x2="0" y2="6" stroke="#ef9a9a" stroke-width="3"/></pattern></defs>',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    if title:
        out.append(f'<text x="8" y="14" font-weight="bold" font-size="12">{_esc(title)}</text>')
    ticks = _ticks(start, end, scale, start)
    for x, label in ticks:
        out.append(f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{bottom}" stroke="{COLOURS["grid"]}"/>'
                   f'<text x="{x:.1f}" y="{TOP - 9}" text-anchor="middle">{_esc(label)}</text>')
    if not services:
        out.append(f'<text x="{LEFT}" y="{TOP + 30}">No events were recorded in this test.</text>')
    for lane, service in enumerate(services):
        y0 = TOP + sum(heights[:lane])
        shade_h = (BAND_Y if heights[lane] == LANE_H else heights[lane]) - 5
        out.append(f'<g class="lane" data-service="{_esc(service)}">')
        has_client, has_breaker = rows[service]
        out.append(f'<line x1="0" y1="{y0}" x2="{width}" y2="{y0}" stroke="#b0bec5"/>'
                   f'<text x="8" y="{y0 + 22}" font-weight="bold" font-size="13">{_esc(service)}</text>'
                   f'<text x="{LEFT - 8}" y="{y0 + ROW_MOCK + 4}" text-anchor="end" fill="#78909c">mock</text>')
        if has_client:
            out.append(f'<text x="{LEFT - 8}" y="{y0 + ROW_CLIENT + 4}" text-anchor="end" fill="#78909c">client</text>')
        if has_breaker:
            out.append(f'<text x="{LEFT - 8}" y="{y0 + BAND_Y + 10}" text-anchor="end" fill="#78909c">breaker</text>')
        windows, instants = _fault_windows(events, service, end)
        for began, ended, event in windows:
            out.append(_fault_window(began, ended, event, scale, timeline, y0 + 3, shade_h))
        for event in instants:
            x = scale(event.time)
            out.append(f'<g class="fault"><title>{_esc(event.describe())}</title><line x1="{x:.1f}" y1="{y0 + 3}" '
                       f'x2="{x:.1f}" y2="{y0 + 3 + shade_h}" stroke="#ad1457" stroke-dasharray="3 2"/>'
                       f'<text x="{x + 3:.1f}" y="{y0 + 11}" font-size="9" fill="#ad1457">'
                       f'{_esc(str(event.get("label", ""))[:40])}</text></g>')
        if has_breaker:
            for state, began, ended in _band_segments(events, service, start, end):
                x1, x2 = scale(began), scale(ended)
                fill = "url(#tl-hatch)" if state == "awaiting" else COLOURS.get(state, "#eeeeee")
                text = {"awaiting": "probe due"}.get(state, state)
                out.append(f'<rect class="band" data-state="{_esc(state)}" x="{x1:.1f}" y="{y0 + BAND_Y}" '
                           f'width="{max(x2 - x1, 1):.1f}" height="{BAND_H}" fill="{fill}"><title>breaker {_esc(text)} '
                           f'{timeline.elapsed(began):+.3f} s .. {timeline.elapsed(ended):+.3f} s</title></rect>')
                if x2 - x1 > 7 * len(text) + 6:
                    out.append(f'<text x="{x1 + 3:.1f}" y="{y0 + BAND_Y + 9.5}" font-size="9">{_esc(text)}</text>')
        out.append('<g class="marks">')
        for event in events:
            if event.service != service or event.kind in ("fault", "breaker"):
                continue
            y = y0 + _row(event)
            out.append(_mark(event, scale(event.time), y, timeline))
        for event in events:
            if event.service == service and event.kind == "breaker":
                x = scale(event.time)
                out.append(f'<line x1="{x:.1f}" y1="{y0 + BAND_Y - 3}" x2="{x:.1f}" y2="{y0 + BAND_Y + BAND_H + 2}" '
                           f'stroke="{COLOURS["text"]}" stroke-width="1.5"><title>{_esc(event.describe())}</title>'
                           f'</line>')
        out.append('</g></g>')
    out.append(f'<line x1="0" y1="{bottom}" x2="{width}" y2="{bottom}" stroke="#b0bec5"/>')
    out.append(f'<text x="{width - RIGHT}" y="{TOP - 22}" text-anchor="end" fill="#78909c" font-size="10">'
               f'time since the test started, on its clock</text>')
    out.append(_legend(bottom, width))
    out.append("</svg>")
    return "".join(out)


def render_table(timeline: Timeline, events: list[Event] | None = None) -> str:
    """The same events as a compact HTML table: time from the start, service, kind, what happened."""
    events = timeline.events() if events is None else events
    rows = []
    for event in events:
        colour = ""
        if event.kind == "request":
            colour = COLOURS[request_outcome(event)]
        elif event.kind in ("rejected", "breaker"):
            colour = COLOURS["rejected"]
        elif event.kind == "answer" and event.get("stale"):
            colour = COLOURS["stale"]
        elif event.kind == "fault":
            colour = "#ad1457"
        style = f' style="color:{colour}"' if colour else ""
        rows.append(f"<tr><td>{timeline.elapsed(event.time):+.3f}</td><td style='white-space:nowrap'>{_esc(event.service)}</td>"
                    f"<td>{_esc(event.kind)}</td><td{style}>{_esc(event.describe())}</td></tr>")
    dropped = f" ({timeline.dropped} older dropped)" if timeline.dropped else ""
    return ('<div class="resilience-timeline-table" style="max-height:320px;overflow:auto">'
            '<table style="border-collapse:collapse;font:11px monospace" border="1" cellpadding="2">'
            f'<caption style="text-align:left">{len(events)} event(s){dropped}, times in seconds from the test start'
            '</caption><thead><tr><th>t (s)</th><th>service</th><th>event</th><th>what</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table></div>")


def render_html(timeline: Timeline, *, title: str = "", width: int = 980) -> str:
    """The picture and the table, for ``logger.info(..., html=True)``."""
    events = timeline.events()
    return (f'<div class="resilience-timeline-log">{render_svg(timeline, width=width, title=title, events=events)}'
            f"{render_table(timeline, events)}</div>")
