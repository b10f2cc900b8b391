"""Ready bytes: an answer is rendered once, and no answer from before a change of state is ever served.

Every read through the running server is compared with a fresh, uncached
render of the same request by the service's own Flask app (``create_app`` over
the same data), after random interleavings of reads and every kind of change:
Python and admin data edits, Overseerr request creation and status changes,
fixture loads, resets and credential changes.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockservers.core.readybytes import DataVersion, changes_data
from mockservers.overseerr import OverseerrMock
from mockservers.overseerr.app import create_app as overseerr_app
from mockservers.plex import PlexMock
from mockservers.plex.app import create_app as plex_app

PLEX_READS = ["/library/sections/1/all?X-Plex-Container-Start=0&X-Plex-Container-Size=5",
              "/library/sections/1/all?X-Plex-Container-Start=100&X-Plex-Container-Size=10",
              "/library/sections", "/", "/identity", "/search?query=the", "/library/metadata/1000"]
OVERSEERR_READS = ["/api/v1/search?query=the", "/api/v1/request?take=5", "/api/v1/request/count",
                   "/api/v1/movie/603", "/api/v1/auth/me", "/api/v1/request/1"]
SMALL_FIXTURE = {"sections": [{"key": "1", "title": "Films", "type": "movie", "items": [{"title": "Heat"}]}]}


def _served(mock: Any, session: requests.Session, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    answer = session.get(mock.url + path, headers=headers, timeout=5)
    return answer.status_code, answer.content


def _rendered(app: Any, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """The same request answered by a fresh Flask app over the same data: no cache anywhere."""
    answer = app.test_client().get(path, headers=headers)
    return answer.status_code, answer.data


plex_steps = st.lists(st.one_of(
    st.tuples(st.just("read"), st.booleans(), st.sampled_from(["now", "now", "old", "none"])),
    st.tuples(st.just("add"), st.text("abcdefgh ", min_size=1, max_size=8).filter(str.strip)),
    st.tuples(st.just("remove")),
    st.tuples(st.just("token"), st.sampled_from(["t-one", "t-two", "t-three"])),
    st.tuples(st.just("fixture"), st.booleans()),
    st.tuples(st.just("admin-add"), st.sampled_from(["Alien", "Brazil"])),
    st.tuples(st.just("reset")),
), min_size=1, max_size=15)


@pytest.mark.untraced  # `make test` runs it outside coverage (pyproject.toml markers)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=plex_steps)
def test_plex_never_serves_an_answer_from_before_a_change(steps):
    with PlexMock(token="t-one") as mock, requests.Session() as session:
        fresh = plex_app(mock.library, token=lambda: mock.token)
        old_token = "t-one"
        for step in steps:
            kind = step[0]
            if kind == "read":
                _, as_json, which = step
                headers = {"Accept": "application/json"} if as_json else {}
                token = {"now": mock.token, "old": old_token, "none": None}[which]
                if token is not None:
                    headers["X-Plex-Token"] = token
                for path in PLEX_READS:  # every route: a ready answer from an earlier read would be served here
                    assert _served(mock, session, path, headers) == _rendered(fresh, path, headers), (path, step)
            elif kind == "add":
                mock.add_item("1", title=f"New {step[1]}")
            elif kind == "remove":
                items = mock.items("1")
                if items:
                    mock.remove_item(items[0]["ratingKey"])
            elif kind == "token":
                old_token, mock.token = mock.token, step[1]
            elif kind == "fixture":
                mock.load_fixture(SMALL_FIXTURE if step[1] else None)
            elif kind == "admin-add":
                answer = session.post(mock.url + "/__admin/plex/sections/1/items", json={"title": step[1]}, timeout=5)
                assert answer.status_code in (201, 400)
            else:
                assert session.post(mock.url + "/__admin/reset", timeout=5).status_code == 200
    assert mock.ready_bytes is not None


overseerr_steps = st.lists(st.one_of(
    st.tuples(st.just("read"), st.booleans()),
    st.tuples(st.just("request"), st.sampled_from([603, 27205, 157336, 550])),
    st.tuples(st.just("status"), st.integers(1, 3), st.integers(1, 3)),
    st.tuples(st.just("media"), st.integers(1, 3), st.integers(1, 5)),
    st.tuples(st.just("key"), st.sampled_from(["k-one", "k-two"])),
    st.tuples(st.just("reset")),
), min_size=1, max_size=15)


@pytest.mark.untraced  # `make test` runs it outside coverage (pyproject.toml markers)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=overseerr_steps)
def test_overseerr_never_serves_an_answer_from_before_a_change(steps):
    with OverseerrMock(api_key="k-one") as mock, requests.Session() as session:
        fresh = overseerr_app(mock.store, api_key=lambda: mock.api_key)
        for step in steps:
            kind = step[0]
            if kind == "read":
                headers = {"X-Api-Key": mock.api_key if step[1] else "k-wrong"}
                for path in OVERSEERR_READS:
                    assert _served(mock, session, path, headers) == _rendered(fresh, path, headers), (path, step)
            elif kind == "request":  # through the server, as a client creates it
                answer = session.post(mock.url + "/api/v1/request", json={"mediaType": "movie", "mediaId": step[1]},
                                      headers={"X-Api-Key": mock.api_key}, timeout=5)
                assert answer.status_code in (201, 404, 409)
            elif kind == "status":
                try:
                    mock.set_request_status(step[1], step[2])
                except KeyError:
                    pass
            elif kind == "media":
                try:
                    mock.set_media_status(step[1], step[2])
                except KeyError:
                    pass
            elif kind == "key":
                mock.api_key = step[1]
            else:
                assert session.post(mock.url + "/__admin/reset", timeout=5).status_code == 200


def test_a_repeated_read_is_served_from_memory():
    with PlexMock() as mock:
        url = mock.url + "/library/sections/1/all?X-Plex-Container-Start=0&X-Plex-Container-Size=50"
        first = requests.get(url, headers={"X-Plex-Token": mock.token}, timeout=5)
        hits = mock.ready_bytes.hits
        second = requests.get(url, headers={"X-Plex-Token": mock.token}, timeout=5)
        assert second.content == first.content and mock.ready_bytes.hits == hits + 1
        assert mock.journal.count("GET", "/library/sections/1/all") == 2  # a hit is journaled like any request


def test_faults_and_auth_apply_to_ready_answers():
    with PlexMock() as mock:
        url = mock.url + "/library/sections"
        assert requests.get(url, headers={"X-Plex-Token": mock.token}, timeout=5).status_code == 200
        mock.faults.add_route_fault("/library/sections", 503, times=1)
        assert requests.get(url, headers={"X-Plex-Token": mock.token}, timeout=5).status_code == 503
        assert requests.get(url, headers={"X-Plex-Token": "wrong"}, timeout=5).status_code == 401
        assert requests.get(url, timeout=5).status_code == 401
        assert requests.get(url, headers={"X-Plex-Token": mock.token}, timeout=5).status_code == 200


def test_reads_racing_changes_never_see_a_change_undone():
    """Readers hammer the page while items are added; a read that starts after an add returns must see it."""
    with PlexMock() as mock:
        headers = {"X-Plex-Token": mock.token, "Accept": "application/json"}
        url = mock.url + "/library/sections/1/all"
        stop = threading.Event()

        def hammer() -> None:
            with requests.Session() as session:
                while not stop.is_set():
                    session.get(url, headers=headers, timeout=5)

        readers = [threading.Thread(target=hammer) for _ in range(3)]
        for reader in readers:
            reader.start()
        try:
            with requests.Session() as session:
                for number in range(30):
                    mock.add_item("1", title=f"Fresh {number}")
                    titles = [m["title"] for m in session.get(url, headers=headers, timeout=5).json()
                              ["MediaContainer"]["Metadata"]]
                    assert [f"Fresh {n}" in titles for n in range(number + 1)] == [True] * (number + 1)
        finally:
            stop.set()
            for reader in readers:
                reader.join()


def test_changes_data_bumps_the_version_even_when_the_change_fails():
    class Store:
        def __init__(self) -> None:
            self.version = DataVersion()

        @changes_data
        def fail(self) -> None:
            raise ValueError("no")

    store = Store()
    try:
        store.fail()
    except ValueError:
        pass
    assert store.version.value == 1


def test_only_whole_200_answers_without_cookies_are_kept_and_memory_is_bounded(monkeypatch):
    import asyncio

    from mockservers.core import readybytes

    async def app(scope, receive, send):
        status, headers = {"/ok": (200, []), "/missing": (404, []), "/cookie": (200, [(b"set-cookie", b"a=1")])}[
            scope["path"]]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"x" * 10, "more_body": True})
        await send({"type": "http.response.body", "body": b"y" * 10})

    layer = readybytes.ReadyBytes(app, version=lambda: 1, vary=("accept",))

    def get(path, query=b""):
        sent = []

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": path, "query_string": query, "headers": []}
        asyncio.run(layer(scope, None, send))
        return sent

    for path in ("/ok", "/missing", "/cookie"):
        get(path)
        get(path)
    assert (layer.hits, layer.misses) == (1, 5)
    ready = get("/ok")
    assert ready[0]["headers"] == [(b"content-length", b"20")] and ready[1]["body"] == b"x" * 10 + b"y" * 10
    monkeypatch.setattr(readybytes, "MAX_ENTRIES", 4)
    for number in range(10):
        get("/ok", str(number).encode())
    assert len(layer._answers) <= 4
    monkeypatch.setattr(readybytes, "MAX_BYTES", 50)
    for number in range(10):
        get("/ok", b"b" + str(number).encode())
    assert layer._bytes <= 50 + 20 and layer._bytes == sum(len(kept[2]) for kept in layer._answers.values())


def test_a_websocket_upgrade_is_journaled_and_refused_during_an_outage():
    import websocket

    from mockservers.uptime_kuma import UptimeKumaMock

    with UptimeKumaMock() as kuma:
        url = f"ws://127.0.0.1:{kuma.port}/socket.io/?EIO=4&transport=websocket"
        socket_ = websocket.create_connection(url, timeout=5)
        assert socket_.recv().startswith("0{")  # the Engine.IO open packet
        socket_.close()
        kuma.faults.set_outage(requests=1)
        try:
            websocket.create_connection(url, timeout=5)
            raise AssertionError("the upgrade should have been refused")
        except (ConnectionError, websocket.WebSocketException, OSError):
            pass
        assert [entry.status for entry in kuma.journal.entries(path="/socket.io/")] == [101, 0]


def test_concurrent_misses_for_one_answer_render_it_once():
    import asyncio

    from mockservers.core.readybytes import ReadyBytes

    renders = []

    async def app(scope, receive, send):
        renders.append(scope["path"])
        await asyncio.sleep(0.01)  # a slow rendering: the other requests arrive meanwhile
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"page"})

    layer = ReadyBytes(app, version=lambda: 1)

    async def one() -> bytes:
        sent = []

        async def send(message):
            sent.append(message)

        await layer({"type": "http", "method": "GET", "path": "/page", "query_string": b"", "headers": []},
                    None, send)
        return sent[-1]["body"]

    async def many() -> list[bytes]:
        return await asyncio.gather(*(one() for _ in range(32)))

    assert asyncio.run(many()) == [b"page"] * 32
    assert renders == ["/page"] and (layer.misses, layer.hits) == (1, 31)
