"""Shared fixtures: the real published samples, fresh stores, and the rule that CI never skips."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from chiso.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"
REAL = FIXTURES / "real" / "dvcqg"
TRACKERS = FIXTURES / "trackers"
GIALAI_AGENCIES = REAL / "gialai-agencies-2026-10-10.sample.json"
GIALAI_COMMUNES = REAL / "gialai-communes-2026-10-10.sample.json"
ANGIANG_T10 = REAL / "angiang" / "bao_cao_T10_2025.xlsx"
ANGIANG_THANG10 = REAL / "angiang" / "bao_cao_thang_10_2025.xlsx"
REAL_FILES = [GIALAI_AGENCIES, GIALAI_COMMUNES, ANGIANG_T10, ANGIANG_THANG10]
# Gò Dầu, May 2023: assumed data rebuilt from the reference letter (src/chiso/demo_data/godau/README.md).
GODAU = Path(__file__).parent.parent / "src" / "chiso" / "demo_data" / "godau"
GODAU_FILES = sorted(GODAU.glob("*.json"))

IN_CI = bool(os.environ.get("CHISO_CI"))


def need(condition: bool, reason: str) -> None:
    """Skip with a printed reason when a tool is missing; in CI (CHISO_CI=1) fail instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    w = Workspace(db=tmp_path / "chiso.duckdb")
    yield w
    w.close()


def _imported_db(directory: Path, files: list[Path], methodology: str | None = None) -> Path:
    path = directory / "store.duckdb"
    w = Workspace(db=path)
    outcomes = w.import_official(files, methodology=methodology)
    w.close()
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    return path


def _copy_of(db: Path, tmp_path: Path) -> Iterator[Workspace]:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    w = Workspace(db=copy)
    yield w
    w.close()


@pytest.fixture(scope="session")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with every real sample imported, built once; tests copy it before writing."""
    return _imported_db(tmp_path_factory.mktemp("real"), REAL_FILES)


@pytest.fixture
def real_ws(real_db: Path, tmp_path: Path) -> Iterator[Workspace]:
    yield from _copy_of(real_db, tmp_path)


@pytest.fixture(scope="session")
def godau_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tây Ninh's districts (April and May 2023) and Gò Dầu's units (May 2023), imported once."""
    return _imported_db(tmp_path_factory.mktemp("godau"), GODAU_FILES, methodology="dvcqg-live")


@pytest.fixture
def godau_ws(godau_db: Path, tmp_path: Path) -> Iterator[Workspace]:
    yield from _copy_of(godau_db, tmp_path)


@pytest.fixture(scope="session")
def web_db(real_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real samples plus one web user per role (tests.web_support.USERS), built once."""
    from tests.web_support import prepare

    return prepare(real_db, tmp_path_factory.mktemp("web") / "web.duckdb")


@pytest.fixture
def web_copy(web_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "web.duckdb"
    shutil.copy(web_db, copy)
    return copy


@pytest.fixture(scope="session")
def web_local_db(web_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``web_db`` plus a small dossier dataset under Gia Lai (tests.web_support.local_files)."""
    from tests.web_support import local_files

    base = tmp_path_factory.mktemp("weblocal")
    path = base / "web-local.duckdb"
    shutil.copy(web_db, path)
    w = Workspace(db=path)
    reports = w.ingest(local_files(base / "files"))
    w.close()
    assert all(r.rows_rejected == 0 for r in reports), [r.rejects for r in reports]
    return path


@pytest.fixture(scope="session")
def big_dataset(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """100,000 generated dossiers of one province, with its units and procedures (CSV), made once."""
    from chiso.generate import GenerateSpec, generate, write

    out = tmp_path_factory.mktemp("big")
    spec = GenerateSpec(preset="province-2025", dossiers=100_000, seed=10, petitions=False)
    return {f.kind: f.path for f in write(generate(spec), out, "csv") if f.kind != "manifest"}
