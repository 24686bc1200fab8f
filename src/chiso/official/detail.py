"""The evaluation API's unit records (Cổng DVCQG ``/api/v1/reporting/evaluation/*``) as trackers save them.

Accepted files (all seen in public trackers; see docs/import-formats.md):

* a container ``{"metadata": {...}, "overview": {...}, <list>: [record, ...]}`` where ``<list>`` is one of
  ``LIST_KEYS`` (Crawler-766 ``*_detail``, ``agencies_``, ``communes_``, ``scores_``, ``details_``,
  ``comparison_`` files; the API's ``evaluation``; 766-Analyze ``provinces``). The ``overview`` record, when it
  has a ``departmentCode``, is the parent province and is stored with the units;
* a bare list of records;
* a city history file ``{"department": {...}, "period": {...}, "totalScore", "groups": [...],
  "departments": [...]}`` (766-HaNoi ``history/quality``);
* a tracker index ``{"departmentsIndex": {code: {"history": {date: record}}}, "overviewHistory": ...}``:
  one snapshot per capture date.

A record has a unit code (``departmentCode`` or ``code``), a name, a total (``totalScore``, ``currentScore``
or ``score``), group scores (``groupScores`` or ``scores``; a value may be ``{score, maxScore}``), optionally
the kind (``childGroup`` or ``type``), ``rank``/``currentRank``, ``groupRank``, ``scoreDelta`` and the
itemised blocks (``componentIndicators`` or ``groupDetails``): per group ``score``, ``maxScore``, a
``metrics`` list ({code, name, numerator, denominator, ratio, score, maxScore} or {code, value}) or, for
progress and payment, the counts of ``COUNT_METRICS``. A record without blocks is stored as not itemised.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from chiso.domain.codes import NATIONAL, default_parent, is_unit_code, normalise_unit_code, province_of
from chiso.domain.periods import Period
from chiso.domain.results import PublishedGroup, PublishedMetric
from chiso.domain.times import plausible_year
from chiso.domain.units import UnitKind, kind_from_child_group, kind_from_name
from chiso.errors import PeriodError
from chiso.methodology.model import Methodology
from chiso.official.bundle import ParsedSnapshot, ParsedUnit
from chiso.official.values import (
    BadValueError,
    date_in_name,
    decimal_or_none,
    int_or_none,
    parse_instant,
    plausible,
    refuse,
    text_or_none,
)

Chooser = Callable[[Period], Methodology]

# Where records sit, in order of preference (scores_ files repeat 'units' as 'agencies' and 'communes').
LIST_KEYS = (
    "unitsDetail",
    "units",
    "communesDetail",
    "agenciesDetail",
    "details",
    "evaluation",
    "provinces",
    "communes",
    "agencies",
    "departments",
    "data",
    "items",
    "records",
)
KIND_BY_KEY = {
    "communesDetail": UnitKind.COMMUNE,
    "communes": UnitKind.COMMUNE,
    "agenciesDetail": UnitKind.AGENCY,
    "agencies": UnitKind.AGENCY,
    "provinces": UnitKind.PROVINCE,
}

CODE_KEYS = ("departmentCode", "code")
NAME_KEYS = ("departmentName", "name")
TOTAL_KEYS = ("totalScore", "currentScore", "score")
GROUP_KEYS = ("groupScores", "scores")
BLOCK_KEYS = ("componentIndicators", "groupDetails")
KIND_KEYS = ("childGroup", "type")
RANK_KEYS = ("rank", "currentRank")
DELTA_KEYS = ("scoreDelta", "scoreDeltaDaily")
CAPTURE_KEYS = ("extractedAt", "capturedAt", "crawledAt", "fetchedAt", "comparedAt", "updatedAt", "generatedAt")
RUN_DATE_KEYS = ("runDateStr", "currentRunDate", "latestDate")

# Blocks that publish counts instead of a metrics list: (metric, numerator field, denominator field).
COUNT_METRICS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "TDGQ": (
        ("ON_TIME", "totalOnTime", "totalReceived"),
        ("RECEIVED", "totalReceived", None),
        ("COMPLETED", "totalCompleted", None),
        ("AVG_DAYS", "avgProcessingDays", None),
    ),
    "TTTT": (
        ("PAY_DOSSIERS", "totalDossierOnlinePaymentSuccess", "totalDossierFinancialObligation"),
        ("PAY_FORMALITIES", "totalDossierOnlineFormalityPaymentSuccess", "totalFeeFormality"),
        ("PAY_PROVISION", "totalFeeDossierFormality", "totalFeeFormality"),
    ),
}

_LABEL_YEAR = re.compile(r"^(?:năm|year)\s+(\d{4})$", re.IGNORECASE)
_LABEL_MONTH = re.compile(r"^(?:tháng|month)\s+(\d{1,2})\s*/\s*(\d{4})$", re.IGNORECASE)
_LABEL_QUARTER = re.compile(r"^(?:quý|quarter)\s+(\d)\s*/\s*(\d{4})$", re.IGNORECASE)


def _first(rec: dict[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    for key in keys:
        if key in rec and rec[key] is not None:
            return key, rec[key]
    return None, None


# -- recognising a file -------------------------------------------------------------------------------------
def _flatten(rec: Any) -> Any:
    """A catalog record keeps its scores in a nested ``overview``: lift them to the record."""
    if isinstance(rec, dict) and isinstance(rec.get("overview"), dict) and not any(k in rec for k in TOTAL_KEYS):
        return {**rec["overview"], **{k: v for k, v in rec.items() if k != "overview"}}
    return rec


def _is_record(rec: Any) -> bool:
    rec = _flatten(rec)
    if not isinstance(rec, dict):
        return False
    has_code = any(isinstance(rec.get(k), str) for k in CODE_KEYS)
    has_scores = any(k in rec for k in (*TOTAL_KEYS, *GROUP_KEYS, *BLOCK_KEYS))
    return has_code and has_scores


def _list_key(data: Any) -> str | None:
    if isinstance(data, dict):
        for key in LIST_KEYS:
            value = data.get(key)
            if isinstance(value, list) and value and _is_record(value[0]):
                return key
    return None


def looks_like_evaluation(data: Any) -> bool:
    if isinstance(data, list):
        return bool(data) and _is_record(data[0])
    if not isinstance(data, dict):
        return False
    if isinstance(data.get("departmentsIndex"), dict):
        return True
    if isinstance(data.get("department"), dict) and isinstance(data.get("groups"), list):
        return True
    return _list_key(data) is not None


# -- periods and capture times ------------------------------------------------------------------------------
def period_from_label(label: str) -> Period | None:
    text = label.strip()
    if m := _LABEL_YEAR.match(text):
        return Period.year(int(m[1]))
    if m := _LABEL_MONTH.match(text):
        return Period.month(int(m[2]), int(m[1]))
    if m := _LABEL_QUARTER.match(text):
        return Period.quarter(int(m[2]), int(m[1]))
    return None


def period_from_meta(meta: dict[str, Any], file: str) -> Period | None:
    """The period a container declares: timeType/year(/period), a label such as 'Năm 2026', or a bare year."""
    source = meta.get("period") if isinstance(meta.get("period"), dict) else meta
    try:
        found = _declared_period(meta, source)
    except (TypeError, ValueError, OverflowError, PeriodError) as exc:
        raise refuse(file, "metadata", "timeType, year và kỳ hợp lệ", source, detail=str(exc)) from exc
    return plausible(found, file, "metadata") if found is not None else None


def _declared_period(meta: dict[str, Any], source: dict[str, Any]) -> Period | None:
    time_type = str(source.get("timeType") or "").lower()
    year = source.get("year", meta.get("year"))
    if time_type and year is not None:
        index = source.get("period") if not isinstance(source.get("period"), dict) else None
        index = index or source.get("month") or source.get("quarter")
        if time_type == "year":
            return Period.year(_whole(year))
        if time_type == "quarter" and index is not None:
            return Period.quarter(_whole(year), _whole(index))
        if time_type == "month" and index is not None:
            return Period.month(_whole(year), _whole(index))
    for key in ("periodLabel", "currentPeriod"):
        label = meta.get(key)
        if isinstance(label, str) and (found := period_from_label(label)):
            return found
    if not time_type and isinstance(year, int) and not isinstance(year, bool):
        return Period.year(year)  # 766-Analyze: a yearly list with only 'year'
    return None


def _whole(value: Any) -> int:
    """A year, month or quarter written as a number or as text ('2026'); anything else is a ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a whole number: {value!r}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"not a whole number: {value!r}")
    return int(value)


