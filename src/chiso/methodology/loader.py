"""Read methodology and target files, keeping the line of every node so that issues point at the file.

All problems of a file are collected and reported together (one run shows every broken line).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from chiso.errors import MethodologyError

Path_ = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Issue:
    path: Path_
    message: str

    def located(self, file: str, lines: dict[Path_, int]) -> str:
        line = _line_for(self.path, lines)
        where = f"{file}:{line}" if line else file
        dotted = ".".join(str(p) for p in self.path) or "(gốc)"
        return f"{where}: {self.message} [{dotted}]"


def _line_for(path: Path_, lines: dict[Path_, int]) -> int | None:
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None


def _index_lines(node: yaml.Node, path: Path_, out: dict[Path_, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                out[(*path, key.value)] = key.start_mark.line + 1
                _index_lines(value, (*path, key.value), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, (*path, i), out)


def parse_yaml(text: str, file: str) -> tuple[Any, dict[Path_, int]]:
    """YAML text → (data, {path: line}). Syntax errors become a MethodologyError naming the line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else file
        raise MethodologyError(
            f"Tệp {file} không đúng cú pháp YAML",
            issues=[f"{where}: {getattr(exc, 'problem', None) or exc}"],
            detail=str(exc),
        ) from exc
    lines: dict[Path_, int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    return data, lines


def validate(
    model: type[M],
    text: str,
    file: str,
    checks: Callable[[M], list[Issue]] | None = None,
    what: str = "phương pháp tính",
) -> M:
    """Parse, validate against ``model``, then run ``checks``; raise one error listing every issue."""
    data, lines = parse_yaml(text, file)
    if not isinstance(data, dict):
        raise MethodologyError(
            f"Tệp {what} {file} phải là một bảng khóa–giá trị (mapping) ở cấp gốc",
            issues=[f"{file}:1: cấp gốc là {type(data).__name__}"],
        )
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        issues = [Issue(tuple(err["loc"]), _vi_pydantic(err)).located(file, lines) for err in exc.errors()]
        raise MethodologyError(
            f"Tệp {what} {file} không hợp lệ ({len(issues)} lỗi)", issues=issues, detail=str(exc)
        ) from exc
    found = checks(obj) if checks else []
    if found:
        issues = [i.located(file, lines) for i in found]
        raise MethodologyError(f"Tệp {what} {file} không hợp lệ ({len(issues)} lỗi)", issues=issues)
    return obj


def validate_file(
    model: type[M],
    path: Path,
    checks: Callable[[M], list[Issue]] | None = None,
    what: str = "phương pháp tính",
) -> M:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MethodologyError(f"Không đọc được tệp {what} {path}", detail=str(exc)) from exc
    return validate(model, text, str(path), checks, what)


def _vi_pydantic(err: dict[str, Any]) -> str:
    """A short Vietnamese sentence for a pydantic error, with the original message in brackets."""
    kind = err.get("type", "")
    msg = err.get("msg", "")
    if kind == "missing":
        return f"thiếu trường bắt buộc ({msg})"
    if kind == "extra_forbidden":
        return f"trường không được hỗ trợ ({msg})"
    if kind == "union_tag_invalid":
        return f"loại quy tắc không được hỗ trợ; chỉ dùng linear, threshold, monitor, unknown ({msg})"
    if kind == "union_tag_not_found":
        return f"quy tắc thiếu trường kind ({msg})"
    if kind in ("greater_than", "less_than_equal", "greater_than_equal"):
        return f"giá trị ngoài khoảng cho phép ({msg})"
    if kind.startswith("enum") or kind == "literal_error":
        return f"giá trị không thuộc danh sách cho phép ({msg})"
    if kind == "string_pattern_mismatch":
        return f"mã không đúng dạng ({msg})"
    return msg
