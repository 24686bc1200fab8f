"""Raw text columns → typed Arrow columns, vectorised, with every unreadable value reported.

Each converter takes a string array (null or '' = no value) and returns the typed array and a boolean mask
of values that were present but unreadable. Value vocabularies are mapped on the distinct values only, so a
million rows cost a handful of dictionary look-ups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pyarrow as pa
import pyarrow.compute as pc

from chiso.domain.times import FIRST_YEAR, last_plausible_year
from chiso.formatting import fold
from chiso.ingest.fields import Field, FieldType

VN_OFFSET = timedelta(hours=7)
VN_ZONE = "+0700"  # times written without a zone are Vietnam time
VN_OFFSET_S = int(VN_OFFSET.total_seconds())

# Accepted local date-time shapes read by Arrow's strptime (the fast path of parse_dates)
FAST_FORMATS = (
    "%Y%m%d%H%M%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
)
# Every accepted shape (docs/ingest-formats.md), read into parts and checked against the calendar, so that
# 31/04/2023 is refused and never becomes 01/05/2023. Every pattern has the same named groups.
_P = r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?"
DATE_PATTERNS = (
    r"^(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})(?P<tz>)$",  # yyyyMMddHHmmss
    rf"^(?P<d>\d{{1,2}})[/-](?P<mo>\d{{1,2}})[/-](?P<y>\d{{4}})(?:[ T]+{_P})?(?P<tz>)$",  # dd/MM/yyyy [HH:mm[:ss]]
    rf"^(?P<y>\d{{4}})-(?P<mo>\d{{1,2}})-(?P<d>\d{{1,2}})(?:[ T]+{_P})?\s*(?P<tz>Z|[+-]\d{{2}}(?::?\d{{2}})?)?$",  # ISO
)
MIN_YEAR = FIRST_YEAR
MAX_OFFSET_S = 14 * 3600
CELL_MAX_CHARS = 32767  # Excel's own limit for one cell
FOUR_PLACES = Decimal("0.0001")  # decimals are kept to four places (the store's DECIMAL(18, 4))

DATE_REASON = "ngày giờ không đọc được (dùng yyyyMMddHHmmss, dd/MM/yyyy HH:mm hoặc ISO)"
NO_SUCH_DAY = "ngày không có trong lịch (ví dụ 31/04, hoặc 29/02 của năm không nhuận)"
BAD_TIME = "giờ không hợp lệ (giờ 0–23, phút và giây 0–59)"
BAD_ZONE = "múi giờ không hợp lệ (từ -14:00 đến +14:00)"

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
class Bad:
    """A value read but refused, with the reason (a converter's answer instead of a value)."""

    reason: str


@dataclass(frozen=True)
class Parsed:
    values: pa.Array
    bad: pa.Array  # boolean: present but unreadable or refused
    reason: str  # the reason of a bad value that no detail explains
    details: tuple[tuple[pa.Array, str], ...] = ()  # (mask, reason): the specific reasons, reported first


def blank(raw: pa.Array) -> pa.Array:
    """True where there is no value (null or only spaces)."""
    stripped = pc.utf8_trim_whitespace(raw)
    return pc.fill_null(pc.equal(stripped, ""), True)


def _present(raw: pa.Array) -> pa.Array:
    return pc.invert(blank(raw))


def damaged_text(raw: pa.Array) -> list[tuple[pa.Array, str]]:
    """Masks of cells that no field can keep, whatever its type: damaged characters, NUL, giant cells."""
    return [
        (pc.fill_null(pc.match_substring(raw, "\ufffd"), False),
         "có ký tự hỏng (byte sai mã UTF-8 hoặc ký tự không hợp lệ)"),
        (pc.fill_null(pc.match_substring(raw, "\x00"), False), "có ký tự NUL (mã 0)"),
        (pc.fill_null(pc.greater(pc.utf8_length(raw), CELL_MAX_CHARS), False),
         f"ô quá lớn (hơn {CELL_MAX_CHARS:,} ký tự)".replace(",", ".")),
    ]  # fmt: skip


def _by_distinct(raw: pa.Array, convert: Callable[[str], object], out_type: pa.DataType
                 ) -> tuple[pa.Array, pa.Array, tuple[tuple[pa.Array, str], ...]]:  # fmt: skip
    """Apply ``convert`` to each distinct value: a value, None (unreadable) or ``Bad(reason)``; nulls stay null.

    Returns the values, the mask of unreadable or refused values and the masks of each specific reason.
    """
    encoded = pc.dictionary_encode(pc.utf8_trim_whitespace(raw))
    mapped: list[object] = []
    codes: list[int] = []  # 0 fine, 1 unreadable, 2.. a reason of ``reasons``
    reasons: dict[str, int] = {}
    for value in encoded.dictionary.to_pylist():
        result = None if value == "" else convert(value)
        if isinstance(result, Bad):
            codes.append(reasons.setdefault(result.reason, len(reasons) + 2))
            mapped.append(None)
        else:
            codes.append(1 if result is None and value != "" else 0)
            mapped.append(result)
    indices = encoded.indices
    out = pc.take(pa.array(mapped, type=out_type), indices)
    code = pc.fill_null(pc.take(pa.array(codes, type=pa.int32()), indices), 0)
    details = tuple((pc.equal(code, n), reason) for reason, n in reasons.items())
    return out, pc.greater(code, 0), details


def _int(value: str) -> int | None:
    text = value.replace(" ", "")
    if text.endswith(".0"):
        text = text[:-2]
    if len(text) > 40:  # longer than any integer a column holds (and int() of very long text is slow)
        return None
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


def _bounded(convert: Callable[[str], int | Decimal | None], maximum: int | Decimal) -> Callable[[str], object]:
    """A number converter that refuses negatives and values over the column's maximum."""
    too_large = Bad(f"số quá lớn (tối đa {maximum:,})".replace(",", "."))

    def check(value: str) -> object:
        number = convert(value)
        if number is None:
            return None
        if number < 0:
            return Bad("không được âm")
        if number > maximum:
            return too_large
        if isinstance(number, Decimal):
            return number.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)
        return number

    return check


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


