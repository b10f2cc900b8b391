"""Choosing how to reach a server: probe every connection plex.tv lists for it, at once.

Each connection is asked ``GET /identity`` (no token needed) with a short timeout, all concurrently. A
good answer is a 200 whose ``machineIdentifier`` is the server's (an address that now belongs to another
server is no good). The choice follows the preference local, then remote, then relay: a connection
wins once it answered well and every connection before it failed, so the first good answer in that
order wins without waiting for the slower ones behind it.
"""

from __future__ import annotations

import concurrent.futures
import logging
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

import requests

from ..plextv import Connection, ServerResource
from .errors import NoConnectionError

__all__ = ["ChosenConnection", "ConnectionProber"]

log = logging.getLogger("companion.signin")


@dataclass(frozen=True)
class ChosenConnection:
    """The server and the connection that answered for it."""

    server: ServerResource
    connection: Connection

    @property
    def uri(self) -> str:
        return self.connection.uri


class ConnectionProber:
    """Probes a server's connections concurrently (``timeout_s`` each, real network time)."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s

    def choose(self, server: ServerResource) -> ChosenConnection:
        """The first connection, in preference order, that answers as ``server``; :class:`NoConnectionError`
        (saying what each one did) when none does."""
        candidates = server.in_order()
        if not candidates:
            raise NoConnectionError("plex", "connect", f"plex.tv lists no connection for {server.name!r}")
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(candidates), thread_name_prefix="probe")
        try:
            futures = [pool.submit(self._probe, server, c) for c in candidates]
            problems = []
            for connection, future in zip(candidates, futures):
                problem = future.result()
                if problem is None:
                    log.info("%s: chose the %s connection %s", server.name, connection.location, connection.uri)
                    return ChosenConnection(server, connection)
                problems.append(f"{connection.location} {connection.uri}: {problem}")
        finally:
            pool.shutdown(wait=False, cancel_futures=True)  # slower probes end by their own timeout
        raise NoConnectionError("plex", "connect", f"no connection of {server.name!r} answered: "
                                + "; ".join(problems))

    def _probe(self, server: ServerResource, connection: Connection) -> str | None:
        """None when ``connection`` answers as ``server``, else what went wrong (a few words)."""
        try:
            with requests.Session() as session:
                answer = session.get(connection.uri + "/identity", headers={"Accept": "application/json"},
                                     timeout=(self.timeout_s, self.timeout_s))
        except requests.Timeout:
            return f"no answer within {self.timeout_s:g}s"
        except requests.ConnectionError:
            return "connection refused or reset"
        except requests.RequestException as error:
            return type(error).__name__
        if answer.status_code != 200:
            return f"HTTP {answer.status_code}"
        machine = _machine_identifier(answer)
        if machine != server.client_identifier:
            return f"another server answered ({machine or 'no machineIdentifier'})"
        return None


def _machine_identifier(answer: requests.Response) -> str | None:
    """``machineIdentifier`` of an ``/identity`` answer, JSON or XML; None when there is none."""
    try:
        body = answer.json()
        container = body.get("MediaContainer") if isinstance(body, dict) else None
        value = container.get("machineIdentifier") if isinstance(container, dict) else None
        return str(value) if value else None
    except ValueError:
        pass
    try:
        return ElementTree.fromstring(answer.content).get("machineIdentifier")
    except ElementTree.ParseError:
        return None
