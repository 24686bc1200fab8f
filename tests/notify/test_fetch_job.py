"""The server's scheduler fetches the portal's results every day (issue 11 §3): the `fetch` job of chiso.notify,
run against the fake portal on 127.0.0.1; a failed fetch is retried later and never published."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from chiso.notify.ledger import FAILED, SENT
from tests.fake_portal import FakePortal, serve
from tests.notify.support import MONDAY, FrozenClock, notifier, notify_config

pytestmark = pytest.mark.slow
ONLY_FETCH = {"brief": "off", "alerts": "off", "letter": "off", "fetch": "06:30"}


def _fetch_steps(result):  # type: ignore[no-untyped-def]
    return [s for s in result.steps if s.job == "fetch"]


def test_the_daily_fetch_runs_once_a_day_and_publishes_a_complete_capture(notify_copy: Path, fake_url: str,
                                                                          tmp_path: Path):  # fmt: skip
    portal = FakePortal()
    with serve(portal) as base:
        config = notify_config(fake_url, tmp_path, fetch={"province": "H44", "base_url": base}, schedule=ONLY_FETCH)
        n = notifier(notify_copy, config, FrozenClock(MONDAY))
        try:
            before = {s.snapshot_id for s in n.ws.snapshots()}
            [step] = _fetch_steps(n.run_due())
            assert step.status == SENT, step.error
            assert "H44" in step.summary
            new = [s for s in n.ws.snapshots() if s.snapshot_id not in before]
            assert [s.scope for s in new] == ["H44"]
            assert _fetch_steps(n.run_due(MONDAY + timedelta(hours=2))) == []  # once per day
            asked = len(portal.requests)
            [again] = _fetch_steps(n.run_due(MONDAY + timedelta(days=1)))  # the next morning: unchanged figures
            assert again.status == SENT and "không đổi" in again.summary
            assert len(portal.requests) > asked
            assert {s.snapshot_id for s in n.ws.snapshots()} == before | {s.snapshot_id for s in new}
        finally:
            n.ws.close()


def test_a_failed_fetch_is_retried_later_and_publishes_nothing(notify_copy: Path, fake_url: str, tmp_path: Path):
    portal = FakePortal(faults={"dvc-progress-tree": ["500"] * 20})
    with serve(portal) as base:
        config = notify_config(fake_url, tmp_path, fetch={"province": "H44", "base_url": base}, schedule=ONLY_FETCH)
        n = notifier(notify_copy, config, FrozenClock(MONDAY))
        try:
            before = {s.snapshot_id for s in n.ws.snapshots()}
            [step] = _fetch_steps(n.run_due())
            assert step.status == FAILED and step.retry_at is not None
            assert "Cổng DVCQG" in step.error
            assert {s.snapshot_id for s in n.ws.snapshots()} == before
        finally:
            n.ws.close()


def test_no_province_no_fetch(notify_copy: Path, fake_url: str, tmp_path: Path):
    config = notify_config(fake_url, tmp_path, schedule={"brief": "off", "alerts": "off", "letter": "off"})
    n = notifier(notify_copy, config, FrozenClock(MONDAY))
    try:
        assert _fetch_steps(n.run_due()) == []
    finally:
        n.ws.close()
