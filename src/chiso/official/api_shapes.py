"""One raw response of the portal's evaluation API, read as the portal sends it (docs/portal.md).

Every response is an envelope ``{"code": "OK", "data": {...}, "message": "OK"}``. By its ``data`` it belongs to
one of four families (portal-api.md §2):

* summary (``service-results``): ``overview`` + ``evaluation[]`` of unit totals (a province's units with
  ``childGroup``, or the national list of provinces with ``groupScores``), sorted by total: the list position is
  the portal's printed order;
* list (``transparency``, ``dossier-digitized``, ``handling-satisfaction``): ``overview`` (the province) +
  ``evaluation[]`` with one group's ``metrics`` per unit, ``pagination``; only ``dossier-digitized`` carries
  ``departmentCode``, the others only ``departmentId``;
* tree (``dvc-progress-tree``, ``provide-online-tree``, ``formality-online-payment-tree``): ``parent`` +
  ``children[]`` with one group's score and counts;
* catalogue (``/api/v1/reporting/formalities``): ``items[]`` of procedures, ``pagination``.

This module reads one response into nodes (a unit as that response shows it) without knowing the others; the
combination into a snapshot is ``official/api_import.py``. Which group an endpoint scores comes from the
methodology data (``groups[].endpoint``), the metric lists and count fields from ``official/detail.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chiso.domain.codes import is_unit_code, normalise_unit_code
from chiso.domain.results import PublishedGroup, PublishedMetric
from chiso.domain.units import UnitKind, kind_from_child_group, kind_from_name
from chiso.methodology.model import Methodology
from chiso.official.detail import parse_blocks
from chiso.official.values import BadValueError, decimal_or_none, int_or_none, refuse, text_or_none

SUMMARY = "service-results"
CATALOGUE = "formalities"
TREES = ("dvc-progress-tree", "provide-online-tree", "formality-online-payment-tree")
LISTS = ("transparency", "dossier-digitized", "handling-satisfaction")
ENDPOINTS = (SUMMARY, *LISTS, *TREES, CATALOGUE)
FAMILY = {SUMMARY: "summary", CATALOGUE: "catalogue", **dict.fromkeys(TREES, "tree"), **dict.fromkeys(LISTS, "list")}

# Fields that only one tree publishes (portal-api.md §5.4): how a saved tree response says which it is.
TREE_MARKS = {
    "dvc-progress-tree": ("totalReceived", "totalOnTime", "avgProcessingDays"),
    "formality-online-payment-tree": ("totalDossierOnlinePaymentSuccess", "totalFeeFormality"),
    "provide-online-tree": ("authorityCount", "onlineServiceTotal", "channelTotalSum"),
}
BLOCKED_WORDS = ("request rejected", "the requested url was rejected", "support id", "ndc waf")


@dataclass(frozen=True)
class Pagination:
    total: int | None
    current: int | None
    size: int | None
    pages: int | None


@dataclass
class ApiNode:
    """A unit as one response shows it: identity, kind, and what this response scores of it."""

    place: str
    department_id: str | None
    code: str | None
    name: str | None
    kind: UnitKind | None
    total: Decimal | None = None
    order: int | None = None  # the portal's printed order: its ``rank``, else the position in a summary list
    group_order: int | None = None  # ``groupRank`` when the portal publishes it
    score_delta: Decimal | None = None
    groups: list[PublishedGroup] = field(default_factory=list)
    metrics: list[PublishedMetric] = field(default_factory=list)


@dataclass
class ApiResponse:
    """One page of one endpoint."""

    file: str
    endpoint: str
    root: ApiNode | None  # overview / parent: the province (None for the national list's 'Cả nước')
    nodes: list[ApiNode]
    pagination: Pagination | None
    national: bool = False  # service-results listing provinces
    items: int = 0  # catalogue: procedures on this page

    @property
    def family(self) -> str:
        return FAMILY[self.endpoint]

    @property
    def group(self) -> str | None:
        codes = {g.code for n in [*self.nodes, *([self.root] if self.root else [])] for g in n.groups}
        return codes.pop() if len(codes) == 1 and self.family in ("list", "tree") else None


def is_envelope(content: Any) -> bool:
    """The API's envelope: an object with ``code`` and ``data`` (``message`` usually too)."""
    return isinstance(content, dict) and "code" in content and "data" in content and len(content) <= 4