def _capture(meta: dict[str, Any], given: tuple[datetime, str]) -> tuple[datetime, str]:
    """The user's --captured-at wins; then the time the file records; then the fallback."""
    if given[1] == "user":
        return given
    return captured_from_meta(meta) or given


def captured_from_meta(meta: dict[str, Any]) -> tuple[datetime, str] | None:
    for key in CAPTURE_KEYS:
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            try:
                moment = parse_instant(value)
            except ValueError:
                continue
            if plausible_year(moment.year):  # a capture in year 1 or 9999 would be 'newest' forever
                return moment, "file"
    for key in RUN_DATE_KEYS:
        value = meta.get(key)
        if isinstance(value, str) and (moment := date_in_name(value)):
            return moment, "file"
    return None


# -- entry point --------------------------------------------------------------------------------------------
def parse_evaluation(
    data: Any,
    *,
    file: str,
    methodology_for: Chooser,
    period: Period | None,
    captured: tuple[datetime, str],
) -> list[ParsedSnapshot]:
    """Parse a whole evaluation file into snapshots; raise InputFileError naming the first bad place."""
    if isinstance(data, dict) and isinstance(data.get("departmentsIndex"), dict):
        return _parse_index(data, file, methodology_for, period)
    if isinstance(data, dict) and isinstance(data.get("department"), dict) and isinstance(data.get("groups"), list):
        return [_parse_city_history(data, file, methodology_for, period, captured)]
    meta: dict[str, Any] = {}
    if isinstance(data, dict):
        meta = {k: v for k, v in data.items() if not isinstance(v, list)}
        if isinstance(data.get("metadata"), dict):
            meta.update(data["metadata"])
    key = _list_key(data)
    records = data if isinstance(data, list) else (data[key] if key else [])
    where = key or "(danh sách)"
    chosen = period or period_from_meta(meta, file)
    if chosen is None:
        raise refuse(
            file, "metadata", "kỳ đánh giá (metadata.timeType, metadata.year) hoặc tham số --period", meta or None
        )
    m = methodology_for(chosen)
    captured_at, basis = _capture(meta, captured)
    default_kind = KIND_BY_KEY.get(key or "")
    units = _parse_records(records, where, file, m, default_kind, day=chosen.end)
    overview = data.get("overview") if isinstance(data, dict) else None
    if isinstance(overview, dict) and isinstance(overview.get("departmentCode"), str):
        code = normalise_unit_code(overview["departmentCode"])
        if code not in {u.code for u in units}:
            units.insert(0, _parse_record(overview, "overview", file, m, UnitKind.PROVINCE, 0))
    scope = text_or_none(meta.get("provinceCode")) or _common_scope(units)
    return [
        ParsedSnapshot(
            shape="evaluation-detail" if any(u.itemised for u in units) else "evaluation-list",
            scope=scope,
            period=chosen,
            captured_at=captured_at,
            captured_basis=basis,
            methodology=m.name,
            units=units,
            label=text_or_none(meta.get("periodLabel")) or text_or_none(meta.get("currentPeriod")) or key,
        )
    ]


