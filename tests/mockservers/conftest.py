"""Shared fixtures for the mock-server tests: a minimal service on the core mechanism."""

from __future__ import annotations

import pytest
from flask import Flask, Response

from mockservers.core import MockServer


class EchoMock(MockServer):
    """The smallest service: proves the core mechanism without any real protocol."""

    service_name = "echo"

    def create_app(self) -> Flask:
        app = Flask("echo")

        @app.get("/items")
        def items():
            return {"items": list(range(40)), "total": 40}

        @app.get("/xml")
        def xml():
            return Response('<?xml version="1.0"?><MediaContainer size="2"><Video title="A"/><Video title="B"/>'
                            "</MediaContainer>", mimetype="text/xml")

        @app.post("/items")
        def create():
            return {"created": True}, 201

        return app


@pytest.fixture
def echo():
    """A started echo mock on a free port, stopped afterwards."""
    with EchoMock() as mock:
        yield mock
