"""Reading published values: numbers that arrive as text ('19.05', '19,05', '1.065.150'), codes, times."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from chiso.domain.periods import Period
from chiso.domain.times import FIRST_YEAR, VN_TZ, date_in_name, last_plausible_year, parse_instant, plausible_year
from chiso.errors import InputFileError
from chiso.store import limits

__all__ = ["VN_TZ", "BadValueError", "date_in_name", "decimal_or_none", "int_or_none", "parse_instant", "plausible",
           "refuse"]


INT_MAX: int = limits.column_maximum("official_unit", "portal_rank")  # type: ignore[assignment]


class BadValueError(ValueError):
    """A value that is not what the place expects; the caller adds file and place."""


def _stored(number: Decimal, value: Any) -> Decimal:
    """A finite number within the store's DECIMAL(18, 4), rounded half up to its four places."""
    if not number.is_finite():
        raise BadValueError(f"'{value}' không phải là số hữu hạn")
    if abs(number) > limits.NUM_MAX:
        raise BadValueError(f"'{str(value)[:40]}' quá lớn (tối đa 99.999.999.999.999,9999)")
    if number.as_tuple().exponent < limits.NUM_PLACES.as_tuple().exponent:  # type: ignore[operator]
        return number.quantize(limits.NUM_PLACES, rounding=ROUND_HALF_UP)
    return number


def decimal_or_none(value: Any) -> Decimal | None:
    """Parse a published number. None, '' and 'null' are absent; text may use a decimal comma."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise BadValueError(f"{value!r} không phải là số")
        return None
    if isinstance(value, int | Decimal):
        return _stored(Decimal(value), value)
    if isinstance(value, float):
        return _stored(Decimal(repr(value)), value)
    if isinstance(value, dict | list):
        raise BadValueError(f"gặp {'object' if isinstance(value, dict) else 'danh sách'} thay vì một số")
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")[:100]
    if text == "" or text.lower() in ("null", "none", "nan", "-"):
        return None
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    elif "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".")  # 1.234,5 (Vietnamese thousands)
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise BadValueError(f"'{str(value)[:40]}' không phải là số") from exc
    return _stored(number, value)


def int_or_none(value: Any) -> int | None:
    d = decimal_or_none(value)
    if d is None:
        return None
    if d != d.to_integral_value():
        raise BadValueError(f"'{value}' không phải là số nguyên")
    if abs(d) > INT_MAX:
        raise BadValueError(f"'{value}' quá lớn (tối đa {INT_MAX:,})".replace(",", "."))
    return int(d)


def text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def plausible(period: Period, file: str, place: str) -> Period:
    """The period a file declares, refused when its years are not plausible (decision 0007)."""
    if not (plausible_year(period.start.year) and plausible_year(period.end.year)):
        raise refuse(file, place, f"kỳ đánh giá trong các năm {FIRST_YEAR}–{last_plausible_year()}", period.key)
    return period


def refuse(file: str, place: str, expected: str, found: Any = None, *, detail: str | None = None) -> InputFileError:
    shown = "" if found is None else f"; gặp: {str(found)[:80]!r}"
    return InputFileError(
        f"Tệp {file} không đúng định dạng tại {place}: cần {expected}{shown}. Tệp không được nhập.",
        file=file,
        place=place,
        expected=expected,
        detail=detail,
    )
