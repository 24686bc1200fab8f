"""The ledger on PostgreSQL, and one runner at a time across processes (a cron run-due beside chiso serve)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from chiso.accounts import Accounts
from chiso.notify import jobs
from chiso.notify.ledger import SENT, Ledger
from chiso.notify.message import Message
from chiso.notify.runner import Notifier
from chiso.workspace import Workspace
from tests.conftest import need
from tests.notify.support import MONDAY, FrozenClock, notify_config

pytestmark = pytest.mark.postgres

HOLD = """
import sys
from chiso.notify.ledger import Ledger
from chiso.workspace import Workspace
with Ledger(Workspace(db=sys.argv[1])).exclusive() as mine:
    print("mine" if mine else "busy")
"""


@pytest.fixture
def pg_url() -> Iterator[str]:
    url = os.environ.get("CHISO_TEST_PG_URL")
    need(bool(url), "CHISO_TEST_PG_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    import psycopg

    base, _, _ = url.rpartition("/")  # type: ignore[union-attr]
    name = f"chiso_notify_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def holder(url: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", HOLD, url], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_one_runner_across_processes(pg_url: str):
    ws = Workspace(db=pg_url)
    try:
        with Ledger(ws).exclusive() as mine:
            assert mine
            assert holder(pg_url) == "busy"  # another process (cron) while serve runs
        assert holder(pg_url) == "mine"  # released
    finally:
        ws.close()


def test_sends_and_subscriptions_on_postgres(pg_url: str, fake_url: str, tmp_path: Path, providers):  # type: ignore[no-untyped-def]
    ws = Workspace(db=pg_url)
    clock = FrozenClock(MONDAY - timedelta(days=3))

    def build(ctx, unit, source, occurrence):  # type: ignore[no-untyped-def]
        return Message(job="echo", title="echo", text=f"{unit} {occurrence}", unit=unit)

    jobs.register(jobs.MessageJob("echo", "tin thử", timedelta(hours=12), jobs.daily("echo", "07:30"), build))
    try:
        ws.import_official([Path(__file__).parent.parent / "fixtures" / "real" / "dvcqg"
                            / "gialai-communes-2026-10-10.sample.json"])  # fmt: skip
        Accounts(ws).save("vancanh", role="viewer", unit="H21.227", password="mat-khau-thu-nghiem", by="test")
        n = Notifier(ws, notify_config(fake_url, tmp_path), clock=clock)
        sub = n.add(channel="telegram", address="123456789", unit="H21.227", jobs="echo", username="vancanh")
        assert [s.sub_id for s in n.subscriptions()] == [sub.sub_id]
        clock.set(MONDAY)
        assert [s.status for s in n.run_due().steps] == [SENT]
        assert n.run_due(MONDAY + timedelta(hours=1)).steps == []
        assert len(providers.of("telegram")) == 1
        [step] = n.log(status=SENT)
        assert step.at == MONDAY and step.occurrence == "2026-10-12"
    finally:
        jobs.JOBS.pop("echo")
        ws.close()
