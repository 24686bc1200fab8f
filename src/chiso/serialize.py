"""Plain-data shapes of results, shared by the command line's ``--format json`` and the web API.

Both edges call these functions so that a figure reads the same in ``chiso ranking --format json`` and in
``GET /api/v1/ranking`` (docs/cli.md, 'JSON contracts'). ``to_jsonable`` turns the result into JSON values:
exact decimals become ints or floats, times ISO strings, enums their values.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from chiso.domain.unittree import MatchReport
from chiso.scoring.explain import Explanation
from chiso.wording import restore_sentence, rule_text
from chiso.workspace import (
    CompareLine,
    DossierPage,
    ImportOutcome,
    Ranking,
    ResultSet,
    UnitExplanation,
    UnitView,
    VerifyResult,
)


def to_jsonable(value: Any) -> Any:
    """JSON values: Decimal/Fraction → int or float, datetime/date → ISO, StrEnum → value, containers recursed."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
        if value != value.to_integral_value():
            return float(round(value, 6))
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 10**15 else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


# -- ranking -----------------------------------------------------------------------------------------------
def ranking_rows(r: Ranking) -> list[dict[str, Any]]:
    """One object per ranked unit, every table of the ranking in order (``chiso ranking --format json``)."""
    out = []
    for table in r.tables:
        for row in table.rows:
            out.append(
                {
                    "unit": row.unit,
                    "name": row.name,
                    "kind": row.kind,
                    "total": row.total,
                    "band": row.band.label if row.band else None,
                    "band_code": str(row.band) if row.band else None,
                    "rank": row.rank,
                    "value": row.value,
                    "by": r.by,
                    "groups": row.groups,
                    "score_change": row.change.score if row.change else None,
                    "rank_change": row.change.rank if row.change else None,
                    "previous_score": row.change.previous_score if row.change else None,
                    "previous_rank": row.change.previous_rank if row.change else None,
                    "compared_with": table.baseline,
                    "day_score_change": row.day_change.score if row.day_change else None,
                    "day_rank_change": row.day_change.rank if row.day_change else None,
                    "day_compared_with": table.day_baseline,
                    "checked_at": table.checked_at,
                    "portal_rank": row.portal_rank,
                    "portal_group_rank": row.portal_group_rank,
                    "period": r.period.key,
                    "parent": r.parent,
                    "captured_at": table.captured_at,
                }
            )
    return out


# -- explain -----------------------------------------------------------------------------------------------
def explanation_line(e: Explanation) -> dict[str, Any]:
    """One metric of an explanation: counts, ratio and target in percent, points, what restores them."""
    line = e.line
    return {
        "code": line.code,
        "group": line.group,
        "name": line.name,
        "numerator": line.numerator,
        "denominator": line.denominator,
        "ratio": None if line.ratio is None else float(round(line.ratio * 100, 2)),
        "target": e.target_percent,
        "rule": rule_text(e),
        "score": line.score,
        "max": line.max,
        "lost": e.lost,
        "status": str(line.status),
        "basis": str(line.basis),
        "provenance": str(line.metric.evidence.rule.label) if line.metric else None,
        "restore": restore_sentence(e),
    }


def explanation(x: UnitExplanation) -> dict[str, Any]:
    """``chiso explain --format json``."""
    v = x.view
    return {
        "unit": v.unit,
        "name": v.name,
        "kind": v.kind,
        "total": v.total,
        "band": v.band.label if v.band else None,
        "rank": v.rank,
        "peers": v.peers,
        "groups": {code: g.score for code, g in v.groups.items()},
        "period": v.origin.period,
        "captured_at": v.origin.cutoff,
        "methodology": x.methodology.name,
        "source": str(v.origin.source),
        "lost": x.lost_total,
        "metrics": [explanation_line(e) for e in x.explanations],
    }


# -- results (compute) -------------------------------------------------------------------------------------
def unit_result(v: UnitView) -> dict[str, Any]:
    """One unit of a result set (``chiso compute --format json``): totals, groups and metric figures."""
    return {
        "unit": v.unit, "name": v.name, "kind": v.kind, "parent": v.parent, "total": v.total,
        "band": v.band.label if v.band else None, "rank": v.rank, "peers": v.peers,
        "groups": {c: g.score for c, g in v.groups.items()},
        "metrics": [
            {"code": ln.code, "group": ln.group, "numerator": ln.numerator, "denominator": ln.denominator,
             "ratio": None if ln.ratio is None else float(round(ln.ratio * 100, 2)), "score": ln.score,
             "max": ln.max, "status": str(ln.status)}
            for ln in v.lines
        ],
        "extras": {k: {"numerator": m.numerator, "denominator": m.denominator} for k, m in v.extras.items()},
        "source": str(v.origin.source), "period": v.origin.period, "cutoff": v.origin.cutoff,
        "provisional": v.origin.is_estimate,
    }  # fmt: skip


def result_set(rs: ResultSet) -> list[dict[str, Any]]:
    """``chiso compute --format json``: the compute/explain contract of design.md, one object per unit."""
    return [unit_result(v) for v in rs.units]


