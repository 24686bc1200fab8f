"""Combine raw responses of one capture into snapshots: one per scope (a province's units, or the provinces).

Responses of the same period and capture time are one capture. Within it, every response is placed under the
unit it was asked for (the province of ``parent``/``overview``, or ``VN`` for the national list); the responses of
one scope combine into one snapshot whose units carry the total (``service-results``), each group's score (one
group endpoint each) and the group's metrics with numerators and denominators. Units that a response lists only
by ``departmentId`` get their code from the responses that carry both (trees, ``dossier-digitized``,
``service-results``) or from the id→code map kept from earlier captures (``portal_department``).

Nothing here touches the store: the caller passes the known map and stores what comes back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from chiso.domain.codes import NATIONAL, province_of
from chiso.domain.periods import Period
from chiso.domain.results import PublishedGroup, PublishedMetric
from chiso.domain.units import UnitKind
from chiso.errors import InputFileError
from chiso.methodology.model import Methodology
from chiso.official.api_shapes import CATALOGUE, SUMMARY, ApiNode, ApiResponse
from chiso.official.bundle import ParsedFile, ParsedSnapshot, ParsedUnit
from chiso.official.values import refuse

SHAPE = "portal-api"
SCOPES = ("all", "agencies", "communes")
SCOPE_KINDS = {"agencies": (UnitKind.AGENCY,), "communes": (UnitKind.COMMUNE,)}


@dataclass(frozen=True)
class Department:
    """One id→code pair and what the capture says of the unit."""

    department_id: str
    code: str
    name: str | None
    kind: str | None
    parent: str | None


@dataclass
class ScopeReport:
    scope: str
    endpoints: list[str]
    units: int
    missing_groups: dict[str, list[str]] = field(default_factory=dict)  # endpoint → units it does not list
    fingerprint: str = ""


@dataclass
class Built:
    """What a capture's responses make: a file of snapshots to store, the id map, what is incomplete."""

    parsed: ParsedFile | None
    departments: list[Department]
    scopes: list[ScopeReport]
    catalogue_items: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Unit:
    code: str
    name: str | None = None
    kind: UnitKind | None = None
    total: Decimal | None = None
    order: int | None = None
    group_order: int | None = None
    delta: Decimal | None = None
    groups: dict[str, PublishedGroup] = field(default_factory=dict)
    weak_groups: set[str] = field(default_factory=set)  # from radar/groupScores: a group endpoint overrides them
    metrics: list[PublishedMetric] = field(default_factory=list)
    endpoints: set[str] = field(default_factory=set)


# -- identities -----------------------------------------------------------------------------------------------
def department_pairs(responses: Sequence[ApiResponse]) -> dict[str, ApiNode]:
    """Every ``departmentId`` that a response pairs with a ``departmentCode``; two codes for one id refuse."""
    found: dict[str, ApiNode] = {}
    for r in responses:
        for node in [*([r.root] if r.root else []), *r.nodes]:
            if node.department_id is None or node.code is None:
                continue
            seen = found.get(node.department_id)
            if seen is not None and seen.code != node.code:
                raise refuse(
                    r.file,
                    f"{node.place}.departmentCode",
                    f"cùng mã {seen.code} như các phản hồi khác cho departmentId {node.department_id}",
                    node.code,
                )
            if seen is None or (seen.kind is None and node.kind is not None):
                found[node.department_id] = node
    return found


def _scope_of(r: ApiResponse, ids: dict[str, str]) -> str:
    if r.endpoint == SUMMARY and r.national:
        return NATIONAL
    root = r.root
    code = root.code if root else None
    if code is None and root is not None and root.department_id:
        code = ids.get(root.department_id)
    if code is None:  # the province of the units listed
        provinces = {province_of(ids.get(n.department_id or "", n.code or "")) for n in r.nodes} - {None}
        code = provinces.pop() if len(provinces) == 1 else None
    if code is None:
        raise _unknown_codes(r.file, "data.overview" if r.family == "list" else "data.parent")
    return code


def _unknown_codes(file: str, place: str) -> InputFileError:
    return refuse(
        file,
        place,
        "mã đơn vị: phản hồi này chỉ có departmentId. Hãy nhập cùng lúc một phản hồi có cả departmentId và "
        "departmentCode của cùng tỉnh (dvc-progress-tree, provide-online-tree, formality-online-payment-tree, "
        "dossier-digitized hoặc service-results của tỉnh), hoặc nhập phản hồi đó trước",
    )


