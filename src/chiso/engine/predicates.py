"""Per-dossier flags as Ibis expressions: the one place where docs/local-metrics.md becomes code.

The counts (``engine/counts.py``) and the drill-down lists (``engine/drill.py``) are both built from these
expressions, so a list of dossiers always adds up to the figure it explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import ibis
import ibis.expr.types as ir

from chiso.domain.periods import Period

VN_OFFSET_SECONDS = 7 * 3600
ON_TIME_RULES = ("portal", "date", "session")


@dataclass(frozen=True)
class Window:
    """A period as UTC instants: ``[start, end)``, and the reference time ``ref = min(end, as_of)``."""

    start: datetime
    end: datetime
    as_of: datetime

    @property
    def ref(self) -> datetime:
        return min(self.end, self.as_of)

    @classmethod
    def of(cls, period: Period, as_of: datetime | None = None) -> Window:
        return cls(_vn_midnight(period.start), _vn_midnight(period.end + timedelta(days=1)), as_of or datetime.now(UTC))


def _vn_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(seconds=VN_OFFSET_SECONDS)


def lit(moment: datetime) -> ir.TimestampScalar:
    return ibis.timestamp(moment.astimezone(UTC).replace(tzinfo=None), timezone="UTC")


def _true(value: ir.BooleanValue) -> ir.BooleanValue:
    return value.fill_null(False)


def _seconds(value: ir.TimestampValue) -> ir.IntegerValue:
    """Whole epoch seconds (ingest reads times to the second; a computed deadline's fraction is dropped)."""
    return value.epoch_seconds().floor().cast("int64")


def static_flags(dossiers: ir.Table, procedures: ir.Table) -> ir.Table:
    """Every flag of docs/local-metrics.md that does not depend on the period, and times as epoch seconds.

    ``ingest/current.refresh_dossiers`` stores these columns in ``dossier`` after every ingest, so a period's
    query (``flagged``) only decides which dossiers are counted and which were on time. They depend on the
    catalogue (``paper_result``, ``has_fee``), which is why ingesting procedures also rebuilds ``dossier``.
    """
    p = procedures.select(
        p_code=procedures.procedure_code,
        p_paper=procedures.paper_result,
        p_has_fee=procedures.has_fee,
    )
    d = dossiers.left_join(p, dossiers.procedure_code == p.p_code)
    paper = d.p_paper.fill_null(True)
    e_result = _true(d.e_result)
    fee_bearing = ibis.ifelse(d.fee_total.isnull(), _true(d.p_has_fee), _true(d.fee_total > 0))
    flags = d.mutate(
        received_s=_seconds(d.received_at),
        due_s=_seconds(d.due_at),
        end_s=_seconds(d.end_at),
        supplement_first_s=_seconds(d.supplement_first_at),
        paper=paper,
        online=_true((d.channel == 2) & (e_result | ~paper)),
        channel2=_true(d.channel == 2),
        fee_bearing=fee_bearing,
        paid=fee_bearing & d.paid_online.isin([1, 2]).fill_null(False),
        fee_synced=_true(d.fee_total > 0),
        citizen_data=_true(d.vneid) | _true(d.from_personal_store) | _true(d.citizen_db),
        personal_store=_true(d.from_personal_store) | _true(d.result_to_personal_store),
        digitised_ok=_true(d.digitised) & (e_result | ~paper),
        e_result_ok=e_result,
        e_certified_copy=_true(d.certified_copy) & _true(d.e_certified),
        known_personal_store=d.from_personal_store.notnull() | d.result_to_personal_store.notnull(),
        known_citizen_data=d.vneid.notnull() | d.from_personal_store.notnull() | d.citizen_db.notnull(),
    )
    return flags.drop("p_code", "p_paper", "p_has_fee")


def _seconds_lit(moment: datetime) -> ir.IntegerScalar:
    return ibis.literal(int(moment.timestamp()), type="int64")


def flagged(dossiers: ir.Table, window: Window, rule: str = "portal") -> ir.Table:
    """The ``dossier`` table with the period's flags added: ``counted``, ``finished``, ``on_time``, ``completed``.

    The other flags of docs/local-metrics.md are columns already (``static_flags``). Times are compared as epoch
    seconds, so no timestamp is converted per row.
    """
    if rule not in ON_TIME_RULES:
        raise ValueError(f"unknown on-time rule {rule}")
    d = dossiers
    ref = _seconds_lit(window.ref)
    supplements = d.supplement_count.fill_null(0)
    finished = d.end_s.notnull() & (d.end_s <= ref)
    pending_request = ~finished & (supplements == 1) & d.supplement_first_s.notnull() & (d.supplement_first_s <= ref)
    end_s = ibis.cases((finished, d.end_s), (pending_request, d.supplement_first_s), else_=ref)
    effective_s = ibis.ifelse(pending_request, end_s, end_s - d.paused_seconds.fill_null(0))
    if rule == "date":
        in_time = (effective_s + VN_OFFSET_SECONDS) // 86400 <= (d.due_s + VN_OFFSET_SECONDS) // 86400
    else:
        in_time = effective_s <= d.due_s
    on_time = (supplements <= 1) & (d.due_s.isnull() | _true(in_time))
    counted = (
        d.received_at.notnull()
        & (d.received_at >= lit(window.start))
        & (d.received_at < lit(window.end))
        & ~d.status.isin([1, 3])
    )
    return d.mutate(
        counted=_true(counted),
        finished=_true(finished),
        pending_request=_true(pending_request),
        effective_end_s=effective_s,
        on_time=_true(on_time),
        late_by_supplements=supplements > 1,
        completed=_true(d.status.isin([9, 10]) & finished),
    )


# Drill-down: for each dossier metric, (in the denominator, in the numerator) over the flagged table.
# The gap is denominator & ~numerator.
def gap_predicates(f: ir.Table) -> dict[str, tuple[ir.BooleanValue, ir.BooleanValue, str]]:
    c = f.counted
    return {
        "DOSSIER_SYNC": (c, _true(f.synced), "chưa đồng bộ lên Cổng DVCQG"),
        "ON_TIME": (c, f.on_time, "quá hạn (hoặc yêu cầu bổ sung quá một lần)"),
        "ONLINE_DOSSIERS": (c, f.online, "không nộp trực tuyến (hoặc nộp trực tuyến nhưng thiếu kết quả điện tử)"),
        "ONLINE_ON_TIME": (c & f.channel2, f.on_time, "hồ sơ trực tuyến quá hạn"),
        "PAY_DOSSIERS": (c & f.fee_bearing, f.paid, "có phí, lệ phí nhưng không thanh toán trực tuyến"),
        "DOSSIER_RECEIVING_SATISFACTION": (
            c,
            f.on_time & ~_true(f.dissatisfied),
            "quá hạn hoặc bị đánh giá không hài lòng",
        ),
        "ORIGINAL_RESULT_AVAILABLE": (c & f.paper, f.e_result_ok, "kết quả là giấy tờ nhưng chưa có bản điện tử"),
        "SO_HOA_GIAY_TO_GIAI_QUYET": (c, f.digitised_ok, "chưa số hóa thành phần hồ sơ hoặc thiếu kết quả điện tử"),
        "REUSED_DIGITIZED_DATA": (c, _true(f.reused), "không tái sử dụng dữ liệu số hóa"),
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": (c, f.personal_store, "không kết nối kho dữ liệu cá nhân trên Cổng"),
        "CITIZEN_DATA_CONNECTED_DOSSIER": (c, f.citizen_data, "không sử dụng dữ liệu dân cư (VNeID, CSDL dân cư)"),
        "E_CERTIFIED_COPY_SHARE": (
            c & _true(f.certified_copy),
            f.e_certified_copy,
            "chứng thực bản sao từ bản chính chưa thực hiện điện tử",
        ),
    }