# -- verify ------------------------------------------------------------------------------------------------
def verification(res: VerifyResult) -> dict[str, Any]:
    """``chiso verify --format json``: checked, tolerance, mismatches and what could not be checked."""
    v = res.verification
    info = res.snapshots

    def context(sid: str) -> dict[str, Any]:
        s = info.get(sid)
        return {"snapshot": sid, "period": s.period if s else None, "file": s.file_name if s else None}

    mismatches = [
        {
            "unit": x.unit,
            "metric": x.item,
            "level": x.level,
            "expected": x.expected,
            "computed": x.computed,
            "difference": x.difference,
            "cause": x.cause,
            **context(x.snapshot),
        }
        for x in v.mismatches
    ]
    unchecked = [
        {
            "unit": u.unit,
            "item": u.item,
            "reason": u.reason,
            "implied": u.implied,
            "count": u.count,
            **context(u.snapshot),
        }
        for u in v.unchecked
    ]
    return {"checked": v.checked, "tolerance": res.tolerance, "mismatches": mismatches, "unchecked": unchecked}


def snapshot_rows(ws_snapshots: list[Any]) -> list[dict[str, Any]]:
    """Import history (``chiso history --format json``): one row per stored snapshot."""
    return [
        {
            "snapshot": s.snapshot_id, "file": s.file_name, "sheet": s.sheet, "period": s.period, "scope": s.scope,
            "units": s.units, "captured_at": s.captured_at, "captured_basis": s.captured_basis,
            "methodology": s.methodology, "shape": s.shape,
        }
        for s in ws_snapshots
    ]  # fmt: skip


def capture_row(c: dict[str, Any]) -> dict[str, Any]:
    """One portal capture (``chiso history --format json``, ``/api/v1/history``): missing parts as a list."""
    out = {k: v for k, v in c.items() if k not in ("missing", "warnings")}
    out["missing"] = (c.get("missing") or "").splitlines()
    out["warnings"] = (c.get("warnings") or "").splitlines()
    return out


# -- imports and ingest ------------------------------------------------------------------------------------
def import_outcome(o: ImportOutcome) -> dict[str, Any]:
    """One file of ``chiso import-official --format json``."""
    return {
        "file": o.path,
        "status": "refused" if o.error else o.report.status,  # type: ignore[union-attr]
        "error": o.error.message if o.error else None,
        "place": getattr(o.error, "place", None) if o.error else None,
        "detail": o.error.detail if o.error else None,
        "file_id": o.report.file_id if o.report else None,
        "snapshots": [vars(s) for s in o.report.snapshots] if o.report else [],
        "warnings": o.report.warnings if o.report else [],
    }


def ingest_report(r: Any) -> dict[str, Any]:
    """One file of ``chiso ingest --format json``: rows read, stored and rejected, with the reasons."""
    return {
        "file": r.file_name, "kind": r.kind, "format": r.format, "rows_read": r.rows_read,
        "rows_stored": r.rows_stored, "rows_rejected": r.rows_rejected, "skipped": r.skipped,
        "rejects_csv": str(r.rejects_csv) if r.rejects_csv else None, "warnings": r.warnings,
        "unknown_codes": [unknown_codes(u, r.kind_label) for u in getattr(r, "unknown_codes", [])],
        "rejects": [vars(x) for x in r.rejects[:100]],
    }  # fmt: skip


def unknown_codes(u: Any, rows_label: str) -> dict[str, Any]:
    """Codes of one field that the catalogue does not know: counts, a few examples and the warning's sentence."""
    return {"field": u.field, "catalogue": u.catalogue, "codes": u.codes, "rows": u.rows,
            "examples": [{"code": c, "rows": n} for c, n in u.examples], "catalogue_empty": u.catalogue_empty,
            "sentence": u.sentence(rows_label)}  # fmt: skip


# -- local layer: dossiers, due soon, compare ------------------------------------------------------------
def dossier_page(page: DossierPage) -> dict[str, Any]:
    """``chiso explain --dossiers --format json``."""
    return {"metric": page.metric, "period": page.period.key, "reason": page.reason, "total": page.total,
            "page": page.page, "page_size": page.page_size, "columns": page.columns, "rows": page.rows}  # fmt: skip


def compare_line(x: CompareLine) -> dict[str, Any]:
    """One line of ``chiso compare --format json``: local estimate beside the official figure."""
    return {"code": x.code, "name": x.name, "local": x.local, "official": x.official, "difference": x.difference,
            "local_ratio": x.local_ratio, "official_ratio": x.official_ratio, "cause": x.cause}  # fmt: skip


def due_item(item: Any) -> dict[str, Any]:
    """One dossier of ``chiso due --format json``."""
    return dict(vars(item))


# -- units -------------------------------------------------------------------------------------------------
def unit_matching(report: MatchReport) -> dict[str, Any]:
    """How the portal's codes and the one-stop identifiers met (``chiso units --format json``)."""
    return to_jsonable(dataclasses.asdict(report))  # type: ignore[no-any-return]
