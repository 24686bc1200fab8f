"""Kinds and ranks right (issue 16): a district list without LOAI_COQUAN ranks its 9 districts, the city among
them, whatever an older import stored; a letter never leaves an empty slot for a name the store does not know."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from chiso.domain.periods import Period
from chiso.report.content import build_letter
from chiso.report.data import gather
from chiso.report.profile import load_profile
from chiso.store import queries as q
from chiso.workspace import Workspace
from tests.conftest import FIXTURES

LIST = FIXTURES / "tayninh" / "danh-sach-huyen-2023-05.csv"
MAY = Period.parse("2023-05")


@pytest.fixture
def district_ws(tmp_path: Path):
    ws = Workspace(db=tmp_path / "s.duckdb")
    (o,) = ws.import_official([LIST], period=MAY)
    assert o.error is None, o.error
    yield ws
    ws.close()


def _ranks(ws: Workspace) -> list[tuple[tuple[str, ...], list[tuple[int | None, str]]]]:
    r = ws.ranking(parent="H53", period=MAY)
    return [(t.kinds, [(row.rank, row.unit) for row in t.rows]) for t in r.tables]


def test_a_district_list_without_loai_coquan_ranks_nine_districts_with_the_city(district_ws):
    ids = [s.snapshot_id for s in district_ws.snapshots()]
    stored = {r["unit_code"]: r["kind"] for r in q.unit_rows(district_ws.store, ids)}
    assert set(stored.values()) == {"district"}, stored  # the importer reads 'UBND thành phố X' with the period
    ((kinds, rows),) = _ranks(district_ws)
    assert kinds == ("district",) and len(rows) == 9
    assert rows[0] == (1, "H53.01") and (4, "H53.07") in rows


def test_an_older_import_that_stored_the_city_as_an_agency_is_read_right(district_ws, tmp_path: Path):
    district_ws.store.con.raw_sql("UPDATE official_unit SET kind = 'agency' WHERE unit_code = 'H53.01'")
    district_ws.close()
    again = Workspace(db=tmp_path / "s.duckdb")
    try:
        ((kinds, rows),) = _ranks(again)
        assert kinds == ("district",) and len(rows) == 9 and (4, "H53.07") in rows
        assert again.find_unit("thành phố Tây Ninh").kind == "district"
        letter = build_letter(gather(again, "H53.07", MAY), load_profile("huyen"), issued=date(2023, 6, 2))
        results = next(p.text for p in letter.body if "tổng số điểm của huyện" in p.text)
        # the province is named from the seed list although no file describes H53
        assert "xếp thứ 4/9 huyện, thị xã, thành phố của tỉnh Tây Ninh;" in results
        assert "- Văn phòng UBND tỉnh Tây Ninh;" in letter.cc
    finally:
        again.close()


def test_no_dangling_slot_when_the_province_is_unknown(tmp_path: Path):
    text = LIST.read_text(encoding="utf-8").replace("H53", "H98")  # a province no file and no seed names
    moved = tmp_path / "danh-sach.csv"
    moved.write_text(text, encoding="utf-8")
    ws = Workspace(db=tmp_path / "x.duckdb")
    try:
        assert ws.import_official([moved], period=MAY)[0].error is None
        letter = build_letter(gather(ws, "huyện Gò Dầu", MAY), load_profile("huyen"), issued=date(2023, 6, 2))
        results = next(p.text for p in letter.body if "tổng số điểm của huyện" in p.text)
        assert "xếp thứ 4/9 huyện, thị xã, thành phố;" in results
        everything = " ".join([*(p.text for p in letter.body), *letter.cc, letter.issuer_parent or ""])
        assert "của;" not in everything and "của ." not in everything and "UBND;" not in everything
        assert not any("Văn phòng UBND" in line for line in letter.cc)
        assert any("Chưa biết tỉnh" in n for n in letter.notes)
    finally:
        ws.close()