def _parse_records(
    records: list[Any], where: str, file: str, m: Methodology, default_kind: UnitKind | None, *, day: date | None
) -> list[ParsedUnit]:
    if not records:
        raise refuse(file, where, "ít nhất một bản ghi đơn vị", "danh sách rỗng")
    units = []
    seen: set[str] = set()
    for i, rec in enumerate(records):
        place = f"{where}[{i}]"
        if not isinstance(rec, dict):
            raise refuse(file, place, "một bản ghi đơn vị (object JSON)", type(rec).__name__)
        unit = _parse_record(rec, place, file, m, default_kind, i + 1, day=day)
        if unit.code in seen:
            raise refuse(file, f"{place}.departmentCode", "mã đơn vị không trùng trong một tệp", unit.code)
        seen.add(unit.code)
        units.append(unit)
    return units


def _parse_city_history(
    data: dict[str, Any], file: str, methodology_for: Chooser, period: Period | None, captured: tuple[datetime, str]
) -> ParsedSnapshot:
    """766-HaNoi: the city's own record (groups with metrics) plus its departments."""
    chosen = period or period_from_meta(data, file)
    if chosen is None:
        raise refuse(file, "period", "kỳ đánh giá (period.timeType, period.year) hoặc tham số --period")
    m = methodology_for(chosen)
    captured_at, basis = _capture(data, captured)
    dept = data["department"]
    groups = {g["code"]: g for g in data["groups"] if isinstance(g, dict) and isinstance(g.get("code"), str)}
    city = {
        "departmentCode": dept.get("code"),
        "departmentName": dept.get("name"),
        "totalScore": data.get("totalScore"),
        "rank": data.get("rank"),
        "groupDetails": groups,
    }
    units = [_parse_record(city, "department", file, m, UnitKind.PROVINCE, 0)]
    departments = data.get("departments") or []
    if departments:
        units.extend(_parse_records(departments, "departments", file, m, None, day=chosen.end))
    return ParsedSnapshot(
        shape="evaluation-detail",
        scope=units[0].code,
        period=chosen,
        captured_at=captured_at,
        captured_basis=basis,
        methodology=m.name,
        units=units,
        label=text_or_none(data.get("day")),
    )


