"""Serve a WSGI app (the dashboard) on 127.0.0.1 and a free port from a background thread."""

from __future__ import annotations

import threading
from typing import Any, Callable

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import INBOX_EXTENSION
from .page import LIVE_EXTENSION

__all__ = ["DashboardServer"]


class _QuietHandler(WSGIRequestHandler):
    """No access line per request on stdout/stderr."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        pass

    def log_error(self, *args: Any) -> None:  # noqa: D102
        pass


class DashboardServer:
    """A threaded werkzeug server for ``app``: bind first (port 0 = free port), then serve.

    ``start()`` / ``stop()`` (shutdown + join; stopping twice is fine), ``url``,
    ``port``, ``is_running()``, and a context manager. A second ``start()`` while
    running is an error.

    Usage::

        with DashboardServer(create_dashboard_app(...)) as server:
            requests.get(server.url + "/health")
    """

    def __init__(self, app: Callable, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        """The bound port (known once started)."""
        if self._port is None:
            raise RuntimeError("dashboard server has not been started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:40123``."""
        return f"http://{self.host}:{self.port}"

    @property
    def inbox(self) -> Any:
        """The app's webhook inbox (when the app is the dashboard app)."""
        return getattr(self.app, "extensions", {}).get(INBOX_EXTENSION)

    def start(self) -> "DashboardServer":
        """Bind and serve in a daemon thread; return self."""
        with self._lock:
            if self._server is not None:
                raise RuntimeError(f"dashboard server is already running on port {self._port}")
            server = make_server(self.host, self._requested_port, self.app, threaded=True,
                                 request_handler=_QuietHandler)
            server.daemon_threads = True
            self._server = server
            self._port = server.server_port
            self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                                            name=f"dashboard:{self._port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Shut down and join the serving thread. A no-op when not running."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        feed = getattr(self.app, "extensions", {}).get(LIVE_EXTENSION)
        if feed is not None:
            feed.disconnect_all()  # open event streams end, so their threads do not outlive the server
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def is_running(self) -> bool:
        """True between start() and stop()."""
        return self._server is not None

    def __enter__(self) -> "DashboardServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
