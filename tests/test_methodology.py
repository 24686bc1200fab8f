from decimal import Decimal
from pathlib import Path

import pytest

from chiso.domain.periods import Period
from chiso.errors import MethodologyError, PeriodError
from chiso.methodology import available, load_methodology, load_targets, methodology_for

LIVE_MAXIMA = {"CKMB": 18, "TDGQ": 20, "CLGQ": 12, "TTTT": 10, "MDHL": 18, "MDSH": 22}


def test_shipped_methodologies():
    assert available() == ["qd766-2022", "dvcqg-live"]


def test_live_method_groups_and_metrics():
    m = load_methodology("dvcqg-live")
    assert {g.code: int(g.max) for g in m.groups} == LIVE_MAXIMA
    assert len(m.metrics()) == 27
    assert sum(1 for _, x in m.metrics() if x.scored) == 21
    assert m.group("ONLINE").code == "CLGQ"  # the per-unit records' key
    assert m.metric("REUSED_DIGITIZED_DATA").target == Decimal("0.8")
    assert m.metric("DOSSIER_RECEIVING_SATISFACTION").target == Decimal("0.9")
    assert m.metric("ONLINE_DOSSIERS").target == Decimal("0.5")
    assert str(m.metric("PETITION_PROCESSING_ON_TIME").on_empty) == "full"
    assert str(m.metric("DOSSIER_RECEIVING_SATISFACTION").on_empty) == "zero"
    assert m.metric("PUBLISH_ON_TIME").scope == "province"
    for _, x in m.metrics():  # every metric carries provenance for max, definition and rule
        assert x.evidence.max.label and x.evidence.definition.label and x.evidence.rule.label


def test_2022_text_marks_the_unknown_instead_of_inventing():
    m = load_methodology("qd766-2022")
    assert [int(g.max) for g in m.groups] == [18, 20, 22, 22, 18]
    unknown = [x for _, x in m.metrics() if x.rule.kind == "unknown"]
    assert unknown and all(str(x.evidence.rule.label) == "unconfirmed" for x in unknown)
    known = {x.code: int(x.max) for _, x in m.metrics() if x.rule.kind != "unknown"}
    assert known == {"PUBLIC_UPDATE_ON_TIME": 4, "ON_TIME": 20, "DOSSIER_RECEIVING_SATISFACTION": 6}


def test_choice_by_period():
    assert methodology_for(Period.parse("2023-05")).name == "qd766-2022"
    assert methodology_for(Period.parse("2025-10")).name == "dvcqg-live"
    with pytest.raises(PeriodError):
        methodology_for(Period.parse("2021-05"))


def _user_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _live_text() -> str:
    from importlib import resources

    return (resources.files("chiso.methodology") / "data" / "dvcqg-live.yaml").read_text(encoding="utf-8")


def test_a_user_copy_loads(tmp_path):
    m = load_methodology(_user_file(tmp_path, _live_text().replace("name: dvcqg-live", "name: ban-sao")))
    assert m.name == "ban-sao"


def test_group_sum_is_checked_with_its_line(tmp_path):
    text = _live_text().replace(
        "    name: Thanh toán trực tuyến\n    max: 10", "    name: Thanh toán trực tuyến\n    max: 11"
    )
    with pytest.raises(MethodologyError) as err:
        load_methodology(_user_file(tmp_path, text))
    joined = "\n".join(err.value.issues)
    assert "TTTT" in joined and "mine.yaml:" in joined
    assert "101" in joined  # the total no longer adds up to 100 either


def test_unknown_rule_kind_is_refused(tmp_path):
    text = _live_text().replace("rule: {kind: threshold, target: 0.9}", "rule: {kind: sigmoid, target: 0.9}")
    with pytest.raises(MethodologyError) as err:
        load_methodology(_user_file(tmp_path, text))
    assert any("loại quy tắc không được hỗ trợ" in i for i in err.value.issues)


def test_missing_provenance_is_refused(tmp_path):
    text = _live_text().replace(
        '          on_empty: {label: fitted, source: portal, note: "H21.20: 0/0 → 0 điểm."}\n', "", 1
    )
    with pytest.raises(MethodologyError) as err:
        load_methodology(_user_file(tmp_path, text))
    assert any("nguồn gốc" in i for i in err.value.issues)


def test_threshold_target_must_be_a_ratio(tmp_path):
    text = _live_text().replace("target: 0.5}", "target: 50}")
    with pytest.raises(MethodologyError):
        load_methodology(_user_file(tmp_path, text))


def test_yaml_syntax_error_names_the_line(tmp_path):
    with pytest.raises(MethodologyError) as err:
        load_methodology(_user_file(tmp_path, "name: x\ngroups: [\n"))
    assert "mine.yaml:" in err.value.issues[0]


def test_local_targets():
    ts = load_targets()
    t = ts.target("E_CERTIFIED_COPY_SHARE")
    assert t.threshold == 50 and t.threshold_label == "≥ 50%"
    assert t.met(Decimal("49.9")) is False and t.met(Decimal(50)) is True and t.met(None) is None


def test_user_targets_file(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        "name: tinh-x\ntitle: Chỉ tiêu tỉnh X\ntargets:\n"
        "  - {code: ONLINE_SHARE, name: Tỷ lệ hồ sơ trực tuyến, measure: ONLINE_DOSSIERS, threshold: 150,"
        " basis: Kế hoạch tỉnh, evidence: {label: assumed}}\n",
        encoding="utf-8",
    )
    with pytest.raises(MethodologyError) as err:
        load_targets(path)
    assert any("lớn hơn 100" in i for i in err.value.issues)
