"""The letter as data: the Gò Dầu May 2023 letter against the reference, targets, trend, estimates."""

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from chiso.report.content import build_letter, tidy
from chiso.report.data import gather
from chiso.report.profile import load_profile, profile_text
from tests.report_helpers import GO_DAU, ISSUED, MAY, as_estimate, frame, go_dau_data, normalise, reference_text


def _letter(ws, profile="go-dau-2023", data=None):
    return build_letter(data or go_dau_data(ws), load_profile(profile), issued=ISSUED)


def test_go_dau_letter_has_the_reference_structure_and_sentences(godau_ws):
    letter = _letter(godau_ws)
    ref = reference_text()
    ours = [
        *letter.issuer,
        *letter.national,
        letter.number,
        letter.abstract,
        letter.place_date,
        "Kính gửi:",
        *letter.recipients,
        *(p.text for p in letter.body),
        "Nơi nhận:",
        *letter.cc,
        *letter.signer,
    ]
    # every element is in the reference with the same frame, in the same order
    position = -1
    ref_frames = frame(ref)
    for text in ours:
        at = ref_frames.find(frame(text), position + 1)
        assert at > position, f"not found in order: {text!r}"
        position = at


def test_go_dau_figures_are_the_references(godau_ws):
    letter = _letter(godau_ws)
    results = next(p.text for p in letter.body if "Tổng số điểm huyện đạt" in p.text)
    assert normalise(results) in reference_text()  # word for word, figures included
    assert "63,31/100 điểm, xếp thứ 4/9 huyện, thị xã, thành phố" in results
    assert "tất cả các tiêu chí đều có xu hướng tăng điểm khá tốt" in results
    assert "(số liệu tính đến thời điểm 16 giờ 30 phút ngày 31/5/2023)" in results
    by_metric = {f.metric: f for f in letter.findings}
    assert list(by_metric) == ["PAY_DOSSIERS", "ORIGINAL_RESULT_AVAILABLE", "E_CERTIFIED_COPY_SHARE", "ON_TIME"]
    assert by_metric["PAY_DOSSIERS"].collective
    assert by_metric["PAY_DOSSIERS"].sentence == (
        "+ Tỷ lệ thanh toán trực tuyến các cơ quan chuyên môn huyện và UBND các xã, thị trấn chưa đảm bảo theo quy"
        " định."
    )
    assert by_metric["ORIGINAL_RESULT_AVAILABLE"].sentence == (
        "+ Tỷ lệ số hóa kết quả giải quyết TTHC chưa đảm bảo theo quy định như: các cơ quan chuyên môn huyện: 92,37%, "
        "UBND xã Thạnh Đức: 70,57%, UBND xã Hiệp Thạnh: 98,78%, UBND xã Phước Trạch: 95%, UBND xã Cẩm Giang: 92,96%."
    )
    assert by_metric["E_CERTIFIED_COPY_SHARE"].sentence == (
        "+ Chứng thực điện tử bản sao từ bản chính của các xã, thị trấn chưa đảm bảo theo quy định như: "
        "UBND thị trấn Gò Dầu 23 hồ sơ, UBND xã Hiệp Thạnh 44 hồ sơ."
    )
    assert normalise(by_metric["E_CERTIFIED_COPY_SHARE"].sentence) in reference_text()
    assert by_metric["ON_TIME"].sentence == (
        "+ Tiến độ giải quyết TTHC của các xã còn thấp như: UBND xã Thanh Phước: 56,84%, UBND xã Hiệp Thạnh: 78,43%, "
        "UBND xã Phước Trạch: 70,08%, UBND xã Bàu Đồn: 89,45%."
    )
    assert letter.number == "Số:      /UBND-NC"
    assert letter.place_date == "Gò Dầu, ngày 02 tháng 6 năm 2023"
    assert letter.recipients == ("- Các cơ quan chuyên môn huyện;", "- UBND các xã, thị trấn.")
    closing = "Trên đây là kết quả đánh giá Bộ Chỉ số phục vụ người dân và doanh nghiệp tháng 5 năm 2023 trên địa bàn"
    assert letter.body[-1].text.startswith(closing + " huyện Gò Dầu. Yêu cầu Thủ trưởng")
    assert not letter.estimate


