"""Raw responses of the portal's evaluation API imported by file (chiso import-official): every real capture."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chiso.cli.app import app
from chiso.domain.periods import Period
from chiso.errors import ChisoError
from chiso.methodology import load_methodology
from chiso.official.api_import import build_capture, fingerprint
from chiso.official.api_shapes import read_response
from chiso.store import queries as q
from chiso.workspace import Workspace
from tests.conftest import REAL

API = REAL / "api"
YEAR = sorted(API.glob("*/phutho-H44-year2026-*.json")) + sorted(API.glob("handling-satisfaction/*.json"))
MONTH = sorted(API.glob("*/phutho-H44-2026-08-*.json"))
# every capture of shared/real/dvcqg/api with its period and capture time (README there)
GROUPS = [
    (YEAR, "2026", "2026-09-26T11:21:10Z"),
    (MONTH, "2026-08", "2026-09-26T18:14:41Z"),
    (sorted(API.glob("provide-online-tree/*2026Q3*")), "2026-Q3", "2026-09-26T11:22:00Z"),
    (sorted(API.glob("service-results/*year2026*")), "2026", "2026-10-09T01:00:00+07:00"),
    (sorted(API.glob("service-results/*month*")), "2026-02", "2026-09-30T00:00:00+07:00"),
    (sorted(API.glob("formalities/*.json")), "2026", "2026-09-26T11:22:36Z"),
]
M = load_methodology("dvcqg-live")
H44_23 = "H44.23"  # Thanh tra tỉnh Phú Thọ: DOSSIER_SYNC 0/0 with no national report data


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _import(ws: Workspace, files, period: str, at: str):
    return ws.import_official(files, period=Period.parse(period), captured_at=_at(at))


def test_every_real_file_is_used_by_the_table_above():
    listed = {f for files, _, _ in GROUPS for f in files}
    assert listed == set(API.glob("*/*.json")) and len(listed) == 14


def test_every_real_capture_imports_and_verifies_with_no_mismatch(ws: Workspace):
    for files, period, at in GROUPS:
        outcomes = _import(ws, files, period, at)
        assert all(o.error is None for o in outcomes), [o.error.message for o in outcomes if o.error]
    v = ws.verify().verification
    assert v.mismatches == []
    assert v.checked > 10_000
    scopes = sorted((s.period, s.scope, s.units) for s in ws.snapshots())
    assert scopes == [
        ("2026", "H21", 150), ("2026", "H44", 164), ("2026", "VN", 34),
        ("2026-02", "H21", 150), ("2026-08", "H44", 164), ("2026-Q3", "H44", 164),
    ]  # fmt: skip


@pytest.mark.slow
def test_verify_command_finds_no_mismatch_on_every_real_file(tmp_path: Path):
    from typer.testing import CliRunner

    runner = CliRunner()
    db = str(tmp_path / "cli.duckdb")
    for files, period, at in GROUPS:
        result = runner.invoke(app, ["--db", db, "import-official", "--period", period, "--captured-at", at,
                                     *map(str, files)])  # fmt: skip
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["--db", db, "verify"])
    assert result.exit_code == 0, result.output
    assert "0 sai lệch" in result.output


def test_the_year_responses_combine_into_one_snapshot_with_groups_and_metrics(ws: Workspace):
    outcomes = _import(ws, YEAR, "2026", "2026-09-26T11:21:10Z")
    assert [o.report.status for o in outcomes].count("imported") == 1
    assert [o.report.status for o in outcomes].count("combined") == 5
    (snap,) = ws.snapshots()
    units = {u.unit: u for u in q.published_units(ws.store, [snap.snapshot_id])}
    assert len(units) == 164 and units["H44"].kind == "province"
    kinds = {u.kind for c, u in units.items() if c != "H44"}
    assert kinds == {"agency", "commune"}
    inspector = units[H44_23]
    assert {g.code for g in inspector.groups} == {"CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH"}
    assert inspector.group("CKMB").score == Decimal("1.96")
    sync = next(m for m in inspector.metrics if m.code == "DOSSIER_SYNC")
    assert (sync.numerator, sync.denominator, sync.ratio, sync.score) == (0, 0, None, None)
    assert sync.data_quality == "NO_NATIONAL_REPORT_DATA"
    copy_ = next(m for m in units["H44.01"].metrics if m.code == "ELECTRONIC_CERTIFIED_COPY")
    assert (copy_.numerator, copy_.denominator, copy_.ratio, copy_.score) == (None, None, 100, 2)
    on_time = next(m for m in units["H44.01"].metrics if m.code == "ON_TIME")
    assert (on_time.numerator, on_time.denominator) == (156, 161)


def test_zero_over_zero_metrics_are_scored_as_the_portal_scores_them(ws: Workspace):
    """DOSSIER_SYNC 0/0 → no points (group 1.96 without it); petitions 0/0 → full marks; dossiers 0/0 → 0."""
    from chiso.scoring.rules import metric_points

    _import(ws, YEAR, "2026", "2026-09-26T11:21:10Z")
    (snap,) = ws.snapshots()
    checked = 0
    for u in q.published_units(ws.store, [snap.snapshot_id]):
        for pm in u.metrics:
            if pm.denominator == 0 and pm.score is not None and M.metric(pm.code).scored:
                assert metric_points(M.metric(pm.code), 0, 0).score == pm.score, (u.unit, pm.code)
                checked += 1
    assert checked > 100


def test_a_response_cannot_say_its_period_or_time_so_the_message_names_the_options(ws: Workspace):
    (o,) = ws.import_official([YEAR[0]])
    assert o.error is not None and "--period" in o.error.message and "--captured-at" in o.error.message
    (o,) = ws.import_official([YEAR[0]], period=Period.year(2026))
    assert "--captured-at" in o.error.message and "--period" not in o.error.message
    (o,) = ws.import_official([YEAR[0]], captured_at=datetime(2026, 9, 26, tzinfo=UTC))
    assert "--period" in o.error.message and "--captured-at" not in o.error.message
    assert ws.snapshots() == []


def test_units_listed_only_by_id_join_through_the_stored_map(ws: Workspace):
    transparency = next(f for f in YEAR if f.parent.name == "transparency")
    (o,) = _import(ws, [transparency], "2026", "2026-09-26T11:20:53Z")
    assert o.error is not None and "departmentId" in o.error.message and "dossier-digitized" in o.error.message
    tree = next(f for f in YEAR if f.parent.name == "dvc-progress-tree")
    assert _import(ws, [tree], "2026", "2026-09-26T11:21:36Z")[0].error is None
    (o,) = _import(ws, [transparency], "2026", "2026-09-26T11:20:53Z")  # now the map from the tree joins it
    assert o.error is None and o.report.snapshots[0].units == 164
    assert ws.store.table("portal_department").count().to_pyarrow().as_py() == 164


def test_reimport_is_a_duplicate_and_a_later_identical_capture_only_confirms(ws: Workspace):
    _import(ws, YEAR, "2026", "2026-09-26T11:21:10Z")
    again = _import(ws, YEAR, "2026", "2026-09-26T11:21:10Z")
    assert {o.report.status for o in again} == {"duplicate"}
    later = _import(ws, YEAR, "2026", "2026-09-27T11:00:00Z")
    assert later[0].report.status == "unchanged"
    assert len(ws.snapshots()) == 1
    r = ws.ranking(period=Period.year(2026), parent="H44")
    assert r.tables[0].checked_at == _at("2026-09-27T11:00:00Z")


def _content(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_pages_saved_as_separate_files_combine_and_a_missing_page_refuses(ws: Workspace, tmp_path: Path):
    source = _content(next(f for f in YEAR if f.parent.name == "dossier-digitized"))
    everything = source["data"]["evaluation"]
    pages = []
    for n, start in enumerate(range(0, len(everything), 100), start=1):
        page = copy.deepcopy(source)
        page["data"]["evaluation"] = everything[start : start + 100]
        page["data"]["pagination"] = {"total": len(everything), "currentPage": n, "pageSize": 100, "totalPages": 2}
        path = tmp_path / f"dossier-page{n}.json"
        path.write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
        pages.append(path)
    (only,) = _import(ws, pages[:1], "2026", "2026-09-26T11:21:19Z")
    assert only.error is not None and "thiếu trang 2" in only.error.message
    outcomes = _import(ws, pages, "2026", "2026-09-26T11:21:19Z")
    assert outcomes[0].error is None and outcomes[0].report.snapshots[0].units == 164


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda c: c.update(code="ERROR", message="Lỗi hệ thống"), "mã \"OK\""),
        (lambda c: c.update(data=None), "data: null"),
        (lambda c: c["data"].update(evaluation="x"), "danh sách đơn vị"),
        (lambda c: c["data"]["evaluation"][3].update(totalScore="nhiều"), "evaluation[3].totalScore"),
    ],
)
def test_a_bad_response_is_refused_with_its_place(ws: Workspace, tmp_path: Path, change, words: str):
    content = _content(next(API.glob("service-results/*year2026*")))
    change(content)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    (o,) = _import(ws, [path], "2026", "2026-10-09T01:00:00Z")
    assert o.error is not None and words in o.error.message and "Tệp không được nhập" in o.error.message


def _build(contents: list[dict]):
    responses = [read_response(c, file=f"r{i}", m=M) for i, c in enumerate(contents)]
    return build_capture(responses, period=Period.year(2026), captured=(_at("2026-09-26T11:00:00Z"), "user"),
                         methodology=M, known_ids={}, label="t", path="t", size=0)  # fmt: skip


YEAR_CONTENTS = [_content(f) for f in YEAR]
FUZZ_CONTENTS = YEAR_CONTENTS + [_content(f) for f in sorted(API.glob("service-results/*.json"))]
BASE_PRINT = fingerprint(_build(YEAR_CONTENTS).parsed.snapshots[0])


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=170))
def test_order_of_units_and_pages_does_not_change_the_figures(rnd, size: int):
    """Shuffled lists, split over pages of any size, in any file order: the same figures."""
    contents = []
    for c in YEAR_CONTENTS:
        data = c["data"]
        key = "children" if "children" in data else "evaluation"
        entries = list(data[key])
        rnd.shuffle(entries)
        if "pagination" not in data:
            contents.append({**c, "data": {**data, key: entries}})
            continue
        pages = max(1, -(-len(entries) // size))
        for n in range(pages):
            part = entries[n * size : (n + 1) * size]
            pagination = {"total": len(entries), "currentPage": n + 1, "pageSize": size, "totalPages": pages}
            contents.append({**c, "data": {**data, key: part, "pagination": pagination}})
    rnd.shuffle(contents)
    assert fingerprint(_build(contents).parsed.snapshots[0]) == BASE_PRINT


JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**7), st.floats(allow_nan=False),
                        st.text(max_size=8), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                        st.integers(), max_size=2))  # fmt: skip


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(FUZZ_CONTENTS) - 1), st.integers(0, 10**6), JSON_VALUES)
def test_a_damaged_value_anywhere_is_refused_in_vietnamese_or_read(which: int, where: int, value):
    """Bounded fuzzing: replace one value of a real response; reading never fails with a raw exception."""
    content = copy.deepcopy(FUZZ_CONTENTS[which])
    places: list[tuple[dict | list, object]] = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                places.append((node, k))
                walk(v)
        elif isinstance(node, list):
            for i, v in enumerate(node[:3]):
                places.append((node, i))
                walk(v)

    walk(content)
    parent, key = places[where % len(places)]
    parent[key] = value  # type: ignore[index]
    message = None
    try:
        _build([content])
    except ChisoError as exc:
        message = exc.message
    assert message is None or (message.startswith("Tệp ") and "Tệp không được nhập" in message)


def test_one_capture_imported_file_by_file_becomes_one_fuller_snapshot(ws: Workspace):
    """Separate commands with the same period and capture time: each adds its group to the same capture."""
    order = sorted(YEAR, key=lambda f: f.parent.name not in ("dossier-digitized", "dvc-progress-tree"))
    for f in order:
        (o,) = _import(ws, [f], "2026", "2026-09-26T11:21:00Z")
        assert o.error is None, o.error
    ranking = ws.ranking(period=Period.year(2026), parent="H44", kind="agency")
    row = next(r for r in ranking.tables[0].rows if r.unit == "H44.23")
    assert set(row.groups) == {"CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH"}
    current = ranking.tables[0].snapshot_ids
    assert len(current) == 1 and ws.store.table("official_superseded").count().to_pyarrow().as_py() == 5
    assert ws.verify().verification.mismatches == []
    (again,) = _import(ws, [order[-1]], "2026", "2026-09-26T11:21:00Z")
    assert again.report.status == "duplicate"


def test_the_portal_order_is_its_rank_or_the_list_position():
    content = _content(next(API.glob("service-results/*year2026*")))
    entries = content["data"]["evaluation"]
    built = _build([content])
    units = {u.code: u for u in built.parsed.snapshots[-1].units}
    assert units[entries[0]["departmentCode"]].portal_rank == 1
    assert units[entries[5]["departmentCode"]].portal_rank == 6
    entries[5].update(rank=40, groupRank=3)
    units = {u.code: u for u in _build([content]).parsed.snapshots[-1].units}
    assert (units[entries[5]["departmentCode"]].portal_rank, units[entries[5]["departmentCode"]].portal_group_rank) == (
        40, 3,
    )  # fmt: skip