def _number_part(parts: dict[str, pa.Array], name: str) -> pa.Array:
    """A matched part as an integer; an optional part that is absent ('') is 0."""
    text = parts[name]
    return pc.cast(pc.if_else(pc.equal(text, ""), "0", text), pa.int64())


def _days_in_month(year: pa.Array, month: pa.Array) -> pa.Array:
    safe_month = pc.if_else(pc.and_(pc.greater_equal(month, 1), pc.less_equal(month, 12)), month, 0)
    days = pc.take(pa.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], pa.int64()), safe_month)

    def divisible(n: int) -> pa.Array:
        return pc.equal(pc.multiply(pc.divide(year, n), n), year)

    leap = pc.and_(divisible(4), pc.or_(pc.invert(divisible(100)), divisible(400)))
    return pc.add(days, pc.cast(pc.and_(leap, pc.equal(month, 2)), pa.int64()))


def _zone_seconds(zone: pa.Array) -> pa.Array:
    """'' → Vietnam time, 'Z' → 0, '+hh[:mm]' / '-hhmm' → the offset in seconds (null when the minutes are bad)."""
    digits = pc.replace_substring(pc.replace_substring(zone, ":", ""), "Z", "+0000")
    digits = pc.if_else(pc.equal(digits, ""), VN_ZONE, digits)
    digits = pc.if_else(pc.equal(pc.utf8_length(digits), 3), pc.binary_join_element_wise(digits, "00", ""), digits)
    sign = pc.if_else(pc.starts_with(digits, "-"), -1, 1)
    hours = pc.cast(pc.utf8_slice_codeunits(digits, 1, 3), pa.int64())
    minutes = pc.cast(pc.utf8_slice_codeunits(digits, 3, 5), pa.int64())
    offset = pc.multiply(sign, pc.add(pc.multiply(hours, 3600), pc.multiply(minutes, 60)))
    return pc.if_else(pc.less(minutes, 60), offset, pa.scalar(None, pa.int64()))


