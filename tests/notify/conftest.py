"""Fixtures of the notification tests: the store (real results, web users, dossiers at a fixed moment) and the
fake providers' server, started once per module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from chiso.workspace import Workspace
from tests.notify.fakes import Providers, Server
from tests.notify.support import MONDAY, dossier_files


@pytest.fixture(scope="session")
def notify_db(web_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real results + one web user per role + dossiers of Vân Canh, Canh Vinh and Sở Y tế at MONDAY."""
    base = tmp_path_factory.mktemp("notify")
    path = base / "notify.duckdb"
    shutil.copy(web_db, path)
    ws = Workspace(db=path)
    reports = ws.ingest(dossier_files(base / "files", MONDAY - timedelta(hours=1)))
    ws.close()
    assert all(r.rows_rejected == 0 for r in reports), [r.rejects for r in reports]
    assert any("Chủ hồ sơ" in r.dropped_personal for r in reports)
    return path


@pytest.fixture
def notify_copy(notify_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "n.duckdb"
    shutil.copy(notify_db, copy)
    return copy


@pytest.fixture(scope="module")
def fake_server() -> Iterator[tuple[Providers, str]]:
    providers = Providers()
    with Server(providers.app) as server:
        yield providers, server.url


@pytest.fixture
def providers(fake_server: tuple[Providers, str]) -> Providers:
    fake_server[0].reset()
    return fake_server[0]


@pytest.fixture
def fake_url(fake_server: tuple[Providers, str]) -> str:
    return fake_server[1]