def unwrap(content: Any, file: str) -> dict[str, Any]:
    """``data`` of an envelope whose ``code`` says success; refuse anything else with the portal's message."""
    code = content.get("code")
    if code not in ("OK", 200, "200"):
        message = text_or_none(content.get("message")) or "không có lời nhắn"
        raise refuse(file, "code", 'mã "OK" của Cổng DVCQG', code, detail=f"portal message: {message}")
    data = content.get("data")
    if data is None:
        raise refuse(file, "data", "dữ liệu kết quả (Cổng trả về data: null, không có số liệu)", "null")
    if not isinstance(data, dict):
        raise refuse(file, "data", "một object dữ liệu", type(data).__name__)
    return data


def endpoint_of(data: dict[str, Any], m: Methodology, file: str) -> str:
    """Which endpoint a saved response came from, read from its content (the request is not in the file)."""
    if isinstance(data.get("items"), list):
        return CATALOGUE
    if isinstance(data.get("children"), list) or isinstance(data.get("parent"), dict):
        parent = data.get("parent") if isinstance(data.get("parent"), dict) else {}
        children = data.get("children") if isinstance(data.get("children"), list) else []
        fields = set(parent)
        for child in children[:1]:
            fields |= set(child) if isinstance(child, dict) else set()
        for endpoint, marks in TREE_MARKS.items():
            if fields & set(marks):
                return endpoint
        top = _max_of(parent) or next((_max_of(c) for c in children if _max_of(c) is not None), None)
        for g in m.groups:
            if g.endpoint in TREES and top is not None and g.max == top:
                return g.endpoint
        raise refuse(file, "data.parent", "một cây kết quả của nhóm tiến độ, DVC trực tuyến hoặc thanh toán")
    if "evaluation" in data:
        entries = data["evaluation"] if isinstance(data["evaluation"], list) else []
        first = next((e for e in [data.get("overview"), *entries] if isinstance(e, dict) and "metrics" in e), None)
        if first is None:
            return SUMMARY
        metrics = first.get("metrics")
        for item in metrics if isinstance(metrics, list) else []:
            code = text_or_none(item.get("code")) if isinstance(item, dict) else None
            endpoint = _endpoint_of_metric(code, m)
            if endpoint:
                return endpoint
        raise refuse(file, "data.evaluation[0].metrics", f"mã chỉ số thuộc phương pháp {m.name}")
    raise refuse(
        file,
        "data",
        "phản hồi của API đánh giá (overview/evaluation, parent/children) hoặc danh mục thủ tục (items)",
        ", ".join(sorted(data)[:6]),
    )


def _max_of(node: Any) -> Decimal | None:
    if not isinstance(node, dict):
        return None
    try:
        return decimal_or_none(node.get("totalMaxScore", node.get("maxScore")))
    except BadValueError:
        return None


def _endpoint_of_metric(code: str | None, m: Methodology) -> str | None:
    if code is None:
        return None
    try:
        return m.group_of(code).endpoint
    except KeyError:
        return None


def group_of_endpoint(endpoint: str, m: Methodology, file: str) -> str:
    for g in m.groups:
        if g.endpoint == endpoint:
            return g.code
    raise refuse(file, "endpoint", f"một endpoint có nhóm chỉ số trong phương pháp {m.name}", endpoint)


def pagination_of(data: dict[str, Any], file: str) -> Pagination | None:
    raw = data.get("pagination")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise refuse(file, "data.pagination", "object {total, currentPage, pageSize, totalPages}", raw)
    try:
        return Pagination(
            int_or_none(raw.get("total")),
            int_or_none(raw.get("currentPage")),
            int_or_none(raw.get("pageSize")),
            int_or_none(raw.get("totalPages")),
        )
    except BadValueError as exc:
        raise refuse(file, "data.pagination", "số nguyên ở total, currentPage, totalPages", detail=str(exc)) from exc


