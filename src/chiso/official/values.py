"""Reading published values: numbers that arrive as text ('19.05', '19,05', '1.065.150'), codes, times."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from chiso.domain.times import VN_TZ, date_in_name, parse_instant
from chiso.errors import InputFileError

__all__ = ["VN_TZ", "BadValueError", "date_in_name", "decimal_or_none", "int_or_none", "parse_instant", "refuse"]


class BadValueError(ValueError):
    """A value that is not what the place expects; the caller adds file and place."""


def decimal_or_none(value: Any) -> Decimal | None:
    """Parse a published number. None, '' and 'null' are absent; text may use a decimal comma."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise BadValueError(f"{value!r} không phải là số")
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if text == "" or text.lower() in ("null", "none", "nan", "-"):
        return None
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    elif "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".")  # 1.234,5 (Vietnamese thousands)
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise BadValueError(f"'{value}' không phải là số") from exc


def int_or_none(value: Any) -> int | None:
    d = decimal_or_none(value)
    if d is None:
        return None
    if d != d.to_integral_value():
        raise BadValueError(f"'{value}' không phải là số nguyên")
    return int(d)


def text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def refuse(file: str, place: str, expected: str, found: Any = None, *, detail: str | None = None) -> InputFileError:
    shown = "" if found is None else f"; gặp: {str(found)[:80]!r}"
    return InputFileError(
        f"Tệp {file} không đúng định dạng tại {place}: cần {expected}{shown}. Tệp không được nhập.",
        file=file,
        place=place,
        expected=expected,
        detail=detail,
    )
