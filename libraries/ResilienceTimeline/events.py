"""The events of a test's story, and the one-line text each one reads as.

Every event sits on the test's clock (``time`` is that clock's ``time()``, in
seconds since the epoch); :class:`~.timeline.Timeline` shows it relative to
the test's start. Kinds:

| ``request``  | a mock received a request (from its journal): method, path, status, fault, duration_ms |
| ``call``     | a logical call went through a breaker: result success/failure, state (when it began), error |
| ``rejected`` | a call refused by an open breaker, without traffic: operation, count |
| ``answer``   | what a client call returned: stale (True when served from the cache), operation |
| ``breaker``  | a breaker changed state: from_state, to_state, cause |
| ``fault``    | a fault window began or ended (state on/off) or an instant fault happened (state instant): label, window |
| ``socket``   | Uptime Kuma Socket.IO: event connect / disconnect / push / drop |
| ``status``   | a status-service result: status, source, message |
| ``outbox``   | a media request in the companion's outbox: event (queued, delivered, rejected, cancelled, retry-later), submission, media, detail |
| ``note``     | anything else a library records |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["Event", "KINDS", "describe_fields"]

KINDS = ("request", "call", "rejected", "answer", "breaker", "fault", "socket", "status", "outbox", "note")
#: how events at the same moment are ordered (a request happens inside the call that sent it)
_KIND_ORDER = {"fault": 0, "request": 1, "call": 2, "breaker": 3, "rejected": 4, "answer": 5, "socket": 6,
               "status": 7, "outbox": 8, "note": 9}


@dataclass(frozen=True)
class Event:
    """One thing that happened to one service, at one moment of the test's clock."""

    time: float
    kind: str
    service: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0

    def get(self, name: str, default: Any = None) -> Any:
        """One field, or ``default``."""
        return self.fields.get(name, default)

    @property
    def sort_key(self) -> tuple[float, int, int]:
        return (self.time, self.seq, _KIND_ORDER.get(self.kind, 9))

    def describe(self) -> str:
        """What happened, in a few words (no time, no service): ``GET /identity -> 503 (outage) 1.2 ms``."""
        return describe_fields(self.kind, self.fields)


def describe_fields(kind: str, f: Mapping[str, Any]) -> str:
    """The one-line description of an event of ``kind`` with fields ``f``."""
    if kind == "request":
        fault = f" ({f['fault']})" if f.get("fault") else ""
        status = f.get("status")
        answer = "no answer" if status == 0 else str(status)
        return f"{f.get('method', '?')} {f.get('path', '?')} -> {answer}{fault} {float(f.get('duration_ms', 0)):.1f} ms"
    if kind == "call":
        error = f": {f['error']}" if f.get("error") else ""
        return f"call {f.get('result', '?')} (breaker {f.get('state', '?')}){error}"
    if kind == "rejected":
        count = int(f.get("count", 1))
        what = f" {f['operation']}" if f.get("operation") else ""
        return f"{count} call(s){what} rejected by the open breaker, no request sent"
    if kind == "answer":
        what = f"{f['operation']} " if f.get("operation") else ""
        return f"{what}answered {'STALE from the cache' if f.get('stale') else 'fresh'}"
    if kind == "breaker":
        cause = f" ({f['cause']})" if f.get("cause") else ""
        return f"breaker {f.get('from_state', '?')} -> {f.get('to_state', '?')}{cause}"
    if kind == "fault":
        state = f.get("state", "on")
        verb = {"on": "fault on:", "off": "fault off:", "instant": "fault:"}.get(state, f"fault {state}:")
        return f"{verb} {f.get('label', '?')}"
    if kind == "socket":
        detail = f" {f['detail']}" if f.get("detail") else ""
        return f"socket {f.get('event', '?')}{detail}"
    if kind == "status":
        message = f": {f['message']}" if f.get("message") else ""
        return f"status {f.get('status', '?')} (from {f.get('source', '?')}){message}"
    if kind == "outbox":
        detail = f": {f['detail']}" if f.get("detail") else ""
        return f"submission #{f.get('submission', '?')} ({f.get('media', '?')}) {f.get('event', '?')}{detail}"
    rest = ", ".join(f"{k}={v}" for k, v in f.items())
    return f"{kind} {rest}".strip()
