"""Doors: one TCP port per connection plex.tv lists for a server, in front of the server it reaches.

A real Plex Media Server is listed under several addresses (its LAN address, its public address, the
Plex relay) and each can fail on its own: the LAN address refuses from inside a container, the relay
is slow. Locally every address is ``127.0.0.1``, so each listed connection gets a port of its own, a
:class:`Door`, that forwards the bytes to the server (a Plex mock) and can be told to misbehave:

==============  ======================================================================================
``answers``     forwards every connection to the server
``refuses``     does not listen: callers get *connection refused* (the port stays reserved, bound but
                not listening, so nothing else takes it)
``slow``        accepts, waits ``delay_ms`` (real time), then forwards
``hangs``       accepts and never answers, until the caller gives up or the door changes
==============  ======================================================================================

A door whose server refuses the forwarded connection resets the caller's connection (what a caller of
a dead address behind a NAT sees). Every door of one mock runs on one asyncio event loop in a daemon
thread (:class:`DoorLoop`), started with the first door and stopped with the mock.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from typing import Any, Coroutine

__all__ = ["BEHAVIOURS", "Door", "DoorLoop"]

BEHAVIOURS = ("answers", "refuses", "slow", "hangs")
#: bytes read per step when forwarding
CHUNK = 65536
#: how long a loop call from another thread may take before it is abandoned (real seconds; generous: a busy
#: machine can hold the loop's thread back for seconds)
CALL_TIMEOUT_S = 30.0


class DoorLoop:
    """One asyncio event loop in a daemon thread, shared by the doors of one mock."""

    def __init__(self, name: str = "plextv-doors") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coroutine`` on the loop (started on first use) and return its result."""
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                ready = threading.Event()
                self._thread = threading.Thread(target=self._run, args=(self._loop, ready), name=self._name,
                                                daemon=True)
                self._thread.start()
                ready.wait()
            loop = self._loop
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(CALL_TIMEOUT_S)

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:  # connections still forwarding when the doors closed
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        finally:
            loop.close()

    def stop(self) -> None:
        """Stop the loop and join its thread (the doors must be closed first)."""
        with self._lock:
            loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=CALL_TIMEOUT_S)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close the caller's connection with a TCP reset (``SO_LINGER`` 0), not a polite FIN."""
    sock = writer.get_extra_info("socket")
    try:
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy ``reader`` to ``writer`` until either side ends, then close ``writer``."""
    try:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


class Door:
    """One port on ``host`` that forwards to ``target`` (``(host, port)``) the way :attr:`behaviour` says.

    The port is reserved at once (bound, not listening) and kept until :meth:`close`.
    """

    def __init__(self, loop: DoorLoop, host: str, target: tuple[str, int] | None, behaviour: str = "answers",
                 delay_ms: float = 0.0) -> None:
        self._loop = loop
        self.host = host
        self.target = target
        self.behaviour = "refuses"
        self.delay_ms = 0.0
        self._reserved: socket.socket | None = _reserve(host, 0)
        self.port: int = self._reserved.getsockname()[1]
        self._server: asyncio.AbstractServer | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self.set(behaviour, delay_ms, target)

    @property
    def uri(self) -> str:
        """``http://host:port``: what plex.tv lists for this connection."""
        return f"http://{self.host}:{self.port}"

    def set(self, behaviour: str, delay_ms: float = 0.0, target: tuple[str, int] | None = None) -> None:
        """Change how the door behaves (connections it holds now are closed); ``target`` if given."""
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"behaviour must be one of {', '.join(BEHAVIOURS)}, got {behaviour!r}")
        if target is not None:
            self.target = target
        self.delay_ms = float(delay_ms)
        self.behaviour = behaviour
        self._loop.call(self._apply(listen=behaviour != "refuses"))

    def close(self) -> None:
        """Stop listening, drop the connections held and free the port."""
        self._loop.call(self._apply(listen=False))
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None

    async def _apply(self, listen: bool) -> None:
        for writer in list(self._open):
            _reset(writer)
        self._open.clear()
        if listen and self._server is None:
            if self._reserved is not None:
                self._reserved.close()
                self._reserved = None
            self._server = await asyncio.start_server(self._serve, sock=_listening(self.host, self.port))
        elif not listen and self._server is not None:
            self._server.close()
            self._server = None
            try:
                self._reserved = _reserve(self.host, self.port)
            except OSError:  # taken meanwhile: the port refuses anyway, it is just not ours to keep
                self._reserved = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open.add(writer)
        try:
            if self.behaviour == "hangs":
                while await reader.read(CHUNK):
                    pass  # the request is read and never answered
                writer.close()
                return
            if self.delay_ms > 0:
                await asyncio.sleep(self.delay_ms / 1000.0)
            if writer not in self._open or self.target is None:
                return
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
            except OSError:
                _reset(writer)
                return
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        except asyncio.CancelledError:  # the loop is stopping: the connection ends with it (asyncio's stream
            writer.transport.abort()    # callback must not see a cancelled task)
        finally:
            self._open.discard(writer)


def _reserve(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` and not listening: the port is ours and connections are refused."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _listening(host: str, port: int) -> socket.socket:
    sock = _reserve(host, port)
    sock.listen(128)
    sock.setblocking(False)
    return sock