def _parse_index(
    data: dict[str, Any], file: str, methodology_for: Chooser, period: Period | None
) -> list[ParsedSnapshot]:
    """A tracker's index: every department's history by capture date (ddmmyyyy); one snapshot per date."""
    by_date: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for code, entry in data["departmentsIndex"].items():
        if not isinstance(entry, dict):
            raise refuse(file, f"departmentsIndex.{code}", "một object có history")
        history = entry.get("history") or {}
        if not isinstance(history, dict):
            raise refuse(file, f"departmentsIndex.{code}.history", "một object {ngày: bản ghi}")
        for day, rec in history.items():
            if not isinstance(rec, dict):
                raise refuse(file, f"departmentsIndex.{code}.history.{day}", "một bản ghi đơn vị")
            merged = {k: v for k, v in entry.items() if k not in ("history", "latest", "previous")}
            merged.update(rec)
            merged.setdefault("departmentCode", code)
            by_date.setdefault(day, []).append((code, merged))
    overview_history = data.get("overviewHistory") if isinstance(data.get("overviewHistory"), dict) else {}
    province = data.get("province") if isinstance(data.get("province"), dict) else {}
    snapshots = []
    for day in sorted(by_date, key=lambda d: date_in_name(d) or datetime.min):
        moment = date_in_name(day)
        if moment is None:
            raise refuse(file, f"history.{day}", "ngày dạng ddmmyyyy", day)
        entries = by_date[day]
        label = next((r.get("periodLabel") for _, r in entries if r.get("periodLabel")), None)
        try:
            found = period_from_label(label) if isinstance(label, str) else None
        except PeriodError as exc:
            raise refuse(file, f"history.{day}.periodLabel", "nhãn kỳ hợp lệ", label) from exc
        chosen = period or (plausible(found, file, f"history.{day}.periodLabel") if found else None)
        if chosen is None:
            raise refuse(file, f"history.{day}.periodLabel", "nhãn kỳ như 'Năm 2026', hoặc tham số --period", label)
        m = methodology_for(chosen)
        units = _parse_records([r for _, r in entries], f"departmentsIndex(ngày {day})", file, m, None,
                               day=chosen.end)  # fmt: skip
        over = overview_history.get(day)
        if isinstance(over, dict) and province.get("code"):
            record = {**over, "departmentCode": province["code"], "departmentName": province.get("name")}
            units.insert(0, _parse_record(record, f"overviewHistory.{day}", file, m, UnitKind.PROVINCE, 0))
        snapshots.append(
            ParsedSnapshot(
                shape="tracker-index",
                scope=text_or_none(province.get("code")) or _common_scope(units),
                period=chosen,
                captured_at=moment,
                captured_basis="file",
                methodology=m.name,
                units=units,
                label=f"{label} ({day})",
            )
        )
    if not snapshots:
        raise refuse(file, "departmentsIndex", "lịch sử của ít nhất một đơn vị", "không có")
    return snapshots


