"""Letter profiles: every shipped one loads; a broken one is refused in Vietnamese with its file, line and field."""

from pathlib import Path

import pytest

from chiso.errors import ChisoError, MethodologyError
from chiso.report.profile import available_profiles, default_profile, load_profile, profile_text

SHIPPED = ["go-dau-2023", "huyen", "so", "tinh", "van-phong", "xa"]


def test_every_level_has_a_shipped_profile():
    assert available_profiles() == SHIPPED
    levels = {load_profile(name).level for name in SHIPPED}
    assert levels == {"district", "province", "agency", "commune"}
    assert [default_profile(k) for k in ("district", "province", "agency", "commune")] == ["huyen", "tinh", "so", "xa"]


def test_go_dau_profile_holds_the_reference_letter():
    p = load_profile("go-dau-2023")
    assert p.number_prefix == "UBND-NC"
    assert [r.text for r in p.recipients] == ["Các cơ quan chuyên môn huyện", "UBND các xã, thị trấn"]
    assert p.legal_bases[0].startswith("Căn cứ Quyết định số 5144/QĐ-UBND ngày 18/11/2022")
    assert [t.metric for t in p.targets] == ["PAY_DOSSIERS", "ORIGINAL_RESULT_AVAILABLE", "E_CERTIFIED_COPY_SHARE",
                                             "ON_TIME"]  # fmt: skip
    assert len(p.directives.items) == 5
    assert p.cc[-1] == "Lưu: VT, VP. HĐND và UBND huyện."
    assert p.signer.lines == ("CHỦ TỊCH",)


def test_a_user_file_loads_by_path(tmp_path: Path):
    path = tmp_path / "cong-van.yaml"
    path.write_text(profile_text("huyen").replace("number_prefix: UBND-VP", "number_prefix: UBND-TN"), "utf-8")
    assert load_profile(str(path)).number_prefix == "UBND-TN"


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = profile_text("huyen")
    assert old in text
    path = tmp_path / "hong.yaml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("level: district", "level: quan", "level"),
        ("number_prefix: UBND-VP\n", "", "thiếu trường bắt buộc"),
        ("    show: count", "    show: so-luong", "show"),
        ("{sender_area}. Đề nghị", "{ten_huyen}. Đề nghị", "không có biến {ten_huyen}"),
        ("threshold: 80  #", "threshold: 180  #", "lớn hơn 100"),
        ("  - metric: PAY_DOSSIERS\n", "  - metric: PAY_DOSSIERS\n    colour: red\n", "trường không được hỗ trợ"),
        ("    threshold: 95  # giả định: đặt theo chỉ đạo của huyện\n", "", "thiếu ngưỡng cho ON_TIME"),
    ],
)
def test_a_broken_profile_is_refused_in_vietnamese_naming_file_line_and_field(tmp_path, old, new, fragment):
    path = _broken(tmp_path, old, new)
    with pytest.raises(MethodologyError) as err:
        load_profile(str(path))
    assert err.value.message.startswith(f"Tệp hồ sơ công văn {path} không hợp lệ")
    assert any(fragment in issue and str(path) in issue for issue in err.value.issues), err.value.issues


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = _broken(tmp_path, "level: district", "level: [district")
    with pytest.raises(MethodologyError) as err:
        load_profile(str(path))
    assert "không đúng cú pháp YAML" in err.value.message
    assert f"{path}:" in err.value.issues[0]


def test_unknown_profile_name_lists_the_shipped_ones():
    with pytest.raises(ChisoError) as err:
        load_profile("quan")
    assert "Không có hồ sơ công văn 'quan'" in err.value.message
    assert "huyen" in (err.value.hint or "")