def scopes_of(responses: Sequence[ApiResponse], known_ids: dict[str, str]) -> set[str]:
    """The scopes these responses would fill (those that can be told without combining)."""
    pairs = department_pairs(responses)
    ids = {**known_ids, **{k: v.code for k, v in pairs.items() if v.code}}
    out = set()
    for r in responses:
        if r.endpoint == CATALOGUE:
            continue
        try:
            out.add(_scope_of(r, ids))
        except InputFileError:
            continue
    return out


# -- combining ------------------------------------------------------------------------------------------------
def build_capture(
    responses: Sequence[ApiResponse],
    *,
    period: Period,
    captured: tuple[datetime, str],
    methodology: Methodology,
    known_ids: dict[str, str],
    label: str,
    path: str,
    size: int,
    scope_filter: str = "all",
) -> Built:
    """Combine one capture's responses; refuse (InputFileError naming the file and place) what cannot be joined."""
    pairs = department_pairs(responses)
    ids = {**known_ids, **{k: v.code for k, v in pairs.items() if v.code}}
    by_scope: dict[str, list[ApiResponse]] = {}
    catalogue = 0
    for r in responses:
        if r.endpoint == CATALOGUE:
            catalogue += r.items
            continue
        by_scope.setdefault(_scope_of(r, ids), []).append(r)
    snapshots: list[ParsedSnapshot] = []
    reports: list[ScopeReport] = []
    warnings: list[str] = []
    for scope, group in sorted(by_scope.items(), key=lambda kv: (kv[0] != NATIONAL, kv[0])):
        units, report = _combine_scope(scope, group, ids, scope_filter)
        snapshot = ParsedSnapshot(
            shape=SHAPE,
            scope=scope,
            period=period,
            captured_at=captured[0],
            captured_basis=captured[1],
            methodology=methodology.name,
            units=units,
            label=", ".join(report.endpoints),
        )
        report.fingerprint = fingerprint(snapshot)
        snapshots.append(snapshot)
        reports.append(report)
        for endpoint, codes in report.missing_groups.items():
            shown = ", ".join(codes[:5]) + (f" và {len(codes) - 5} đơn vị khác" if len(codes) > 5 else "")
            warnings.append(f"{endpoint} không có đơn vị {shown} (thuộc {scope}): nhóm này của đơn vị để trống")
    departments = [
        Department(k, v.code, v.name, str(v.kind) if v.kind else None, None) for k, v in sorted(pairs.items()) if v.code
    ]
    parsed = None
    if snapshots:
        file_id = capture_id(period, captured[0], [r.fingerprint for r in reports])
        parsed = ParsedFile(path, file_id, size, SHAPE, snapshots, warnings)
    return Built(parsed, departments, reports, catalogue, warnings)


def _combine_scope(
    scope: str, responses: list[ApiResponse], ids: dict[str, str], scope_filter: str
) -> tuple[list[ParsedUnit], ScopeReport]:
    by_endpoint: dict[str, list[ApiResponse]] = {}
    for r in responses:
        by_endpoint.setdefault(r.endpoint, []).append(r)
    units: dict[str, _Unit] = {}
    listed: dict[str, set[str]] = {}
    # the summary first: its kinds, totals and order are the unit's; group endpoints override its group scores
    for endpoint in sorted(by_endpoint, key=lambda e: (e != SUMMARY, e)):
        pages = _pages(endpoint, by_endpoint[endpoint])
        listed[endpoint] = set()
        for page, r in enumerate(pages):
            if r.root is not None and scope != NATIONAL and page == 0:
                _merge(units, scope, r.root, r, UnitKind.PROVINCE)
            seen: set[str] = set()
            for node in r.nodes:
                code = node.code or ids.get(node.department_id or "")
                if code is None:
                    raise _unknown_codes(r.file, node.place)
                if code in seen:
                    raise refuse(r.file, node.place, "mỗi đơn vị một lần trong một phản hồi", code)
                seen.add(code)
                listed[endpoint].add(code)
                _merge(units, code, node, r, UnitKind.PROVINCE if scope == NATIONAL else None)
    keep = SCOPE_KINDS.get(scope_filter)
    out: list[ParsedUnit] = []
    ordered = sorted(units.values(), key=lambda u: (u.code != scope, u.order is None, u.order or 0, _natural(u.code)))
    for i, u in enumerate(ordered, start=1):
        kind = u.kind or UnitKind.AGENCY
        if keep and u.code != scope and kind not in keep:
            continue
        out.append(
            ParsedUnit(
                code=u.code,
                name=u.name or u.code,
                kind=str(kind),
                parent=NATIONAL if (u.code == scope or scope == NATIONAL) else scope,
                total=u.total,
                record=i,
                portal_rank=u.order,
                portal_group_rank=u.group_order,
                score_delta=u.delta,
                itemised=bool(u.metrics),
                groups=list(u.groups.values()),
                metrics=u.metrics,
            )
        )
    kept = {u.code for u in out}
    missing = {
        endpoint: sorted((kept - codes - {scope}), key=_natural)
        for endpoint, codes in listed.items()
        if endpoint != SUMMARY and kept - codes - {scope}
    }
    return out, ScopeReport(scope, sorted(by_endpoint), len(out), missing)