def _common_scope(units: list[ParsedUnit]) -> str:
    parents = {u.parent for u in units}
    if len(parents) == 1:
        return parents.pop() or NATIONAL
    provinces = {province_of(u.code) for u in units}
    if len(provinces) == 1 and None not in provinces:
        return provinces.pop() or NATIONAL
    return NATIONAL


# -- records ------------------------------------------------------------------------------------------------
def _parse_record(
    rec: dict[str, Any],
    place: str,
    file: str,
    m: Methodology,
    default_kind: UnitKind | None,
    record: int,
    *,
    day: date | None = None,
) -> ParsedUnit:
    rec = _flatten(rec)
    code_key, raw_code = _first(rec, CODE_KEYS)
    raw_code = text_or_none(raw_code)
    if raw_code is None or not is_unit_code(raw_code):
        raise refuse(file, f"{place}.{code_key or 'departmentCode'}", "mã đơn vị của Cổng (ví dụ H21.227)", raw_code)
    code = normalise_unit_code(raw_code)
    name = text_or_none(_first(rec, NAME_KEYS)[1]) or code
    kind = kind_from_child_group(_first(rec, KIND_KEYS)[1]) or default_kind or kind_from_name(name, day=day)
    if kind is None:
        kind = UnitKind.PROVINCE if default_parent(code) == NATIONAL else UnitKind.AGENCY
    try:
        _, total_raw = _first(rec, TOTAL_KEYS)
        total = decimal_or_none(total_raw)
        rank = int_or_none(_first(rec, RANK_KEYS)[1])
        group_rank = int_or_none(rec.get("groupRank"))
        delta = decimal_or_none(_first(rec, DELTA_KEYS)[1])
    except BadValueError as exc:
        raise refuse(file, place, "số ở tổng điểm, hạng, thay đổi điểm", detail=str(exc)) from exc
    group_key, raw_groups = _first(rec, GROUP_KEYS)
    groups = _parse_groups(raw_groups, f"{place}.{group_key}", file, m)
    block_key, blocks = _first(rec, BLOCK_KEYS)
    itemised = isinstance(blocks, dict) and bool(blocks)
    metrics: list[PublishedMetric] = []
    if itemised:
        groups, metrics = parse_blocks(blocks, groups, f"{place}.{block_key}", file, m)
    elif blocks is not None and not isinstance(blocks, dict):
        raise refuse(file, f"{place}.{block_key}", "một object theo nhóm chỉ số", type(blocks).__name__)
    return ParsedUnit(
        code=code,
        name=name,
        kind=str(kind),
        parent=default_parent(code, is_province=kind == UnitKind.PROVINCE),
        total=total,
        record=record,
        portal_rank=rank,
        portal_group_rank=group_rank,
        score_delta=delta,
        itemised=itemised,
        groups=groups,
        metrics=metrics,
    )


def _group_code(key: str, m: Methodology) -> str | None:
    for candidate in (key, key.split("_")[0]):
        if m.has_group(candidate):
            return m.group(candidate).code
    return None


def _parse_groups(raw: Any, place: str, file: str, m: Methodology) -> list[PublishedGroup]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise refuse(file, place, "object {mã nhóm: điểm}", type(raw).__name__)
    out = []
    for key, value in raw.items():
        code = _group_code(str(key), m)
        if code is None:
            raise refuse(file, f"{place}.{key}", f"mã nhóm của phương pháp {m.name}", key)
        try:
            if isinstance(value, dict):
                score, top = decimal_or_none(value.get("score")), decimal_or_none(value.get("maxScore"))
            else:
                score, top = decimal_or_none(value), None
        except BadValueError as exc:
            raise refuse(file, f"{place}.{key}", "điểm nhóm (số)", value) from exc
        out.append(PublishedGroup(code, score, top))
    return out


