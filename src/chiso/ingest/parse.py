"""Raw text columns → typed Arrow columns, vectorised, with every unreadable value reported.

Each converter takes a string array (null or '' = no value) and returns the typed array and a boolean mask
of values that were present but unreadable. Value vocabularies are mapped on the distinct values only, so a
million rows cost a handful of dictionary look-ups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

import pyarrow as pa
import pyarrow.compute as pc

from chiso.formatting import fold
from chiso.ingest.fields import Field, FieldType

VN_OFFSET = timedelta(hours=7)

DATE_FORMATS = (
    "%Y%m%d%H%M%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
)

TRUE = {"1", "CO", "X", "TRUE", "YES", "Y", "DA", "DUNG", "T"}
FALSE = {"0", "KHONG", "FALSE", "NO", "N", "CHUA", "F"}

STATUS_NAMES = {
    "MOI_DANG_KY": 1, "CHO_TIEP_NHAN": 1, "DUOC_TIEP_NHAN": 2, "DA_TIEP_NHAN": 2, "MOI_TIEP_NHAN": 2,
    "KHONG_DUOC_TIEP_NHAN": 3, "TU_CHOI_TIEP_NHAN": 3, "TU_CHOI": 3, "DANG_XU_LY": 4,
    "YEU_CAU_BO_SUNG_GIAY_TO": 5, "YEU_CAU_BO_SUNG": 5, "CHO_BO_SUNG": 5,
    "YEU_CAU_THUC_HIEN_NGHIA_VU_TAI_CHINH": 6, "CHO_THANH_TOAN": 6,
    "CONG_DAN_YEU_CAU_RUT_HO_SO": 7, "RUT_HO_SO": 7, "DA_RUT": 7, "DUNG_XU_LY": 8, "TAM_DUNG": 8,
    "DA_XU_LY_XONG": 9, "DA_XU_LY": 9, "DA_TRA_KET_QUA": 10, "TRA_KET_QUA": 10, "DA_TRA": 10,
}  # fmt: skip
CHANNEL_NAMES = {"TRUC_TIEP": 1, "TRUC_TUYEN": 2, "BUU_CHINH": 3, "BUU_CHINH_CONG_ICH": 3, "BCCI": 3}
LEVEL_NAMES = {"TINH": "tinh", "CAP_TINH": "tinh", "1": "tinh", "HUYEN": "huyen", "CAP_HUYEN": "huyen", "2": "huyen",
               "XA": "xa", "CAP_XA": "xa", "3": "xa", "BO": "bo", "0": "bo"}  # fmt: skip
KIND_NAMES = {
    "TINH": "province", "PROVINCE": "province", "THANH_PHO_TRUC_THUOC_TRUNG_UONG": "province",
    "SO": "agency", "BAN": "agency", "NGANH": "agency", "SO_BAN_NGANH": "agency", "AGENCY": "agency",
    "CO_QUAN": "agency", "PHONG": "agency", "CO_QUAN_CHUYEN_MON": "agency",
    "HUYEN": "district", "QUAN": "district", "THI_XA": "district", "DISTRICT": "district",
    "XA": "commune", "PHUONG": "commune", "THI_TRAN": "commune", "DAC_KHU": "commune", "COMMUNE": "commune",
}  # fmt: skip
PETITION_STATUS_NAMES = {"DANG_XU_LY": "open", "CHO_XU_LY": "open", "OPEN": "open", "DA_XU_LY": "handled",
                         "HANDLED": "handled", "TU_CHOI": "rejected", "REJECTED": "rejected"}  # fmt: skip
CATEGORY_NAMES = {"TTHC": "tthc", "QUY_DINH_TTHC": "tthc", "CBCCVC": "staff", "HANH_VI_CBCCVC": "staff",
                  "KHAC": "other", "OTHER": "other"}  # fmt: skip
TIME_UNITS = {"NGAY_LAM_VIEC": "working_day", "NGAY": "day", "GIO": "hour", "THANG": "month",
              "WORKING_DAY": "working_day", "DAY": "day", "HOUR": "hour", "MONTH": "month"}  # fmt: skip


@dataclass(frozen=True)
class Parsed:
    values: pa.Array
    bad: pa.Array  # boolean: present but unreadable
    reason: str


def blank(raw: pa.Array) -> pa.Array:
    """True where there is no value (null or only spaces)."""
    stripped = pc.utf8_trim_whitespace(raw)
    return pc.fill_null(pc.equal(stripped, ""), True)


def _present(raw: pa.Array) -> pa.Array:
    return pc.invert(blank(raw))


def _by_distinct(raw: pa.Array, convert: Callable[[str], object], out_type: pa.DataType) -> tuple[pa.Array, pa.Array]:
    """Apply ``convert`` (returns None for 'unreadable') to each distinct value; nulls stay null."""
    encoded = pc.dictionary_encode(pc.utf8_trim_whitespace(raw))
    mapped = []
    bad_flags = []
    for value in encoded.dictionary.to_pylist():
        if value == "":
            mapped.append(None)
            bad_flags.append(False)
            continue
        result = convert(value)
        mapped.append(result)
        bad_flags.append(result is None)
    values = pa.array(mapped, type=out_type)
    flags = pa.array(bad_flags, type=pa.bool_())
    indices = encoded.indices
    out = pc.take(values, indices)
    bad = pc.fill_null(pc.take(flags, indices), False)
    return out, bad


def _int(value: str) -> int | None:
    text = value.replace(" ", "")
    if text.endswith(".0"):
        text = text[:-2]
    try:
        return int(text)
    except ValueError:
        return None


def _decimal(value: str) -> Decimal | None:
    text = value.replace(" ", "").replace("\u00a0", "")
    if "," in text and "." not in text:
        decimal_comma = text.count(",") == 1 and len(text.split(",")[1]) != 3
        text = text.replace(",", ".") if decimal_comma else text.replace(",", "")
    elif "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _vocabulary(names: dict[str, object], numeric_range: range | None = None) -> Callable[[str], object]:
    def convert(value: str) -> object:
        key = fold(value)
        if numeric_range is not None:
            n = _int(value)
            if n is not None:
                return n if n in numeric_range else None
        return names.get(key)

    return convert


def _bool(value: str) -> bool | None:
    key = fold(value)
    if key in TRUE:
        return True
    if key in FALSE:
        return False
    return None


def _paid(value: str) -> int | None:
    n = _int(value)
    if n is not None:
        return n if n in (1, 2) else (0 if n >= 0 else None)
    b = _bool(value)
    return None if b is None else (1 if b else 0)


def _levels(value: str) -> str | None:
    parts = [p for p in value.replace("#", ";").replace(",", ";").split(";") if p.strip()]
    out = []
    for p in parts:
        level = LEVEL_NAMES.get(fold(p))
        if level is None:
            return None
        out.append(level)
    return "#".join(dict.fromkeys(out)) or None


def parse_dates(raw: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Vietnam local date-times in any accepted format → UTC instants; unreadable values flagged."""
    text = pc.utf8_trim_whitespace(raw)
    result = pa.nulls(len(raw), pa.timestamp("s"))
    for fmt in DATE_FORMATS:
        attempt = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        result = pc.coalesce(result, attempt)
    # ISO instants with an explicit zone (2026-10-10T07:00:18Z, …+07:00)
    zoned = pc.replace_substring_regex(text, pattern=r"Z$", replacement="+0000")
    zoned = pc.replace_substring_regex(zoned, pattern=r"([+-]\d\d):(\d\d)$", replacement=r"\1\2")
    zoned = pc.replace_substring_regex(zoned, pattern=r"\.\d+([+-]\d{4})$", replacement=r"\1")
    with_zone = pc.strptime(zoned, format="%Y-%m-%dT%H:%M:%S%z", unit="s", error_is_null=True)
    local = pc.subtract(result.cast(pa.timestamp("us")), pa.scalar(VN_OFFSET, pa.duration("us")))
    as_utc = pc.coalesce(with_zone.cast(pa.timestamp("us", tz="UTC")), local.cast(pa.timestamp("us", tz="UTC")))
    bad = pc.and_(_present(raw), pc.is_null(as_utc))
    return as_utc, bad


