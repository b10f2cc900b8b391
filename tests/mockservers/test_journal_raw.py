"""The journal's hot path: requests are recorded raw and redacted when read, with the secrets of their time."""

from __future__ import annotations

import threading

import pytest
import requests

from mockservers.core.journal import BODY_LIMIT, NAME_LIMIT, RAW_BODY_LIMIT, REDACTED, VALUE_LIMIT, RequestJournal
from mockservers.plex import PlexMock


def test_a_token_replaced_after_the_request_is_still_redacted():
    with PlexMock(token="first-token") as plex:
        requests.get(plex.url + "/library/sections?note=first-token", headers={"X-Client": "first-token"}, timeout=5)
        plex._tokens_seen.clear()  # the mock forgets it: only the snapshot taken when recording still knows it
        plex.token = "second-token"
        entry = plex.journal.last()
    assert "first-token" not in repr(entry.to_dict())
    assert entry.query["note"] == REDACTED and entry.headers["X-Client"] == REDACTED


def test_raw_entries_read_like_recorded_ones():
    journal = RequestJournal(secret_values=lambda: ["hunter22"])
    headers = [(b"x-plex-token", b"abc"), (b"accept", b"application/json"), (b"content-length", b"2"),
               (b"x-note", b"hunter22")]
    journal.record_raw("get", "/a/hunter22", b"x=1&password=p", 200, 1.23456, headers, b'{"pass": "q"}', None)
    entry = journal.last()
    assert (entry.method, entry.path, entry.status, entry.duration_ms) == ("GET", f"/a/{REDACTED}", 200, 1.235)
    assert entry.query == {"x": "1", "password": REDACTED}
    assert entry.headers == {"X-Plex-Token": REDACTED, "Accept": "application/json", "X-Note": REDACTED}
    assert entry.body == f'{{"pass": "{REDACTED}"}}'
    assert journal.count("GET", "/a/*") == 1 and journal.entries()[0] is entry  # built once


def test_a_large_body_is_redacted_whole_then_cut_and_not_kept_raw():
    journal = RequestJournal()
    body = b"x" * (RAW_BODY_LIMIT + 10) + b'{"password": "s3cret-value"}'
    journal.record_raw("POST", "/upload", b"", 200, 1.0, [], body, None)
    kept = journal._entries[-1]
    assert kept.fields is None and len(kept.entry.body) == BODY_LIMIT  # built at once: the raw body is not kept
    assert "s3cret-value" not in journal.last().body and journal.last().truncated == ("body",)


@pytest.mark.parametrize(("name", "value", "kept_raw"), [
    (b"x-long", b"v" * VALUE_LIMIT, True),  # a value longer than a name may be, within its own limit
    (b"x-long", b"v" * (VALUE_LIMIT + 1), False),
    (b"x-" + b"n" * (NAME_LIMIT - 2), b"v", True),
    (b"x-" + b"n" * (NAME_LIMIT - 1), b"v", False),
])
def test_only_an_entry_with_a_field_over_its_limit_is_cut_at_once(name, value, kept_raw):
    journal = RequestJournal()
    journal.record_raw("GET", "/a", b"", 200, 1.0, [(b"accept", b"*/*"), (name, value)], b"", None)
    assert (journal._entries[-1].fields is not None) is kept_raw
    assert bool(journal.last().truncated) is not kept_raw


def test_a_waiting_reader_is_woken_by_each_new_entry():
    journal = RequestJournal()
    recorder = threading.Timer(0.05, lambda: journal.record_raw("GET", "/late", b"", 200, 1.0, [], b"", None))
    recorder.start()
    try:
        assert [entry.path for entry in journal.wait_for("GET", "/late", timeout=5)] == ["/late"]
    finally:
        recorder.join()
    assert journal._waiting == 0
