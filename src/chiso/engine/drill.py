"""The dossiers behind a number, and the open dossiers close to (or past) their deadline.

Lists are built from the same flag expressions as the counts (``engine/predicates.py``): the gap listed for a
metric is exactly denominator − numerator of that metric for the chosen units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import ibis.expr.types as ir
import numpy as np

from chiso.engine.predicates import Window, flagged, gap_predicates, lit
from chiso.workdays import WorkCalendar

LIST_COLUMNS = (
    "dossier_code", "unit_code", "procedure_code", "procedure_name", "channel", "received_at", "due_at", "end_at",
    "status", "supplement_count", "fee_total", "paid_online", "e_result", "digitised",
)  # fmt: skip
STATUS_LABELS = {
    1: "Chờ tiếp nhận trực tuyến", 2: "Đã tiếp nhận", 3: "Không tiếp nhận", 4: "Đang xử lý",
    5: "Yêu cầu bổ sung", 6: "Chờ thực hiện nghĩa vụ tài chính", 7: "Công dân rút hồ sơ", 8: "Dừng xử lý",
    9: "Đã xử lý xong", 10: "Đã trả kết quả",
}  # fmt: skip
DRILLABLE = (
    "DOSSIER_SYNC", "ON_TIME", "ONLINE_DOSSIERS", "ONLINE_ON_TIME", "PAY_DOSSIERS", "DOSSIER_RECEIVING_SATISFACTION",
    "ORIGINAL_RESULT_AVAILABLE", "SO_HOA_GIAY_TO_GIAI_QUYET", "REUSED_DIGITIZED_DATA",
    "SYNCED_WITH_DVCQG_PERSONAL_STORAGE", "CITIZEN_DATA_CONNECTED_DOSSIER", "E_CERTIFIED_COPY_SHARE",
)  # fmt: skip


@dataclass
class DossierList:
    columns: list[str]
    rows: list[dict]
    total: int
    reason: str


def _filtered(
    dossiers: ir.Table,
    procedures: ir.Table,
    window: Window,
    rule: str,
    units: Sequence[str],
    metric: str | None,
    gap_only: bool,
    status: int | None,
    search: str | None,
) -> tuple[ir.Table, str]:
    f = flagged(dossiers, window, rule)
    f = f.filter(f.unit_code.isin(list(units)))
    reason = "hồ sơ tiếp nhận trong kỳ"
    if metric is not None:
        den, num, why = gap_predicates(f)[metric]
        f = f.filter(den & ~num) if gap_only else f.filter(den)
        reason = why if gap_only else "hồ sơ thuộc mẫu số của chỉ số"
    else:
        f = f.filter(f.counted)
    if status is not None:
        f = f.filter(f.status == status)
    if search:
        needle = search.strip().lower()
        f = f.filter(f.dossier_code.lower().contains(needle) | f.procedure_name.lower().contains(needle)
                     | f.procedure_code.lower().contains(needle))  # fmt: skip
    return f, reason


def list_dossiers(
    dossiers: ir.Table,
    procedures: ir.Table,
    window: Window,
    rule: str,
    units: Sequence[str],
    *,
    metric: str | None = None,
    gap_only: bool = True,
    status: int | None = None,
    search: str | None = None,
    offset: int = 0,
    limit: int | None = 50,
) -> DossierList:
    names = procedures.select(n_code=procedures.procedure_code, n_name=procedures["name"])
    with_names = dossiers.left_join(names, dossiers.procedure_code == names.n_code)
    with_names = with_names.mutate(procedure_name=with_names.procedure_name.fill_null(with_names.n_name)).drop(
        "n_code", "n_name"
    )
    f, reason = _filtered(with_names, procedures, window, rule, units, metric, gap_only, status, search)
    total = int(f.count().to_pyarrow().as_py() or 0)
    page = f.select(*LIST_COLUMNS, "on_time").order_by([f.received_at, f.dossier_code])
    if limit is not None:
        page = page.limit(limit, offset=offset)
    rows = page.to_pyarrow().to_pylist()
    return DossierList([*LIST_COLUMNS, "on_time"], rows, total, reason)


@dataclass(frozen=True)
class DueItem:
    dossier_code: str
    unit_code: str
    procedure_code: str | None
    procedure_name: str | None
    received_at: datetime
    due_at: datetime
    state: str  # 'quá hạn' | 'sắp đến hạn'
    hours_left: float  # working hours; negative when overdue


def due_soon(
    dossiers: ir.Table, units: Sequence[str], now: datetime, within_hours: float, calendar: WorkCalendar
) -> list[DueItem]:
    """Open dossiers past their deadline, or due within ``within_hours`` working hours, most urgent first."""
    d = dossiers
    horizon = now + timedelta(days=max(7, int(within_hours // 8) * 3 + 7))  # generous; exact test below
    open_ = d.filter(
        d.unit_code.isin(list(units))
        & d.received_at.notnull()
        & d.due_at.notnull()
        & d.end_at.isnull()
        & ~d.status.isin([1, 3, 7, 8, 9, 10])
        & (d.due_at < lit(horizon))
    ).select("dossier_code", "unit_code", "procedure_code", "procedure_name", "received_at", "due_at")
    rows = open_.to_pyarrow()
    if rows.num_rows == 0:
        return []
    due = rows.column("due_at").to_numpy(zero_copy_only=False).astype("datetime64[us]")
    start = np.full(len(due), np.datetime64(now.replace(tzinfo=None) - (now.utcoffset() or timedelta(0)), "us"))
    left = calendar.working_seconds_between_many(start, due) / 3600.0
    out = []
    records = rows.to_pylist()
    for rec, hours in zip(records, left, strict=True):
        overdue = rec["due_at"] < now
        if not overdue and hours > within_hours:
            continue
        out.append(
            DueItem(
                rec["dossier_code"], rec["unit_code"], rec["procedure_code"], rec["procedure_name"],
                rec["received_at"], rec["due_at"], "quá hạn" if overdue else "sắp đến hạn",
                round(float(hours), 1),
            )
        )
    out.sort(key=lambda x: x.hours_left)
    return out
