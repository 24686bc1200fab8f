"""Cross-backend differential test: the same files ingested into DuckDB and PostgreSQL give exactly the same local
figures (every metric input of every unit), drill-down lists and due lists. Needs CHISO_TEST_PG_URL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chiso.domain.periods import Period
from chiso.generate import GenerateSpec
from tests.backend_support import assert_same, data_files, fresh_pg_database, observe, workspace
from tests.test_engine_differential import SHAPES

pytestmark = pytest.mark.postgres


def _smaller(spec: GenerateSpec) -> GenerateSpec:
    return dataclasses.replace(spec, dossiers=min(spec.dossiers or 0, 1500))


@pytest.mark.slow
@pytest.mark.parametrize(("name", "spec", "period_text", "as_of", "rule"), SHAPES, ids=[s[0] for s in SHAPES])
def test_postgres_equals_duckdb(tmp_path: Path, name: str, spec: GenerateSpec, period_text: str,
                                as_of: datetime | None, rule: str) -> None:  # fmt: skip
    files = data_files(_smaller(spec), tmp_path / "data")
    period = Period.parse(period_text)
    moment = as_of or datetime(2026, 1, 1, tzinfo=UTC)
    duck = workspace(tmp_path / "t.duckdb", rule)
    duck_reports = duck.ingest(files)
    want = observe(duck, period, moment, rule)
    duck.close()
    with fresh_pg_database() as url:
        pg = workspace(url, rule)
        try:
            pg_reports = pg.ingest(files)
            assert [(r.file_name, r.rows_stored, r.rows_rejected) for r in pg_reports] == [
                (r.file_name, r.rows_stored, r.rows_rejected) for r in duck_reports
            ]
            got = observe(pg, period, moment, rule)
            # the stored run (chiso compute) writes on PostgreSQL too
            assert pg.compute(period, as_of=moment).units
        finally:
            pg.close()
    assert want["inputs"] and any(rows for _, rows in want["lists"].values())
    assert_same(got, want, name)
