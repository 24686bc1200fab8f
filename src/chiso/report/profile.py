"""Letter profiles: everything a People's Committee writes in its monthly letter, as a YAML file users edit.

A profile holds the wording (templates with ``{placeholders}``), the targets the letter checks, the legal bases,
the directives, the number prefix, the recipients and the signer. Changing any of them needs no code. The file
format is documented in docs/report.md; ``chiso report --print-profile NAME`` prints a shipped one to copy.

Files are validated on load with the same located, all-at-once issues as methodology files.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chiso.errors import ChisoError
from chiso.methodology import load_targets
from chiso.methodology.loader import Issue, validate, validate_file

Kind = Literal["province", "agency", "district", "commune"]

# Placeholders every template may use (docs/report.md lists their meaning).
GENERAL = frozenset(
    {
        "period", "period_words", "previous_period", "sender", "sender_upper", "sender_area", "sender_area_upper",
        "province", "province_upper", "place", "audience", "heads", "number", "number_prefix", "date_short",
        "total", "band", "rank", "peers", "peer_label", "cutoff", "estimate_mark",
    }
)  # fmt: skip
RESULT = frozenset({"source_basis", "rank_text", "trend", "cutoff_text"})
TREND = frozenset({"score_change", "previous_total", "previous_rank", "rank_move"})
MOVE = frozenset({"places"})
TARGET = frozenset({"units", "metric", "threshold", "count"})
ITEM = frozenset({"unit", "value"})
LOCAL = frozenset({"local_cutoff"})


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Issuer(_Strict):
    parent: str | None = Field(None, description="cơ quan chủ quản, e.g. 'ỦY BAN NHÂN DÂN {province_upper}'")
    name: tuple[str, ...] = Field(min_length=1, description="lines of the issuing body, in capitals")


class Recipient(_Strict):
    text: str = Field(description="as written after 'Kính gửi:', e.g. 'UBND các xã, thị trấn'")
    kind: Kind | None = Field(None, description="kept only when the sender has units of this kind")
    head: str | None = Field(None, description="their heads, for the closing: 'Chủ tịch UBND các xã, thị trấn'")


class SourceBasis(_Strict):
    official: str
    local: str


class Trend(_Strict):
    all_up: str
    up: str
    down: str
    same: str
    unknown: str = ""


class RankMove(_Strict):
    up: str = ", tăng {places} bậc"
    down: str = ", giảm {places} bậc"
    same: str = ", giữ nguyên thứ hạng"


class Findings(_Strict):
    intro: str
    none: str
    appendix_note: str | None = None


class Target(_Strict):
    metric: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$", description="methodology metric or local target code")
    name: str | None = Field(None, description="what the sentences call it; default: the metric's name")
    threshold: Decimal | None = Field(None, ge=0, description="percent; default: the local target's")
    direction: Literal["at_least", "at_most"] | None = None
    show: Literal["percent", "count"] = "percent"
    applies_to: tuple[Kind, ...] = ("province", "agency", "district", "commune")
    order: Literal["portal", "worst_first"] = "portal"
    limit: int | None = Field(None, ge=1, description="list at most this many units, then 'và N đơn vị khác'")
    more: str = "và {count} đơn vị khác (chi tiết tại Phụ lục)"
    all_short: str
    units_short: str
    item: str = "{unit}: {value}"


class Directives(_Strict):
    intro: str
    items: tuple[str, ...] = Field(min_length=1)


class Signer(_Strict):
    lines: tuple[str, ...] = Field(min_length=1, description="TM./KT./TL. lines and the title, in capitals")
    name: str = ""


class Appendix(_Strict):
    title: str = "PHỤ LỤC"
    subtitle: str
    reference: str


class LetterProfile(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    level: Kind = Field(description="the kind of unit that sends the letter")
    issuer: Issuer
    place: str | None = Field(None, description="place before the date; default: from the sender's name")
    number_prefix: str
    abstract: str
    recipients: tuple[Recipient, ...] = Field(min_length=1)
    legal_bases: tuple[str, ...] = ()
    source_basis: SourceBasis
    results: str
    rank: str = "xếp thứ {rank}/{peers} {peer_label}"
    trend: Trend
    rank_move: RankMove = RankMove()
    cutoff: str = "số liệu tính đến thời điểm {cutoff}"
    estimate_cutoff: str = "số liệu tạm tính, tính đến thời điểm {cutoff}"
    estimate_note: str
    local_figures: str = Field(
        "(số liệu của hệ thống một cửa, tính đến {local_cutoff})",
        description="added to a target's sentence whose figures come from the one-stop system's dossiers",
    )
    findings: Findings
    targets: tuple[Target, ...] = ()
    directives: Directives
    closing: str
    cc: tuple[str, ...] = Field(min_length=1, description="'Nơi nhận:' lines")
    signer: Signer
    appendix: Appendix


class ProfileError(ChisoError):
    """A profile name that is not shipped."""


def _templates(p: LetterProfile) -> Iterator[tuple[tuple[str | int, ...], str, frozenset[str]]]:
    """Every template of a profile with its place in the file and the placeholders it may use."""
    yield ("issuer", "parent"), p.issuer.parent or "", GENERAL
    for i, line in enumerate(p.issuer.name):
        yield ("issuer", "name", i), line, GENERAL
    for key in ("place", "number_prefix", "abstract", "estimate_note", "closing"):
        yield (key,), getattr(p, key) or "", GENERAL
    for i, r in enumerate(p.recipients):
        yield ("recipients", i, "text"), r.text, GENERAL
        yield ("recipients", i, "head"), r.head or "", GENERAL
    for i, text in enumerate(p.legal_bases):
        yield ("legal_bases", i), text, GENERAL
    yield ("source_basis", "official"), p.source_basis.official, GENERAL
    yield ("source_basis", "local"), p.source_basis.local, GENERAL
    yield ("results",), p.results, GENERAL | RESULT
    yield ("rank",), p.rank, GENERAL
    for key in ("all_up", "up", "down", "same", "unknown"):
        yield ("trend", key), getattr(p.trend, key), GENERAL | TREND
    for key in ("up", "down", "same"):
        yield ("rank_move", key), getattr(p.rank_move, key), GENERAL | MOVE
    yield ("cutoff",), p.cutoff, GENERAL
    yield ("estimate_cutoff",), p.estimate_cutoff, GENERAL
    yield ("local_figures",), p.local_figures, GENERAL | LOCAL
    for key in ("intro", "none", "appendix_note"):
        yield ("findings", key), getattr(p.findings, key) or "", GENERAL
    for i, t in enumerate(p.targets):
        yield ("targets", i, "all_short"), t.all_short, GENERAL | TARGET
        yield ("targets", i, "units_short"), t.units_short, GENERAL | TARGET
        yield ("targets", i, "item"), t.item, ITEM | frozenset({"metric", "threshold"})
        yield ("targets", i, "more"), t.more, frozenset({"count"})
    yield ("directives", "intro"), p.directives.intro, GENERAL
    for i, text in enumerate(p.directives.items):
        yield ("directives", "items", i), text, GENERAL
    for i, text in enumerate(p.cc):
        yield ("cc", i), text, GENERAL
    for i, text in enumerate(p.signer.lines):
        yield ("signer", "lines", i), text, GENERAL
    for key in ("title", "subtitle", "reference"):
        yield ("appendix", key), getattr(p.appendix, key), GENERAL


def placeholders(template: str) -> list[str]:
    """The ``{names}`` a template uses; raises ValueError on a stray brace."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def check_profile(p: LetterProfile) -> list[Issue]:
    issues = []
    for path, template, allowed in _templates(p):
        try:
            names = placeholders(template)
        except ValueError as exc:
            issues.append(Issue(path, f"dấu ngoặc {{ }} không khớp ({exc}); muốn viết dấu ngoặc thì gõ {{{{ }}}}"))
            continue
        for name in names:
            if name not in allowed:
                issues.append(
                    Issue(path, f"không có biến {{{name}}} ở mục này; dùng được: {', '.join(sorted(allowed))}")
                )
    local = {t.code: t for t in load_targets().targets}
    seen: set[str] = set()
    for i, t in enumerate(p.targets):
        if t.metric in seen:
            issues.append(Issue(("targets", i, "metric"), f"chỉ tiêu {t.metric} bị khai báo hai lần"))
        seen.add(t.metric)
        if t.threshold is None and t.metric not in local:
            issues.append(
                Issue(
                    ("targets", i, "threshold"),
                    f"thiếu ngưỡng cho {t.metric} (chỉ chỉ tiêu theo dõi của địa phương mới có ngưỡng mặc định: "
                    f"{', '.join(sorted(local))})",
                )
            )
        if t.show == "percent" and t.threshold is not None and t.threshold > 100:
            issues.append(Issue(("targets", i, "threshold"), f"{t.metric}: ngưỡng phần trăm lớn hơn 100"))
    return issues


