"""Unit names compared across sources: the portal's, the one-stop system's, and what a user types.

'UBND xã Vân Canh - tỉnh Gia Lai', 'Ủy ban nhân dân xã Vân Canh', 'Xã Vân Canh' and 'van canh' are one name.
:func:`name_parts` reduces a name to a **key** (no case, no diacritics, no 'UBND', no level word, no province
suffix) and the **level** word it had (xã, phường, huyện, thành phố…), which says what kind of unit it names.

Careful cases: a ward named by a number keeps its level ('Phường 1' is not '1', 'Quận 3' is not '3'); a level
word is recognised with its diacritics ('Quản lý thị trường' is not 'quận Lý thị trường'), except in a text
typed without any diacritics ('huyen go dau'); the portal's suffix is dropped only when it names a level
(' - tỉnh Tây Ninh'), never inside a name ('Sở Lao động - Thương binh và Xã hội').
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Level words, longest first so that 'thị trấn' is not read as 'thị …'. Each maps to its canonical spelling.
_LEVELS = (
    ("thành phố", "thành phố"), ("thị trấn", "thị trấn"), ("thị xã", "thị xã"), ("đặc khu", "đặc khu"),
    ("phường", "phường"), ("huyện", "huyện"), ("quận", "quận"), ("tỉnh", "tỉnh"), ("xã", "xã"),
    ("tp.", "thành phố"), ("tp", "thành phố"),
)  # fmt: skip
_ASCII_LEVELS = (
    ("thanh pho", "thành phố"), ("thi tran", "thị trấn"), ("thi xa", "thị xã"), ("dac khu", "đặc khu"),
    ("phuong", "phường"), ("huyen", "huyện"), ("quan", "quận"), ("tinh", "tỉnh"), ("xa", "xã"),
    ("tp.", "thành phố"), ("tp", "thành phố"),
)  # fmt: skip
_COUNCIL = re.compile(r"^(?:ủy ban nhân dân|uỷ ban nhân dân|uy ban nhan dan|ubnd)(?:\s+|$)")
_SUFFIX = re.compile(
    r"\s+[-–]\s+(?:tỉnh|thành phố|tp\.?|huyện|quận|thị xã|tinh|thanh pho|huyen|quan|thi xa)\s.*$"
)
_NUMBERED = re.compile(r"^(?:\d+[a-z]?|[ivxlc]+)$")  # 'Phường 1', 'Phường IV', 'Quận 10'


@dataclass(frozen=True)
class NameParts:
    key: str  # 'van canh'; '' for an empty name
    level: str | None  # 'xã', 'phường', 'thị trấn', 'huyện', 'quận', 'thị xã', 'thành phố', 'tỉnh', 'đặc khu'


def strip_marks(text: str) -> str:
    """Lower case without diacritics: 'Đăk Song' → 'dak song'."""
    low = unicodedata.normalize("NFC", text).casefold().replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", low) if unicodedata.category(c) != "Mn")


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", strip_marks(text)).split())


@lru_cache(maxsize=65536)
def name_parts(name: str) -> NameParts:
    """The key and level word of a unit name (see the module's docstring)."""
    text = " ".join(unicodedata.normalize("NFC", name).casefold().split())
    text = _SUFFIX.sub("", text)
    text = _COUNCIL.sub("", text).strip()
    ascii_only = text == strip_marks(text)
    level = None
    for word, canonical in _ASCII_LEVELS if ascii_only else _LEVELS:
        if text == word or (text.startswith(word) and (word.endswith(".") or text[len(word)] in " .")):
            rest = _plain(text[len(word) :])
            if rest and not _NUMBERED.match(rest):
                return NameParts(rest, canonical)
            level = canonical
            break
    key = _plain(text)
    return NameParts(key, level)


def name_key(name: str) -> str:
    """Only the key: what two names of one unit have in common."""
    return name_parts(name).key