# -- reading a response --------------------------------------------------------------------------------------
def read_response(content: Any, *, file: str, m: Methodology, endpoint: str | None = None) -> ApiResponse:
    """Read one envelope; ``endpoint`` is the request's when known (fetch), else read from the content."""
    if not is_envelope(content):
        raise refuse(file, "cấp gốc", "phản hồi của Cổng DVCQG {code, data, message}")
    data = unwrap(content, file)
    found = endpoint_of(data, m, file)
    if endpoint is not None and endpoint != found:
        raise refuse(file, "data", f"phản hồi của {endpoint}", f"dữ liệu giống {found}")
    chosen = endpoint or found
    pages = pagination_of(data, file)
    if chosen == CATALOGUE:
        return ApiResponse(file, chosen, None, [], pages, items=len(data["items"]))
    if chosen == SUMMARY:
        return _read_summary(data, file, m, pages)
    group = group_of_endpoint(chosen, m, file)
    if chosen in TREES:
        root = data.get("parent")
        entries, key = data.get("children"), "children"
        root_place = "data.parent"
    else:
        root = data.get("overview")
        entries, key = data.get("evaluation"), "evaluation"
        root_place = "data.overview"
    if not isinstance(entries, list):
        raise refuse(file, f"data.{key}", "danh sách đơn vị", type(entries).__name__)
    root_node = _scored_node(root, root_place, file, m, group, is_root=True) if isinstance(root, dict) else None
    nodes = [_scored_node(e, f"data.{key}[{i}]", file, m, group, is_root=False) for i, e in enumerate(entries)]
    return ApiResponse(file, chosen, root_node, nodes, pages)


def _identity(rec: Any, place: str, file: str, *, is_root: bool) -> tuple[str | None, str | None, str | None]:
    if not isinstance(rec, dict):
        raise refuse(file, place, "một bản ghi đơn vị (object JSON)", type(rec).__name__)
    dept_id = text_or_none(rec.get("departmentId"))
    raw_code = text_or_none(rec.get("departmentCode"))
    if raw_code is not None and not is_unit_code(raw_code):
        raise refuse(file, f"{place}.departmentCode", "mã đơn vị của Cổng (ví dụ H44.23)", raw_code)
    code = normalise_unit_code(raw_code) if raw_code else None
    if dept_id is None and code is None and not is_root:
        raise refuse(file, place, "departmentId hoặc departmentCode của đơn vị", rec.get("departmentName"))
    return dept_id, code, text_or_none(rec.get("departmentName"))


def child_kind(rec: dict[str, Any], name: str | None) -> UnitKind | None:
    """Kind of a unit under a province: ``childGroup``, else ``level``/``departmentLevel`` (PROVINCE there means
    a provincial agency, COMMUNE a commune), else ``departmentType``, else the name."""
    kind = kind_from_child_group(rec.get("childGroup"))
    if kind is not None:
        return kind
    level = str(rec.get("level") or rec.get("departmentLevel") or "").strip().upper()
    if level == "COMMUNE":
        return UnitKind.COMMUNE
    if level == "DISTRICT":
        return UnitKind.DISTRICT
    if level == "PROVINCE":
        return UnitKind.AGENCY
    dept_type = str(rec.get("departmentType") or "").upper()
    if "COMMUNE" in dept_type:
        return UnitKind.COMMUNE
    if "DEPARTMENT" in dept_type:
        return UnitKind.AGENCY
    return kind_from_name(name) if name else None


def _number(rec: dict[str, Any], key: str, place: str, file: str) -> Decimal | None:
    try:
        return decimal_or_none(rec.get(key))
    except BadValueError as exc:
        raise refuse(file, f"{place}.{key}", "một số", rec.get(key)) from exc


def _scored_node(rec: Any, place: str, file: str, m: Methodology, group: str, *, is_root: bool) -> ApiNode:
    """A list entry or tree node: one group's score (``score``/``totalScore``) and its metrics or counts."""
    dept_id, code, name = _identity(rec, place, file, is_root=is_root)
    block = dict(rec)
    block["score"] = rec.get("score", rec.get("totalScore"))
    block["maxScore"] = rec.get("maxScore", rec.get("totalMaxScore"))
    if "metrics" in rec and rec["metrics"] is None:
        block["metrics"] = []
    groups, metrics = parse_blocks({group: block}, [], place, file, m)
    return ApiNode(
        place=place,
        department_id=dept_id,
        code=code,
        name=name,
        kind=UnitKind.PROVINCE if is_root else child_kind(rec, name),
        score_delta=_number(rec, "scoreDelta", place, file),
        groups=groups,
        metrics=metrics,
    )


