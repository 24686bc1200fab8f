"""Synthetic dossiers, vectorised: one numpy operation per column for all dossiers, never a loop per dossier.

Times are ``datetime64[s]`` in UTC internally (NaT = none). The life of a dossier:

1. received on a working day, in office hours (07:00–11:30, 13:30–17:00 Vietnam time), before the cut-off;
   submitted a little earlier (online: up to a day and a half, any hour; by post: days);
2. due = received + the procedure's processing time in working time (``chiso.workdays``);
3. the unit's on-time share decides whether it ends before or after its due time; 1–2 supplement requests on a few
   percent, each pausing the clock (the paused time is added to the end, so the portal's rule — end minus the
   citizen's supplement time ≤ due — holds exactly for on-time dossiers; two requests only on late ones);
4. its status is its state at the cut-off: finished (9, 10 with the hand-over), in progress (2, 4), waiting for a
   supplement (5) or a payment (6), withdrawn (7), stopped (8), refused at reception (3) or waiting for online
   reception (1);
5. its flags follow the unit's profile and the procedure (fees, paper results, certified copies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa

from chiso.domain.units import Unit
from chiso.errors import ChisoError
from chiso.generate.profiles import UnitProfile
from chiso.generate.spec import Period
from chiso.seeds import SeedProcedure
from chiso.workdays import WorkCalendar

# The columns of the store's dossier table (chiso.store.tables.DOSSIER_COLUMNS) without state_at, ingest_id and
# source_row; tests/test_generate.py checks that the two lists agree.
DOSSIER_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("dossier_code", pa.string()),
    ("unit_code", pa.string()),
    ("procedure_code", pa.string()),
    ("procedure_name", pa.string()),
    ("field_code", pa.string()),
    ("channel", pa.int8()),
    ("applicant_type", pa.int8()),
    ("submitted_at", pa.timestamp("us", tz="UTC")),
    ("received_at", pa.timestamp("us", tz="UTC")),
    ("due_at", pa.timestamp("us", tz="UTC")),
    ("finished_at", pa.timestamp("us", tz="UTC")),
    ("returned_at", pa.timestamp("us", tz="UTC")),
    ("rejected_at", pa.timestamp("us", tz="UTC")),
    ("status", pa.int8()),
    ("supplement_count", pa.int16()),
    ("supplement_first_at", pa.timestamp("us", tz="UTC")),
    ("paused_seconds", pa.int64()),
    ("digitised", pa.bool_()),
    ("reused", pa.bool_()),
    ("from_personal_store", pa.bool_()),
    ("result_to_personal_store", pa.bool_()),
    ("vneid", pa.bool_()),
    ("citizen_db", pa.bool_()),
    ("paid_online", pa.int8()),
    ("fee_total", pa.decimal128(18, 4)),
    ("fee_items", pa.int16()),
    ("e_result", pa.bool_()),
    ("synced", pa.bool_()),
    ("certified_copy", pa.bool_()),
    ("e_certified", pa.bool_()),
    ("dissatisfied", pa.bool_()),
)
STRING_COLUMNS = ("dossier_code", "unit_code", "procedure_code", "procedure_name", "field_code")

VN = np.timedelta64(7 * 3600, "s")
HOUR = np.timedelta64(3600, "s")
NAT = np.datetime64("NaT", "s")
OFFICE_DAY = 8 * 3600
MORNING = 4.5 * 3600
WEEKDAY_WEIGHT = np.array([1.15, 1.05, 1.0, 1.0, 0.9, 0.5, 0.3])  # Mon..Sun (weekends only when make-up days)


@dataclass
class DossierState:
    """Internal arrays kept for the steps and the JSON writer (aligned with the dossier table's rows)."""

    unit_idx: np.ndarray
    proc_idx: np.ndarray
    submitted: np.ndarray
    received: np.ndarray
    due: np.ndarray
    finished: np.ndarray
    returned: np.ndarray
    rejected: np.ndarray
    status: np.ndarray
    sup_count: np.ndarray
    req1: np.ndarray
    ret1: np.ndarray
    req2: np.ndarray
    ret2: np.ndarray
    late: np.ndarray


def local_to_utc(moment: datetime) -> np.datetime64:
    return np.datetime64(moment.replace(tzinfo=None), "s") - VN


def working_days(cal: WorkCalendar, period: Period) -> np.ndarray:
    """Working days (days since 1970-01-01) from the start of the period to the cut-off day."""
    first = np.datetime64(period.start, "D")
    last = np.datetime64(period.cutoff.date(), "D")
    days = np.arange(first, last + 1)
    keep = np.fromiter((cal.is_working_day(d.item()) for d in days), dtype=bool, count=len(days))
    return days[keep].astype(np.int64)


def office_times(
    rng: np.random.Generator, days: np.ndarray, n: int, period: Period, weights: np.ndarray | None = None
) -> np.ndarray:
    """``n`` instants (UTC) in office hours on the given working days, none after the cut-off."""
    if len(days) == 0:
        raise ChisoError(
            "Kỳ đã chọn không có ngày làm việc nào trước thời điểm chốt số liệu.",
            hint="Chọn kỳ dài hơn (--from, --to).",
        )
    if weights is None:
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
        weights = WEEKDAY_WEIGHT[weekday]
    day = days[rng.choice(len(days), size=n, p=weights / weights.sum())]
    office = rng.random(n) * OFFICE_DAY
    cutoff_day = np.datetime64(period.cutoff.date(), "D").astype(np.int64)
    clock_cut = period.cutoff.hour * 3600 + period.cutoff.minute * 60 + period.cutoff.second
    office_cut = float(np.clip(clock_cut - 7 * 3600, 0, MORNING) + np.clip(clock_cut - 13.5 * 3600, 0, 3.5 * 3600))
    office = np.where(day == cutoff_day, office * (office_cut / OFFICE_DAY), office)
    clock = np.where(office < MORNING, 7 * 3600 + office, 13.5 * 3600 + office - MORNING)
    local = day * 86400 + np.floor(clock).astype(np.int64)
    return local.astype("datetime64[s]") - VN


def _add(cal: WorkCalendar, starts: np.ndarray, amounts: np.ndarray | float, unit: str | np.ndarray) -> np.ndarray:
    return cal.add_working_time_many(starts, amounts, unit).astype("datetime64[s]")


def _ts(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype("datetime64[us]"), type=pa.timestamp("us", tz="UTC"))


def _dict(indices: np.ndarray, labels: Sequence[str | None]) -> pa.Array:
    """A dictionary-encoded string column (distinct dictionary values, first-seen order)."""
    distinct = list(dict.fromkeys(labels))
    remap = np.array([distinct.index(x) for x in labels], dtype=np.int32)
    taken = remap[np.asarray(indices, dtype=np.int64)] if len(labels) else np.asarray(indices, dtype=np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(taken, type=pa.int32()), pa.array(distinct, pa.string()))


def _codes(unit_codes: Sequence[str], unit_idx: np.ndarray, key_time: np.ndarray) -> pa.Array:
    """Dossier numbers '<unit code>-<yymmdd>-<nnnn>', numbered per unit and Vietnam day."""
    n = len(unit_idx)
    if n == 0:
        return pa.array([], pa.string())
    local = key_time + VN
    day = local.astype("datetime64[D]").astype(np.int64)
    order = np.lexsort((local.astype(np.int64), day, unit_idx))
    u, d = unit_idx[order], day[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (u[1:] != u[:-1]) | (d[1:] != d[:-1])
    starts = np.flatnonzero(new_group)
    seq_sorted = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
    seq = np.empty(n, dtype=np.int64)
    seq[order] = seq_sorted + 1
    import pyarrow.compute as pc

    days_text = pc.strftime(pa.array(day.astype("datetime64[D]").astype("datetime64[s]")), format="%y%m%d")
    seq_text = pc.utf8_lpad(pa.array(seq).cast(pa.string()), width=4, padding="0")
    units_text = pc.take(pa.array(list(unit_codes), pa.string()), pa.array(unit_idx, pa.int32()))
    return pc.binary_join_element_wise(units_text, days_text, seq_text, "-")


def build_dossiers(
    units: Sequence[Unit],
    profiles: Sequence[UnitProfile],
    catalogue: Sequence[SeedProcedure],
    candidates: Sequence[Sequence[int]],
    counts: np.ndarray,
    period: Period,
    rng: np.random.Generator,
    cal: WorkCalendar,
) -> tuple[pa.Table, DossierState]:
    """All dossiers of the given units (``counts[i]`` for unit ``i``), sorted by reception time."""
    n = int(counts.sum())
    unit_idx = np.repeat(np.arange(len(units), dtype=np.int32), counts)
    proc_idx = np.empty(n, dtype=np.int32)
    weight = np.array([p.weight for p in catalogue], dtype=float)
    offset = 0
    for i, c in enumerate(counts):
        c = int(c)
        if c:
            cand = np.asarray(candidates[i], dtype=np.int32)
            w = weight[cand]
            proc_idx[offset : offset + c] = cand[rng.choice(len(cand), size=c, p=w / w.sum())]
        offset += c

    def per_unit(attr: str) -> np.ndarray:
        return np.array([getattr(p, attr) for p in profiles], dtype=float)[unit_idx]

    def per_proc(values: Sequence[object], dtype: object = float) -> np.ndarray:
        return np.asarray(values, dtype=dtype)[proc_idx]  # type: ignore[call-overload]

    ptime = per_proc([p.processing_time for p in catalogue])
    punit = np.array([p.time_unit for p in catalogue])[proc_idx]
    paper = per_proc([p.paper_result for p in catalogue], bool)
    has_fee = per_proc([p.has_fee for p in catalogue], bool)
    fee_amount = per_proc([p.fee_amount for p in catalogue], np.int64)
    citizen = per_proc([p.citizen_target for p in catalogue], bool)
    certified = per_proc([p.certified_copy for p in catalogue], bool)
    online_ok = per_proc([p.online_level >= 3 for p in catalogue], bool)
    cutoff = local_to_utc(period.cutoff)

    # 1. reception, channel, submission
    received = office_times(rng, working_days(cal, period), n, period)
    r = rng.random(n)
    postal_share, online_share = per_unit("postal"), per_unit("online")
    channel = np.where(r < postal_share, 3, np.where((r < postal_share + online_share) & online_ok, 2, 1))
    lead = np.where(
        channel == 2, rng.uniform(600, 30 * 3600, n), np.where(channel == 3, rng.uniform(86400, 3 * 86400, n),
                                                                 rng.uniform(0, 900, n))
    )  # fmt: skip
    submitted = received - lead.astype("timedelta64[s]")

    # 2. deadline and 3. end of processing
    due = _add(cal, received, ptime, punit)
    dur_h = np.nan_to_num(cal.working_seconds_between_many(received, due) / 3600.0, nan=8.0)
    late = rng.random(n) >= per_unit("on_time")
    work_on = np.maximum(rng.uniform(0.1, 0.97, n) * dur_h, 0.25)
    over_h = 1.0 + rng.gamma(2.0, 6.0, n)
    finish = np.where(late, _add(cal, due, over_h, "hour"), _add(cal, received, work_on, "hour"))
    work_h = np.where(late, dur_h + over_h, work_on)

    has_sup = rng.random(n) < per_unit("supplement")
    two = has_sup & late & (rng.random(n) < 0.3)
    req1 = _add(cal, received, work_h * rng.uniform(0.1, 0.8, n), "hour")
    ret1 = _add(cal, req1, 2.0 + rng.gamma(2.0, 8.0, n), "hour")
    gap = np.minimum(HOUR, ((finish - req1) // 2).astype("timedelta64[s]"))
    req2 = ret1 + gap
    ret2 = _add(cal, req2, 2.0 + rng.gamma(2.0, 6.0, n), "hour")
    pause1 = ret1 - req1
    pause2 = np.where(two, ret2 - req2, np.timedelta64(0, "s"))
    finish = np.where(has_sup, finish + pause1 + pause2, finish)
    req1, ret1 = np.where(has_sup, req1, NAT), np.where(has_sup, ret1, NAT)
    req2, ret2 = np.where(two, req2, NAT), np.where(two, ret2, NAT)

    # 4. state at the cut-off
    u = rng.random(n)
    reject = u < 0.004
    withdraw = (u >= 0.004) & (u < 0.007)
    stop = (u >= 0.007) & (u < 0.008)
    waiting_online = (channel == 2) & (cutoff - received < np.timedelta64(4 * 3600, "s")) & (rng.random(n) < 0.5)
    waiting_online &= ~(reject | withdraw | stop)
    early_end = _add(cal, received, work_on * 0.5, "hour")
    withdrawn = withdraw & (early_end <= cutoff)
    stopped = stop & (early_end <= cutoff)
    done = ~reject & ~waiting_online & ~withdrawn & ~stopped & (finish <= cutoff)
    handover = _add(cal, finish, rng.exponential(6.0, n), "hour")
    collected = done & (handover <= cutoff) & (rng.random(n) >= 0.06)
    open_ = ~reject & ~waiting_online & ~withdrawn & ~stopped & ~done

    sup_count = np.zeros(n, dtype=np.int16)
    sup_count = np.where(has_sup & (req1 <= cutoff), 1, sup_count)
    sup_count = np.where(two & (req2 <= cutoff), 2, sup_count)
    sup_count = np.where(reject | waiting_online | withdrawn | stopped, 0, sup_count).astype(np.int16)
    pending1 = open_ & has_sup & (req1 <= cutoff) & (ret1 > cutoff)
    pending2 = open_ & two & (req2 <= cutoff) & (ret2 > cutoff)
    paused = np.where(sup_count >= 1, pause1, np.timedelta64(0, "s"))
    paused = np.where(sup_count >= 2, paused + pause2, paused)
    paused = np.where(pending1, np.timedelta64(0, "s"), np.where(pending2, pause1, paused))
    req1 = np.where(sup_count >= 1, req1, NAT)
    ret1 = np.where((sup_count >= 1) & ~pending1, ret1, NAT)
    req2 = np.where(sup_count >= 2, req2, NAT)
    ret2 = np.where((sup_count >= 2) & ~pending2, ret2, NAT)

    recent = (cutoff - received) < np.timedelta64(2 * 3600, "s")
    status = np.full(n, 4, dtype=np.int8)
    status = np.where(open_ & recent, 2, status)
    status = np.where(open_ & has_fee & ~recent & (rng.random(n) < 0.02), 6, status)
    status = np.where(pending1 | pending2, 5, status)
    status = np.where(done, np.where(collected, 10, 9), status)
    status = np.where(withdrawn, 7, status)
    status = np.where(stopped, 8, status)
    status = np.where(waiting_online, 1, status)
    status = np.where(reject, 3, status).astype(np.int8)

    not_received = reject | waiting_online
    rejected_at = np.where(reject, np.minimum(submitted + rng.uniform(1800, 20 * 3600, n).astype("timedelta64[s]"),
                                              cutoff), NAT)  # fmt: skip
    received = np.where(not_received, NAT, received)
    due = np.where(not_received | (rng.random(n) < 0.02), NAT, due)
    finished = np.where(done, finish, np.where(withdrawn | stopped, early_end, NAT))
    returned = np.where(collected, handover, NAT)
    finished_ok = done  # status 9 or 10

    # 5. flags
    e_result = finished_ok & paper & (rng.random(n) < per_unit("e_result"))
    pages = np.minimum(rng.geometric(0.4, n), 20)
    fee = np.where(has_fee, fee_amount * np.where(certified, pages, 1), 0)
    fee = np.where(has_fee & (rng.random(n) < 0.04), 0, fee)  # exempt applicants (đối tượng miễn phí)
    pay_share = per_unit("paid_online") * np.where(channel == 2, 1.0, 0.33)
    paid = (fee > 0) & ~not_received & (rng.random(n) < pay_share)
    paid_online = np.where(paid, np.where(rng.random(n) < 0.7, 1, 2), 0).astype(np.int8)
    digitised = rng.random(n) < np.minimum(per_unit("digitised") + np.where(channel == 2, 0.1, 0.0), 1.0)
    reused = digitised & (rng.random(n) < per_unit("reused"))
    from_store = (channel == 2) & (rng.random(n) < 0.04)
    vneid = np.where(channel == 2, rng.random(n) < 0.85, rng.random(n) < 0.05)
    citizen_db = citizen & (rng.random(n) < per_unit("citizen_data"))
    to_store = e_result & (rng.random(n) < 0.12)
    e_certified = certified & finished_ok & (rng.random(n) < per_unit("e_certified"))
    synced = rng.random(n) < per_unit("synced")
    dissatisfied = ~not_received & (rng.random(n) < per_unit("dissatisfied") * np.where(late, 4.0, 1.0))
    a = rng.random(n)
    applicant = np.where(citizen, np.where(a < 0.97, 1, 4), np.where(a < 0.85, 2, 4)).astype(np.int8)

    # order: by reception (or submission) time, then unit
    key_time = np.where(np.isnat(received), submitted, received)
    order = np.lexsort((unit_idx, key_time.astype(np.int64)))

    def o(x: np.ndarray) -> np.ndarray:
        return x[order]

    unit_codes = [u.code for u in units]
    columns: dict[str, pa.Array] = {
        "dossier_code": _codes(unit_codes, o(unit_idx), o(key_time)),
        "unit_code": _dict(o(unit_idx), unit_codes),
        "procedure_code": _dict(o(proc_idx), [p.code for p in catalogue]),
        "procedure_name": _dict(o(proc_idx), [p.name for p in catalogue]),
        "field_code": _dict(o(proc_idx), [p.field_code for p in catalogue]),
        "channel": pa.array(o(channel).astype(np.int8)),
        "applicant_type": pa.array(o(applicant)),
        "submitted_at": _ts(o(submitted)),
        "received_at": _ts(o(received)),
        "due_at": _ts(o(due)),
        "finished_at": _ts(o(finished)),
        "returned_at": _ts(o(returned)),
        "rejected_at": _ts(o(rejected_at)),
        "status": pa.array(o(status)),
        "supplement_count": pa.array(o(sup_count)),
        "supplement_first_at": _ts(o(req1)),
        "paused_seconds": pa.array(o(paused).astype(np.int64)),
        "digitised": pa.array(o(digitised)),
        "reused": pa.array(o(reused)),
        "from_personal_store": pa.array(o(from_store)),
        "result_to_personal_store": pa.array(o(to_store)),
        "vneid": pa.array(o(vneid)),
        "citizen_db": pa.array(o(citizen_db)),
        "paid_online": pa.array(o(paid_online)),
        "fee_total": pa.array(o(fee).astype(np.int64)).cast(pa.decimal128(38, 4)).cast(pa.decimal128(18, 4)),
        "fee_items": pa.array(o(has_fee).astype(np.int16)),
        "e_result": pa.array(o(e_result)),
        "synced": pa.array(o(synced)),
        "certified_copy": pa.array(o(certified)),
        "e_certified": pa.array(o(e_certified)),
        "dissatisfied": pa.array(o(dissatisfied)),
    }
    table = pa.table({name: columns[name] for name, _ in DOSSIER_FIELDS})
    state = DossierState(
        unit_idx=o(unit_idx), proc_idx=o(proc_idx), submitted=o(submitted), received=o(received), due=o(due),
        finished=o(finished), returned=o(returned), rejected=o(rejected_at), status=o(status),
        sup_count=o(sup_count), req1=o(req1), ret1=o(ret1), req2=o(req2), ret2=o(ret2), late=o(late),
    )  # fmt: skip
    return table, state
