"""The synthetic data generator: determinism, consistency of every dossier, unit profiles, readable files, CLI."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from chiso.cli.app import app
from chiso.errors import ChisoError
from chiso.generate import DOSSIER_FIELDS, GenerateSpec, generate, write
from chiso.generate.writers import DOSSIER_HEADINGS, PETITION_HEADINGS, PROCEDURE_HEADINGS, UNIT_HEADINGS
from chiso.ingest import fields as ingest_fields
from chiso.ingest import readers
from chiso.ingest.parse import parse
from chiso.store.tables import DOSSIER_COLUMNS
from chiso.workdays import WorkCalendar

SMALL = GenerateSpec(preset="go-dau-2023", dossiers=1500, seed=11, steps=True)


@pytest.fixture(scope="module")
def small():
    return generate(SMALL)


@pytest.fixture(scope="module")
def modern():
    return generate(GenerateSpec(preset="province-2025", province="H21", dossiers=1200, seed=3))


def _np(table: pa.Table, name: str) -> np.ndarray:
    col = table.column(name).combine_chunks()
    if pa.types.is_timestamp(col.type):  # UTC instants as naive datetime64 (NaT = none)
        return col.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False)
    if pa.types.is_dictionary(col.type):
        col = col.cast(pa.string())
    return np.array(col.to_pylist(), dtype=object if pa.types.is_string(col.type) else None)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# -- shape --------------------------------------------------------------------------------------------------------


def test_dossier_columns_follow_the_store():
    expected = [c for c in DOSSIER_COLUMNS if c not in ("state_at", "ingest_id", "source_row")]
    assert [name for name, _ in DOSSIER_FIELDS] == expected


def test_counts_as_asked(small, modern):
    assert small.dossiers.num_rows == 1500
    assert modern.dossiers.num_rows == 1200
    assert small.manifest["counts"]["dossiers"] == 1500
    assert small.manifest["period"] == {"from": "2023-01-01", "to": "2023-05-31", "cutoff": "2023-05-31T16:30",
                                        "timezone": "Asia/Ho_Chi_Minh"}  # fmt: skip
    units = set(_np(small.dossiers, "unit_code"))
    go_dau = {r["unit_code"] for r in small.units.to_pylist() if r["parent_code"] == "000.00.37.H53"}
    assert units <= go_dau and len(units) >= 10
    assert small.steps is not None and small.steps.num_rows > 1500
    assert small.petitions is not None
    codes = _np(small.dossiers, "dossier_code")
    assert len(set(codes)) == len(codes)


def test_deterministic_bytes_and_seed_matters(tmp_path):
    spec = GenerateSpec(preset="go-dau-2023", dossiers=400, seed=5, steps=True, bad_rows=0.01)
    for fmt in ("csv", "json"):
        write(generate(spec), tmp_path / f"a-{fmt}", fmt)
        write(generate(spec), tmp_path / f"b-{fmt}", fmt)
        assert _digest(tmp_path / f"a-{fmt}") == _digest(tmp_path / f"b-{fmt}")
    other = GenerateSpec(preset="go-dau-2023", dossiers=400, seed=6, steps=True, bad_rows=0.01)
    write(generate(other), tmp_path / "c-csv", "csv")
    a, c = _digest(tmp_path / "a-csv"), _digest(tmp_path / "c-csv")
    assert a["units.csv"] == c["units.csv"] and a["dossiers.csv"] != c["dossiers.csv"]
    no_steps = GenerateSpec(preset="go-dau-2023", dossiers=400, seed=5, bad_rows=0.01)
    assert generate(no_steps).dossiers.equals(generate(spec).dossiers)  # independent random streams


# -- consistency of every dossier ---------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["small", "modern"])
def test_every_dossier_is_consistent(which, request):
    g = request.getfixturevalue(which)
    d = g.dossiers
    status = _np(d, "status").astype(int)
    submitted, received, due = _np(d, "submitted_at"), _np(d, "received_at"), _np(d, "due_at")
    finished, returned, rejected = _np(d, "finished_at"), _np(d, "returned_at"), _np(d, "rejected_at")
    first, paused = _np(d, "supplement_first_at"), _np(d, "paused_seconds").astype(np.int64)
    count = _np(d, "supplement_count").astype(int)
    cutoff = np.datetime64(g.period.cutoff, "us") - np.timedelta64(7, "h")
    has = ~np.isnat(received)

    assert set(status) <= set(range(1, 11))
    assert (np.isnat(received) == np.isin(status, [1, 3])).all()
    assert (~np.isnat(rejected) == (status == 3)).all()
    assert (submitted[has] <= received[has]).all()
    assert (received[has] <= cutoff).all()
    ok_due = has & ~np.isnat(due)
    assert (due[ok_due] > received[ok_due]).all()
    assert 0 < (has & np.isnat(due)).sum() < 0.06 * has.sum()  # a few left for the engine to compute
    ended = np.isin(status, [7, 8, 9, 10])
    assert (~np.isnat(finished) == ended).all()
    assert (finished[ended] >= received[ended]).all() and (finished[ended] <= cutoff).all()
    assert (~np.isnat(returned) == (status == 10)).all()
    assert (returned[status == 10] >= finished[status == 10]).all() and (returned[status == 10] <= cutoff).all()
    # supplements: requested after reception, the paused time fits before the end
    assert set(count) <= {0, 1, 2}
    assert (~np.isnat(first) == (count > 0)).all()
    assert (first[count > 0] >= received[count > 0]).all()
    assert (paused[count == 0] == 0).all()
    waiting = status == 5
    assert waiting.sum() >= 0 and (count[waiting] >= 1).all()
    done = np.isin(status, [9, 10]) & (count == 1)
    span = (finished[done] - received[done]).astype("timedelta64[s]").astype(np.int64)
    assert (paused[done] <= span).all()
    # flags
    fee = pc.cast(d.column("fee_total"), pa.float64()).to_numpy()
    paid = _np(d, "paid_online").astype(int)
    assert (paid[fee <= 0] == 0).all() and set(paid) <= {0, 1, 2} and (paid > 0).any()
    e_result = _np(d, "e_result").astype(bool)
    assert (~e_result | np.isin(status, [9, 10])).all()
    copy, e_cert = _np(d, "certified_copy").astype(bool), _np(d, "e_certified").astype(bool)
    procedures = _np(d, "procedure_code")
    assert (copy == (procedures == "2.000815")).all() and (~e_cert | copy).all()
    assert 0.9 < _np(d, "synced").astype(bool).mean() <= 1.0
    channel = _np(d, "channel").astype(int)
    assert set(channel) <= {1, 2, 3} and (channel == 2).any()


def test_received_in_office_hours_on_working_days(small):
    received = _np(small.dossiers, "received_at")
    received = received[~np.isnat(received)]
    local = received + np.timedelta64(7, "h")
    clock = (local - local.astype("datetime64[D]")).astype("timedelta64[s]").astype(int)
    morning = (clock >= 7 * 3600) & (clock < 11 * 3600 + 1800)
    afternoon = (clock >= 13 * 3600 + 1800) & (clock < 17 * 3600)
    assert (morning | afternoon).all()
    cal = WorkCalendar()
    days = {d.item() for d in local.astype("datetime64[D]")}
    assert all(cal.is_working_day(day) for day in days)
    assert date(2023, 1, 23) not in days  # Tết Quý Mão


def test_due_dates_follow_the_procedure_and_the_calendar(small):
    d = small.dossiers
    procs = {r["procedure_code"]: r for r in small.procedures.to_pylist()}
    code, received, due = _np(d, "procedure_code"), _np(d, "received_at"), _np(d, "due_at")
    keep = ~np.isnat(received) & ~np.isnat(due)
    amounts = np.array([procs[c]["processing_time"] for c in code[keep]])
    units = np.array([procs[c]["time_unit"] for c in code[keep]])
    expected = WorkCalendar().add_working_time_many(received[keep], amounts, units)
    assert (expected == due[keep]).all()


# -- profiles ----------------------------------------------------------------------------------------------------


def _by_unit(g, name_part: str) -> np.ndarray:
    names = {r["unit_code"]: r["unit_name"] for r in g.units.to_pylist()}
    units = _np(g.dossiers, "unit_code")
    return np.array([name_part in names[u] for u in units])


def _late_share(g, rows: np.ndarray) -> float:
    d = g.dossiers
    due = _np(d, "due_at")[rows]
    finished, paused = _np(d, "finished_at")[rows], _np(d, "paused_seconds")[rows].astype("timedelta64[s]")
    count = _np(d, "supplement_count")[rows].astype(int)
    ok = ~np.isnat(finished) & ~np.isnat(due)
    late = (finished - paused > due) | (count > 1)
    return float(late[ok].mean())


def test_unit_profiles_differ_as_in_the_letter(small):
    thanh_phuoc, town = _by_unit(small, "xã Thanh Phước"), _by_unit(small, "thị trấn Gò Dầu")
    assert _late_share(small, thanh_phuoc) > 0.25 > _late_share(small, town)
    d = small.dossiers
    e_result = _np(d, "e_result").astype(bool)
    finished_paper = np.isin(_np(d, "status").astype(int), [9, 10])
    thanh_duc = _by_unit(small, "xã Thạnh Đức") & finished_paper
    phuoc_thanh = _by_unit(small, "xã Phước Thạnh") & finished_paper
    assert e_result[thanh_duc].mean() < 0.8 < e_result[phuoc_thanh].mean()
    copies = _np(d, "certified_copy").astype(bool) & finished_paper
    e_cert = _np(d, "e_certified").astype(bool)
    assert e_cert[copies & _by_unit(small, "thị trấn Gò Dầu")].mean() < 0.3 < e_cert[copies & _by_unit(
        small, "xã Phước Thạnh")].mean()  # fmt: skip
    profiles = {p["name"]: p for p in small.manifest["profiles"]}
    assert profiles["UBND xã Thanh Phước"]["on_time"] == pytest.approx(0.5684)
    assert "Gò Dầu" in profiles["UBND xã Thanh Phước"]["note"]
    assert max(p["paid_online"] for p in profiles.values()) <= 0.2  # online payment weak everywhere


def test_2025_communes_take_former_district_procedures(modern):
    communes = {r["unit_code"] for r in modern.units.to_pylist() if r["kind"] == "commune"}
    units, codes = _np(modern.dossiers, "unit_code"), _np(modern.dossiers, "procedure_code")
    at_communes = set(codes[np.isin(units, list(communes))])
    assert "1.001612" in at_communes or "1.012783" in at_communes  # household business or land, at communes now
    levels = {r["procedure_code"]: r["levels"] for r in modern.procedures.to_pylist()}
    assert "huyen" not in "".join(levels.values())


# -- files read by chiso ingest ------------------------------------------------------------------------------------


def _assert_parses(raw: readers.RawTable, kind_fields: tuple[ingest_fields.Field, ...]) -> dict[str, pa.Array]:
    found, unknown, personal = ingest_fields.match_headings(raw.headings, kind_fields)
    assert unknown == [] and personal == []
    values = {}
    for f in kind_fields:
        if f.name in found:
            parsed = parse(f, raw.columns[found[f.name]])
            bad = pc.sum(pc.cast(parsed.bad, pa.int64())).as_py() or 0
            assert bad == 0, (f.name, pc.filter(raw.columns[found[f.name]], parsed.bad).to_pylist()[:5])
            values[f.name] = parsed.values
    assert [f.name for f in kind_fields if f.required and f.name not in found] == []
    return values


def test_csv_files_parse_with_every_heading_recognised(small, tmp_path):
    files = write(small, tmp_path, "csv")
    assert [f.path.name for f in files][:3] == ["units.csv", "procedures.csv", "dossiers.csv"]
    expectations = {
        "units.csv": ("units", UNIT_HEADINGS, small.units.num_rows),
        "procedures.csv": ("procedures", PROCEDURE_HEADINGS, small.procedures.num_rows),
        "dossiers.csv": ("dossiers", tuple(h for _, h in DOSSIER_HEADINGS), 1500),
        "petitions.csv": ("petitions", PETITION_HEADINGS, small.petitions.num_rows),
    }
    for name, (kind, headings, rows) in expectations.items():
        raw = readers.read_csv(tmp_path / name)
        assert raw.kind == kind and tuple(raw.headings) == headings and raw.length == rows
        values = _assert_parses(raw, ingest_fields.KIND_FIELDS[kind])
        personal = {ingest_fields.fold(h) for h in raw.headings} & ingest_fields.PERSONAL
        assert personal == set()
    values = _assert_parses(readers.read_csv(tmp_path / "dossiers.csv"), ingest_fields.DOSSIER_FIELDS)
    assert pc.sum(pc.cast(values["e_result"], pa.int64())).as_py() > 0
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 11 and manifest["format"] == "csv"
    assert {f["name"] for f in manifest["files"]} >= {"units.csv", "dossiers.csv", "petitions.csv"}


def test_sync_json_files_parse_and_only_fake_personal_data(small, tmp_path):
    files = write(small, tmp_path, "json", json_chunk=200)
    dossier_files = [f for f in files if f.kind == "dossiers"]
    assert sum(f.rows for f in dossier_files) == 1500 and len(dossier_files) > 1
    for f in dossier_files:
        body = json.loads(f.path.read_text(encoding="utf-8"))
        assert body["service"] == "DongBoHoSoMC" and body["madonvi"] and len(body["data"]) == f.rows
        assert {item["ChuHoSo"] for item in body["data"]} == {"Nguyễn Văn A"}
        assert all(item["SoGiayToChuHoSo"].startswith("000000") for item in body["data"])
        (raw,) = readers.read_json(f.path)
        assert raw.kind == "dossiers" and raw.problems == []
        _assert_parses(raw, ingest_fields.DOSSIER_FIELDS)
        units = set(pc.unique(raw.columns[raw.headings.index("unit_code")]).to_pylist())
        assert units == {body["madonvi"]}
    steps = [f for f in files if f.kind == "steps"]
    assert steps and json.loads(steps[0].path.read_text(encoding="utf-8"))["service"] == "CapNhatTienDoHoSoMC"
    (raw,) = readers.read_json(steps[0].path)
    assert raw.kind == "steps"
    _assert_parses(raw, ingest_fields.STEP_FIELDS)


def test_json_matches_the_table(small, tmp_path):
    write(small, tmp_path, "json", json_chunk=100_000)
    by_code = {r["dossier_code"]: r for r in small.dossiers.to_pylist()}
    checked = 0
    for path in sorted(tmp_path.glob("dossiers*.json")):
        (raw,) = readers.read_json(path)
        cols = dict(zip(raw.headings, raw.columns, strict=True))
        for i, code in enumerate(cols["dossier_code"].to_pylist()):
            row = by_code[code]
            assert int(cols["status"][i].as_py()) == row["status"]
            assert int(cols["supplement_count"][i].as_py()) == row["supplement_count"]
            if row["supplement_count"] and row["paused_seconds"]:
                assert float(cols["paused_hours"][i].as_py()) == pytest.approx(row["paused_seconds"] / 3600, abs=1e-3)
            assert (cols["e_result"][i].as_py() == "1") == row["e_result"]
            assert float(cols["fee_total"][i].as_py() or 0) == float(row["fee_total"])
            checked += 1
    assert checked == 1500


def test_xlsx_is_read_by_ingest(tmp_path):
    g = generate(GenerateSpec(preset="go-dau-2023", dossiers=150, seed=2))
    write(g, tmp_path, "xlsx")
    write(generate(GenerateSpec(preset="go-dau-2023", dossiers=150, seed=2)), tmp_path / "again", "xlsx")
    assert (tmp_path / "dossiers.xlsx").read_bytes() == (tmp_path / "again" / "dossiers.xlsx").read_bytes()
    raw = readers.read_xlsx(tmp_path / "dossiers.xlsx")
    assert raw.kind == "dossiers" and raw.length == 150
    _assert_parses(raw, ingest_fields.DOSSIER_FIELDS)


def test_bad_rows_are_rejected_for_the_right_reason(tmp_path):
    g = generate(GenerateSpec(preset="go-dau-2023", dossiers=800, seed=4, bad_rows=0.02))
    kinds = g.faults.column("kind").to_pylist()
    assert len(kinds) == 16 and g.manifest["counts"]["bad_rows"] == {k: kinds.count(k) for k in set(kinds)}
    write(g, tmp_path, "csv")
    raw = readers.read_csv(tmp_path / "dossiers.csv")
    found, _, _ = ingest_fields.match_headings(raw.headings, ingest_fields.DOSSIER_FIELDS)
    fields = {f.name: f for f in ingest_fields.DOSSIER_FIELDS}
    rows = g.faults.column("row").to_pylist()
    bad = {name: set(np.flatnonzero(parse(fields[name], raw.columns[found[name]]).bad.to_numpy(zero_copy_only=False)))
           for name in ("status", "received_at")}  # fmt: skip
    codes = raw.columns[found["dossier_code"]].to_pylist()
    for row, kind in zip(rows, kinds, strict=True):
        if kind == "unknown_status":
            assert row in bad["status"]
        elif kind == "bad_date":
            assert row in bad["received_at"]
        elif kind == "missing_code":
            assert codes[row] in (None, "")
    assert len(bad["status"]) == kinds.count("unknown_status") and len(bad["received_at"]) == kinds.count("bad_date")
    clean = generate(GenerateSpec(preset="go-dau-2023", dossiers=800, seed=4))
    assert clean.faults.num_rows == 0


def test_steps_are_chronological_and_end_with_the_dossier(small):
    steps = small.steps
    codes = np.array(steps.column("dossier_code").to_pylist(), dtype=object)
    at = _np(steps, "at")
    status = np.array(steps.column("status").to_pylist())
    same = codes[1:] == codes[:-1]
    assert (at[1:][same] >= at[:-1][same]).all()
    finished = {r["dossier_code"]: r for r in small.dossiers.to_pylist() if r["status"] in (9, 10)}
    nine = {c: a for c, a, s in zip(codes, at, status, strict=True) if s == 9}
    assert set(nine) == set(finished)
    some = next(iter(finished))
    assert nine[some] == np.datetime64(finished[some]["finished_at"].replace(tzinfo=None), "us")


def test_petitions_have_15_working_day_deadlines(small):
    p = small.petitions.to_pylist()
    assert p
    received = np.array([r["received_at"].replace(tzinfo=None) for r in p], dtype="datetime64[us]")
    due = np.array([r["due_at"].replace(tzinfo=None) for r in p], dtype="datetime64[us]")
    assert (WorkCalendar().add_working_time_many(received, 15.0, "working_day") == due).all()
    assert all(r["handled_at"] is None or r["handled_at"] >= r["received_at"] for r in p)
    assert {r["status"] for r in p} <= {"open", "handled", "rejected"}


def test_spec_errors_are_vietnamese():
    with pytest.raises(ChisoError, match="Không có bộ mẫu"):
        generate(GenerateSpec(preset="nowhere"))
    with pytest.raises(ChisoError, match="Kỳ không hợp lệ"):
        generate(GenerateSpec(start=date(2023, 5, 1), end=date(2023, 4, 1)))
    with pytest.raises(ChisoError, match="dòng lỗi"):
        generate(GenerateSpec(bad_rows=0.9))
    with pytest.raises(ChisoError, match="--province"):
        generate(GenerateSpec(preset="go-dau-2023", province="H21"))


def test_custom_period_and_zero_dossiers():
    g = generate(GenerateSpec(preset="go-dau-2023", start=date(2023, 5, 1), end=date(2023, 5, 31), dossiers=200))
    received = _np(g.dossiers, "received_at")
    received = received[~np.isnat(received)] + np.timedelta64(7, "h")
    assert received.min() >= np.datetime64("2023-05-01") and received.max() < np.datetime64("2023-06-01")
    assert generate(GenerateSpec(dossiers=0, petitions=False)).dossiers.num_rows == 0


# -- command line ------------------------------------------------------------------------------------------------


def test_cli_end_to_end(tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(app, ["generate", "--preset", "go-dau-2023", "--dossiers", "300", "--seed", "9",
                                 "--steps", "--bad-rows", "0.01", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Đã ghi vào" in result.output and "hồ sơ" in result.output and "dòng lỗi cố ý" in result.output
    assert {"units.csv", "procedures.csv", "dossiers.csv", "steps.json", "petitions.csv", "manifest.json"} <= {
        p.name for p in out.iterdir()
    }
    raw = readers.read_csv(out / "dossiers.csv")
    assert raw.length == 300
    result = runner.invoke(app, ["generate", "--preset", "province-2025", "--province", "an-giang", "--dossiers",
                                 "120", "--format", "json", "--from", "2025-07-01", "--out", str(tmp_path / "j")])
    assert result.exit_code == 0, result.output  # fmt: skip
    assert "H01" in result.output and list((tmp_path / "j").glob("dossiers-*.json"))


def test_cli_errors_are_reported_in_vietnamese(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["generate", "--format", "pdf", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "Định dạng không được hỗ trợ" in result.output
    result = runner.invoke(app, ["generate", "--from", "2023-13-01", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "Ngày không hợp lệ" in result.output
    result = runner.invoke(app, ["generate", "--preset", "province-2025", "--province", "H99", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "Không có tỉnh" in result.output
