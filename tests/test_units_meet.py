"""Official and local meet (issue 16): the portal's codes and the one-stop system's identifiers of Gò Dầu are one
unit for compare, pages, letters and viewer accounts; local-only units are listed and shown; the mapping file."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chiso.accounts import Accounts
from chiso.cli.app import app as cli_app
from chiso.domain.periods import Period
from chiso.errors import NoDataError
from chiso.generate import GenerateSpec, generate, write
from chiso.report.content import build_letter
from chiso.report.data import gather
from chiso.report.profile import load_profile
from chiso.web import WebOptions, create_app
from chiso.workspace import Workspace
from tests.conftest import GODAU_FILES
from tests.web_support import PASSWORD, csrf_of, login

runner = CliRunner()
MAY = Period.parse("2023-05")
LOCAL_GO_DAU, PORTAL_GO_DAU = "000.00.37.H53", "H53.07"


def _local_files(folder: Path) -> list[Path]:
    files = write(generate(GenerateSpec(preset="go-dau-2023", dossiers=4000, seed=5)), folder, "csv")
    return [Path(f.path) for f in files if Path(f.path).name != "manifest.json"]


@pytest.fixture(scope="module")
def both_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Gò Dầu's one-stop data (generated, one-stop identifiers) and its published results (portal codes)."""
    base = tmp_path_factory.mktemp("both")
    ws = Workspace(db=base / "both.duckdb")
    ws.ingest(_local_files(base / "data"))
    assert all(o.error is None for o in ws.import_official(GODAU_FILES, methodology="dvcqg-live"))
    ws.close()
    return base / "both.duckdb"


