"""chiso fetch against a fake portal on 127.0.0.1 (tests/fake_portal.py): what is published, what never is."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from chiso.domain.periods import Period
from chiso.errors import PeriodError
from chiso.official.api_store import captures, confirmations, decompress
from chiso.portal.client import PortalClient
from chiso.store import queries as q
from chiso.workspace import Workspace
from tests.fake_portal import COOKIE, FakePortal, FakeTime, serve

START = datetime(2026, 9, 26, 11, 20, tzinfo=UTC)  # 18:20 in Vietnam


def _client(base: str, ft: FakeTime, **kw) -> PortalClient:
    return PortalClient(base, sleep=ft.sleep, clock=ft.clock, now=ft.now, rng=random.Random(7), **kw)


def _fetch(ws: Workspace, portal: FakePortal, ft: FakeTime, **kw):
    client_kw = {k: kw.pop(k) for k in ("timeout", "attempts", "min_interval") if k in kw}
    with serve(portal) as base, _client(base, ft, **client_kw) as c:
        return ws.fetch_portal("H44", client=c, now=ft.now(), **kw)


def _units(ws: Workspace, snapshot_id: str) -> list[tuple]:
    out = []
    for u in q.published_units(ws.store, [snapshot_id]):
        metrics = sorted((m.group, m.code, m.numerator, m.denominator, m.ratio, m.score, m.max, m.data_quality)
                         for m in u.metrics)  # fmt: skip
        out.append((u.unit, u.name, u.kind, u.total, sorted((g.code, g.score) for g in u.groups), metrics))
    return sorted(out)


def _snapshot_of(ws: Workspace, scope: str) -> str:
    found = [s for s in ws.snapshots() if s.scope == scope]
    assert len(found) == 1, found
    return found[0].snapshot_id


@pytest.mark.slow
def test_fetch_builds_the_snapshot_that_importing_the_same_responses_builds(ws: Workspace, tmp_path: Path):
    portal = FakePortal()
    ft = FakeTime(START)
    report = _fetch(ws, portal, ft, national=True)
    assert report.status == "published", report.missing
    assert [(s.scope, s.units) for s in report.report.snapshots] == [("VN", 34), ("H44", 164)]
    # every raw response is kept, compressed, with its request and status: write them back out as files
    rows = ws.store.table("portal_response").to_pyarrow().to_pylist()
    assert len(rows) == 8 and {r["status"] for r in rows} == {201}
    assert all(r["request_body"] and r["url"].startswith("http://127.0.0.1") for r in rows)
    files = []
    for r in rows:
        path = tmp_path / f"{r['seq']:02d}-{r['endpoint']}.json"
        path.write_bytes(decompress(r["body"]))
        files.append(path)
    assert sorted(decompress(r["body"]) for r in rows) == sorted(raw for _, raw in portal.served)
    other = Workspace(db=tmp_path / "by-file.duckdb")
    try:
        outcomes = other.import_official(files, period=Period.year(2026), captured_at=report.captured_at)
        assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
        for scope in ("VN", "H44"):
            assert _units(other, _snapshot_of(other, scope)) == _units(ws, _snapshot_of(ws, scope))
        assert other.verify().verification.mismatches == []
    finally:
        other.close()
    assert ws.verify().verification.mismatches == []


@pytest.mark.slow
def test_refetching_unchanged_figures_adds_no_snapshot_but_records_the_newer_time(ws: Workspace):
    portal = FakePortal()
    first = _fetch(ws, portal, FakeTime(START))
    second = _fetch(ws, portal, FakeTime(START + timedelta(days=1)))
    assert (first.status, second.status) == ("published", "unchanged")
    assert second.same_as == first.captured_at
    assert len(ws.snapshots()) == 1
    sid = _snapshot_of(ws, "H44")
    assert confirmations(ws.store, [sid])[sid] == second.captured_at
    r = ws.ranking(period=Period.year(2026), parent="H44")
    assert r.tables[0].checked_at == second.captured_at


@pytest.mark.slow
def test_a_changed_figure_is_a_new_capture_and_shows_as_a_day_change(ws: Workspace):
    portal = FakePortal()
    _fetch(ws, portal, FakeTime(START))
    portal.set_score("dvc-progress-tree", "H44.01", 10.0)  # was 19.38
    second = _fetch(ws, portal, FakeTime(START + timedelta(days=1)))
    assert second.status == "published"
    assert len(ws.snapshots()) == 2
    r = ws.ranking(period=Period.year(2026), parent="H44", kind="agency")
    row = next(x for x in r.tables[0].rows if x.unit == "H44.01")
    assert row.day_change is not None and row.day_change.score == Decimal("-9.38")
    assert row.day_change.rank is not None and row.day_change.rank < 0


@pytest.mark.slow
def test_server_errors_are_retried_with_backoff_and_jitter(ws: Workspace):
    portal = FakePortal(faults={"transparency": ["500", "503"]})
    ft = FakeTime(START)
    report = _fetch(ws, portal, ft)
    assert report.status == "published"
    assert [r["endpoint"] for r in portal.requests].count("transparency") == 3
    # backoff 2 s then 4 s, each plus up to 2 s of jitter (never less than Retry-After: 1 s)
    backoffs = [s for s in ft.sleeps if s >= 1.9]
    assert len(backoffs) == 2
    assert 2 <= backoffs[0] <= 4 and 4 <= backoffs[1] <= 6


@pytest.mark.slow
def test_a_failing_endpoint_never_replaces_a_complete_capture(ws: Workspace):
    portal = FakePortal()
    good = _fetch(ws, portal, FakeTime(START))
    portal.set_score("dvc-progress-tree", "H44.01", 1.0)
    portal.faults = {"dossier-digitized": ["500"] * 10}
    bad = _fetch(ws, portal, FakeTime(START + timedelta(days=1)))
    assert bad.status == "incomplete" and bad.report is None
    assert any("dossier-digitized" in line for line in bad.missing)
    assert len(ws.snapshots()) == 1  # the complete capture stays the only one
    r = ws.ranking(period=Period.year(2026), parent="H44", kind="agency")
    assert r.tables[0].captured_at == good.captured_at
    history = captures(ws.store)
    assert [h["status"] for h in history] == ["incomplete", "published"]
    assert "dossier-digitized" in history[0]["missing"]
    assert ws.store.table("portal_response").count().to_pyarrow().as_py() > 8  # the failed run's answers are kept


@pytest.mark.slow
def test_a_failing_national_list_falls_back_to_the_stored_province_id(ws: Workspace):
    portal = FakePortal()
    _fetch(ws, portal, FakeTime(START))
    portal.set_score("dvc-progress-tree", "H44.01", 1.0)
    portal.faults = {"service-results": ["500"] * 4}  # the national list is the first service-results call
    report = _fetch(ws, portal, FakeTime(START + timedelta(days=1)))
    assert report.status == "published", report.missing
    assert any("mã định danh của tỉnh đã lưu" in w for w in report.warnings)
    with_national = _fetch(ws, FakePortal(faults={"service-results": ["500"] * 4}), FakeTime(START + timedelta(days=2)),
                           national=True)  # fmt: skip
    assert with_national.status == "failed" and with_national.report is None


@pytest.mark.slow
def test_slow_portal_times_out_and_nothing_is_published(ws: Workspace):
    portal = FakePortal(delay=1.0)
    report = _fetch(ws, portal, FakeTime(START), timeout=0.2, attempts=2)
    assert report.status == "failed"
    assert "không trả lời trong 0.2 giây" in report.missing[0]
    assert ws.snapshots() == []
    assert len(portal.requests) <= 2  # the national list only: an unreachable portal is not asked further


@pytest.mark.slow
def test_truncated_body_and_data_null_are_retried_once_each(ws: Workspace):
    portal = FakePortal(faults={"dvc-progress-tree": ["truncate"], "dossier-digitized": ["null"]})
    report = _fetch(ws, portal, FakeTime(START))
    assert report.status == "published"
    assert [r["endpoint"] for r in portal.requests].count("dvc-progress-tree") == 2


@pytest.mark.slow
def test_persistent_data_null_is_reported_not_stored_as_zero(ws: Workspace):
    portal = FakePortal(faults={"handling-satisfaction": ["null"] * 10})
    report = _fetch(ws, portal, FakeTime(START), attempts=2)
    assert report.status == "incomplete"
    assert any("data: null" in line for line in report.missing)
    assert ws.snapshots() == []


@pytest.mark.slow
def test_cookie_challenge_loads_the_evaluation_page_once(ws: Workspace):
    portal = FakePortal(cookie_required=True)
    report = _fetch(ws, portal, FakeTime(START))
    assert report.status == "published"
    assert portal.landing_hits == 1
    assert all(COOKIE in r["cookies"] for r in portal.requests[1:])


@pytest.mark.slow
def test_a_firewall_that_keeps_blocking_stops_the_run_politely(ws: Workspace):
    portal = FakePortal(always_block=True)
    report = _fetch(ws, portal, FakeTime(START))
    assert report.status == "failed"
    assert "từ chối" in report.missing[0] and "tường lửa" in report.missing[0]
    assert len(portal.requests) == 2 and portal.landing_hits == 1


@pytest.mark.slow
def test_lists_split_over_pages_give_the_same_snapshot(ws: Workspace, tmp_path: Path):
    paged = FakePortal(page_size=50)
    report = _fetch(ws, paged, FakeTime(START))
    assert report.status == "published", report.missing
    pages = sorted({r["body"].get("currentPage") for r in paged.requests if r["endpoint"] == "transparency"})
    assert pages == [1, 2, 3, 4]
    whole = Workspace(db=tmp_path / "whole.duckdb")
    try:
        _fetch(whole, FakePortal(), FakeTime(START))
        assert _units(whole, _snapshot_of(whole, "H44")) == _units(ws, _snapshot_of(ws, "H44"))
    finally:
        whole.close()


@pytest.mark.slow
def test_a_unit_missing_from_one_endpoint_is_left_empty_not_zero(ws: Workspace):
    portal = FakePortal(drop_unit=("transparency", "019dbaea-ba8c-7590-b600-ebfd02309c8c"))
    report = _fetch(ws, portal, FakeTime(START))
    assert report.status == "published"
    assert any("transparency không có đơn vị H44.23" in w for w in report.warnings)
    unit = next(u for u in q.published_units(ws.store, [_snapshot_of(ws, "H44")]) if u.unit == "H44.23")
    assert unit.group("CKMB") is None and unit.group("MDSH") is not None


@pytest.mark.slow
def test_an_answer_for_another_unit_is_refused(ws: Workspace):
    report = _fetch(ws, FakePortal(wrong_root=True), FakeTime(START))
    assert report.status == "incomplete"
    assert any("đơn vị khác" in line for line in report.missing)
    assert ws.snapshots() == []


@pytest.mark.slow
def test_requests_carry_the_portal_headers_and_are_paced(ws: Workspace):
    portal = FakePortal()
    ft = FakeTime(START)
    _fetch(ws, portal, ft)
    headers = portal.requests[1]["headers"]
    assert headers["content-type"] == "application/json"
    assert headers["accept"].startswith("application/json")
    assert headers["referer"].endswith("/danh-gia-chat-luong-phuc-vu")
    assert headers["origin"].startswith("http://127.0.0.1") and headers["user-agent"].startswith("chiso/")
    assert portal.requests[0]["body"] == {"timeType": "year", "year": 2026, "departmentType": "ADMINISTRATIVE_UNIT"}
    satisfaction = next(r["body"] for r in portal.requests if r["endpoint"] == "handling-satisfaction")
    assert satisfaction["fromDate"] == "2026-01-01" and satisfaction["toDate"] == "2026-12-31"
    assert "timeType" not in satisfaction
    # one request at a time, at least 1 s (+ up to 0.25 s jitter) apart
    assert len(ft.sleeps) == len(portal.requests) - 1
    assert all(1.0 <= s <= 1.25 for s in ft.sleeps)


def test_unreachable_portal_is_reported_in_vietnamese(ws: Workspace):
    from tests.fake_portal import free_port

    ft = FakeTime(START)
    with _client(f"http://127.0.0.1:{free_port()}", ft, attempts=2) as c:
        report = ws.fetch_portal("H44", client=c, now=ft.now())
    assert report.status == "failed"
    assert report.missing[0].startswith("Không kết nối được Cổng DVCQG (127.0.0.1:")
    assert c.requests == 2 and ws.snapshots() == []


@pytest.mark.parametrize(
    ("today", "period", "ok"),
    [
        ("2026-09-26", "2026", True),
        ("2026-09-26", "2026-Q3", True),
        ("2026-09-26", "2026-Q2", True),  # closed: its final figures
        ("2026-09-26", "2026-Q4", False),  # not begun
        ("2026-09-26", "2026-08", True),
        ("2026-09-26", "2026-09", False),
        ("2026-09-26", "2025", True),
        ("2026-09-26", "2027", False),
        ("2026-09-26", "2026-08-ytd", False),
        ("2026-10-01", "2026-09", True),
    ],
)
def test_only_periods_the_portal_offers(today: str, period: str, ok: bool):
    from chiso.portal.plan import offered

    day = datetime.fromisoformat(today).date()
    if ok:
        offered(Period.parse(period), day)
    else:
        with pytest.raises(PeriodError, match="không cung cấp"):
            offered(Period.parse(period), day)


def test_the_default_period_follows_the_vietnam_calendar(ws: Workspace):
    """17:30 UTC on 31/12/2026 is 00:30 on 1/1/2027 in Vietnam: the default year is 2027, not 2026."""
    from tests.fake_portal import free_port

    ft = FakeTime(datetime(2026, 12, 31, 17, 30, tzinfo=UTC))
    with _client(f"http://127.0.0.1:{free_port()}", ft, attempts=1) as c:
        report = ws.fetch_portal("H44", client=c, now=ft.now())
    assert report.period == Period.year(2027)


@pytest.fixture(scope="module")
def three_days(tmp_path_factory) -> Path:
    """A store filled by three daily fetches: published, one figure changed, then unchanged."""
    db = tmp_path_factory.mktemp("days") / "days.duckdb"
    w = Workspace(db=db)
    portal = FakePortal()
    statuses = []
    for day, score in ((0, None), (1, 12.0), (2, None)):
        if score is not None:
            portal.set_score("dvc-progress-tree", "H44.01", score)
        statuses.append(_fetch(w, portal, FakeTime(START + timedelta(days=day)), national=True).status)
    w.close()
    assert statuses == ["published", "published", "unchanged"]
    return db


@pytest.mark.slow
def test_day_change_and_portal_rank_in_the_cli(three_days: Path, tmp_path: Path):
    import shutil

    from typer.testing import CliRunner

    from chiso.cli.app import app

    db = tmp_path / "cli.duckdb"
    shutil.copy(three_days, db)
    out = CliRunner().invoke(app, ["--db", str(db), "ranking", "--parent", "H44", "--kind", "agency"],
                             env={"COLUMNS": "250"}).output  # fmt: skip
    assert "Hạng Cổng" in out and "đánh số khác nhau cho các đơn vị bằng điểm" in out
    assert "Cổng chưa đổi số liệu đến lần kiểm tra lúc 18:20 28/09/2026" in out
    row = next(line for line in out.splitlines() if "H44.01 " in line)
    assert "-7,38" in row  # 19.38 → 12 in the progress group
    rows = CliRunner().invoke(app, ["--db", str(db), "ranking", "--parent", "H44", "--format", "json"]).output
    import json

    first = next(r for r in json.loads(rows) if r["unit"] == "H44.01")
    assert first["day_score_change"] == -7.38 and first["portal_rank"] is not None
    history = CliRunner().invoke(app, ["--db", str(db), "history"], env={"COLUMNS": "250"}).output
    assert history.count("tự lấy") == 3 and "số liệu không đổi" in history


@pytest.mark.slow
def test_day_change_on_the_ranking_and_overview_pages(three_days: Path, tmp_path: Path):
    import shutil

    from chiso.accounts import Accounts
    from tests.web_support import PASSWORD, login, make_client

    db = tmp_path / "web.duckdb"
    shutil.copy(three_days, db)
    w = Workspace(db=db)
    Accounts(w).save("quantri", role="admin", unit=None, password=PASSWORD, by="test")
    w.close()
    client = login(make_client(db, tmp_path / "data"), "quantri")
    page = client.get("/ranking", params={"parent": "H44", "kind": "agency"})
    assert page.status_code == 200
    assert "Hạng Cổng" in page.text and "đánh số khác nhau cho các đơn vị bằng điểm" in page.text
    assert "Cổng chưa đổi số liệu đến lần kiểm tra lúc 18:20 28/09/2026" in page.text
    assert "-7,38" in page.text
    overview = client.get("/", params={"unit": "H44"})
    assert overview.status_code == 200
    assert "So với lần lấy số liệu trước (lúc 18:20 26/09/2026)" in overview.text
    assert "1 đơn vị giảm điểm" in overview.text
    history = client.get("/history")
    assert "Các lần lấy số liệu từ Cổng DVCQG (3)" in history.text and "số liệu không đổi" in history.text
    api = client.get("/api/v1/history").json()
    assert [c["status"] for c in api["captures"]] == ["unchanged", "published", "published"]


@pytest.mark.slow
def test_the_brief_carries_the_change_since_the_previous_capture(three_days: Path, tmp_path: Path):
    import shutil
    from datetime import date

    from chiso.report.brief import brief_text
    from chiso.report.content import build_letter
    from chiso.report.data import gather
    from chiso.report.profile import load_profile

    db = tmp_path / "brief.duckdb"
    shutil.copy(three_days, db)
    w = Workspace(db=db)
    try:
        data = gather(w, "H44.01", Period.year(2026))
        text = brief_text(build_letter(data, load_profile("so"), issued=date(2026, 9, 29)))
    finally:
        w.close()
    assert data.day is not None and data.day.score == Decimal("-7.38")
    assert "Từ lần lấy số liệu trước (18 giờ 20 phút ngày 26/9/2026): -7,38 điểm, giảm" in text


@pytest.mark.slow
def test_scope_keeps_the_province_and_one_kind(ws: Workspace):
    report = _fetch(ws, FakePortal(), FakeTime(START), scope="communes")
    assert report.status == "published"
    kinds = {u.kind for u in q.published_units(ws.store, [_snapshot_of(ws, "H44")])}
    assert kinds == {"province", "commune"}


@pytest.mark.slow
def test_the_fetch_command_exits_3_and_says_what_is_missing(tmp_path: Path):
    """The real command line against the fake portal (real pacing: about a second per request)."""
    import json

    from typer.testing import CliRunner

    from chiso.cli.app import app
    from chiso.domain.times import VN_TZ

    year = datetime.now(VN_TZ).year  # the command uses the real clock: ask for the current year
    db = str(tmp_path / "cli.duckdb")
    portal = FakePortal(faults={"transparency": ["refused"]})
    with serve(portal) as base:
        failed = CliRunner().invoke(app, ["--db", db, "fetch", "--province", "H44", "--period", str(year),
                                          "--base-url", base], env={"COLUMNS": "200"})  # fmt: skip
        ok = CliRunner().invoke(app, ["--db", db, "fetch", "--province", "h44", "--period", str(year), "--base-url",
                                      base, "--format", "json"])  # fmt: skip
    assert failed.exit_code == 3, failed.output
    assert "Không lấy đủ" in failed.output and "Tham số không hợp lệ" in failed.output
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.output)
    assert data["status"] == "published" and data["snapshots"][0]["units"] == 164
    bad = CliRunner().invoke(app, ["--db", db, "fetch", "--province", "H44", "--period", str(year + 1)])
    assert bad.exit_code == 2 and "không cung cấp" in bad.output
