"""Synthetic one-stop data for tests, demos and load: units, procedures, dossiers, steps and petitions.

``generate(spec)`` builds the data in memory as Arrow tables (deterministic for ``spec.seed``); ``write(generated,
out_dir, fmt)`` writes the files ``chiso ingest`` reads (docs/ingest-formats.md) and a ``manifest.json``. See
docs/generate.md for the presets, the unit profiles and what is realistic and what is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from chiso import __version__
from chiso.domain.units import Unit, UnitKind
from chiso.errors import ChisoError
from chiso.formatting import fold
from chiso.generate.dossiers import DOSSIER_FIELDS, DossierState, build_dossiers
from chiso.generate.extras import FAULT_KINDS, build_petitions, build_steps, inject_faults
from chiso.generate.profiles import UnitProfile, candidate_procedures, make_profiles
from chiso.generate.spec import FORMATS, PRESETS, GenerateSpec, Period, resolve_period
from chiso.generate.writers import WrittenFile, write_all
from chiso.seeds import SeedProcedure, find_province_2025, load, procedures
from chiso.workdays import WorkCalendar

__all__ = [
    "DOSSIER_FIELDS",
    "FORMATS",
    "PRESETS",
    "GenerateSpec",
    "Generated",
    "UnitProfile",
    "WrittenFile",
    "generate",
    "write",
]

SUPPLEMENT_FIELDS = ("req1", "ret1", "req2", "ret2")


@dataclass
class Generated:
    """A generated data set.

    Attributes:
        units: ``unit_code, unit_name, kind, kind_text, parent_code`` (the whole seed tree of the preset).
        procedures: the catalogue of the period (``procedure_code, name, field_code, field_name, levels, …``).
        dossiers: the columns of ``chiso.store.tables.DOSSIER_COLUMNS`` without ``state_at``, ``ingest_id`` and
            ``source_row``; times UTC; code and name columns dictionary-encoded strings.
        steps: ``dossier_code, status, at, department, content`` or None.
        petitions: ``petition_code, unit_code, received_at, due_at, handled_at, status, category, likes, dislikes,
            reraised`` or None.
        supplements: per dossier row, the times of the first and second supplement request and return (UTC), for
            the sync JSON's ``DanhSachHoSoBoSung``.
        faults: the rows made faulty on purpose (``row``, ``kind``).
        profiles: the profile of each unit that handles dossiers.
        manifest: seed, preset, period, counts and profiles (JSON-ready).
    """

    spec: GenerateSpec
    period: Period
    units: pa.Table
    procedures: pa.Table
    dossiers: pa.Table
    steps: pa.Table | None
    petitions: pa.Table | None
    supplements: pa.Table
    faults: pa.Table
    profiles: list[UnitProfile] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)


def _kind_text(u: Unit, districts: set[str]) -> str:
    """The unit's 'Loại' in the units file (recognised by ingest)."""
    name = fold(u.name)
    if u.kind is UnitKind.PROVINCE:
        return "tỉnh"
    if u.kind is UnitKind.DISTRICT:
        return "thị xã" if name.startswith("UBND_THI_XA") else "huyện"
    if u.kind is UnitKind.COMMUNE:
        for prefix, text in (("UBND_THI_TRAN", "thị trấn"), ("UBND_PHUONG", "phường"), ("UBND_DAC_KHU", "đặc khu")):
            if name.startswith(prefix):
                return text
        return "xã"
    if u.parent_code in districts:
        return "phòng"
    if name.startswith("SO_"):
        return "sở"
    return "ban" if name.startswith("BAN_") else "ngành"


def _units_table(units: list[Unit]) -> pa.Table:
    districts = {u.code for u in units if u.kind is UnitKind.DISTRICT}
    return pa.table(
        {
            "unit_code": pa.array([u.code for u in units], pa.string()),
            "unit_name": pa.array([u.name for u in units], pa.string()),
            "kind": pa.array([str(u.kind) for u in units], pa.string()),
            "kind_text": pa.array([_kind_text(u, districts) for u in units], pa.string()),
            "parent_code": pa.array([u.parent_code for u in units], pa.string()),
        }
    )


def _procedures_table(catalogue: list[SeedProcedure], *, three_tier: bool) -> pa.Table:
    def levels(p: SeedProcedure) -> str:
        out = [x if three_tier or x != "huyen" else "xa" for x in p.levels]
        return "#".join(dict.fromkeys(out))

    return pa.table(
        {
            "procedure_code": pa.array([p.code for p in catalogue], pa.string()),
            "name": pa.array([p.name for p in catalogue], pa.string()),
            "field_code": pa.array([p.field_code for p in catalogue], pa.string()),
            "field_name": pa.array([p.field_name for p in catalogue], pa.string()),
            "levels": pa.array([levels(p) for p in catalogue], pa.string()),
            "online_level": pa.array([p.online_level for p in catalogue], pa.int8()),
            "full_online_eligible": pa.array([p.full_online_eligible for p in catalogue]),
            "has_fee": pa.array([p.has_fee for p in catalogue]),
            "fee_amount": pa.array([p.fee_amount for p in catalogue], pa.int64())
            .cast(pa.decimal128(38, 4))
            .cast(pa.decimal128(18, 4)),
            "paper_result": pa.array([p.paper_result for p in catalogue]),
            "processing_time": pa.array([p.processing_time for p in catalogue], pa.float64()),
            "time_unit": pa.array([p.time_unit for p in catalogue], pa.string()),
            "citizen_target": pa.array([p.citizen_target for p in catalogue]),
        }
    )