def parse_dates(raw: pa.Array, *, max_year: int | None = None) -> Parsed:
    """Date-times in any accepted shape → UTC instants (no zone = Vietnam time, UTC+7).

    Day, month, hour, minute and second are checked against the calendar (never rolled over), the year must be
    plausible (``chiso.domain.times.plausible_year``) and a written offset within ±14:00; every refused value has
    its reason.

    Fast path: Arrow's ``strptime`` checks hours, minutes and days up to 31 but rolls 31/04 over to 01/05, so a
    value it reads as day 4 or later of a plausible year cannot have rolled over and is kept. Every other value
    (days 1–3, zones, unreadable text) is read into its parts and checked (``_parse_parts``).
    """
    top = max_year if max_year is not None else last_plausible_year()
    text = pc.utf8_trim_whitespace(raw)
    fast = pa.nulls(len(raw), pa.timestamp("s"))
    for fmt in FAST_FORMATS:
        fast = pc.coalesce(fast, pc.strptime(text, format=fmt, unit="s", error_is_null=True))
    year = pc.year(fast)
    plausible = pc.and_(pc.greater_equal(year, MIN_YEAR), pc.less_equal(year, top))
    sure = pc.fill_null(pc.and_(pc.greater_equal(pc.day(fast), 4), plausible), False)
    local = pc.cast(pc.cast(fast, pa.timestamp("us")), pa.int64())
    values = _utc(pc.subtract(local, VN_OFFSET_S * 1_000_000))
    present = _present(raw)
    others = pc.and_(present, pc.invert(sure))
    none = pa.repeat(False, len(raw))
    if not pc.any(others).as_py():
        return Parsed(pc.if_else(sure, values, pa.scalar(None, values.type)), none, DATE_REASON)
    slow_values, slow_good, slow_details = _parse_parts(pc.filter(text, others), top)
    values = pc.replace_with_mask(pc.if_else(sure, values, pa.scalar(None, values.type)), others, slow_values)
    bad = pc.replace_with_mask(none, others, pc.invert(slow_good))
    details = tuple((pc.replace_with_mask(none, others, mask), reason) for mask, reason in slow_details)
    return Parsed(values, bad, DATE_REASON, details)


def _utc(microseconds: pa.Array) -> pa.Array:
    return pc.cast(pc.cast(microseconds, pa.timestamp("us")), pa.timestamp("us", tz="UTC"))


def _parse_parts(text: pa.Array, top: int) -> tuple[pa.Array, pa.Array, tuple[tuple[pa.Array, str], ...]]:
    """Present values read into their parts (``DATE_PATTERNS``) and checked: (UTC values, good, reasons)."""
    names = ("y", "mo", "d", "h", "mi", "s", "tz")
    found = [pc.extract_regex(text, pattern) for pattern in DATE_PATTERNS]
    parts = {n: pc.coalesce(*[pc.struct_field(m, n) for m in found]) for n in names}
    matched = pc.is_valid(parts["y"])
    filled = {n: pc.fill_null(parts[n], "") for n in names}
    y, mo, d, h, mi, sec = (_number_part(filled, n) for n in names[:6])
    date_ok = pc.and_(
        pc.and_(pc.greater_equal(mo, 1), pc.less_equal(mo, 12)),
        pc.and_(pc.greater_equal(d, 1), pc.less_equal(d, _days_in_month(y, mo))),
    )
    time_ok = pc.and_(pc.and_(pc.less_equal(h, 23), pc.less_equal(mi, 59)), pc.less_equal(sec, 59))
    offset = _zone_seconds(filled["tz"])
    zone_ok = pc.fill_null(pc.less_equal(pc.abs(offset), MAX_OFFSET_S), False)
    year_ok = pc.and_(pc.greater_equal(y, MIN_YEAR), pc.less_equal(y, top))
    good = pc.fill_null(pc.and_(pc.and_(matched, date_ok), pc.and_(pc.and_(time_ok, zone_ok), year_ok)), False)

    def pad(part: pa.Array, width: int) -> pa.Array:
        return pc.utf8_lpad(pc.cast(part, pa.string()), width, "0")

    iso = pc.binary_join_element_wise(pad(y, 4), "-", pad(mo, 2), "-", pad(d, 2), "T", pad(h, 2), ":", pad(mi, 2),
                                      ":", pad(sec, 2), "")  # fmt: skip
    iso = pc.if_else(good, iso, pa.scalar(None, pa.string()))
    local = pc.cast(pc.strptime(iso, format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True), pa.int64())
    values = _utc(pc.multiply(pc.subtract(local, pc.fill_null(offset, 0)), 1_000_000))
    details = (
        (pc.and_(matched, pc.invert(date_ok)), NO_SUCH_DAY),
        (pc.and_(matched, pc.invert(time_ok)), BAD_TIME),
        (pc.and_(matched, pc.invert(zone_ok)), BAD_ZONE),
        (pc.and_(matched, pc.invert(year_ok)), f"năm ngoài khoảng hợp lệ {MIN_YEAR}–{top}"),
    )
    return values, good, tuple((pc.fill_null(mask, False), reason) for mask, reason in details)