def test_a_target_without_figures_is_left_out_with_a_note(godau_ws):
    letter = _letter(godau_ws, data=gather(godau_ws, GO_DAU, MAY))  # official: no certified-copy figures
    assert "E_CERTIFIED_COPY_SHARE" not in {f.metric for f in letter.findings}
    assert not any("Chứng thực" in p.text for p in letter.body if p.text.startswith("+"))
    assert any("E_CERTIFIED_COPY_SHARE" in n and "không đưa vào công văn" in n for n in letter.notes)


def test_local_figures_are_marked_as_an_estimate(godau_ws):
    letter = _letter(godau_ws, data=as_estimate(go_dau_data(godau_ws)))
    assert letter.estimate and letter.summary.estimate
    text = " ".join(p.text for p in letter.body)
    assert "số liệu tạm tính, tính đến thời điểm 16 giờ 30 phút ngày 31/5/2023" in text
    assert "Căn cứ số liệu tạm tính" in text
    assert "(số liệu tạm tính)" in letter.appendix.subtitle


def test_wording_and_targets_change_with_the_profile_alone(godau_ws, tmp_path: Path):
    text = profile_text("go-dau-2023")
    text = text.replace("threshold: 90", "threshold: 60").replace("number_prefix: UBND-NC", "number_prefix: UBND-VP")
    path = tmp_path / "p.yaml"
    path.write_text(text, "utf-8")
    letter = _letter(godau_ws, profile=str(path))
    on_time = next(f for f in letter.findings if f.metric == "ON_TIME")
    assert [u.unit for u in on_time.short] == ["UBND xã Thanh Phước"]
    assert letter.number.endswith("/UBND-VP")


def test_trend_and_rank_change_against_the_previous_period(godau_ws):
    letter = _letter(godau_ws)
    s = letter.summary
    assert (s.total, s.rank, s.peers) == (Decimal("63.31"), 4, 9)
    assert (s.score_change, s.rank_change) == (Decimal("3.71"), 2)
    data = go_dau_data(godau_ws)
    worse = replace(data, previous=replace(data.previous, total=Decimal("70.00")))
    text = next(p.text for p in _letter(godau_ws, data=worse).body if "Tổng số điểm" in p.text)
    assert "giảm 6,69 điểm so với tháng 4/2023, tăng 2 bậc" in text
    alone = next(p.text for p in _letter(godau_ws, data=replace(data, previous=None)).body if "Tổng số" in p.text)
    assert "thành phố trong tháng 5/2023 (số liệu" in alone


def test_appendix_lists_every_units_metrics_with_rank_and_band(godau_ws):
    appendix = _letter(godau_ws).appendix
    assert [u.name for u in appendix.units][:3] == [
        "Các cơ quan chuyên môn huyện", "UBND xã Phước Thạnh", "UBND thị trấn Gò Dầu"
    ]  # fmt: skip
    assert len(appendix.units) == 10
    rows = [r for r in appendix.rows if r.unit_name == "UBND xã Thạnh Đức"]
    row = next(r for r in rows if r.metric_code == "ORIGINAL_RESULT_AVAILABLE")
    assert row.ratio == Decimal("70.57") and row.max == 6 and row.band == "Khá" and row.peers == 9
    assert row.numerator is not None and row.denominator is not None and row.score is not None
    assert all(r.max > 0 for r in appendix.rows)


def test_tidy_keeps_sentences_clean():
    assert tidy("đạt 63,31 điểm,  trong tháng 5/2023 ( ).") == "đạt 63,31 điểm, trong tháng 5/2023."
    assert tidy("xếp thứ 4/9 , tăng") == "xếp thứ 4/9, tăng"


def test_every_text_is_nfc(godau_ws):
    import unicodedata

    from chiso.report.profile import available_profiles

    for name in available_profiles():
        text = profile_text(name)
        assert unicodedata.is_normalized("NFC", text), name
    letter = _letter(godau_ws)
    texts = [*letter.issuer, letter.abstract, letter.place_date, *letter.recipients, *(p.text for p in letter.body),
             *letter.cc, *(r.metric_name for r in letter.appendix.rows)]  # fmt: skip
    assert all(unicodedata.is_normalized("NFC", t) for t in texts)