def _scope(spec: GenerateSpec) -> tuple[list[Unit], list[Unit], set[str], str | None]:
    """(all units of the seed tree, units that handle dossiers, district offices, province code)."""
    if spec.preset == "go-dau-2023":
        tree = load("tay-ninh-2023")
        district = next(u for u in tree if u.kind is UnitKind.DISTRICT and fold(u.name) == "UBND_HUYEN_GO_DAU")
        active = [u for u in tree if u.parent_code == district.code]
        offices = {u.code for u in active if u.kind is UnitKind.AGENCY}
        return tree, active, offices, None
    province = find_province_2025(spec.province or "H21")
    tree = load(f"2025:{province.code}")
    return tree, [u for u in tree if u.kind is not UnitKind.PROVINCE], set(), province.code


def _counts(spec: GenerateSpec, profiles: list[UnitProfile], period: Period, rng: np.random.Generator,
            has_procedures: np.ndarray) -> np.ndarray:  # fmt: skip
    expected = np.array([p.monthly for p in profiles]) * period.months * has_procedures
    if spec.dossiers is None:
        return rng.poisson(expected).astype(np.int64)
    if expected.sum() <= 0:
        if spec.dossiers:
            raise ChisoError("Không có đơn vị nào có thủ tục để sinh hồ sơ.")
        return np.zeros(len(profiles), dtype=np.int64)
    return rng.multinomial(spec.dossiers, expected / expected.sum()).astype(np.int64)


def generate(spec: GenerateSpec) -> Generated:
    """Build a data set in memory. Same spec (and seed) ⇒ same data."""
    spec.validate()
    period = resolve_period(spec)
    root = np.random.SeedSequence([spec.seed, 766])
    rngs = [np.random.default_rng(s) for s in root.spawn(5)]
    rng_profiles, rng_counts, rng_dossiers, rng_petitions, rng_faults = rngs
    cal = WorkCalendar()
    tree, active, offices, province = _scope(spec)
    three_tier = spec.preset == "go-dau-2023"
    year = period.cutoff.year
    catalogue = [p for p in procedures() if p.from_year is None or p.from_year <= year]
    profiles = make_profiles(active, rng_profiles, preset=spec.preset, year=year)
    candidates = [
        candidate_procedures(u, catalogue, district_office=u.code in offices, three_tier=three_tier, year=year)
        for u in active
    ]
    counts = _counts(spec, profiles, period, rng_counts, np.array([bool(c) for c in candidates], dtype=float))
    dossiers, state = build_dossiers(active, profiles, catalogue, candidates, counts, period, rng_dossiers, cal)
    steps = build_steps(dossiers.column("dossier_code").combine_chunks(), state) if spec.steps else None
    petitions = build_petitions(active, profiles, counts, period, rng_petitions, cal) if spec.petitions else None
    dossiers, faults = inject_faults(dossiers, spec.bad_rows, rng_faults)
    supplements = pa.table(
        {
            name: pa.array(getattr(state, name).astype("datetime64[us]"), type=pa.timestamp("us", tz="UTC"))
            for name in SUPPLEMENT_FIELDS
        }
    )
    generated = Generated(
        spec=spec,
        period=period,
        units=_units_table(tree),
        procedures=_procedures_table(catalogue, three_tier=three_tier),
        dossiers=dossiers,
        steps=steps,
        petitions=petitions,
        supplements=supplements,
        faults=faults,
        profiles=profiles,
    )
    generated.manifest = _manifest(generated, state, counts, province)
    return generated


def _manifest(g: Generated, state: DossierState, counts: np.ndarray, province: str | None) -> dict[str, Any]:
    spec, period = g.spec, g.period
    statuses = np.bincount(state.status.astype(np.int64), minlength=11)
    kinds = g.faults.column("kind").to_pylist()
    received = ~np.isnat(state.received)
    return {
        "generator": "chiso generate",
        "chiso_version": __version__,
        "note": "Dữ liệu tổng hợp (giả lập) để thử nghiệm; không phải số liệu thật của đơn vị nào.",
        "preset": spec.preset,
        "province": province,
        "seed": spec.seed,
        "period": {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "cutoff": period.cutoff.isoformat(timespec="seconds" if period.cutoff.second else "minutes"),
            "timezone": "Asia/Ho_Chi_Minh",
        },
        "counts": {
            "units": g.units.num_rows,
            "units_with_dossiers": int((counts > 0).sum()),
            "procedures": g.procedures.num_rows,
            "dossiers": g.dossiers.num_rows,
            "dossiers_by_status": {str(s): int(statuses[s]) for s in range(1, 11) if statuses[s]},
            "received": int(received.sum()),
            "late_planned": int((state.late & received).sum()),
            "steps": g.steps.num_rows if g.steps is not None else 0,
            "petitions": g.petitions.num_rows if g.petitions is not None else 0,
            "bad_rows": {k: kinds.count(k) for k in FAULT_KINDS if k in kinds},
        },
        "profiles": [
            {**p.as_dict(), "dossiers": int(c)} for p, c in zip(g.profiles, counts.tolist(), strict=True)
        ],
    }


def write(generated: Generated, out_dir: str | Path, fmt: str = "csv", *, chunk_rows: int = 500_000,
          json_chunk: int = 50_000) -> list[WrittenFile]:  # fmt: skip
    """Write the data set's files into ``out_dir``: units.csv, procedures.csv, dossiers (csv | xlsx | json),
    steps*.json (if generated), petitions.csv and manifest.json. Returns what was written."""
    if fmt not in FORMATS:
        raise ChisoError(f"Định dạng không được hỗ trợ: {fmt}", hint="Dùng csv, xlsx hoặc json.")
    return write_all(generated, Path(out_dir), fmt, chunk_rows=chunk_rows, json_chunk=json_chunk)

