"""What ServiceHealth tells the resilience timeline of the running test (``ResilienceTimeline``), if any.

- :func:`uptime_kuma_event`: the Uptime Kuma client's ``on_event`` hook; its
  connects, logins, drops and live pushes become ``socket`` events on the
  ``uptime-kuma`` lane, as the client saw them (``side=client``).
- :class:`StatusRecorder`: the status service's results become ``status``
  events, one whenever a service's verdict or source changes (a wait that
  polls every 50 ms records the changes, not every poll).

Both do nothing when no ResilienceTimeline library runs the test.
"""

from __future__ import annotations

import threading
from typing import Any, Iterable

from ResilienceTimeline.context import active, record_event

__all__ = ["uptime_kuma_event", "StatusRecorder", "PUSHES_RECORDED"]

#: the pushes worth a mark: live status changes and a new monitor list (not the bulk history after a login)
PUSHES_RECORDED = ("heartbeat ", "monitorList")


def uptime_kuma_event(event: str, detail: str) -> None:
    """``UptimeKumaClient(on_event=...)``: record a (re)connect, login, drop or push on the running test's timeline."""
    if event == "push" and not detail.startswith(PUSHES_RECORDED):
        return
    record_event("socket", "uptime-kuma", event=event, detail=detail, side="client")


class StatusRecorder:
    """Records status-service results on the running test's timeline when a service's verdict changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._timeline: Any = None
        self._last: dict[str, tuple[Any, Any]] = {}

    def seen(self, entries: Iterable[dict[str, Any]]) -> None:
        """The status service answered ``entries`` (``name``, ``status``, ``source``, ``message``)."""
        context = active()
        if context is None:
            return
        timeline = context.timeline
        changed = []
        with self._lock:
            if timeline is not self._timeline:  # a new test: start over
                self._timeline, self._last = timeline, {}
            for entry in entries:
                verdict = (entry.get("status"), entry.get("source"))
                if self._last.get(entry.get("name")) != verdict:
                    self._last[entry.get("name")] = verdict
                    changed.append(entry)
        for entry in changed:
            timeline.record("status", str(entry.get("name")), status=entry.get("status"),
                            source=entry.get("source"), message=entry.get("message") or "")
