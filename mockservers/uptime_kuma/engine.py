"""python-socketio / python-engineio server tweaks the Uptime Kuma mock needs for wire fidelity.

* :class:`AckOrderedServer` lets a handler schedule work for after its ack
  was queued (Uptime Kuma acks ``login`` before the after-login pushes);
* its Engine.IO server caps long-polling answers at what Python clients
  accept (see :class:`_BatchLimitedSocket`), and gives every socket a
  :class:`~.polling.WatchedQueue`, so that :class:`~.polling.LongPollWaiter`
  can hold long-polls on the event loop rather than in a thread each.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

import engineio
import socketio
from engineio import payload as eio_payload
from engineio import socket as eio_socket

from .polling import POLL_GRACE_S, WAITED, WatchedQueue

__all__ = ["AckOrderedServer"]

log = logging.getLogger("mockservers.uptime_kuma")
#: per thread: whether the long-poll being answered was held by the waiter until it was ready
_answering = threading.local()


class _BatchLimitedSocket(eio_socket.Socket):
    """An Engine.IO socket whose long-polling answers carry at most what Python clients accept.

    python-engineio clients refuse (and drop the connection on) a polling
    payload of more than ``Payload.max_decode_packets`` (16) packets, while the
    server sends everything queued in one answer: the after-login burst is
    ~25 packets. The rest waits for the next poll, in order.
    """

    max_packets = eio_payload.Payload.max_decode_packets

    def handle_get_request(self, environ, start_response):  # noqa: D102 - engineio's contract
        _answering.waited = bool(environ.get("asgi.scope", {}).get(WAITED))
        try:
            return super().handle_get_request(environ, start_response)
        finally:
            _answering.waited = False

    def poll(self):  # noqa: D102 - engineio's contract
        packets = _first_packet(self)
        while packets and len(packets) < self.max_packets:
            try:
                pkt = self.queue.get(block=False)
            except self.server.get_queue_empty_exception():
                break
            self.queue.task_done()
            if pkt is None:
                self.queue.put(None)
                break
            packets.append(pkt)
        return packets


def _first_packet(sock: eio_socket.Socket) -> list:
    """Wait for the first packet like engineio does (``[]`` once the socket is closing); a long-poll the waiter
    held until it was ready waits at most :data:`~.polling.POLL_GRACE_S` here."""
    timeout = POLL_GRACE_S if getattr(_answering, "waited", False) else \
        sock.server.ping_interval + sock.server.ping_timeout
    try:
        first = sock.queue.get(timeout=timeout)
    except sock.server.get_queue_empty_exception():
        raise engineio.exceptions.QueueEmpty() from None
    sock.queue.task_done()
    return [] if first is None else [first]


class _EngineServer(engineio.Server):
    """``engineio.Server`` whose sockets limit polling batches (see :class:`_BatchLimitedSocket`) and queue
    their packets in a :class:`~.polling.WatchedQueue`."""

    def create_queue(self, *args, **kwargs):  # noqa: D102 - engineio's contract
        return WatchedQueue(*args, **kwargs)

    def _get_socket(self, sid):
        sock = super()._get_socket(sid)
        if type(sock) is eio_socket.Socket:
            sock.__class__ = _BatchLimitedSocket
        return sock


class AckOrderedServer(socketio.Server):
    """A ``socketio.Server`` whose handlers can schedule work for *after* their ack was sent.

    Uptime Kuma acks ``login`` before the after-login pushes arrive; a handler
    calls :meth:`after_ack` and the work runs once python-socketio has queued
    the ack packet, so the client always sees the ack first.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pending = threading.local()

    def _engineio_server_class(self):
        return _EngineServer

    def after_ack(self, work: Callable[[], None]) -> None:
        """Run ``work`` once the current event's ack is sent (at once outside an event handler)."""
        pending = getattr(self._pending, "work", None)
        if pending is None:
            work()
        else:
            pending.append(work)

    def _handle_event_internal(self, server, sid, eio_sid, data, namespace, id):  # noqa: A002 - upstream name
        self._pending.work = []
        try:
            super()._handle_event_internal(server, sid, eio_sid, data, namespace, id)
        finally:
            pending, self._pending.work = self._pending.work, None
            for work in pending:
                try:
                    work()
                except Exception:  # noqa: BLE001 - never kill the handler thread
                    log.exception("after-ack work failed for %s", sid)