def _read_summary(data: dict[str, Any], file: str, m: Methodology, pages: Pagination | None) -> ApiResponse:
    entries = data.get("evaluation")
    if not isinstance(entries, list):
        raise refuse(file, "data.evaluation", "danh sách đơn vị", type(entries).__name__)
    overview = data.get("overview")
    national = isinstance(overview, dict) and overview.get("departmentCode") is None
    if not isinstance(overview, dict) and entries:
        national = any(isinstance(e, dict) and isinstance(e.get("groupScores"), dict) for e in entries)
    root = None
    if isinstance(overview, dict) and not national:
        _, code, name = _identity(overview, "data.overview", file, is_root=True)
        root = ApiNode(
            "data.overview", None, code, name, UnitKind.PROVINCE,
            total=_number(overview, "totalScore", "data.overview", file),
            groups=_radar_groups(data.get("radar"), file, m),
        )  # fmt: skip
    nodes = []
    for i, e in enumerate(entries):
        place = f"data.evaluation[{i}]"
        dept_id, code, name = _identity(e, place, file, is_root=False)
        nodes.append(
            ApiNode(
                place=place,
                department_id=dept_id,
                code=code,
                name=name,
                kind=UnitKind.PROVINCE if national else child_kind(e, name),
                total=_number(e, "totalScore", place, file),
                order=_whole(e, "rank", place, file) or i + 1,
                group_order=_whole(e, "groupRank", place, file),
                score_delta=_number(e, "scoreDelta", place, file),
                groups=_group_scores(e.get("groupScores"), f"{place}.groupScores", file, m),
            )
        )
    return ApiResponse(file, SUMMARY, root, nodes, pages, national=national)


def _whole(rec: dict[str, Any], key: str, place: str, file: str) -> int | None:
    try:
        return int_or_none(rec.get(key))
    except BadValueError as exc:
        raise refuse(file, f"{place}.{key}", "một số nguyên", rec.get(key)) from exc


def _group_scores(raw: Any, place: str, file: str, m: Methodology) -> list[PublishedGroup]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise refuse(file, place, "object {mã nhóm: điểm}", type(raw).__name__)
    out = []
    for key, value in raw.items():
        code = _exact_group(str(key), m)
        if code is None:
            raise refuse(file, f"{place}.{key}", f"mã nhóm của phương pháp {m.name}", key)
        try:
            out.append(PublishedGroup(code, decimal_or_none(value), None))  # no maximum published here
        except BadValueError as exc:
            raise refuse(file, f"{place}.{key}", "điểm nhóm (số)", value) from exc
    return out


def _exact_group(key: str, m: Methodology) -> str | None:
    """A group code or alias as written (``ONLINE_SERVICE``, the radar's CLGQ + TTTT, is not a group)."""
    return m.group(key).code if m.has_group(key) else None


def _radar_groups(raw: Any, file: str, m: Methodology) -> list[PublishedGroup]:
    """The province's groups from ``radar`` (``ONLINE_SERVICE`` = CLGQ + TTTT is left out: not one group)."""
    if not isinstance(raw, list):
        return []
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        code = _exact_group(str(item.get("code") or ""), m)
        if code is None:
            continue
        place = f"data.radar[{i}]"
        out.append(PublishedGroup(code, _number(item, "score", place, file), _number(item, "maxScore", place, file)))
    return out


def looks_blocked(body: bytes, content_type: str | None) -> bool:
    """A web firewall's page instead of JSON (portal-api.md §8.2)."""
    head = body[:4000].decode("utf-8", "replace").lower()
    if content_type and "html" in content_type.lower():
        return True
    return any(word in head for word in BLOCKED_WORDS) or head.lstrip().startswith(("<!doctype", "<html"))
