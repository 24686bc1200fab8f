"""Check an XLSX archive before a workbook reader parses it: a valid zip, its uncompressed size, its sheets' rows.

An XLSX is a zip of XML parts. A small file may expand to hundreds of megabytes of XML (a 1 MB file holding
155 MB of XML took 71 s to parse), so the zip's directory (the uncompressed size of every part, which the zip
reader also enforces while inflating) and each sheet's declared ``<dimension ref="A1:AD120000"/>`` are read
first; a workbook over the limits (``xlsx_max_mb``, ``xlsx_max_rows`` in settings; decision 0007), or whose XML
expands more than ``MAX_RATIO`` times (a zip bomb), is refused with the figures and what to do. Only the directory
and the first bytes of each sheet are read.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from chiso.errors import InputFileError

MAX_COLUMNS = 16384  # Excel's own limit (XFD)
MAX_RATIO = 100  # XML of real exports compresses 5–30 times; far more is a zip bomb (the probe's: 155 times)
RATIO_FROM = 20 * 1024 * 1024  # the ratio is judged on workbooks expanding beyond this
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\s[^>]*>")
_REL = re.compile(rb"<(?:\w+:)?Relationship\s[^>]*>")


def _attribute(element: bytes, name: bytes) -> str | None:
    found = re.search(rb"\s" + re.escape(name) + rb"=\"([^\"]*)\"", element)
    return found[1].decode("utf-8", "replace") if found else None


@dataclass(frozen=True)
class XlsxLimits:
    max_bytes: int = 300 * 1024 * 1024  # uncompressed XML of the whole workbook
    max_rows: int = 500_000  # rows of one sheet

    @property
    def max_mb(self) -> int:
        return self.max_bytes // (1024 * 1024)


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Part name (``xl/worksheets/sheet1.xml``) → the sheet's name as Excel shows it, when the workbook says."""
    try:
        workbook = archive.read("xl/workbook.xml")[:1 << 20]
        rels = archive.read("xl/_rels/workbook.xml.rels")[:1 << 20]
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError):
        return {}
    targets = {_attribute(e, b"Id"): _attribute(e, b"Target") for e in _REL.findall(rels)}
    out = {}
    for element in _SHEET.findall(workbook):
        target = targets.get(_attribute(element, b"r:id"))
        name = _attribute(element, b"name")
        if target and name is not None:
            target = target.lstrip("/")
            out[target if target.startswith("xl/") else f"xl/{target}"] = name
    return out


def check_archive(source: bytes | Path, file: str, *, name: str | None = None, action: str = "nạp",
                  limits: XlsxLimits | None = None) -> None:  # fmt: skip
    """Raise InputFileError when the workbook is not a readable zip or is over the limits."""
    limits = limits or XlsxLimits()
    shown = name or file
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            if total > limits.max_bytes:
                raise InputFileError(
                    f"Tệp {shown} khi giải nén có {_number(total // (1024 * 1024))} MB dữ liệu, quá giới hạn "
                    f"{_number(limits.max_mb)} MB cho một bảng tính. Tệp không được {action}.",
                    file=file,
                    place="toàn tệp",
                    expected=f"bảng tính giải nén không quá {_number(limits.max_mb)} MB",
                    detail=f"uncompressed {total} bytes in {len(infos)} parts",
                    hint="Chia tệp thành nhiều tệp nhỏ hơn hoặc xuất dạng CSV; người quản trị có thể nâng giới hạn "
                    "bằng xlsx_max_mb trong chiso.toml (hoặc biến CHISO_XLSX_MAX_MB).",
                )
            packed = sum(i.compress_size for i in infos)
            if total > RATIO_FROM and total > MAX_RATIO * max(packed, 1):
                raise InputFileError(
                    f"Tệp {shown} nén bất thường: {_number(packed // 1024)} KB giải nén thành "
                    f"{_number(total // (1024 * 1024))} MB (gấp {_number(total // max(packed, 1))} lần). "
                    f"Tệp không được {action}.",
                    file=file,
                    place="toàn tệp",
                    expected=f"bảng tính xuất từ Excel hoặc hệ thống một cửa (dữ liệu nén không quá {MAX_RATIO} lần)",
                    detail=f"uncompressed {total} bytes from {packed} compressed bytes",
                    hint="Mở tệp bằng Excel hoặc LibreOffice và lưu lại, hoặc xuất dạng CSV.",
                )
            names = _sheet_names(archive)
            for info in infos:
                if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                    continue
                with archive.open(info) as part:
                    head = part.read(65536)
                found = _DIMENSION.search(head)
                if not found:
                    continue
                rows = int(found[4] or found[2])
                columns = _column_number(found[3] or found[1])
                sheet = names.get(info.filename, info.filename.rsplit("/", 1)[-1])
                if rows > limits.max_rows or columns > MAX_COLUMNS:
                    raise InputFileError(
                        f"Trang tính '{sheet}' của tệp {shown} có {_number(rows)} dòng, {_number(columns)} cột, quá "
                        f"giới hạn {_number(limits.max_rows)} dòng và {_number(MAX_COLUMNS)} cột. "
                        f"Tệp không được {action}.",
                        file=file,
                        place=f"trang tính '{sheet}'",
                        expected=f"không quá {_number(limits.max_rows)} dòng mỗi trang tính",
                        detail=f"dimension {found[0].decode('ascii', 'replace')}",
                        hint="Chia tệp thành nhiều tệp nhỏ hơn hoặc xuất dạng CSV; người quản trị có thể nâng giới "
                        "hạn bằng xlsx_max_rows trong chiso.toml (hoặc biến CHISO_XLSX_MAX_ROWS).",
                    )
    except InputFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, RuntimeError,
            NotImplementedError, zlib.error) as exc:  # fmt: skip
        raise InputFileError(
            f"Tệp {shown} không phải bảng tính Excel (.xlsx) đọc được: tệp nén bị hỏng. Tệp không được {action}.",
            file=file,
            place="toàn tệp",
            expected="bảng tính .xlsx",
            detail=f"{type(exc).__name__}: {exc}",
            hint="Mở tệp bằng Excel hoặc LibreOffice và lưu lại dạng .xlsx.",
        ) from exc
