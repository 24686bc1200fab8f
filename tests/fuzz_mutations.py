"""Mutations of real input files for the bounded fuzz test (tests/test_fuzz_inputs.py).

Each mutator takes the file's bytes and a ``random.Random`` and returns new bytes; all of them are deterministic
for the generator's state. Byte-level mutations apply to every format; text, JSON and XLSX mutations understand
the format enough to reach the parsers behind the first checks (encodings, delimiters, extreme values, deep
nesting, wrong types, damaged workbook parts).
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import unicodedata
import zipfile
from collections.abc import Callable
from typing import Any

Mutator = Callable[[bytes, random.Random], bytes]

EXTREMES = [
    "", " ", "-1", "-0.5", "0", "1e400", "-1e400", "99999999999999999999999", "1" * 5000, "NaN", "Infinity",
    "31/04/2023", "29/02/2023", "30/02/2024 08:00", "01/01/0001", "31/12/9999 23:59", "02/05/2023 25:61",
    "2023-05-04T09:00:00+07:00", "2023-05-04T09:00:00Z", "2023-05-04T09:00:00+15:00", "20230431080000",
    "99991231235959", "00010101000000", "=HYPERLINK(\"x\")", "Có", "Không", "x" * 40000, "Nguyễn Văn A",
    "a\x00b", "\ufffd", "1.000948.000.00.00.H22", "Đã trả kết quả", "127", "128", "32768", "2147483648",
    "1,5", "1.234.567", "1.23456789", "\u0301", "Mã hồ sơ",
]  # fmt: skip
JSON_EXTREMES: list[Any] = [
    None, True, False, -1, 0, 10**30, -(10**30), 1.5e308, [], {}, [1, 2], {"a": [1]}, "", "x" * 40000,
    "31/04/2023", "20230229080000", "99991231235959", "2023-05-04T09:00:00+07:00", "2023-05-04T02:00:00Z",
    [[[[[[[[[[]]]]]]]]]], "\ufffd", "a\x00b", -5000, "-5000",
]  # fmt: skip
TONES = "\u0300\u0301\u0303\u0309\u0323"


# -- encodings ----------------------------------------------------------------------------------------------
def cp1258(text: str) -> bytes:
    """Vietnamese text as Windows writes it in code page 1258: base letters with separate tone marks."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        tone = "".join(c for c in parts if c in TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
        out += base.encode("cp1258", errors="replace") + tone.encode("cp1258")
    return bytes(out)


def _text(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace")


# -- byte level ---------------------------------------------------------------------------------------------
def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(0, max(len(data), 1))]


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def insert_bytes(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    junk = rng.choice([b"\x00", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b'"', b"\n", b"\r", b",;\t|", b"\xef\xbb\xbf",
                       bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))])  # fmt: skip
    return data[:at] + junk + data[at:]


def cut_slice(data: bytes, rng: random.Random) -> bytes:
    if len(data) < 2:
        return data
    a = rng.randrange(len(data))
    b = min(len(data), a + rng.randint(1, 200))
    return data[:a] + data[b:]


def repeat_slice(data: bytes, rng: random.Random) -> bytes:
    if len(data) < 2:
        return data
    a = rng.randrange(len(data))
    b = min(len(data), a + rng.randint(1, 300))
    return data[:b] + data[a:b] * rng.randint(1, 5) + data[b:]


BYTE_MUTATORS: list[Mutator] = [truncate, flip_bytes, insert_bytes, cut_slice, repeat_slice]


# -- CSV ----------------------------------------------------------------------------------------------------
def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_text(data))))


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def reencode(data: bytes, rng: random.Random) -> bytes:
    text = _text(data)
    codec = rng.choice(["cp1258", "cp1252", "utf-16", "utf-8-sig", "utf-16-le", "latin-1"])
    if codec == "cp1258":
        return cp1258(text)
    return text.encode(codec, errors="replace")


def change_delimiter(data: bytes, rng: random.Random) -> bytes:
    return _csv(_rows(data), rng.choice([";", "\t", "|", ","])).encode()


def extreme_cell(data: bytes, rng: random.Random) -> bytes:
    rows = _rows(data)
    for _ in range(rng.randint(1, 4)):
        if len(rows) > 1:
            r = rng.randrange(1, len(rows))
            if rows[r]:
                rows[r][rng.randrange(len(rows[r]))] = rng.choice(EXTREMES)
    return _csv(rows).encode()


def reshape(data: bytes, rng: random.Random) -> bytes:
    rows = _rows(data)
    choice = rng.randrange(6)
    if choice == 0:  # title lines above the heading (sometimes too many)
        rows = [["BÁO CÁO HỒ SƠ"]] * rng.randint(1, 14) + rows
    elif choice == 1:  # heading only
        rows = rows[:1]
    elif choice == 2 and len(rows) > 1:  # a short or long row
        r = rng.randrange(1, len(rows))
        rows[r] = rows[r][: rng.randrange(len(rows[r]) + 1)] if rng.random() < 0.5 else rows[r] + ["thừa"]
    elif choice == 3 and rows:  # no heading
        rows = rows[1:]
    elif choice == 4 and rows:  # a heading cell renamed
        rows[0][rng.randrange(len(rows[0]))] = rng.choice(["", "Phí, lệ phí", "???", "Mã hồ sơ"])
    else:  # a quote that never closes
        return _csv(rows).encode() + b'"unterminated\n'
    return _csv(rows).encode()


