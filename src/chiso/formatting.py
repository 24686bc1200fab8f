"""Vietnamese number and date conventions.

Decimal comma and dot thousands separator ('1.065.150', '63,31'), percentages ('92,37%'), dates in words
('ngày 02 tháng 6 năm 2023'), scores ('63,31/100 điểm'). All output is NFC-normalised.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

Number = int | float | Decimal | Fraction


def nfc(text: str) -> str:
    """Return ``text`` in Unicode normal form C, the form Vietnamese documents must use."""
    return unicodedata.normalize("NFC", text)


def to_decimal(value: Number, places: int = 2) -> Decimal:
    """Round half up to ``places`` decimals (the portal publishes 2)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    elif isinstance(value, float):
        value = Decimal(repr(value))
    elif isinstance(value, int):
        value = Decimal(value)
    quantum = Decimal(1).scaleb(-places)
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def number(value: Number | None, places: int = 2, *, trim: bool = True, missing: str = "—") -> str:
    """Format a number the Vietnamese way: ``1234.5`` → ``'1.234,5'`` (``trim`` drops trailing zeros)."""
    if value is None:
        return missing
    d = to_decimal(value, places)
    sign = "-" if d < 0 else ""
    text = f"{abs(d):f}"
    whole, _, frac = text.partition(".")
    if trim:
        frac = frac.rstrip("0")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = ".".join(groups)
    if frac:
        out += "," + frac
    return sign + out


def integer(value: int | None, missing: str = "—") -> str:
    """``1065150`` → ``'1.065.150'``."""
    return number(value, 0, missing=missing)


def percent(value: Number | None, places: int = 2, *, trim: bool = True, missing: str = "—") -> str:
    """A value already in percent: ``92.37`` → ``'92,37%'``."""
    if value is None:
        return missing
    return number(value, places, trim=trim) + "%"


def score(value: Number | None, maximum: Number = 100, places: int = 2) -> str:
    """``63.31`` → ``'63,31/100'`` (always two decimals on the score, as letters write it)."""
    return f"{number(value, places, trim=False)}/{number(maximum, places)}"


def date_in_words(day: date) -> str:
    """``date(2023, 6, 2)`` → ``'ngày 02 tháng 6 năm 2023'`` (Nghị định 30/2020: day with two digits)."""
    return f"ngày {day.day:02d} tháng {day.month} năm {day.year}"


def short_date(day: date) -> str:
    """``date(2023, 5, 31)`` → ``'31/5/2023'``."""
    return f"{day.day}/{day.month}/{day.year}"


def document_date(day: date) -> str:
    """``date(2023, 6, 2)`` → ``'02/6/2023'`` (a document's date when it is cited)."""
    return f"{day.day:02d}/{day.month}/{day.year}"


def cutoff_time(moment: datetime) -> str:
    """``2023-05-31 16:30`` → ``'16 giờ 30 phút ngày 31/5/2023'`` (the data cut-off time in letters)."""
    return f"{moment.hour} giờ {moment.minute:02d} phút ngày {short_date(moment.date())}"


def signed(value: Number | None, places: int = 2) -> str:
    """A change with its sign: ``+1,25``, ``-0,5``, ``0``."""
    if value is None:
        return "—"
    d = to_decimal(value, places)
    if d > 0:
        return "+" + number(d, places)
    return number(d, places)


def fold(text: object) -> str:
    """A heading without case, diacritics or punctuation: 'Mã hồ sơ' → 'MA_HO_SO', 'MaHoSo' → 'MAHOSO'."""
    raw = str(text or "").strip().replace("đ", "d").replace("Đ", "D")
    plain = "".join(c for c in unicodedata.normalize("NFD", raw) if unicodedata.category(c) != "Mn")
    return re.sub(r"[^A-Z0-9]+", "_", plain.upper()).strip("_")


# -- names of units and lists, as officials write them ------------------------------------------------------
_LOCAL_LEVELS = ("tỉnh", "thành phố", "huyện", "quận", "thị xã", "xã", "phường", "thị trấn", "đặc khu")
_COUNCIL = re.compile(r"^(?:ủy ban nhân dân|uỷ ban nhân dân|ubnd)\s+", re.IGNORECASE)


def unit_name(name: str) -> str:
    """A unit's name as officials write it in letters.

    The portal's suffix (' - tỉnh Tây Ninh') is dropped and a local government is 'UBND' + its level in lower
    case: 'Xã Thạnh Đức' → 'UBND xã Thạnh Đức'; 'Ủy ban nhân dân thị trấn Gò Dầu - huyện Gò Dầu' →
    'UBND thị trấn Gò Dầu'; 'Sở Tư pháp - tỉnh Tây Ninh' → 'Sở Tư pháp'.
    """
    short = nfc(name).split(" - ")[0].strip()
    rest = _COUNCIL.sub("", short)
    low = rest.lower()
    for level in _LOCAL_LEVELS:
        if low.startswith(level + " "):
            return f"UBND {level}{rest[len(level):]}"
    return short


def area_name(name: str) -> str:
    """The territory of a local government: 'UBND huyện Gò Dầu' → 'huyện Gò Dầu' (other names unchanged)."""
    return _COUNCIL.sub("", unit_name(name))


def place_name(name: str) -> str:
    """The place written before the date: 'UBND huyện Gò Dầu' → 'Gò Dầu', 'UBND thị xã Hòa Thành' → 'Hòa Thành'."""
    area = area_name(name)
    low = area.lower()
    for level in sorted(_LOCAL_LEVELS, key=len, reverse=True):
        if low.startswith(level + " "):
            return area[len(level) + 1 :]
    return area


_GENERIC_STARTS = ("Các", "Những", "Tất", "Toàn", "Công", "Cán", "Lãnh")


def mid_sentence(text: str) -> str:
    """A heading-case phrase inside a sentence: 'Các cơ quan chuyên môn' → 'các cơ quan chuyên môn'.

    Only a generic first word is lowered; names ('Sở Tư pháp', 'UBND xã Thạnh Đức') are kept as written.
    """
    first, _, rest = text.partition(" ")
    if first in _GENERIC_STARTS:
        first = first.lower()
    return f"{first} {rest}" if rest else first


def join_words(items: list[str], last: str = "và") -> str:
    """``['a', 'b', 'c']`` → ``'a, b và c'``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"
