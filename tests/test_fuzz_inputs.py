"""Bounded fuzzing of every input path: no malformed file may end in an unexpected error.

Real files are mutated (``tests/fuzz_mutations.py``: truncation, byte flips, encodings, delimiters, extreme values,
deep nesting, wrong types, damaged workbook parts) with a fixed seed (``CHISO_FUZZ_SEED`` overrides it to explore):
2,100 cases across CSV, XLSX and sync JSON dossier files (``chiso ingest``) and the portal's official files
(``chiso import-official``). Every case must either be refused with a ``ChisoError`` (a Vietnamese message) or be
accepted; an accepted dossier file must satisfy rows read = stored + rejected, with the stored rows in the store
under its ingest id and a reject entry for every rejected row; an accepted official file stores exactly the units
it parsed. Dossier seeds are the generator's files (no real dossier data is public: it is personal data) with the
real unit tree and procedure catalogue; official seeds are the real published files in tests/fixtures.
"""

from __future__ import annotations

import csv
import io
import os
import random
import traceback
from collections import Counter
from pathlib import Path

import pytest

from chiso.errors import ChisoError
from chiso.generate import GenerateSpec, generate, write
from chiso.ingest.run import ingest_path
from chiso.workdays import WorkCalendar
from chiso.workspace import Workspace
from tests import fuzz_mutations as fm

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("CHISO_FUZZ_SEED", "766"))
FIXTURES = Path(__file__).parent / "fixtures"
TARGETS = {"dossiers": "dossier_version", "steps": "dossier_step", "procedures": "procedure_version",
           "units": "unit_version", "petitions": "petition_version"}  # fmt: skip
CASES = {"csv": 600, "xlsx": 350, "json": 600, "official": 550}


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, bytes]]]:
    out = tmp_path_factory.mktemp("seeds")
    g = generate(GenerateSpec(dossiers=30, seed=11, steps=True, petitions=True, bad_rows=0.1))
    files: dict[str, bytes] = {}  # units, procedures, petitions, dossiers in each format, steps, sync JSON
    for fmt in ("csv", "xlsx", "json"):
        for w in write(g, out / fmt, fmt):
            path = Path(w.path)
            if path.name != "manifest.json" and path.name not in files and not path.name.startswith("dossiers-0"):
                files[path.name] = path.read_bytes()
    files |= {p.name: p.read_bytes() for p in sorted((out / "json").glob("dossiers-00[1-3].json"))}
    found: dict[str, list[tuple[str, bytes]]] = {"csv": [], "xlsx": [], "json": [], "official": []}
    for name, data in files.items():
        found[Path(name).suffix.lstrip(".")].append((name, data))
    for path in sorted((FIXTURES / "real").rglob("*.json")) + sorted((FIXTURES / "trackers").rglob("*.json")):
        if "manifest" not in path.name:
            found["official"].append((path.name, path.read_bytes()))
    for path in sorted((FIXTURES / "real").rglob("*.xlsx")):
        found["official"].append((path.name, path.read_bytes()))
    from openpyxl import load_workbook  # the list shape as CSV, as a user would save one sheet

    wb = load_workbook(FIXTURES / "real/dvcqg/angiang/bao_cao_T10_2025.xlsx", read_only=True)
    buf = io.StringIO()
    csv.writer(buf).writerows(wb["Sở Ban"].iter_rows(values_only=True))
    wb.close()
    found["official"].append(("so_ban_T10_2025.csv", buf.getvalue().encode()))
    assert all(found.values()), {k: len(v) for k, v in found.items()}
    return found


def mutators_for(name: str) -> list[fm.Mutator]:
    suffix = Path(name).suffix
    return {".csv": fm.CSV_MUTATORS, ".xlsx": fm.XLSX_MUTATORS, ".json": fm.JSON_MUTATORS}[suffix]


def mutate(name: str, data: bytes, rng: random.Random) -> tuple[bytes, list[str]]:
    """One or two mutations in a row; a mutator that cannot apply to already damaged input is skipped."""
    applied = []
    for _ in range(rng.choice([1, 1, 2])):
        mutator = rng.choice(mutators_for(name))
        try:
            data = mutator(data, rng)
            applied.append(mutator.__name__)
        except Exception:  # the mutator could not parse its input (the harness, not chiso)
            continue
    return data, applied


