"""Read a JSON file's bytes, or say in Vietnamese why it cannot be read (official import and dossier ingest).

The text is decoded by ``chiso.textfile`` (UTF-8 with or without BOM, UTF-16 with BOM, legacy encodings).
Nesting deeper than Python's parser allows is refused, not a ``RecursionError``. A string holding half of a
UTF-16 surrogate pair (``"\\ud800"``) or a NUL, which no store can keep, is refused with its JSON path; for
dossier files, whose rows are rejected one by one (``damaged="replace"``), a lone surrogate is replaced by U+FFFD
like a damaged byte (and a NUL kept), so that the row holding it is rejected with its number.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from chiso.errors import InputFileError
from chiso.textfile import REPLACEMENT, decode

_DAMAGE_ESCAPE = re.compile(r"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")  # a surrogate or NUL escape
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_STORABLE = re.compile("[\ud800-\udfff\x00]")  # no store keeps these (PostgreSQL refuses NUL in text)


def load_json(data: bytes, file: str, *, name: str | None = None, action: str = "nhập",
              damaged: Literal["refuse", "replace"] = "refuse") -> Any:  # fmt: skip
    """Parse JSON. ``file`` is reported as the file, ``name`` (default ``file``) in the message; ``action`` is the
    verb of 'Tệp không được …' (nhập for official files, nạp for dossier files); ``damaged`` says what to do with
    damaged characters (bad UTF-8 bytes, lone surrogates): refuse the file or replace them by U+FFFD."""
    shown = name or file
    text = decode(data, file, name=shown, action=action, allow_damage=damaged == "replace").text
    try:
        content = json.loads(text)
    except RecursionError as exc:
        raise InputFileError(
            f"Tệp {shown} có cấu trúc JSON lồng nhau quá sâu (quá nhiều cấp [ hoặc {{ lồng nhau). "
            f"Tệp không được {action}.",
            file=file,
            place="toàn tệp",
            expected="JSON lồng nhau không quá vài chục cấp",
            detail="RecursionError while parsing",
        ) from exc
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"Tệp {shown} không phải JSON hợp lệ (dòng {exc.lineno}, cột {exc.colno}: {exc.msg}). "
            f"Tệp không được {action}.",
            file=file,
            place=f"dòng {exc.lineno}, cột {exc.colno}",
            expected="JSON hợp lệ",
            detail=str(exc),
        ) from exc
    if _DAMAGE_ESCAPE.search(text):
        content = _clean_surrogates(content, file, shown, action, refuse=damaged == "refuse")
    return content


def _clean(text: str, path: str, file: str, shown: str, action: str, refuse: bool) -> str:
    if not (_NOT_STORABLE if refuse else _SURROGATE).search(text):
        return text
    if refuse:
        raise InputFileError(
            f"Tệp {shown} có ký tự không hợp lệ (ký tự NUL hoặc nửa cặp UTF-16 \\uD800–\\uDFFF) tại {path}. "
            f"Tệp không được {action}.",
            file=file,
            place=path,
            expected="chuỗi Unicode hợp lệ",
        )
    return _SURROGATE.sub(REPLACEMENT, text)


def _clean_surrogates(content: Any, file: str, shown: str, action: str, *, refuse: bool) -> Any:
    """Replace (or refuse) lone surrogates in every string and key; iterative, so any depth is safe."""
    root = [content]
    stack: list[tuple[Any, Any, str]] = [(root, 0, "$")]
    while stack:
        holder, key, path = stack.pop()
        value = holder[key]
        if isinstance(value, str):
            holder[key] = _clean(value, path, file, shown, action, refuse)
        elif isinstance(value, list):
            stack.extend((value, i, f"{path}[{i}]") for i in range(len(value)))
        elif isinstance(value, dict):
            for k in list(value):
                clean_key = _clean(k, f"{path}.{k!r}", file, shown, action, refuse) if isinstance(k, str) else k
                if clean_key != k:
                    value[clean_key] = value.pop(k)
                stack.append((value, clean_key, f"{path}.{clean_key}"))
    return root[0]
