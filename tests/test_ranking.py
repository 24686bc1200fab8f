from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chiso.domain.periods import Period
from chiso.errors import ChisoError, NoDataError
from chiso.scoring.rank import Band, Bands, competition_ranks
from chiso.settings import load_settings
from chiso.workspace import Workspace
from tests.conftest import ANGIANG_T10, TRACKERS


@given(st.lists(st.decimals(min_value=0, max_value=100, places=2), max_size=60))
def test_competition_ranks(values):
    ranks = competition_ranks(values)
    for v, r in zip(values, ranks, strict=True):
        assert r == 1 + sum(1 for w in values if w > v)


def test_unranked_values():
    assert competition_ranks([Decimal(5), None, Decimal(7)]) == [2, None, 1]


def test_bands_default_and_configurable():
    b = Bands()
    assert [b.of(Decimal(x)) for x in ("90", "89.99", "80", "70", "50", "49.99")] == [
        Band.EXCELLENT, Band.GOOD, Band.GOOD, Band.FAIR, Band.AVERAGE, Band.WEAK,
    ]  # fmt: skip
    assert Bands(Decimal(95), Decimal(85), Decimal(75), Decimal(60)).of(Decimal(80)) is Band.FAIR
    with pytest.raises(ChisoError):
        Bands(Decimal(80), Decimal(90), Decimal(70), Decimal(50))


def test_an_giang_communes_2025_follow_the_published_totals(real_ws):
    r = real_ws.ranking(period=Period.parse("2025"), parent="H01", kind="commune")
    (table,) = r.tables
    rows = table.rows
    assert len(rows) == 102
    totals = [row.total for row in rows]
    assert totals == sorted(totals, reverse=True)
    assert rows[0].unit == "H01.187" and rows[0].total == Decimal("93.21") and rows[0].rank == 1
    for row in rows:  # equal totals share a rank
        assert row.rank == 1 + sum(1 for t in totals if t > row.total)
    # the portal's own order agrees wherever totals differ
    for a in rows:
        for b in rows:
            if a.total > b.total:
                assert a.portal_rank < b.portal_rank
    assert all(row.band is not None for row in rows)


def test_ties_share_a_rank(real_ws):
    r = real_ws.ranking(period=Period.parse("2026"), parent="H21", kind="commune")
    tied = [row for row in r.tables[0].rows if row.total == Decimal("73.29")]
    assert [row.rank for row in tied] == [12, 12]
    assert [row.portal_rank for row in tied] == [13, 14]  # the portal numbers them apart


def test_apart_and_together(real_ws):
    apart = real_ws.ranking(period=Period.parse("2026"), parent="H21")
    assert [t.kinds for t in apart.tables] == [("agency",), ("commune",)]
    together = real_ws.ranking(period=Period.parse("2026"), parent="H21", kind="all")
    (table,) = together.tables
    assert len(table.rows) == 24 and table.rows[0].unit == "H21.17"


def test_rank_by_group(real_ws):
    r = real_ws.ranking(period=Period.parse("2026"), parent="H21", kind="commune", by="TDGQ")
    values = [row.value for row in r.tables[0].rows]
    assert values == sorted(values, reverse=True)
    assert r.tables[0].rows[0].unit == "H21.172"  # TDGQ 19.75


def test_default_parent_and_period_need_a_choice_when_ambiguous(real_ws):
    with pytest.raises(ChisoError) as err:
        real_ws.ranking()
    assert "--parent" in err.value.message
    assert real_ws.ranking(parent="H21").period == Period.parse("2026")


def test_no_data_for_a_period(real_ws):
    with pytest.raises(NoDataError) as err:
        real_ws.ranking(period=Period.parse("2024"), parent="H01")
    assert "2025" in (err.value.detail or "")


def test_change_against_the_previous_capture(ws):
    ws.import_official([TRACKERS / "crawler766" / "agencies_detail_GiaLai_24092026.json"])
    ws.import_official([TRACKERS / "crawler766" / "agencies_detail_GiaLai_10102026.json"])
    r = ws.ranking(period=Period.parse("2026"), parent="H21", kind="agency")
    (table,) = r.tables
    assert table.baseline and "lần cập nhật trước" in table.baseline
    h17 = next(row for row in table.rows if row.unit == "H21.17")
    assert h17.change is not None
    assert h17.change.score == h17.total - h17.change.previous_score
    assert h17.change.rank == h17.change.previous_rank - h17.rank


def test_change_against_the_previous_period(ws):
    ws.import_official([ANGIANG_T10])
    r = ws.ranking(period=Period.parse("2025-10"), parent="VN", kind="province")
    (table,) = r.tables
    assert len(table.rows) == 34
    h01 = next(row for row in table.rows if row.unit == "H01")
    # September exists only as An Giang's trend row: a score change, but no rank change
    assert h01.change.previous_score == Decimal("80.8")
    assert h01.change.rank is None
    assert "tháng 9/2025" in table.baseline


def test_bands_from_settings(tmp_path, monkeypatch, real_db):
    import shutil

    db = tmp_path / "b.duckdb"
    shutil.copy(real_db, db)
    monkeypatch.setenv("CHISO_BANDS", "95,90,85,80")
    w = Workspace(settings=load_settings(db=str(db)))
    row = w.ranking(period=Period.parse("2026"), parent="H21", kind="agency").tables[0].rows[0]
    assert row.total == Decimal("79.27") and row.band is Band.WEAK
    w.close()


def test_xlsx_keeps_numbers_as_numbers(real_ws, tmp_path):
    from chiso.cli.official_cmds import _ranking_sheets
    from chiso.cli.output import write_xlsx

    r = real_ws.ranking(period=Period.parse("2025"), parent="H01", kind="commune")
    path = write_xlsx(tmp_path / "x.xlsx", _ranking_sheets(r), title="Xếp hạng")
    ws = openpyxl.load_workbook(path).active
    assert ws["A3"].value == "Hạng" and ws["D3"].value == "Tổng điểm"
    assert ws.freeze_panes == "A4"
    assert ws["D4"].value == pytest.approx(93.21) and isinstance(ws["D4"].value, float)
