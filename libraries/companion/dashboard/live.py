"""Live updates for the health page: server-sent events pushed whenever what the page shows changes.

:class:`LiveFeed` has one watcher thread per process, running only while at
least one page is connected. Every ``interval_s`` (0.1 s) it reads the page's
content (:func:`~.view.health_view`: the latest verdicts, the breaker
registry, the stale answers; no service is called) and, when it differs from
what it last sent, numbers it and wakes every connected stream, which sends it
as one ``health`` event. So every status or breaker change reaches the pages
within one interval, whatever made it: a status check, a call through a
client, or time passing (an open breaker whose reset timeout has run out
turns half-open; its countdown is part of the content, in whole seconds).

Why read state rather than listen for events: the push source is whatever
holds the state. With several workers, a change made by another worker is
seen here as soon as it is in the state this worker reads (the breaker
registry and the status service's verdicts; shared once they live in the
shared state store), without any message between workers.

A stream starts with ``retry: 1000`` (the browser reconnects after 1 s when
the connection drops) and the current content, then sends each change, and a
comment line every ``keepalive_s`` (so a closed connection is noticed where
the server can tell). It ends after ``max_stream_s`` (60 s) and the browser
reconnects at once, getting the current content: a page that went away
unnoticed (a WSGI app behind an ASGI bridge is not told that its client left)
holds its server thread at most that long. At most ``max_streams`` streams
are open at once per process, since each holds one of its server's threads.

:class:`StatusChecker` asks the status service for fresh verdicts every
``interval_s`` of the companion's clock, while pages are connected: without
it, verdicts change only when something else checks (the JSON dashboard, a
page load).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Callable, Iterator

from ..clock import SYSTEM_CLOCK, Clock
from ..timeutil import iso_utc

__all__ = ["LiveFeed", "Stream", "StatusChecker", "TooManyStreams", "EVENT_NAME", "MAX_STREAMS", "MAX_STREAM_S"]

log = logging.getLogger("companion.dashboard.live")
EVENT_NAME = "health"
RECONNECT_MS = 1000
#: pages one process serves live at once: each open stream holds one of its server's threads (a companion
#: worker runs 16), so the dashboard API keeps the others
MAX_STREAMS = 8
#: how long one stream lasts before the page reconnects (bounds what a page that left unnoticed holds)
MAX_STREAM_S = 60.0


class TooManyStreams(RuntimeError):
    """``max_streams`` pages are connected already."""


class StatusChecker:
    """Runs ``check()`` (e.g. ``status_service.get_all_statuses``) every ``interval_s`` of ``clock`` while started."""

    def __init__(self, check: Callable[[], Any], interval_s: float, clock: Clock = SYSTEM_CLOCK) -> None:
        if not interval_s > 0:
            raise ValueError(f"status check interval must be > 0 seconds, got {interval_s!r}")
        self.check = check
        self.interval_s = interval_s
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.checks = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stop,), name="health-page-checks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """No further checks (one running now still ends on its own; nobody waits for it)."""
        self._thread = None
        self._stop.set()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _run(self, stop: threading.Event) -> None:
        while not self.clock.wait(stop, self.interval_s):
            try:
                self.check()
                self.checks += 1
            except Exception:  # noqa: BLE001 - a failed check must not end the checks
                log.exception("periodic status check failed")


class LiveFeed:
    """Server-sent events of ``read()`` (the page's content, JSON-able) to every connected page."""

    def __init__(self, read: Callable[[], dict[str, Any]], *, clock: Clock = SYSTEM_CLOCK, interval_s: float = 0.1,
                 keepalive_s: float = 10.0, max_streams: int = MAX_STREAMS, max_stream_s: float = MAX_STREAM_S,
                 checker: StatusChecker | None = None) -> None:
        self.read = read
        self.max_stream_s = max_stream_s
        self.clock = clock
        self.interval_s = interval_s
        self.keepalive_s = keepalive_s
        self.max_streams = max_streams
        self.checker = checker
        self._cond = threading.Condition()
        self._streams = 0
        self._generation = 0  # + 1 by disconnect_all: streams of an older generation end
        self._version = 0
        self._content: str | None = None
        self._payload: str | None = None
        self._watcher: threading.Thread | None = None

    # -- what the streams send ---------------------------------------------------------
    @property
    def streams(self) -> int:
        """Pages connected now."""
        with self._cond:
            return self._streams

    @property
    def version(self) -> int:
        """How many different contents have been seen (the ``id`` of the last event)."""
        with self._cond:
            return self._version

    def refresh(self) -> bool:
        """Read the content now; if it changed, number it and wake the streams. True when it changed."""
        content = json.dumps(self.read(), sort_keys=True, separators=(",", ":"))
        with self._cond:
            if content == self._content:
                return False
            self._content = content
            self._version += 1
            self._payload = content[:-1] + f',"asOf":{json.dumps(iso_utc(self.clock.now()))}}}'
            self._cond.notify_all()
            return True

    def _watch(self) -> None:
        while True:
            with self._cond:
                if self._streams == 0:
                    self._watcher = None
                    return
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - a failed read must not end the updates; the next one may work
                log.exception("reading the health page's content failed")
            time.sleep(self.interval_s)

    def _subscribe(self) -> int:
        with self._cond:
            if self._streams >= self.max_streams:
                raise TooManyStreams(f"{self._streams} health pages are connected; at most {self.max_streams}")
            self._streams += 1
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, name="health-page-feed", daemon=True)
                self._watcher.start()
            generation = self._generation
        if self.checker is not None:
            self.checker.start()
        return generation

    def release(self) -> None:
        """A stream has ended (:class:`Stream` calls it once): the last one stops the watcher and the checks."""
        with self._cond:
            self._streams -= 1
            last = self._streams == 0
        if last and self.checker is not None:
            self.checker.stop()

    def open_stream(self, alive: Callable[[], bool] = lambda: True) -> "Stream":
        """A new stream (raises :class:`TooManyStreams` at once when full): iterate it for the event text.

        It ends when ``alive()`` turns false (checked at every wake-up), on
        :meth:`disconnect_all`, or when the page goes away (the server then
        closes it: WSGI servers call ``close()``).
        """
        generation = self._subscribe()
        try:
            self.refresh()
        except Exception:
            self.release()
            raise
        return Stream(self, self._events(generation, alive))

    def _events(self, generation: int, alive: Callable[[], bool]) -> Iterator[str]:
        sent = 0
        ends = time.monotonic() + self.max_stream_s
        yield f"retry: {RECONNECT_MS}\n\n"
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._version != sent or self._generation != generation,
                                    timeout=max(0.0, min(self.keepalive_s, ends - time.monotonic())))
                if self._generation != generation:
                    return
                version, payload = self._version, self._payload
            if not alive() or (version == sent and time.monotonic() >= ends):
                return
            if version != sent and payload is not None:
                sent = version
                yield f"id: {version}\nevent: {EVENT_NAME}\ndata: {payload}\n\n"
            else:
                yield ": keep-alive\n\n"

    def disconnect_all(self) -> None:
        """End every open stream (the server is stopping); later pages may connect again."""
        with self._cond:
            self._generation += 1
            self._cond.notify_all()


class Stream:
    """One page's event stream: an iterator of event texts that leaves the feed once, when closed or done."""

    def __init__(self, feed: LiveFeed, events: Iterator[str]) -> None:
        self._feed = feed
        self._events = events
        self._closed = False
        self._lock = threading.Lock()

    def __iter__(self) -> "Stream":
        return self

    def __next__(self) -> str:
        try:
            return next(self._events)
        except StopIteration:
            self.close()
            raise

    def close(self) -> None:
        """Leave the feed (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._events.close()
        self._feed.release()