def _merge(units: dict[str, _Unit], code: str, node: ApiNode, r: ApiResponse, kind: UnitKind | None) -> None:
    u = units.setdefault(code, _Unit(code))
    u.endpoints.add(r.endpoint)
    if u.name is None or r.endpoint == SUMMARY:
        u.name = node.name or u.name
    if kind is not None:
        u.kind = kind
    elif u.kind is None or r.endpoint == SUMMARY:
        u.kind = node.kind or u.kind
    if r.endpoint == SUMMARY:
        u.total = node.total
        u.order = node.order
        u.group_order = node.group_order
        if node.score_delta is not None:
            u.delta = node.score_delta
        for g in node.groups:
            if g.code not in u.groups:
                u.groups[g.code] = g
                u.weak_groups.add(g.code)
        return
    for g in node.groups:
        if g.code in u.groups and g.code not in u.weak_groups:
            raise refuse(r.file, node.place, f"nhóm {g.code} của đơn vị {code} chỉ trong một phản hồi", g.code)
        u.groups[g.code] = g
        u.weak_groups.discard(g.code)
    u.metrics.extend(node.metrics)


def _pages(endpoint: str, responses: list[ApiResponse]) -> list[ApiResponse]:
    """The pages of one endpoint in order; refuse a capture that lacks a page or holds two different copies."""
    paged = [r for r in responses if r.pagination is not None and r.pagination.current is not None]
    if not paged:
        if len(responses) > 1:
            raise refuse(
                responses[1].file, "data", f"một phản hồi {endpoint} trong một lần lấy số liệu", "hai phản hồi"
            )
        return responses
    by_page: dict[int, ApiResponse] = {}
    for r in paged:
        assert r.pagination is not None
        assert r.pagination.current is not None
        if r.pagination.current in by_page:
            raise refuse(r.file, "data.pagination.currentPage", "mỗi trang một lần", r.pagination.current)
        by_page[r.pagination.current] = r
    first = by_page[min(by_page)].pagination
    assert first is not None
    pages = first.pages or 1
    absent = [p for p in range(1, pages + 1) if p not in by_page]
    if absent:
        raise refuse(
            paged[0].file,
            "data.pagination",
            f"đủ {pages} trang của {endpoint} (thiếu trang {', '.join(map(str, absent[:5]))})",
            detail="import every page of the endpoint together",
        )
    ordered = [by_page[p] for p in sorted(by_page)]
    count = sum(len(r.nodes) for r in ordered)
    if first.total is not None and count != first.total:
        raise refuse(
            paged[0].file,
            "data.pagination.total",
            f"{first.total} đơn vị như Cổng ghi (các trang có {count})",
            detail="a page is truncated or the list changed between pages",
        )
    return ordered


def _natural(code: str) -> tuple[Any, ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in code.split("."))


# -- fingerprints ---------------------------------------------------------------------------------------------
def _plain(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def fingerprint(snapshot: ParsedSnapshot) -> str:
    """A digest of the figures (not of the bytes or the capture time): unchanged figures give the same one."""
    rows = []
    for u in sorted(snapshot.units, key=lambda x: x.code):
        rows.append(
            [
                u.code, u.name, u.kind, u.parent, _plain(u.total), u.portal_rank, _plain(u.score_delta),
                sorted([g.code, _plain(g.score), _plain(g.max)] for g in u.groups),
                sorted(
                    [m.group, m.code, _plain(m.numerator), _plain(m.denominator), _plain(m.ratio), _plain(m.score),
                     _plain(m.max), m.data_quality]
                    for m in u.metrics
                ),
            ]
        )  # fmt: skip
    text = json.dumps([snapshot.scope, snapshot.period.key, snapshot.methodology, rows], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def capture_id(period: Period, captured_at: datetime, fingerprints: Sequence[str]) -> str:
    text = "\n".join(["portal-capture", period.key, captured_at.isoformat(), *sorted(fingerprints)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


Chooser = Callable[[Period], Methodology]
