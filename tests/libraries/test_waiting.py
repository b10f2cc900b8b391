"""The shared waiting helper."""

from datetime import timedelta
from itertools import count

import pytest

from atest_support.waiting import WaitTimeout, wait_until


def test_returns_the_first_accepted_value():
    calls = count(1)
    assert wait_until(lambda: next(calls), lambda n: n >= 3, what="counter", expected=">= 3", interval=0) == 3


def test_times_out_with_one_message_format():
    with pytest.raises(WaitTimeout) as err:
        wait_until(lambda: "open", lambda s: s == "closed", what="breaker 'plex'", expected="'closed'",
                   timeout=timedelta(milliseconds=100), interval=0.01)
    assert str(err.value) == "breaker 'plex' did not become 'closed' in 100 ms: last seen 'open'"


def test_probe_errors_are_reported_as_the_last_state():
    def probe():
        raise ConnectionError("refused")

    with pytest.raises(WaitTimeout, match="last seen ConnectionError: refused"):
        wait_until(probe, bool, what="plex", expected="reachable", timeout=0.05, interval=0.01)
