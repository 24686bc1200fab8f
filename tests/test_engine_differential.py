"""Differential test: the Ibis engine and the plain pandas reference (tests/reference, written independently from
docs/local-metrics.md) agree exactly on generated data sets of several shapes, after a real ingest."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from chiso.domain.periods import Period
from chiso.engine.predicates import Window
from chiso.generate import GenerateSpec, generate, write
from chiso.ingest import current
from chiso.store.tables import DOSSIER_FLAGS
from chiso.workspace import Workspace
from tests.reference import reference_counts

SHAPES = [
    # (name, spec, period, as_of, rule)
    ("go-dau-may", GenerateSpec(preset="go-dau-2023", dossiers=3000, seed=1, steps=True), "2023-05", None, "portal"),
    ("go-dau-ytd-date", GenerateSpec(preset="go-dau-2023", dossiers=2500, seed=2), "2023-05-ytd", None, "date"),
    (
        "go-dau-as-of-mid-may",
        GenerateSpec(preset="go-dau-2023", dossiers=2000, seed=3),
        "2023-05",
        datetime(2023, 5, 15, 3, 0, tzinfo=UTC),
        "portal",
    ),
    (
        "province-2025-quarter",
        GenerateSpec(
            preset="province-2025", province="H21", dossiers=4000, seed=4, start=date(2025, 7, 1), end=date(2025, 9, 30)
        ),
        "2025-Q3",
        None,
        "portal",
    ),
]


def frame(ws: Workspace, expr) -> pd.DataFrame:
    return expr.to_pyarrow().to_pandas(types_mapper=None)


def normal(value: object) -> object:
    if value is None or isinstance(value, str):
        return value
    return Fraction(str(value)) if not isinstance(value, Fraction) else value


@pytest.mark.parametrize(("name", "spec", "period_text", "as_of", "rule"), SHAPES, ids=[s[0] for s in SHAPES])
def test_engine_equals_reference(tmp_path: Path, name: str, spec: GenerateSpec, period_text: str,
                                 as_of: datetime | None, rule: str) -> None:  # fmt: skip
    data = generate(spec)
    files = [Path(f.path) for f in write(data, tmp_path / "data", "csv")]
    ws = Workspace(db=tmp_path / "t.duckdb")
    reports = ws.ingest([f for f in files if f.suffix in (".csv", ".json") and f.name != "manifest.json"])
    assert sum(r.rows_rejected for r in reports) == 0, [(r.file_name, r.rejects[:2]) for r in reports]
    period = Period.parse(period_text)
    moment = as_of or datetime(2026, 1, 1, tzinfo=UTC)
    run = ws.local_run(period, as_of=moment, rule=rule)
    window = Window.of(period, moment)
    expected = reference_counts(
        # the reference sees the dossiers as ingested, without the engine's stored flags
        frame(ws, ws.store.table("dossier").drop(*DOSSIER_FLAGS)),
        frame(ws, current.procedures(ws.store)),
        frame(ws, current.units(ws.store)),
        frame(ws, current.petitions(ws.store)),
        window.start,
        window.end,
        window.as_of,
        rule=rule,
    )
    assert run.units, "the engine listed no unit"
    compared = 0
    for unit in run.units:
        for code, given in unit.inputs.items():
            want = expected[(unit.code, code)]
            if code == "ELECTRONIC_CERTIFIED_COPY" and want[0] == "FULL":
                assert given.ratio_percent == 100, (unit.code, code)
                continue
            got = (given.numerator, given.denominator)
            assert tuple(map(normal, got)) == tuple(map(normal, want)), (name, unit.code, code, got, want)
            compared += 1
        m = unit.measures["E_CERTIFIED_COPY_SHARE"]
        want = expected[(unit.code, "E_CERTIFIED_COPY_SHARE")]
        assert (m.numerator, m.denominator) == want, (unit.code, "E_CERTIFIED_COPY_SHARE")
    assert compared >= 20 * len(run.units)
    ws.close()