@pytest.fixture
def both_ws(both_db: Path, tmp_path: Path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(both_db, copy)
    ws = Workspace(db=copy)
    yield ws
    ws.close()


def test_gò_dầu_compares_official_and_local_under_either_code(both_ws):
    by_local = both_ws.compare(LOCAL_GO_DAU, period=MAY)
    by_portal = both_ws.compare(PORTAL_GO_DAU, period=MAY)
    assert by_local == by_portal == both_ws.compare("huyện Gò Dầu", period=MAY)
    total = by_local[0]
    assert (total.code, str(total.official)) == ("TOTAL", "63.31") and total.local is not None
    # a commune too: its local figures under the portal code, its official ones under the one-stop identifier
    town = both_ws.find_unit("000.31.37.H53")
    assert town.code == "H53.07.01" and "000.31.37.H53" in town.aliases
    assert both_ws.local_view("H53.07.01", period=MAY).total == both_ws.local_view("000.31.37.H53", period=MAY).total
    assert both_ws.explain("000.31.37.H53", period=MAY).view.unit == "H53.07.01"
    # the district's local figure sums its communes and offices under both code systems
    rs = both_ws.results(period=MAY, parent=LOCAL_GO_DAU, source="local")
    assert {v.unit for v in rs.units} >= {"H53.07.01", "H53.07.02"} and all(v.parent == "H53.07" for v in rs.units)


def test_a_local_only_unit_says_no_official_result_and_suggests_the_local_source(both_ws, both_db):
    with pytest.raises(NoDataError) as err:
        both_ws.explain("000.01.37.H53", period=MAY)
    assert "Chưa có kết quả chính thức" in err.value.message and "--source local" in err.value.hint
    result = runner.invoke(cli_app, ["--db", str(both_db), "explain", "--unit", "000.01.37.H53"])
    assert result.exit_code == 2 and "--source local" in result.output
    listed = json.loads(runner.invoke(cli_app, ["--db", str(both_db), "units", "--format", "json"]).output)
    states = {u["unit_code"]: u["state"] for u in listed}
    assert states["000.01.37.H53"] == "local_only" and states["H53.07"] == "matched"
    assert states["H53.07.00"] == "official_only"
    args = ["--db", str(both_db), "units", "--matching", "--format", "json"]
    report = json.loads(runner.invoke(cli_app, args).output)
    assert len(report["matched"]) == 18 and report["ambiguous"] == [] and "000.01.37.H53" in report["local_only"]


def test_one_letter_from_both_sources_carries_the_four_shortfall_lines(both_ws):
    letter = build_letter(gather(both_ws, LOCAL_GO_DAU, MAY), load_profile("go-dau-2023"), issued=date(2023, 6, 2))
    assert not letter.estimate  # the official letter …
    assert [f.metric for f in letter.findings] == ["PAY_DOSSIERS", "ORIGINAL_RESULT_AVAILABLE",
                                                   "E_CERTIFIED_COPY_SHARE", "ON_TIME"]  # fmt: skip
    local = [f for f in letter.findings if f.local]
    assert [f.metric for f in local] == ["E_CERTIFIED_COPY_SHARE"]  # … with the one figure the portal does not publish
    sentence = local[0].sentence
    assert sentence.startswith("+ Chứng thực điện tử bản sao từ bản chính của các xã, thị trấn chưa đảm bảo")
    assert "UBND thị trấn Gò Dầu" in sentence and " hồ sơ" in sentence
    assert sentence.endswith("(số liệu của hệ thống một cửa, tính đến 16 giờ 27 phút ngày 31/5/2023).")
    assert not any("không đưa vào công văn" in n for n in letter.notes), letter.notes
    assert "xếp thứ 4/9 huyện, thị xã, thành phố" in " ".join(p.text for p in letter.body)


@pytest.fixture
def web(both_db: Path, tmp_path: Path):
    copy = tmp_path / "web.duckdb"
    shutil.copy(both_db, copy)
    ws = Workspace(db=copy)
    accounts = Accounts(ws)
    accounts.save("quantri", role="admin", password=PASSWORD, by="test")
    accounts.save("motcua", role="viewer", unit=LOCAL_GO_DAU, password=PASSWORD, by="test")
    accounts.save("cong", role="viewer", unit=PORTAL_GO_DAU, password=PASSWORD, by="test")
    accounts.save("tentat", role="viewer", unit="thị trấn Gò Dầu", password=PASSWORD, by="test")
    assert {u.username: u.unit for u in accounts.users()}["tentat"] == "H53.07.01"  # a name is kept as the code
    ws.close()
    application = create_app(WebOptions(db=str(copy), data_dir=tmp_path / "data"))
    yield application
    application.state.web.close()


@pytest.mark.parametrize("viewer", ["motcua", "cong"])
def test_a_viewer_created_for_either_code_sees_both(web, viewer):
    client = login(TestClient(web, follow_redirects=False), viewer)
    for path in (
        f"/api/v1/units/{PORTAL_GO_DAU}/explain?period=2023-05",  # official, under the portal code
        f"/api/v1/units/{LOCAL_GO_DAU}/explain?period=2023-05&source=local",  # local, under the one-stop code
        f"/api/v1/units/{LOCAL_GO_DAU}/compare?period=2023-05",
        "/api/v1/units/000.31.37.H53/explain?period=2023-05",  # a commune's official figures, by its local code
        "/api/v1/units/H53.07.01/dossiers?period=2023-05",  # its dossiers, by its portal code
        "/api/v1/units/huyen%20go%20dau",  # by name, without diacritics
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/api/v1/units/H53.01/explain?period=2023-05").status_code == 403  # a sibling district
    assert client.get("/api/v1/units/H53").status_code == 403  # the province
    codes = {u["unit_code"] for u in client.get("/api/v1/units").json()}
    assert {"H53.07", "H53.07.00", "H53.07.01", "000.01.37.H53"} <= codes and "H53.01" not in codes
    explain = client.get(f"/api/v1/units/{LOCAL_GO_DAU}/explain?period=2023-05").json()
    assert explain["unit"] == PORTAL_GO_DAU


def test_a_unit_with_only_local_data_shows_it_instead_of_no_unit(web):
    client = login(TestClient(web, follow_redirects=False), "motcua")
    page = client.get("/units/000.03.37.H53")  # Phòng Tư pháp: dossiers only
    assert page.status_code == 200
    assert "chưa có kết quả chính thức" in page.text and "Không có đơn vị" not in page.text
    assert "số liệu tạm tính" in page.text and "Từng chỉ số" in page.text
    quiet = client.get("/units/000.01.37.H53")  # an office without dossiers this month: both sources say so
    assert quiet.status_code == 200 and "Chưa có kết quả chính thức" in quiet.text
    assert "Chưa có số liệu tạm tính" in quiet.text
    page = client.get(f"/units/{LOCAL_GO_DAU}?period=2023-05")
    assert page.status_code == 200 and "63,31" in page.text and LOCAL_GO_DAU in page.text


def test_administrator_links_codes_on_the_web_and_the_tree_follows(web):
    admin = login(TestClient(web, follow_redirects=False), "quantri")
    page = admin.get("/admin/units")
    assert page.status_code == 200 and "tự khớp theo tên" in page.text
    token = csrf_of(page.text)
    done = admin.post("/admin/units", data={"code": "H53.07.02", "other": "000.38.37.H53", "same": "không",
                                            "csrf": token})  # fmt: skip
    assert done.status_code == 200 and "Đã ghi 1 liên kết" in done.text
    split = admin.get("/api/v1/units/000.38.37.H53").json()
    assert split["unit"] == "000.38.37.H53" and split["aliases"] == []
    bad = admin.post("/admin/units", data={"code": "H53.07.02", "kind": "làng", "csrf": token})
    assert bad.status_code == 400 and "loại phải là" in bad.text
    assert admin.post("/admin/units", data={"code": "H53.07.02", "other": "000.38.37.H53"}).status_code == 403  # CSRF
    viewer = login(TestClient(web, follow_redirects=False), "cong")
    assert viewer.get("/admin/units").status_code == 403
    csv = admin.get("/admin/units.csv")
    assert csv.status_code == 200 and csv.text.startswith("\ufeffMã Cổng DVCQG,Mã một cửa")


def test_the_mapping_file_round_trips_and_refuses_bad_lines_with_their_place(both_db, tmp_path: Path):
    db = tmp_path / "m.duckdb"
    shutil.copy(both_db, db)
    out = tmp_path / "don-vi.csv"
    assert runner.invoke(cli_app, ["--db", str(db), "units", "--mapping", "--out", str(out)]).exit_code == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "H53.07,000.00.37.H53,UBND huyện Gò Dầu" in text
    text += "H53.07.02,000.38.37.H53,,,,,,,không\n,000.12.37.H53,,,,,xã,,\n,,,,,,,,\nH53.07.05,,,,,,làng,,\n"
    out.write_text(text, encoding="utf-8")
    result = runner.invoke(cli_app, ["--db", str(db), "units", "link", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 dòng bị từ chối" in result.output and "làng" in result.output
    ws = Workspace(db=db)
    try:
        tree = ws.unit_tree()
        assert tree.find("000.38.37.H53").code == "000.38.37.H53"  # the veto holds
        assert tree.find("000.00.37.H53").code == "H53.07"  # the exported links still hold
        assert ws.find_unit("000.12.37.H53").kind == "commune"  # the kind the file sets wins over the data's
    finally:
        ws.close()


def test_ckmb_inherited_from_the_province_under_its_other_code(tmp_path: Path):
    """The one-stop data name the province 000.00.00.H53, the portal H53: the local CKMB catalogue figures are the
    province's official ones all the same."""
    files = _local_files(tmp_path / "data")
    units = next(p for p in files if p.name == "units.csv")
    units.write_text(units.read_text(encoding="utf-8-sig").replace('"H53"', '"000.00.00.H53"'), encoding="utf-8")
    province = tmp_path / "tinh.json"
    wanted = (("PUBLISH_ON_TIME", 40, 6), ("PUBLIC_UPDATE_ON_TIME", 45, 4), ("PUBLIC_CONTENT_FULL", 47, 2))
    metrics = [{"code": c, "numerator": n, "denominator": 47, "maxScore": m} for c, n, m in wanted]
    province.write_text(json.dumps({
        "metadata": {"timeType": "month", "year": 2023, "period": 5, "extractedAt": "2023-05-31T09:30:00Z"},
        "unitsDetail": [{"departmentCode": "H53", "departmentName": "UBND tỉnh Tây Ninh", "childGroup": "PROVINCE",
                         "componentIndicators": {"CKMB_CongKhaiMinhBach": {"metrics": metrics}}}],
    }), encoding="utf-8")  # fmt: skip
    ws = Workspace(db=tmp_path / "p.duckdb")
    try:
        ws.ingest(files)
        (o,) = ws.import_official([province], methodology="dvcqg-live")
        assert o.error is None, o.error
        node = ws.find_unit("000.00.00.H53")
        assert node.code == "H53" and node.local and node.official
        view = ws.local_view(LOCAL_GO_DAU, period=MAY)
        line = next(ln for ln in view.lines if ln.code == "PUBLISH_ON_TIME")
        assert (line.numerator, line.denominator) == (40, 47)
    finally:
        ws.close()
