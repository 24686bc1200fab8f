"""Local engine on a hand-built district: rules of docs/local-metrics.md, roll-up, absent data, drill-down."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chiso.cli.app import app
from chiso.domain.periods import Period
from chiso.domain.results import FigureStatus
from chiso.workspace import Workspace

MAY = Period.parse("2023-05")
AS_OF = datetime(2023, 6, 2, 3, 0, tzinfo=UTC)

UNITS = """Mã đơn vị,Tên đơn vị,Loại,Mã đơn vị cha
T,UBND tỉnh Tây Ninh,tỉnh,
H,UBND huyện Gò Dầu,huyện,T
H.VP,Văn phòng HĐND và UBND huyện,sở,H
H.X1,UBND xã Thạnh Đức,xã,H
H.X2,UBND xã Hiệp Thạnh,xã,H
"""
PROCS = (
    "Mã thủ tục,Tên thủ tục,Cấp thực hiện,Mức độ,Đủ điều kiện toàn trình,Có phí,Kết quả là giấy tờ,"
    "Thời hạn giải quyết,Đơn vị thời hạn,Đối tượng cá nhân\n"
    """P1,Đăng ký khai sinh,Xã,4,Có,Không,Có,3,Ngày làm việc,Có
P2,Chứng thực bản sao,Huyện;Xã,3,Có,Có,Có,1,Ngày làm việc,Có
P3,Cấp phép xây dựng,Huyện,3,Không,Có,Có,15,Ngày làm việc,Có
"""
)
HEAD = ("Mã hồ sơ,Mã đơn vị,Mã thủ tục,Kênh nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày kết thúc xử lý,Trạng thái,"
        "Số lần yêu cầu bổ sung,Ngày yêu cầu bổ sung đầu tiên,Thời gian tạm dừng (giờ),Kết quả điện tử,"
        "Thanh toán trực tuyến,Phí, lệ phí,Đồng bộ DVCQG,Số hóa thành phần,Hồ sơ chứng thực,Chứng thực điện tử,"
        "Không hài lòng\n").replace("Phí, lệ phí", '"Phí, lệ phí"')  # fmt: skip
ROWS = [
    # code, unit, proc, channel, received, due, end, status, supp, supp_first, paused_h, e_res, paid, fee, sync, dig,
    # certified, e_cert, dissatisfied
    # X1: on time, online, e-result                                                              → on time
    "X1-1,H.X1,P1,2,02/05/2023 08:00,05/05/2023 17:00,04/05/2023 10:00,10,0,,,1,0,0,1,1,0,0,0",
    # X1: finished after due, but 3 h paused for the citizen's supplement brings it within    → on time
    "X1-2,H.X1,P1,1,02/05/2023 08:00,05/05/2023 10:00,05/05/2023 12:00,10,1,03/05/2023 08:00,3,0,0,0,1,0,0,0,0",
    # X1: two supplement requests                                                             → late
    "X1-3,H.X1,P1,1,02/05/2023 08:00,30/05/2023 17:00,04/05/2023 10:00,10,2,03/05/2023 08:00,1,1,0,0,1,1,0,0,0",
    # X1: certified copy made electronically, paid online                                     → on time
    "X1-4,H.X1,P2,1,10/05/2023 08:00,11/05/2023 17:00,11/05/2023 09:00,10,0,,,1,1,2000,1,1,1,1,0",
    # X2: open at the end of May, due in April... (received 28/04: outside May, not counted)
    "X2-0,H.X2,P1,1,28/04/2023 08:00,03/05/2023 17:00,,4,0,,,0,0,0,1,0,0,0,0",
    # X2: open, one pending supplement requested before its due date                          → on time
    "X2-1,H.X2,P2,1,15/05/2023 08:00,16/05/2023 17:00,,5,1,16/05/2023 09:00,,0,0,2000,0,0,1,0,1",
    # X2: open and past due at the end of May                                                 → late
    "X2-2,H.X2,P1,2,20/05/2023 08:00,25/05/2023 17:00,,4,0,,,0,0,0,1,0,0,0,0",
    # office: finished late, dissatisfied, fee paid at the desk
    "VP-1,H.VP,P3,1,03/05/2023 08:00,24/05/2023 17:00,26/05/2023 09:00,10,0,,,1,0,500000,1,1,0,0,1",
    # waiting for online reception: never counted
    "VP-2,H.VP,P3,2,,,,1,0,,,0,0,0,1,0,0,0,0",
]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    base = tmp_path_factory.mktemp("engine")
    (base / "units.csv").write_text(UNITS, encoding="utf-8")
    (base / "procedures.csv").write_text(PROCS, encoding="utf-8")
    (base / "dossiers.csv").write_text(HEAD + "\n".join(ROWS) + "\n", encoding="utf-8")
    w = Workspace(db=base / "t.duckdb")
    reports = w.ingest([base / "dossiers.csv", base / "units.csv", base / "procedures.csv"])
    assert all(r.rows_rejected == 0 for r in reports), [r.rejects for r in reports]
    return w


def inputs(ws: Workspace, unit: str) -> dict:
    run = ws.local_run(MAY, as_of=AS_OF)
    return next(u for u in run.units if u.code == unit).inputs


def nd(ws: Workspace, unit: str, code: str) -> tuple:
    i = inputs(ws, unit)[code]
    return (i.numerator, i.denominator)


def test_on_time_rules(ws: Workspace):
    assert nd(ws, "H.X1", "ON_TIME") == (3, 4)  # X1-3 late by two supplement requests
    assert nd(ws, "H.X2", "ON_TIME") == (1, 2)  # X2-0 outside May; X2-1 pending request in time; X2-2 late
    assert nd(ws, "H.VP", "ON_TIME") == (0, 1)  # VP-2 waiting for online reception is not counted


def test_roll_up_is_the_sum_of_the_subtree(ws: Workspace):
    for code in ("ON_TIME", "ORIGINAL_RESULT_AVAILABLE", "PAY_DOSSIERS", "DOSSIER_SYNC"):
        parts = [nd(ws, u, code) for u in ("H.X1", "H.X2", "H.VP")]
        assert nd(ws, "H", code) == (sum(p[0] for p in parts), sum(p[1] for p in parts)) == nd(ws, "T", code)
    assert nd(ws, "H", "ON_TIME") == (4, 7)


def test_dossier_metrics(ws: Workspace):
    assert nd(ws, "H.X1", "ORIGINAL_RESULT_AVAILABLE") == (3, 4)
    assert nd(ws, "H.X1", "PAY_DOSSIERS") == (1, 1)  # X1-4 is the only fee-bearing dossier of X1
    assert nd(ws, "H.X2", "PAY_DOSSIERS") == (0, 1)
    assert nd(ws, "H.X2", "DOSSIER_SYNC") == (1, 2)
    # online share × sync rate: X2 has one online dossier (X2-2, paper result without e-result → not online)
    assert nd(ws, "H.X1", "ONLINE_DOSSIERS") == (Fraction(1), 4)
    assert nd(ws, "H.X2", "ONLINE_DOSSIERS") == (Fraction(0), 2)
    assert nd(ws, "H.VP", "DOSSIER_RECEIVING_SATISFACTION") == (0, 1)
    assert nd(ws, "H.X2", "DOSSIER_RECEIVING_SATISFACTION") == (0, 2)  # X2-1 in time but dissatisfied


def test_procedure_pairs(ws: Workspace):
    # communes offer the level-xã catalogue (P1, P2); the office offers what it handled (P3)
    assert nd(ws, "H.X1", "FULL") == (1, 2)
    assert nd(ws, "H.VP", "FULL") == (0, 0)
    assert nd(ws, "H.X1", "PAY_FORMALITIES") == (1, 1)
    assert nd(ws, "H", "PAY_FORMALITIES") == (1, 3)  # pairs: X1-P2, X2-P2, VP-P3


def test_e_certified_copies_per_commune_and_full_for_units_without_communes(ws: Workspace):
    assert nd(ws, "H", "ELECTRONIC_CERTIFIED_COPY") == (1, 2)  # Thạnh Đức provides it, Hiệp Thạnh does not
    vp = inputs(ws, "H.VP")["ELECTRONIC_CERTIFIED_COPY"]
    assert vp.ratio_percent == 100
    run = ws.local_run(MAY, as_of=AS_OF)
    x2 = next(u for u in run.units if u.code == "H.X2")
    assert (x2.measures["E_CERTIFIED_COPY_SHARE"].numerator, x2.measures["E_CERTIFIED_COPY_SHARE"].denominator) == (
        0,
        1,
    )


def test_absent_inputs_are_no_data_never_zero(ws: Workspace):
    run = ws.local_run(MAY, as_of=AS_OF)
    unit = next(u for u in run.units if u.code == "H.X1")
    status = {m.code: m.status for m in unit.score.metrics()}
    assert status["REUSED_DIGITIZED_DATA"] is FigureStatus.NO_DATA  # no 'Tái sử dụng' column in the file
    assert status["PETITION_PROCESSING_ON_TIME"] is FigureStatus.NO_DATA  # no petitions ingested
    assert status["PUBLISH_ON_TIME"] is FigureStatus.NO_DATA  # no official province figures
    assert unit.score.metric("REUSED_DIGITIZED_DATA").score is None
    assert not unit.score.complete


def test_scores_follow_the_rules(ws: Workspace):
    view = ws.local_view("H.X1", period=MAY)
    on_time = next(ln for ln in view.lines if ln.code == "ON_TIME")
    assert on_time.score == Decimal("15.00")
    assert view.origin.is_estimate
    assert view.total == sum(g.score for g in view.groups.values() if g.score is not None)


def test_drill_down_adds_up_to_the_gap(ws: Workspace):
    for metric in ("ON_TIME", "ORIGINAL_RESULT_AVAILABLE", "PAY_DOSSIERS", "DOSSIER_SYNC"):
        num, den = nd(ws, "H", metric)
        page = ws.dossiers("H", period=MAY, metric=metric, page_size=None, as_of=AS_OF)
        assert page.total == den - num == len(page.rows)
    late = ws.dossiers("H", period=MAY, metric="ON_TIME", as_of=AS_OF)
    assert {r["dossier_code"] for r in late.rows} == {"X1-3", "X2-2", "VP-1"}
    paged = ws.dossiers("H", period=MAY, metric="ON_TIME", page=2, page_size=2, as_of=AS_OF)
    assert paged.total == 3 and len(paged.rows) == 1


def test_due_soon_lists_overdue_and_close_deadlines(ws: Workspace):
    now = datetime(2023, 5, 16, 1, 0, tzinfo=UTC)  # 08:00 on 16/05/2023
    items = ws.due_soon("H", now=now, within_hours=16)
    states = {i.dossier_code: i.state for i in items}
    assert states == {"X2-0": "quá hạn", "X2-1": "sắp đến hạn"}  # X2-1 waits for a supplement but is open
    assert next(i for i in items if i.dossier_code == "X2-1").hours_left == pytest.approx(7.0)  # 08:00–17:00


def test_cli_compute_explain_and_export(ws: Workspace, tmp_path: Path):
    db = ws.settings.db
    runner = CliRunner()
    r = runner.invoke(app, ["--db", db, "compute", "--period", "2023-05", "--as-of", "2023-06-02T10:00:00+07:00"])
    assert r.exit_code == 0, r.output
    assert "SỐ LIỆU TẠM TÍNH" in r.output and "Gò Dầu" in r.output
    out = tmp_path / "tre-han.csv"
    r = runner.invoke(
        app, ["--db", db, "explain", "--unit", "H", "--metric", "ON_TIME", "--dossiers", "--period", "2023-05",
              "--out", str(out)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Mã hồ sơ,") and "X1-3" in text
    r = runner.invoke(app, ["--db", db, "ranking", "--source", "local", "--period", "2023-05", "--parent", "H"])
    assert r.exit_code == 0 and "Thạnh Đức" in r.output
    stored = ws.store.table("local_run").count().to_pyarrow().as_py()
    assert stored >= 1


def test_catalogue_ingested_after_the_dossiers_updates_their_flags(tmp_path: Path):
    # the paper-result flag is stored with each dossier: ingesting the catalogue later must rebuild it
    (tmp_path / "dossiers.csv").write_text(HEAD + "\n".join(ROWS) + "\n", encoding="utf-8")
    no_paper = PROCS.replace("P1,Đăng ký khai sinh,Xã,4,Có,Không,Có", "P1,Đăng ký khai sinh,Xã,4,Có,Không,Không")
    assert no_paper != PROCS
    (tmp_path / "procedures.csv").write_text(no_paper, encoding="utf-8")
    w = Workspace(db=tmp_path / "late.duckdb")
    w.ingest([tmp_path / "dossiers.csv"])
    assert nd(w, "H.X1", "ORIGINAL_RESULT_AVAILABLE") == (3, 4)  # unknown procedures: results assumed on paper
    w.ingest([tmp_path / "procedures.csv"])
    assert nd(w, "H.X1", "ORIGINAL_RESULT_AVAILABLE") == (1, 1)  # only X1-4 (P2) has a paper result now
    w.close()


def test_a_store_from_an_older_version_is_rebuilt_on_open(ws: Workspace, tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture):  # fmt: skip
    import shutil

    import duckdb

    before = {u.code: u.inputs for u in ws.local_run(MAY, as_of=AS_OF).units}
    copy = tmp_path / "old.duckdb"
    ws.store.checkpoint()
    shutil.copy(ws.settings.db, copy)
    con = duckdb.connect(str(copy))
    con.execute("ALTER TABLE dossier DROP COLUMN paper")  # as written by a chiso without stored flags
    con.execute("DROP TABLE dossier_pair")
    con.close()
    old = Workspace(db=copy)
    with caplog.at_level("WARNING", logger="chiso"):
        assert {u.code: u.inputs for u in old.local_run(MAY, as_of=AS_OF).units} == before
    assert "đang dựng lại từ 9 bản ghi hồ sơ" in caplog.text  # the user is told why it waits
    assert "paper" in old.store.table("dossier").columns
    old.close()