def parse(field: Field, raw: pa.Array, *, maximum: int | Decimal | None = None) -> Parsed:
    """Convert one column according to its field type. Numbers are never negative and at most ``maximum`` (the
    largest value the field's column holds, ``chiso.store.limits``; DECIMAL(18, 4)'s for decimals by default)."""
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
        return parse_dates(raw)
    if t is FieldType.INT:
        values, bad, details = _by_distinct(raw, _bounded(_int, maximum or 2**63 - 1), pa.int64())
        return Parsed(values, bad, "cần một số nguyên", details)
    if t is FieldType.DECIMAL:
        limit = maximum if maximum is not None else Decimal("99999999999999.9999")
        values, bad, details = _by_distinct(raw, _bounded(_decimal, limit), pa.decimal128(18, 4))
        return Parsed(values, bad, "cần một số", details)
    convert, out_type, reason = _VOCABULARIES[t]
    values, bad, details = _by_distinct(raw, convert, out_type)
    return Parsed(values, bad, reason, details)


_VOCABULARIES: dict[FieldType, tuple[Callable[[str], object], pa.DataType, str]] = {
    FieldType.BOOL: (_bool, pa.bool_(), "cần Có/Không hoặc 1/0"),
    FieldType.CHANNEL: (_vocabulary(CHANNEL_NAMES, range(1, 4)), pa.int8(),
                        "kênh nộp phải là 1 (trực tiếp), 2 (trực tuyến) hoặc 3 (bưu chính)"),
    FieldType.STATUS: (_vocabulary(STATUS_NAMES, range(1, 11)), pa.int8(),
                       "trạng thái phải là mã 1–10 hoặc tên trạng thái của Cổng DVCQG"),
    FieldType.PAID: (_paid, pa.int8(), "cần 1 (Cổng DVCQG), 2 (cổng thanh toán của tỉnh), 0 hoặc Có/Không"),
    FieldType.LEVELS: (_levels, pa.string(), "cấp thực hiện phải là Tỉnh, Huyện hoặc Xã (nhiều cấp cách nhau bằng ;)"),
    FieldType.KIND: (lambda v: KIND_NAMES.get(fold(v)), pa.string(),
                     "loại đơn vị phải là tỉnh, sở/ban/ngành, huyện hoặc xã/phường/thị trấn"),
    FieldType.PETITION_STATUS: (lambda v: PETITION_STATUS_NAMES.get(fold(v)), pa.string(),
                                "trạng thái phải là đang xử lý, đã xử lý hoặc từ chối"),
    FieldType.CATEGORY: (lambda v: CATEGORY_NAMES.get(fold(v)), pa.string(),
                         "phân loại phải là TTHC, CBCCVC hoặc khác"),
    FieldType.TIME_UNIT: (lambda v: TIME_UNITS.get(fold(v)), pa.string(),
                          "đơn vị thời hạn phải là Ngày làm việc, Ngày, Giờ hoặc Tháng"),
}  # fmt: skip