def parse(field: Field, raw: pa.Array) -> Parsed:
    """Convert one column according to its field type."""
    t = field.type
    if t is FieldType.TEXT:
        text = pc.utf8_trim_whitespace(raw)
        values = pc.if_else(blank(raw), pa.scalar(None, pa.string()), text)
        return Parsed(values, pa.repeat(False, len(raw)), "")
    if t is FieldType.CODE:
        text = pc.utf8_trim_whitespace(raw)
        values = pc.if_else(blank(raw), pa.scalar(None, pa.string()), text)
        bad = pc.and_(_present(raw), pc.match_substring_regex(text, r"\s"))
        return Parsed(values, pc.fill_null(bad, False), "mã không được chứa khoảng trắng")
    if t is FieldType.DATE:
        values, bad = parse_dates(raw)
        return Parsed(values, bad, "ngày giờ không đọc được (dùng yyyyMMddHHmmss, dd/MM/yyyy HH:mm hoặc ISO)")
    if t is FieldType.BOOL:
        values, bad = _by_distinct(raw, _bool, pa.bool_())
        return Parsed(values, bad, "cần Có/Không hoặc 1/0")
    if t is FieldType.INT:
        values, bad = _by_distinct(raw, _int, pa.int64())
        return Parsed(values, bad, "cần một số nguyên")
    if t is FieldType.DECIMAL:
        values, bad = _by_distinct(raw, _decimal, pa.decimal128(18, 4))
        return Parsed(values, bad, "cần một số")
    if t is FieldType.CHANNEL:
        values, bad = _by_distinct(raw, _vocabulary(CHANNEL_NAMES, range(1, 4)), pa.int8())
        return Parsed(values, bad, "kênh nộp phải là 1 (trực tiếp), 2 (trực tuyến) hoặc 3 (bưu chính)")
    if t is FieldType.STATUS:
        values, bad = _by_distinct(raw, _vocabulary(STATUS_NAMES, range(1, 11)), pa.int8())
        return Parsed(values, bad, "trạng thái phải là mã 1–10 hoặc tên trạng thái của Cổng DVCQG")
    if t is FieldType.PAID:
        values, bad = _by_distinct(raw, _paid, pa.int8())
        return Parsed(values, bad, "cần 1 (Cổng DVCQG), 2 (cổng thanh toán của tỉnh), 0 hoặc Có/Không")
    if t is FieldType.LEVELS:
        values, bad = _by_distinct(raw, _levels, pa.string())
        return Parsed(values, bad, "cấp thực hiện phải là Tỉnh, Huyện hoặc Xã (nhiều cấp cách nhau bằng ;)")
    if t is FieldType.KIND:
        values, bad = _by_distinct(raw, lambda v: KIND_NAMES.get(fold(v)), pa.string())
        return Parsed(values, bad, "loại đơn vị phải là tỉnh, sở/ban/ngành, huyện hoặc xã/phường/thị trấn")
    if t is FieldType.PETITION_STATUS:
        values, bad = _by_distinct(raw, lambda v: PETITION_STATUS_NAMES.get(fold(v)), pa.string())
        return Parsed(values, bad, "trạng thái phải là đang xử lý, đã xử lý hoặc từ chối")
    if t is FieldType.CATEGORY:
        values, bad = _by_distinct(raw, lambda v: CATEGORY_NAMES.get(fold(v)), pa.string())
        return Parsed(values, bad, "phân loại phải là TTHC, CBCCVC hoặc khác")
    if t is FieldType.TIME_UNIT:
        values, bad = _by_distinct(raw, lambda v: TIME_UNITS.get(fold(v)), pa.string())
        return Parsed(values, bad, "đơn vị thời hạn phải là Ngày làm việc, Ngày, Giờ hoặc Tháng")
    raise AssertionError(t)