def parse_blocks(
    raw: dict[str, Any], groups: list[PublishedGroup], place: str, file: str, m: Methodology
) -> tuple[list[PublishedGroup], list[PublishedMetric]]:
    by_code = {g.code: g for g in groups}
    metrics: list[PublishedMetric] = []
    for block_key, block in raw.items():
        at = f"{place}.{block_key}"
        code = _group_code(str(block_key), m)
        if code is None:
            raise refuse(file, at, f"khối chỉ số của một nhóm thuộc phương pháp {m.name}", block_key)
        if not isinstance(block, dict):
            raise refuse(file, at, "một object", type(block).__name__)
        try:
            block_score = decimal_or_none(block.get("score"))
            block_max = decimal_or_none(block.get("maxScore"))
        except BadValueError as exc:
            raise refuse(file, at, "số ở score, maxScore", detail=str(exc)) from exc
        known = by_code.get(code)
        score = known.score if known and known.score is not None else block_score
        by_code[code] = PublishedGroup(
            code, score, block_max if block_max is not None else (known.max if known else None)
        )
        for metric_code, num_field, den_field in COUNT_METRICS.get(code, ()):
            if num_field not in block or (den_field and den_field not in block):
                continue
            try:
                num = decimal_or_none(block.get(num_field))
                den = decimal_or_none(block.get(den_field)) if den_field else None
                ratio = decimal_or_none(block.get("ratio")) if metric_code == "ON_TIME" else None
            except BadValueError as exc:
                raise refuse(file, f"{at}.{num_field}", "số", detail=str(exc)) from exc
            source = f"{block_key}.{num_field}" + (f"/{den_field}" if den_field else "")
            metrics.append(PublishedMetric(code, metric_code, num, den, ratio, None, None, None, source))
        items = block.get("metrics")
        if items is None:
            continue
        if not isinstance(items, list):
            raise refuse(file, f"{at}.metrics", "danh sách chỉ số", type(items).__name__)
        have = {x.code for x in metrics if x.group == code}
        for j, item in enumerate(items):
            parsed = _parse_metric(item, code, f"{at}.metrics[{j}]", file, m)
            if parsed.code in have:  # counts already read from the block for the same metric
                metrics = [x for x in metrics if not (x.group == code and x.code == parsed.code)]
            metrics.append(parsed)
    ordered = [by_code[g.code] for g in m.groups if g.code in by_code]
    return ordered, metrics


def _known_metric(m: Methodology, code: str) -> bool:
    try:
        m.metric(code)
    except KeyError:
        return False
    return True


def _parse_metric(item: Any, group: str, place: str, file: str, m: Methodology) -> PublishedMetric:
    if not isinstance(item, dict) or not text_or_none(item.get("code")):
        raise refuse(file, place, "một chỉ số có trường code", item)
    code = str(item["code"]).strip()
    if _known_metric(m, code):  # an unknown code is kept as published; verify lists it
        code = m.metric(code).code
    try:
        values = {k: decimal_or_none(item.get(k)) for k in ("numerator", "denominator", "ratio", "score", "maxScore")}
        if values["numerator"] is None and "value" in item:
            values["numerator"] = decimal_or_none(item.get("value"))  # display figures: days, counts
    except BadValueError as exc:
        raise refuse(file, place, "số ở numerator, denominator, ratio, score, maxScore", detail=str(exc)) from exc
    return PublishedMetric(
        group=group,
        code=code,
        numerator=values["numerator"],
        denominator=values["denominator"],
        ratio=values["ratio"],
        score=values["score"],
        max=values["maxScore"],
        name=text_or_none(item.get("name")),
        source_field=place.split(".", 1)[-1],
        data_quality=text_or_none(item.get("dataQualityStatus")),
        data_quality_message=text_or_none(item.get("dataQualityMessage")) or text_or_none(item.get("note")),
    )
