"""The settings the docs state are the settings the code uses (issue 22, item 9b).

Every number below is read from the code (``companion.ClientSettings``, the production
defaults, and ``atest_support.settings.TestSettings``, the one set of test settings) and
must appear, worded so, in the README, the test settings' module doc and the MediaClients
library doc: change a setting and this test names each place that still says the old one.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from MediaClients import MediaClients
from atest_support import settings as test_settings_module
from atest_support.settings import TestSettings
from companion import ClientSettings

ROOT = Path(__file__).resolve().parents[2]
TEST = TestSettings()
PRODUCTION = ClientSettings()


def duration(value: timedelta | float) -> str:
    """``200 ms``, ``2 s``, ``3.05 s``: how the docs write a duration."""
    total = value.total_seconds() if isinstance(value, timedelta) else value
    return f"{total * 1000:g} ms" if total < 1 else f"{total:g} s"


def flat(text: str) -> str:
    """``text`` with every run of blanks (line breaks, Robot doc indentation) as one space."""
    return re.sub(r"\s+", " ", text)


README = flat((ROOT / "README.md").read_text(encoding="utf-8"))
DOCUMENTED = [
    ("README (production settings)", README, [
        f"connect timeout {duration(PRODUCTION.connect_timeout_s)}, read {duration(PRODUCTION.read_timeout_s)}, "
        f"{PRODUCTION.retry_attempts} attempts, backoff {PRODUCTION.retry_initial_backoff_s:g} s → "
        f"{duration(PRODUCTION.retry_max_backoff_s)}, retry budget {duration(PRODUCTION.retry_max_total_s)}, "
        f"cache TTL {duration(PRODUCTION.cache_ttl_s)}, `fail_max` {PRODUCTION.fail_max}, "
        f"reset timeout {duration(PRODUCTION.reset_timeout_s)}, `success_threshold` {PRODUCTION.success_threshold}, "
        f"Uptime Kuma reconnect {duration(PRODUCTION.reconnect_initial_backoff_s)} → "
        f"{duration(PRODUCTION.reconnect_max_backoff_s)}"]),
    ("README (test settings)", README, [
        f"({duration(TEST.reset_timeout)} reset timeout, {duration(TEST.cache_ttl)} cache TTL, retry backoff from "
        f"{duration(TEST.retry_backoff)}, Uptime Kuma reconnects from {duration(PRODUCTION.reconnect_initial_backoff_s)}"
    ]),
    ("atest_support/settings.py", flat(test_settings_module.__doc__), [
        f"({duration(TEST.reset_timeout)} reset timeout, {duration(TEST.cache_ttl)} cache TTL, retry backoff from "
        f"{duration(TEST.retry_backoff)}, Uptime Kuma reconnects from {duration(PRODUCTION.reconnect_initial_backoff_s)})"
    ]),
    ("MediaClients library doc", flat(MediaClients.__doc__), [
        f"a retry backoff from {duration(TEST.retry_backoff)} doubling up to {duration(TEST.retry_max_backoff)}",
        f"(at most {duration(TEST.retry_max_total)} of retrying per call)",
        f"a {duration(TEST.cache_ttl)} cache TTL",
        f"opens after {TEST.fail_max} failed calls and lets a probe through after {duration(TEST.reset_timeout)}",
        f"(connect {duration(TEST.connect_timeout)}, read {duration(TEST.read_timeout)})"]),
]


@pytest.mark.parametrize(("where", "text", "phrases"), DOCUMENTED, ids=[d[0] for d in DOCUMENTED])
def test_the_documented_settings_are_the_settings_in_use(where, text, phrases):
    assert [phrase for phrase in phrases if phrase not in text] == [], f"{where} does not say what the code does"


def test_the_media_clients_library_defaults_are_the_test_settings():
    assert MediaClients()._context.defaults == TestSettings()


def test_the_test_settings_keep_production_durations_on_the_clock():
    assert (TEST.retry_backoff, TEST.retry_max_backoff, TEST.retry_max_total, TEST.cache_ttl, TEST.reset_timeout) == (
        timedelta(seconds=PRODUCTION.retry_initial_backoff_s), timedelta(seconds=PRODUCTION.retry_max_backoff_s),
        timedelta(seconds=PRODUCTION.retry_max_total_s), timedelta(seconds=PRODUCTION.cache_ttl_s),
        timedelta(seconds=PRODUCTION.reset_timeout_s))