def cases(seeds: dict[str, list[tuple[str, bytes]]], family: str) -> list[tuple[int, str, bytes, list[str]]]:
    rng = random.Random(f"{SEED}-{family}")
    out = []
    for i in range(CASES[family]):
        name, data = rng.choice(seeds[family])
        mutated, applied = mutate(name, data, rng)
        out.append((i, name, mutated, applied))
    return out


def check_ingest(ws: Workspace, path: Path, failures: list[str], outcomes: Counter[str], where: str,
                 calendar: WorkCalendar) -> None:  # fmt: skip
    try:  # ingest_path, not Workspace.ingest: the current-state rebuild runs once per family, at the end
        reports = ingest_path(ws.store, path, calendar=calendar, limits=ws.settings.xlsx_limits)
    except ChisoError as exc:
        outcomes["refused"] += 1
        if not exc.message or "Traceback" in exc.message:
            failures.append(f"{where}: refused without a message ({exc!r})")
        return
    except Exception:
        failures.append(f"{where}: {traceback.format_exc(limit=-3)}")
        return
    for r in reports:
        if r.skipped:
            outcomes["skipped"] += 1
            continue
        outcomes["accepted"] += 1
        problems = []
        if r.rows_read != r.rows_stored + r.rows_rejected:
            problems.append(f"read {r.rows_read} != stored {r.rows_stored} + rejected {r.rows_rejected}")
        t = ws.store.table(TARGETS[r.kind])
        stored = t.filter(t.ingest_id == r.ingest_id).count().to_pyarrow().as_py()
        if stored != r.rows_stored:
            problems.append(f"{stored} rows in {TARGETS[r.kind]}, report says {r.rows_stored}")
        rej = ws.store.table("ingest_reject")
        rejected_rows = rej.filter(rej.ingest_id == r.ingest_id).row.nunique().to_pyarrow().as_py()
        if rejected_rows != r.rows_rejected:
            problems.append(f"{rejected_rows} rows with reject entries, report says {r.rows_rejected} rejected")
        if problems:
            failures.append(f"{where} ({r.kind}): " + "; ".join(problems))


@pytest.mark.parametrize("family", ["csv", "xlsx", "json"])
def test_mutated_dossier_files_are_stored_or_refused_never_an_unexpected_error(seeds, tmp_path, family):
    failures: list[str] = []
    outcomes: Counter[str] = Counter()
    ws = Workspace(db=":memory:")
    calendar = ws.calendar()
    try:
        for i, name, data, applied in cases(seeds, family):
            path = tmp_path / f"{i:04d}-{name}"
            path.write_bytes(data)
            where = f"case {i} ({name}, {'+'.join(applied)}, seed {SEED})"
            check_ingest(ws, path, failures, outcomes, where, calendar)
            path.unlink()
        ws.refresh()  # the current state is rebuilt from everything accepted (must not fail either)
        assert ws.local_status()["dossiers"] >= 0
    finally:
        ws.close()
    assert failures == [], "\n".join(failures[:20])
    assert outcomes["accepted"] > 0 and outcomes["refused"] > 0, outcomes  # both paths were exercised


def test_mutated_official_files_are_imported_whole_or_refused(seeds, tmp_path):
    failures: list[str] = []
    outcomes: Counter[str] = Counter()
    ws = Workspace(db=":memory:")
    try:
        for i, name, data, applied in cases(seeds, "official"):
            path = tmp_path / f"{i:04d}-{name}"
            path.write_bytes(data)
            where = f"case {i} ({name}, {'+'.join(applied)}, seed {SEED})"
            try:
                [outcome] = ws.import_official([path])
            except Exception:
                failures.append(f"{where}: {traceback.format_exc(limit=-3)}")
                continue
            finally:
                path.unlink()
            if outcome.error is not None:
                outcomes["refused"] += 1
                continue
            report = outcome.report
            outcomes[report.status] += 1
            if report.status == "imported":
                t = ws.store.table("official_unit")
                ids = [s.snapshot_id for s in report.snapshots]
                stored = t.filter(t.snapshot_id.isin(ids)).count().to_pyarrow().as_py()
                if stored != sum(s.units for s in report.snapshots):
                    failures.append(f"{where}: {stored} units stored, {sum(s.units for s in report.snapshots)} parsed")
    finally:
        ws.close()
    assert failures == [], "\n".join(failures[:20])
    assert outcomes["imported"] > 0 and outcomes["refused"] > 0, outcomes


def test_the_fuzz_covers_at_least_2000_cases():
    assert sum(CASES.values()) >= 2000
