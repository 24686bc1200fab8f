"""Safe cells for every CSV and XLSX file chiso writes: one rule (docs/exports.md, decision 0008).

Names and codes in exports come from imported files. A spreadsheet program turns a cell that starts with
``=``, ``+``, ``-`` or ``@`` (and, after a tab or carriage return, the same) into a formula: a unit named
``=HYPERLINK("http://…","Bấm vào đây")`` would become a live link, ``@SUM(…)`` or ``-2+3`` a computation, and
old Excel versions run commands through DDE. As OWASP advises, text that starts with one of these characters is
written with a single quote in front, so every program shows it as text; in XLSX it is also a string cell
(``data_type 's'``), never a formula. Numbers stay numbers; text that is only a number (``-5``, ``+84``,
``-1.234,5``, ``12%``) is harmless and is left as it is.

Writers call :func:`csv_value` / :class:`CsvWriter` for CSV and :func:`put` / :func:`xlsx_value` for XLSX. This
module is layer 0: it knows openpyxl's cell only by duck typing (``cell.value``, ``cell.data_type``).
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from chiso.domain.times import VN_TZ

# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The same rule as regular expressions (RE2 syntax too, for Arrow's vectorised string functions).
FORMULA_START_PATTERN = r"^[=+\-@\t\r]"
PLAIN_NUMBER_PATTERN = r"^[+-]?[0-9][0-9.,]*%?$"
QUOTE = "'"
XLSX_MAX_TEXT = 32_767  # characters in one Excel cell

_PLAIN_NUMBER = re.compile(PLAIN_NUMBER_PATTERN)
# A lone surrogate has no UTF-8 form (no file can hold it); XML 1.0 (XLSX) cannot hold these control characters
# either (openpyxl refuses them). Both are written as U+FFFD, the replacement character.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_XML_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
REPLACEMENT = "\ufffd"


def needs_quote(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula."""
    return text.startswith(FORMULA_START) and _PLAIN_NUMBER.match(text) is None


def safe_text(text: str) -> str:
    """``text`` in NFC, with a leading single quote when it could be read as a formula."""
    text = unicodedata.normalize("NFC", _SURROGATE.sub(REPLACEMENT, text))
    return QUOTE + text if needs_quote(text) else text


def _number(value: Any) -> int | float | None:
    """Numbers as spreadsheet numbers: Decimal → int or float; NaN and infinities have no cell form."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value  # type: ignore[no-any-return]


def csv_value(value: Any) -> Any:
    """One CSV field: numbers as they are (Decimal in plain notation), times in ISO form, text made safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else ""
    if isinstance(value, int | float):
        number = _number(value)
        return "" if number is None else number
    if isinstance(value, datetime | date):
        return value.isoformat()
    return safe_text(str(value))


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_value(v) for v in values]


class _Writer(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class CsvWriter:
    """``csv.writer`` whose every field goes through :func:`csv_value`."""

    def __init__(self, stream: Any, **options: Any) -> None:
        self._writer: _Writer = csv.writer(stream, **options)

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow(csv_row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def xlsx_value(value: Any) -> Any:
    """One XLSX cell value: numbers and dates as such (times in Vietnam time), text made safe and writable."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, datetime):
        # Excel has no time zones: an instant is written as the Vietnam wall-clock time
        return value.astimezone(VN_TZ).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    text = _XML_CONTROL.sub(REPLACEMENT, safe_text(str(value)))
    return text if len(text) <= XLSX_MAX_TEXT else text[: XLSX_MAX_TEXT - 1] + "…"


def xlsx_row(values: Iterable[Any]) -> list[Any]:
    """A row for a write-only worksheet's ``append`` (no text in it starts like a formula)."""
    return [xlsx_value(v) for v in values]


def put(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Write ``value`` into an openpyxl worksheet cell and return the cell; text is always a string cell."""
    cell = sheet.cell(row=row, column=column)
    cell.value = xlsx_value(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never 'f' (formula) nor 'e' (an error code such as '#N/A' read from a file)
    return cell