def bad_utf8_row(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    if len(lines) > 2:
        r = rng.randrange(1, len(lines) - 1)
        cut = rng.randrange(len(lines[r]) + 1)
        lines[r] = lines[r][:cut] + rng.choice([b"\xff", b"\xc3(", b"\xe1\xbb", b"\xed\xa0\x80"]) + lines[r][cut:]
    return b"\n".join(lines)


CSV_MUTATORS: list[Mutator] = [reencode, change_delimiter, extreme_cell, extreme_cell, reshape, reshape,
                               bad_utf8_row, *BYTE_MUTATORS]  # fmt: skip


# -- JSON ---------------------------------------------------------------------------------------------------
def _nodes(value: Any, out: list[tuple[Any, Any]], depth: int = 0) -> None:
    if depth > 12:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((value, k))
            _nodes(v, out, depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.append((value, i))
            _nodes(v, out, depth + 1)


def json_value(data: bytes, rng: random.Random) -> bytes:
    content = json.loads(_text(data))
    nodes: list[tuple[Any, Any]] = []
    _nodes(content, nodes)
    for _ in range(rng.randint(1, 5)):
        if nodes:
            holder, key = rng.choice(nodes)
            holder[key] = rng.choice(JSON_EXTREMES)
    return json.dumps(content, ensure_ascii=rng.random() < 0.5).encode()


def json_items(data: bytes, rng: random.Random) -> bytes:
    content = json.loads(_text(data))
    lists: list[list[Any]] = []
    stack = [content]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            lists.append(v)
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    if lists:
        target = rng.choice(lists)
        target.insert(rng.randrange(len(target) + 1), rng.choice([42, "x", None, [1], True, 1.5]))
    return json.dumps(content).encode()


def json_text(data: bytes, rng: random.Random) -> bytes:
    text = _text(data)
    choice = rng.randrange(5)
    if choice == 0:  # nesting far deeper than any parser's stack
        depth = rng.choice([500, 5000, 100_000])
        return ("[" * depth + "]" * depth).encode()
    if choice == 1:  # half of a UTF-16 surrogate pair inside a string
        return re.sub(r'":\s*"', '": "\\\\ud800', text, count=rng.randint(1, 3)).encode()
    if choice == 2:  # numbers too large for any column, NaN, Infinity
        return re.sub(r"(?<=[:\[,])\s*\d+(\.\d+)?", lambda m: rng.choice([" 1e999", " NaN", " -Infinity",
                      " 123456789012345678901234567890"]), text, count=rng.randint(1, 4)).encode()  # fmt: skip
    if choice == 3:  # wrong root
        return rng.choice([b"[]", b"{}", b"null", b'"x"', b'{"data": {}}', b'{"data": []}', b"[1, 2, 3]"])
    return text.encode("utf-16") if rng.random() < 0.5 else cp1258(text)


JSON_MUTATORS: list[Mutator] = [json_value, json_value, json_value, json_items, json_items, json_text,
                                *BYTE_MUTATORS]  # fmt: skip


# -- XLSX ---------------------------------------------------------------------------------------------------
def _rezip(data: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = change(info.filename, src.read(info.filename))
            if body is not None:
                dst.writestr(info.filename, body)
    return out.getvalue()


def xlsx_part(data: bytes, rng: random.Random) -> bytes:
    """Damage one XML part (truncate, flip, dimension, drop) and re-zip it."""
    parts = zipfile.ZipFile(io.BytesIO(data)).namelist()
    victim = rng.choice(parts)
    how = rng.randrange(5)

    def change(name: str, body: bytes) -> bytes | None:
        if name != victim:
            return body
        if how == 0:
            return body[: rng.randrange(len(body) + 1)]
        if how == 1:
            return flip_bytes(body, rng)
        if how == 2:
            return None
        if how == 3:
            return re.sub(rb'<dimension ref="[^"]*"', rng.choice([b'<dimension ref="A1:XFD9000000"',
                          b'<dimension ref="A1:ZZZZ3"', b'<dimension ref="A1"']), body)  # fmt: skip
        return body.replace(b"<c ", b'<c t="bogus" ', 3)

    return _rezip(data, change)


def xlsx_cells(data: bytes, rng: random.Random) -> bytes:
    """Rewrite some cells through openpyxl with extreme values."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    ws = rng.choice(wb.worksheets)
    for _ in range(rng.randint(1, 6)):
        row = rng.randint(1, max(ws.max_row, 1) + 2)
        col = rng.randint(1, max(ws.max_column, 1))
        value = rng.choice([*EXTREMES[:30], 10**20, -1, 1.5e300, float("nan")])
        if isinstance(value, str):
            value = value.replace("\x00", "")[:32000]
        ws.cell(row=row, column=col, value=value)
    if rng.random() < 0.2:
        ws.insert_rows(1, amount=rng.randint(1, 12))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


XLSX_MUTATORS: list[Mutator] = [xlsx_part, xlsx_part, xlsx_cells, xlsx_cells, *BYTE_MUTATORS]
