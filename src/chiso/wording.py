"""Vietnamese sentences built from results (explanations, provenance), shared by the CLI, web and reports.

Fixed labels of domain values (bands, unit kinds, provenance) sit beside their enums; metric names and
definitions come from the methodology files. Functions here only turn data into sentences.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from chiso.domain.results import FigureStatus
from chiso.formatting import integer, nfc, number, percent
from chiso.methodology.model import Improvement
from chiso.scoring.explain import Basis, Explanation

LOCAL_MARK = "số liệu tạm tính"

PORTAL_RANK_NOTE = (
    "Hạng Cổng: thứ tự do Cổng DVCQG công bố. Có thể khác hạng của chiso vì Cổng xếp sở, ngành và xã, phường "
    "chung một danh sách và đánh số khác nhau cho các đơn vị bằng điểm; chiso xếp riêng từng loại, bằng điểm "
    "thì cùng hạng."
)


CAPTURE_STATUS = {
    "published": "đã lưu bộ số liệu mới",
    "unchanged": "số liệu không đổi",
    "incomplete": "chưa đủ, không công bố",
    "failed": "thất bại, không công bố",
    "stored": "đã lưu phản hồi gốc",
}


def day_change_note(previous: datetime | None, checked: datetime | None) -> str:
    """What the day-over-day columns compare, and when the same figures were last found on the portal."""
    from chiso.domain.times import vn_time

    parts = []
    if previous is not None:
        parts.append(f"± ngày: so với lần lấy số liệu trước (lúc {vn_time(previous)})")
    if checked is not None:
        parts.append(f"Cổng chưa đổi số liệu đến lần kiểm tra lúc {vn_time(checked)}")
    return "; ".join(parts)

BASIS_LABEL = {
    Basis.PUBLISHED: "Cổng DVCQG công bố",
    Basis.RECOMPUTED: "tính lại từ tử số, mẫu số do Cổng công bố",
    Basis.DERIVED: "suy ra từ điểm nhóm do Cổng công bố",
    Basis.LOCAL: LOCAL_MARK,
}


def _count(value: int | None, label: str | None) -> str:
    return f"{integer(value)} {label or 'mục'}"


_ITEM_WORDS = ("hồ sơ", "TTHC", "PAKN", "DVC", "xã")


def item_word(label: str | None) -> str:
    """The counted noun of a label: 'hồ sơ thanh toán trực tuyến' → 'hồ sơ'."""
    for word in _ITEM_WORDS:
        if label and label.startswith(word):
            return word
    return "mục"


def restore_sentence(e: Explanation) -> str:
    """What would bring the lost points back, in plain Vietnamese (empty when nothing is lost)."""
    line = e.line
    lost = line.lost
    m = line.metric
    if m is None:
        if lost and lost > 0:
            return nfc(
                f"Cổng DVCQG chỉ công bố điểm nhóm ({number(line.score)}/{number(line.max)}), không công bố chỉ "
                "số thành phần: chưa xác định được chỉ số nào làm mất điểm."
            )
        return ""
    if line.status is FigureStatus.NO_DATA:
        return "Không có dữ liệu để tính chỉ số này."
    if lost is None or lost <= 0:
        return ""
    inherited = line.status is FigureStatus.INHERITED
    prefix = "Chỉ số tính theo số liệu cấp tỉnh (đơn vị kế thừa). " if inherited else ""
    r = e.restore
    target = percent(e.target_percent, trim=True)
    if r is None:
        if line.basis is Basis.DERIVED:
            return nfc(prefix + f"Cổng không công bố tử số, mẫu số; điểm suy ra từ điểm nhóm. {m.action or ''}".strip())
        return nfc(prefix + (m.action or "Không đủ số liệu để tính số lượng cần khắc phục."))
    num_label, den_label = m.numerator_label, m.denominator_label
    den = integer(int(line.denominator)) if line.denominator is not None else "—"
    if r.improvement in (Improvement.FLIP, Improvement.CATALOGUE):
        goal = "đạt điểm tối đa" if e.target_percent == 100 else f"đạt {target} và điểm tối đa"
        text = (
            f"Cần thêm {_count(r.to_target, num_label)} (trên tổng {den} {den_label}) để {goal}; "
            f"mỗi {item_word(num_label)} thêm được khoảng {number(r.points_per_item, 4)} điểm."
        )
        return nfc(prefix + text)
    # FUTURE: past items cannot change
    word = item_word(den_label)
    bad = f"{integer(r.bad_items)} {word} không đạt" if r.bad_items is not None else f"một số {word} không đạt"
    parts = [
        f"Đã có {bad} trên tổng {den} {den_label}; mỗi {word} không đạt làm mất khoảng "
        f"{number(r.points_per_item, 4)} điểm."
    ]
    if r.new_to_target:
        parts.append(
            f"Cần thêm {_count(r.new_to_target, num_label)} liên tiếp, không phát sinh {word} không đạt, "
            f"để đạt {target}."
        )
    elif r.to_recover_half:
        parts.append(
            f"Không thể đạt điểm tối đa trong kỳ; thêm {_count(r.to_recover_half, num_label)} liên tiếp, "
            f"không phát sinh {word} không đạt, thì lấy lại được một nửa số điểm đã mất "
            f"({number(lost / 2)} điểm)."
        )
    else:
        parts.append("Điểm đã mất không lấy lại được trong kỳ; không để phát sinh thêm.")
    return nfc(prefix + " ".join(parts))


def provenance_line(e: Explanation) -> str:
    m = e.line.metric
    if m is None:
        return BASIS_LABEL[e.line.basis]
    rule = m.evidence.rule
    return nfc(f"{BASIS_LABEL[e.line.basis]}; quy tắc: {rule.label.label}")


def rule_text(e: Explanation) -> str:
    m = e.line.metric
    if m is None:
        return ""
    if m.rule.kind == "threshold":
        return f"đủ điểm từ {percent(Decimal(m.rule.target) * 100)}"  # type: ignore[union-attr]
    if m.rule.kind == "linear":
        return "tuyến tính"
    return {"monitor": "theo dõi", "unknown": "chưa công bố"}[m.rule.kind]


# -- dossier lists (CLI tables, CSV exports, web pages) ------------------------------------------------------
DOSSIER_HEADINGS = {
    "dossier_code": "Mã hồ sơ", "unit_code": "Mã đơn vị", "procedure_code": "Mã thủ tục",
    "procedure_name": "Tên thủ tục", "channel": "Kênh", "received_at": "Tiếp nhận", "due_at": "Hẹn trả",
    "end_at": "Kết thúc xử lý", "status": "Trạng thái", "supplement_count": "Số lần bổ sung",
    "fee_total": "Phí, lệ phí", "paid_online": "TT trực tuyến", "e_result": "KQ điện tử", "digitised": "Số hóa",
    "on_time": "Đúng hạn",
}  # fmt: skip
CHANNELS = {1: "Trực tiếp", 2: "Trực tuyến", 3: "Bưu chính"}


def dossier_cell(column: str, value: object) -> str:
    """A dossier list cell as people read it: Vietnam time, channel and status in words, Có/Không."""
    from chiso.domain.times import vn_time
    from chiso.engine.drill import STATUS_LABELS

    if value is None:
        return ""
    if isinstance(value, datetime):
        return vn_time(value)
    if column == "channel":
        return CHANNELS.get(int(value), str(value))  # type: ignore[call-overload]
    if column == "status":
        return STATUS_LABELS.get(int(value), str(value))  # type: ignore[call-overload]
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, Decimal):
        return number(value)
    return str(value)


def drillable(metric: str) -> bool:
    """Whether a metric's figures open a list of the dossiers behind them (``Workspace.dossiers``)."""
    from chiso.engine.drill import DRILLABLE

    return metric.upper() in DRILLABLE
