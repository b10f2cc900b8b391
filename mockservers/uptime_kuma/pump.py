"""Socket faults and the ordered, delayable sender of every pushed Socket.IO event.

Acks are answered by the handlers themselves; everything the server *pushes*
(``info``, ``monitorList``, ``heartbeat``, ...) goes through one
:class:`EventPump`, so the socket faults apply to all pushes the same way:

* ``stop_events`` — nothing is pushed (acks are still answered);
* ``event_delay_s`` — each push leaves that many seconds *of the mock's
  clock* after it was queued (a latency, not a throttle: the after-login
  burst arrives together, late); advancing the clock sends them at once;
* ``reject_logins`` — read by the login handlers.

Events wait in the pump's queue (a long ``event_delay_s`` holds them): it
holds at most :data:`MAX_QUEUED_BYTES` of them (their JSON size); a push that
would pass it is dropped, counted in :attr:`EventPump.dropped` and logged.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from typing import Any

from mockservers.core import validation as check
from mockservers.core.clock import VirtualClock

__all__ = ["SocketFaults", "EventPump"]

log = logging.getLogger("mockservers.uptime_kuma")

#: the most bytes (JSON) of events waiting to be sent at once; a push beyond it is dropped
MAX_QUEUED_BYTES = 16 * 1024 * 1024


class SocketFaults:
    """The Socket.IO faults of one Uptime Kuma mock; plain attributes, :meth:`clear` resets them."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """No socket faults."""
        self.reject_logins = False
        self.event_delay_s = 0.0
        self.stop_events = False

    def to_dict(self) -> dict[str, Any]:
        """The admin API's form: ``{reject_logins, event_delay_ms, stop_events}``."""
        return {"reject_logins": bool(self.reject_logins), "event_delay_ms": round(float(self.event_delay_s) * 1000, 3),
                "stop_events": bool(self.stop_events)}

    def apply(self, spec: dict[str, Any], *, replace: bool) -> None:
        """Set the faults from the admin API's form; ValueError (nothing changed) on bad input.

        ``replace`` resets the fields ``spec`` leaves out (PUT); otherwise they are kept (PATCH).
        """
        unknown = sorted(set(spec) - {"reject_logins", "event_delay_ms", "stop_events"})
        if unknown:
            raise ValueError(f"unknown socket fault field(s) {', '.join(unknown)}: "
                             "expected reject_logins (bool), event_delay_ms (number >= 0), stop_events (bool)")
        new = {"reject_logins": False, "event_delay_ms": 0.0, "stop_events": False} if replace else self.to_dict()
        for name in ("reject_logins", "stop_events"):
            if name in spec:
                if not isinstance(spec[name], bool):
                    raise ValueError(f"{name} must be true or false, got {spec[name]!r}")
                new[name] = spec[name]
        if "event_delay_ms" in spec:
            new["event_delay_ms"] = check.delay_ms(spec["event_delay_ms"], "event_delay_ms")
        self.reject_logins = new["reject_logins"]
        self.stop_events = new["stop_events"]
        self.event_delay_s = new["event_delay_ms"] / 1000.0

    def __repr__(self) -> str:
        return f"SocketFaults({self.to_dict()!r})"


class EventPump:
    """Emits queued events in order from one background thread, each after the fault delay.

    ``emit`` is ``socketio.Server.emit``-like: ``emit(event, data, to=sid)``;
    ``clock`` times the delays (the mock's clock).
    """

    def __init__(self, emit: Any, faults: SocketFaults, name: str = "uptime-kuma-events",
                 clock: VirtualClock | None = None) -> None:
        self._clock = clock if clock is not None else VirtualClock()
        self._emit = emit
        self._faults = faults
        self._name = name
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        #: bytes (JSON) of the events waiting now, at most :data:`MAX_QUEUED_BYTES`
        self.queued_bytes = 0
        #: pushes dropped because the queue was full
        self.dropped = 0

    def push(self, sid: str, event: str, *args: Any) -> None:
        """Queue ``event(*args)`` for client ``sid`` (dropped while ``stop_events`` is set, or when the
        queue holds :data:`MAX_QUEUED_BYTES` already)."""
        if self._faults.stop_events:
            return
        size = len(event) + len(json.dumps(args, separators=(",", ":"), default=str))
        with self._lock:
            if self.queued_bytes + size > MAX_QUEUED_BYTES:
                self.dropped += 1
                log.warning("uptime-kuma mock: event queue full (%d bytes waiting): %s to %s dropped",
                            self.queued_bytes, event, sid)
                return
            self.queued_bytes += size
        due = self._clock.monotonic() + max(0.0, float(self._faults.event_delay_s))
        self._ensure_thread()
        self._queue.put((due, sid, event, args, size))

    def close(self) -> None:
        """Stop the sender thread; queued events are dropped. A later push starts it again."""
        with self._lock:
            thread = self._thread
            self._thread = None
            if thread is None:
                return
            self._stopping.set()
            self._queue.put(None)
        thread.join(timeout=5)
        with self._lock:
            self._queue = queue.Queue()
            self._stopping = threading.Event()
            self.queued_bytes = 0

    # -- internals ------------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, args=(self._queue, self._stopping),
                                                name=self._name, daemon=True)
                self._thread.start()

    def _run(self, items: queue.Queue, stopping: threading.Event) -> None:
        while not stopping.is_set():
            item = items.get()
            if item is None:
                return
            due, sid, event, args, size = item
            if due > self._clock.monotonic() and self._clock.wait(stopping, due - self._clock.monotonic()):
                return
            with self._lock:
                self.queued_bytes -= size
            if self._faults.stop_events:
                continue
            try:
                self._emit(event, args[0] if len(args) == 1 else tuple(args), to=sid)
            except Exception:  # noqa: BLE001 - a vanished client must not stop the pump
                log.debug("could not push %s to %s", event, sid, exc_info=True)
