"""Read a JSON file's bytes, or say in Vietnamese why it cannot be read (official import and dossier ingest)."""

from __future__ import annotations

import json
from typing import Any

from chiso.errors import InputFileError


def load_json(data: bytes, file: str, *, name: str | None = None, action: str = "nhập") -> Any:
    """Parse UTF-8 JSON (a BOM is allowed). ``file`` is reported as the file, ``name`` (default ``file``) in the
    message; ``action`` is the verb of 'Tệp không được …' (nhập for official files, nạp for dossier files)."""
    shown = name or file
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"Tệp {shown} không phải văn bản UTF-8. Tệp không được {action}.",
            file=file,
            place=f"byte {exc.start}",
            expected="JSON mã hóa UTF-8",
            detail=str(exc),
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