def _profiles_dir():  # type: ignore[no-untyped-def]
    return resources.files("chiso.report") / "profiles"


def available_profiles() -> list[str]:
    """Names of the shipped profiles."""
    return sorted(p.name.removesuffix(".yaml") for p in _profiles_dir().iterdir() if p.name.endswith(".yaml"))


WHAT = "hồ sơ công văn"


def profile_text(name: str) -> str:
    """The YAML text of a shipped profile (to copy and edit)."""
    file = _profiles_dir() / f"{name}.yaml"
    if not file.is_file():
        raise ProfileError(
            f"Không có hồ sơ công văn '{name}'",
            hint=f"Các hồ sơ có sẵn: {', '.join(available_profiles())}; hoặc đưa đường dẫn tệp YAML.",
        )
    return file.read_text(encoding="utf-8")


@cache
def _load_packaged(name: str) -> LetterProfile:
    return validate(LetterProfile, profile_text(name), f"{name}.yaml", check_profile, WHAT)


def load_profile(name_or_path: str | Path) -> LetterProfile:
    """A shipped profile by name (``huyen``) or a user's file by path."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        return validate_file(LetterProfile, Path(text), check_profile, WHAT)
    return _load_packaged(text)


DEFAULT_BY_KIND = {"district": "huyen", "province": "tinh", "agency": "so", "commune": "xa"}


def default_profile(kind: str) -> str:
    """The shipped profile for a sender of this kind (the Văn phòng UBND profile is chosen by name)."""
    try:
        return DEFAULT_BY_KIND[kind]
    except KeyError:
        raise ProfileError(
            f"Không có hồ sơ công văn mặc định cho đơn vị loại '{kind}'",
            hint=f"Chọn bằng --profile: {', '.join(available_profiles())}",
        ) from None
