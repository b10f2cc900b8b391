"""Socket.IO long-polling without a thread per waiting client.

python-engineio's threading server answers a long-polling ``GET`` by blocking
its thread on the socket's packet queue until there is something to send (up
to the ping interval plus timeout, 45 s). Behind the mock's WSGI thread pool
that is one worker per polling client: a few dozen polling clients held every
worker, and the status page and new connections waited for one.

Here the wait happens on the event loop instead:

- every Engine.IO socket's queue is a :class:`WatchedQueue`, which calls back
  (from whichever thread puts) when a packet arrives;
- :class:`LongPollWaiter`, an ASGI layer in front of the Socket.IO WSGI app,
  holds a polling ``GET`` as an ``asyncio`` future until its socket's queue
  has a packet (a message, a ping, the close), then hands it to a worker
  thread, which finds the packet at once and answers;
- in that thread the poll (marked :data:`WAITED`) waits at most
  :data:`POLL_GRACE_S` for its packet (see
  :mod:`~mockservers.uptime_kuma.engine`), so no poll holds a thread for long.

An idle client's poll ends after the ping interval plus the ping timeout, as
engineio's did: the server's ping packet wakes it well before.
"""

from __future__ import annotations

import asyncio
import queue
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs

__all__ = ["WatchedQueue", "LongPollWaiter", "POLL_GRACE_S", "WAITED"]

#: how long a poll handed to a worker thread may still wait for a packet there (real seconds)
POLL_GRACE_S = 1.0
#: scope key (WSGI: ``environ["asgi.scope"]``) set on the polls :class:`LongPollWaiter` held until ready
WAITED = "mockservers.waited_poll"


class WatchedQueue(queue.Queue):
    """A ``queue.Queue`` that tells a watcher (on any thread) when a packet is put in it."""

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self._watchers: list[Callable[[], None]] = []

    def watch(self, callback: Callable[[], None]) -> bool:
        """True when a packet is waiting now (``callback`` is then not kept); else ``callback()`` is called once,
        from the putting thread, when the next packet is put."""
        with self.mutex:
            if self._qsize():
                return True
            self._watchers.append(callback)
            return False

    def unwatch(self, callback: Callable[[], None]) -> None:
        """Forget ``callback`` (no error when it was called already)."""
        with self.mutex:
            if callback in self._watchers:
                self._watchers.remove(callback)

    def _put(self, item: Any) -> None:  # called with self.mutex held
        super()._put(item)
        watchers, self._watchers = self._watchers, []
        for callback in watchers:
            callback()


Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class LongPollWaiter:
    """ASGI: hold each long-polling ``GET`` under ``prefix`` on the event loop until its socket has a packet.

    ``sockets`` returns the Engine.IO server's sockets by sid; ``max_wait_s``
    returns how long an idle poll may last (ping interval plus timeout).
    Everything else goes straight to ``app``. :attr:`waiting` counts the
    polls held now.
    """

    def __init__(self, app: Callable, sockets: Callable[[], dict[str, Any]], max_wait_s: Callable[[], float],
                 prefix: str = "/socket.io") -> None:
        self.app = app
        self.sockets = sockets
        self.max_wait_s = max_wait_s
        self.prefix = prefix
        self.waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watched = self._watched_queue(scope)
        if watched is None:
            await self.app(scope, receive, send)
            return
        await self._until_ready(watched)
        scope[WAITED] = True
        await self.app(scope, receive, send)

    def _watched_queue(self, scope: Scope) -> WatchedQueue | None:
        """The queue of the socket a long-polling ``GET`` reads, or None when this is not one to hold."""
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(self.prefix):
            return None
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        sid = query.get("sid", [None])[0]
        if sid is None or query.get("transport", ["polling"])[0] != "polling":
            return None
        socket = self.sockets().get(sid)
        if socket is None or socket.closed or socket.upgrading or socket.upgraded:
            return None
        packets = getattr(socket, "queue", None)
        return packets if isinstance(packets, WatchedQueue) else None

    async def _until_ready(self, packets: WatchedQueue) -> None:
        loop = asyncio.get_running_loop()
        ready = loop.create_future()

        def wake() -> None:  # from the thread that put the packet
            try:
                loop.call_soon_threadsafe(lambda: ready.done() or ready.set_result(None))
            except RuntimeError:  # the loop closed meanwhile (the mock stopped)
                pass

        if packets.watch(wake):
            return
        self.waiting += 1
        try:
            await asyncio.wait_for(ready, timeout=self.max_wait_s())
        except asyncio.TimeoutError:
            pass
        finally:
            self.waiting -= 1
            packets.unwatch(wake)
