"""Turn a text file's bytes into text (its encoding detected) and find a CSV file's delimiter.

Encodings (decision 0007):

* a byte-order mark decides: UTF-8 (``EF BB BF``) or UTF-16 (``FF FE`` / ``FE FF``);
* without one, UTF-8 when the bytes are UTF-8. A UTF-8 file with a few damaged byte sequences (it has valid
  multi-byte characters and fewer bad sequences than good ones) is read with each bad sequence replaced by
  ``U+FFFD``: the rows holding one are rejected later with their row number, the rest are kept. Callers that
  refuse whole files (official results) refuse it instead, naming the line;
* otherwise a Vietnamese legacy export: Windows-1258 when its tone marks (combining bytes ``CC EC DE D2 F2``)
  follow vowels, as Vietnamese text has them; Windows-1252 / Latin-1 when no tone mark follows a vowel.
  Mixed evidence is refused naming both encodings: a guess would corrupt names silently;
* NUL bytes in the first 4 KB without a mark: UTF-16 without its mark (or a binary file), refused.

Every decoded text is returned in Unicode NFC (Windows-1258 writes tones as combining marks).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from chiso.errors import InputFileError

REPLACEMENT = "\ufffd"
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "dấu phẩy", ";": "dấu chấm phẩy", "\t": "dấu tab", "|": "dấu gạch đứng"}

_TONE_BYTES = b"\xcc\xec\xde\xd2\xf2"  # Windows-1258 combining grave, acute, tilde, hook, dot below
# a vowel (ASCII, or Windows-1258's â ê ô ă ơ ư in both cases) followed by a tone mark
_TONE_AFTER_VOWEL = re.compile(rb"[aeiouyAEIOUY\xe2\xea\xf4\xe3\xf5\xfd\xc2\xca\xd4\xc3\xd5\xdd][\xcc\xec\xde\xd2\xf2]")
_SURE_SHARE = 0.9  # share of tone marks that must follow a vowel to read a file as Windows-1258


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # Python codec name
    label: str  # the encoding's name as users know it
    damaged: int = 0  # bad UTF-8 sequences replaced by U+FFFD
    utf8: bytes | None = None  # the text's UTF-8 bytes when they are the file's own (no copy needed)

    @property
    def converted(self) -> bool:
        return self.encoding not in ("utf-8", "utf-8-sig")


def _refuse(shown: str, file: str, action: str, what: str, place: str, detail: str | None = None) -> InputFileError:
    return InputFileError(
        f"Tệp {shown} {what}. Tệp không được {action}.",
        file=file,
        place=place,
        expected="văn bản mã hóa UTF-8 (nên dùng), UTF-16 có BOM, Windows-1258 hoặc Windows-1252",
        detail=detail,
        hint="Mở tệp bằng Excel hoặc LibreOffice và lưu lại dạng 'CSV UTF-8'.",
    )


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def legacy_encoding(data: bytes) -> str | None:
    """'cp1258' or 'cp1252' for bytes that are not UTF-8, or None when the evidence is mixed."""
    marks = sum(data.count(bytes([b])) for b in _TONE_BYTES)
    after_vowel = len(_TONE_AFTER_VOWEL.findall(data))
    if after_vowel == 0:
        return "cp1252"
    if after_vowel >= _SURE_SHARE * marks:
        return "cp1258"
    return None


def decode(data: bytes, file: str, *, name: str | None = None, action: str = "nạp",
           allow_damage: bool = False) -> Decoded:  # fmt: skip
    """Decode a text file's bytes (see the module's rules) or raise InputFileError naming the encoding."""
    shown = name or file
    if data.startswith(codecs.BOM_UTF8):
        return _utf8(data[3:], data, shown, file, action, allow_damage, "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Decoded(_nfc(data.decode("utf-16")), "utf-16", "UTF-16")
        except UnicodeDecodeError as exc:
            raise _refuse(shown, file, action, "có dấu BOM của UTF-16 nhưng nội dung không phải UTF-16 hợp lệ",
                          f"byte {exc.start}", str(exc)) from exc  # fmt: skip
    head = data[:4096]
    if head.count(b"\x00") > len(head) // 10:
        raise _refuse(shown, file, action, "có vẻ là UTF-16 không có dấu BOM hoặc là tệp nhị phân (nhiều byte 0)",
                      "toàn tệp")  # fmt: skip
    return _utf8(data, data, shown, file, action, allow_damage, "utf-8")


def _utf8(body: bytes, data: bytes, shown: str, file: str, action: str, allow_damage: bool, codec: str) -> Decoded:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as first:
        error = first
    else:
        normal = _nfc(text)
        return Decoded(normal, codec, "UTF-8", utf8=body if normal is text else None)
    text = body.decode("utf-8", errors="replace")
    bad = text.count(REPLACEMENT) - body.count(REPLACEMENT.encode())
    good = len(text) - len(text.encode("ascii", errors="ignore")) - text.count(REPLACEMENT)  # non-ASCII, readable
    offset = error.start + (len(data) - len(body))
    if (good > 0 and bad <= good) or codec == "utf-8-sig":  # UTF-8 with damaged sequences
        if allow_damage:
            return Decoded(_nfc(text), codec, "UTF-8", damaged=bad)
        raise _refuse(shown, file, action, f"có {bad} chỗ không đúng mã UTF-8 (đầu tiên ở dòng "
                      f"{_line_of(data, offset)})", f"dòng {_line_of(data, offset)}, byte {offset}",
                      str(error))  # fmt: skip
    legacy = legacy_encoding(body)
    if legacy is None:
        raise _refuse(shown, file, action, "không phải UTF-8 và không xác định chắc chắn được bảng mã "
                      "(Windows-1258 hay Windows-1252)", f"dòng {_line_of(data, offset)}, byte {offset}",
                      str(error))  # fmt: skip
    if legacy == "cp1258":
        try:
            return Decoded(_nfc(body.decode("cp1258")), "cp1258", "Windows-1258 (tiếng Việt)")
        except UnicodeDecodeError as exc:
            raise _refuse(shown, file, action, "có dấu thanh kiểu Windows-1258 nhưng có byte không thuộc bảng mã "
                          "này", f"dòng {_line_of(data, exc.start)}, byte {exc.start}", str(exc)) from exc  # fmt: skip
    try:
        text = body.decode("cp1252")
    except UnicodeDecodeError:
        text = body.decode("latin-1")  # the five bytes Windows-1252 leaves undefined are Latin-1 controls
    return Decoded(_nfc(text), "cp1252", "Windows-1252 (Latin-1)")


def sniff_delimiter(text: str, sample_chars: int = 65536, sample_rows: int = 50) -> str:
    """The delimiter among ``, ; tab |`` that splits the first rows into the most consistent columns.

    Scored on the data rows, not only the heading: a heading such as "Phí, lệ phí" in a ';' file splits on
    ',' in the heading only. Rows are read with quoting, so commas inside quoted cells do not count.
    """
    sample = text[:sample_chars]
    if len(text) > sample_chars:  # drop the last, possibly cut, line
        sample = sample[: max(sample.rfind("\n"), 0)]
    best: tuple[int, int, int] | None = None
    chosen = ","
    for rank, delimiter in enumerate(DELIMITERS):
        try:
            rows = []
            for row in csv.reader(io.StringIO(sample), delimiter=delimiter):
                if len(row) > 1 or (row and row[0].strip()):  # blank lines say nothing
                    rows.append(len(row))
                if len(rows) >= sample_rows:
                    break
        except csv.Error:
            continue
        wide = [n for n in rows if n >= 2]
        if not wide:
            continue
        width, count = Counter(wide).most_common(1)[0]
        score = (count, width, -rank)
        if best is None or score > best:
            best, chosen = score, delimiter
    return chosen
