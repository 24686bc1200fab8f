"""Progress steps, petitions (PAKN) and deliberately faulty rows, all vectorised."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chiso.domain.units import Unit
from chiso.generate.dossiers import NAT, DossierState, _add, _dict, _ts, local_to_utc, office_times, working_days
from chiso.generate.profiles import UnitProfile
from chiso.generate.spec import Period
from chiso.workdays import WorkCalendar

STEP_DEPARTMENTS = ("Bộ phận Một cửa", "Bộ phận chuyên môn", "Lãnh đạo đơn vị", "Bộ phận trả kết quả")
STEP_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("dossier_code", pa.string()),
    ("status", pa.int8()),
    ("at", pa.timestamp("us", tz="UTC")),
    ("department", pa.string()),
    ("content", pa.string()),
)
STEP_CONTENT = {
    1: "Công dân nộp hồ sơ trực tuyến",
    2: "Tiếp nhận hồ sơ",
    3: "Từ chối tiếp nhận hồ sơ",
    4: "Chuyển xử lý",
    5: "Yêu cầu bổ sung giấy tờ",
    6: "Yêu cầu thực hiện nghĩa vụ tài chính",
    7: "Công dân rút hồ sơ",
    8: "Dừng xử lý",
    9: "Đã xử lý xong",
    10: "Đã trả kết quả",
}
FAULT_KINDS = ("bad_date", "unknown_status", "finished_before_received", "missing_code")
FAULT_LABELS = {
    "bad_date": "ngày tiếp nhận không đọc được",
    "unknown_status": "trạng thái không có trong danh mục (11)",
    "finished_before_received": "ngày kết thúc xử lý trước ngày tiếp nhận",
    "missing_code": "thiếu mã hồ sơ",
}
BAD_DATE_TEXT = "31/02/2023 25:61"


def build_steps(codes: pa.Array, state: DossierState) -> pa.Table:
    """The status history of every dossier (``CapNhatTienDoHoSoMC``), in dossier order then time order."""
    n = len(state.status)
    s = state.status
    events: list[tuple[np.ndarray, int, np.ndarray, int]] = []  # (mask, status, time, department)
    minute = np.timedelta64(60, "s")
    received = ~np.isnat(state.received)
    events.append((s == 1, 1, state.submitted, 0))
    events.append((received, 2, state.received, 0))
    events.append((s == 3, 3, state.rejected, 0))
    events.append((received & (s != 2), 4, state.received + 5 * minute, 1))
    events.append((~np.isnat(state.req1), 5, state.req1, 1))
    events.append((~np.isnat(state.ret1), 4, state.ret1, 1))
    events.append((~np.isnat(state.req2), 5, state.req2, 1))
    events.append((~np.isnat(state.ret2), 4, state.ret2, 1))
    events.append((s == 6, 6, state.received + 30 * minute, 1))
    events.append((s == 7, 7, state.finished, 1))
    events.append((s == 8, 8, state.finished, 2))
    events.append(((s == 9) | (s == 10), 9, state.finished, 2))
    events.append((s == 10, 10, state.returned, 3))
    rows, stat, times, dept = [], [], [], []
    idx = np.arange(n, dtype=np.int64)
    for mask, code, at, department in events:
        rows.append(idx[mask])
        stat.append(np.full(int(mask.sum()), code, dtype=np.int8))
        times.append(at[mask])
        dept.append(np.full(int(mask.sum()), department, dtype=np.int32))
    row, status, at, department = (np.concatenate(x) for x in (rows, stat, times, dept))
    order = np.lexsort((at.astype(np.int64), row))
    row, status, at, department = row[order], status[order], at[order], department[order]
    contents = sorted(STEP_CONTENT)
    return pa.table(
        {
            "dossier_code": pc.take(codes, pa.array(row)),
            "status": pa.array(status),
            "at": _ts(at),
            "department": _dict(department, STEP_DEPARTMENTS),
            "content": _dict(np.searchsorted(contents, status).astype(np.int32), [STEP_CONTENT[c] for c in contents]),
        }
    )


PETITION_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("petition_code", pa.string()),
    ("unit_code", pa.string()),
    ("received_at", pa.timestamp("us", tz="UTC")),
    ("due_at", pa.timestamp("us", tz="UTC")),
    ("handled_at", pa.timestamp("us", tz="UTC")),
    ("status", pa.string()),
    ("category", pa.string()),
    ("likes", pa.int32()),
    ("dislikes", pa.int32()),
    ("reraised", pa.bool_()),
)


def build_petitions(
    units: Sequence[Unit],
    profiles: Sequence[UnitProfile],
    dossier_counts: np.ndarray,
    period: Period,
    rng: np.random.Generator,
    cal: WorkCalendar,
) -> pa.Table:
    """Petitions per unit: a small share of its dossiers; due 15 working days after reception."""
    rate = np.array([p.petitions for p in profiles])
    counts = rng.poisson(dossier_counts * rate)
    n = int(counts.sum())
    unit_idx = np.repeat(np.arange(len(units), dtype=np.int32), counts)
    received = office_times(rng, working_days(cal, period), n, period)
    order = np.lexsort((unit_idx, received.astype(np.int64)))
    unit_idx, received = unit_idx[order], received[order]
    cutoff = local_to_utc(period.cutoff)
    due = _add(cal, received, 15.0, "working_day")
    on_time = np.array([p.on_time for p in profiles])[unit_idx]
    late = rng.random(n) >= np.minimum(on_time + 0.02, 1.0)
    work = np.where(late, 120.0 + rng.gamma(2.0, 16.0, n), rng.uniform(2.0, 118.0, n))
    handled = _add(cal, received, work, "hour")
    rejected = rng.random(n) < 0.03
    handled = np.where(rejected, _add(cal, received, rng.uniform(1.0, 16.0, n), "hour"), handled)
    is_done = handled <= cutoff
    status = np.where(is_done, np.where(rejected, 2, 1), 0)
    category = np.searchsorted([0.6, 0.75], rng.random(n)).astype(np.int32)
    likes = rng.poisson(1.2, n).astype(np.int32)
    dislikes = rng.poisson(np.where(late, 1.5, 0.3)).astype(np.int32)
    seq = np.zeros(n, dtype=np.int64)
    if n:
        by_unit = np.argsort(unit_idx, kind="stable")
        starts = np.searchsorted(unit_idx[by_unit], np.arange(len(units)))
        seq[by_unit] = np.arange(n) - starts[unit_idx[by_unit]] + 1
    unit_codes = pa.array([u.code for u in units], pa.string())
    code = pc.binary_join_element_wise(
        pc.take(unit_codes, pa.array(unit_idx)), pc.utf8_lpad(pa.array(seq).cast(pa.string()), width=5, padding="0"),
        "-PAKN-",
    )  # fmt: skip
    return pa.table(
        {
            "petition_code": code,
            "unit_code": _dict(unit_idx, [u.code for u in units]),
            "received_at": _ts(received),
            "due_at": _ts(due),
            "handled_at": _ts(np.where(is_done, handled, NAT)),
            "status": _dict(status.astype(np.int32), ["open", "handled", "rejected"]),
            "category": _dict(category, ["tthc", "staff", "other"]),
            "likes": pa.array(likes),
            "dislikes": pa.array(dislikes),
            "reraised": pa.array(is_done & (rng.random(n) < 0.03)),
        }
    )


def inject_faults(table: pa.Table, share: float, rng: np.random.Generator) -> tuple[pa.Table, pa.Table]:
    """Make ``share`` of the rows faulty; returns the changed table and the faults (row, kind).

    ``bad_date`` is only recorded here: the writers put an unreadable reception date in those rows' text.
    """
    n = table.num_rows
    k = 0 if share <= 0 or n == 0 else max(1, round(n * share))
    rows = np.sort(rng.choice(n, size=min(k, n), replace=False)) if k else np.array([], dtype=np.int64)
    kinds = rng.integers(0, len(FAULT_KINDS), size=len(rows))
    faults = pa.table(
        {"row": pa.array(rows, pa.int64()), "kind": pa.array([FAULT_KINDS[i] for i in kinds], pa.string())}
    )
    if not len(rows):
        return table, faults

    def mask(kind: str) -> np.ndarray:
        m = np.zeros(n, dtype=bool)
        m[rows[kinds == FAULT_KINDS.index(kind)]] = True
        return m

    status = np.where(mask("unknown_status"), 11, table.column("status").to_numpy(zero_copy_only=False))
    table = table.set_column(table.schema.get_field_index("status"), "status", pa.array(status.astype(np.int8)))
    received = table.column("received_at").combine_chunks()
    before = mask("finished_before_received") & pc.is_valid(received).to_numpy(zero_copy_only=False)
    earlier = pc.subtract(received, pa.scalar(np.timedelta64(2 * 86400, "s").astype("timedelta64[us]")))
    finished = pc.if_else(pa.array(before), earlier, table.column("finished_at").combine_chunks())
    table = table.set_column(table.schema.get_field_index("finished_at"), "finished_at", finished)
    codes = pc.if_else(pa.array(mask("missing_code")), pa.scalar(None, pa.string()), table.column("dossier_code"))
    table = table.set_column(table.schema.get_field_index("dossier_code"), "dossier_code", codes)
    return table, faults
