import math
from decimal import Decimal
from fractions import Fraction

import pytest

from chiso.domain.results import FigureStatus
from chiso.errors import UnknownUnitError
from chiso.scoring.explain import Basis
from chiso.wording import restore_sentence


@pytest.fixture
def van_canh(real_ws):
    return real_ws.explain("H21.227")


def by_code(x):
    return {e.line.code: e for e in x.explanations}


def test_sorted_by_points_lost(van_canh):
    lost = [e.lost for e in van_canh.explanations if e.lost is not None]
    assert lost == sorted(lost, reverse=True)
    assert van_canh.explanations[0].line.code == "PUBLISH_ON_TIME"
    assert van_canh.lost_total == Decimal(100) - Decimal("75.34")


def test_points_and_sources(van_canh):
    e = by_code(van_canh)
    assert e["PUBLISH_ON_TIME"].line.status is FigureStatus.INHERITED  # a province-level metric
    assert e["CLGQ"].line.metric is None and e["CLGQ"].lost == Decimal("5.69")  # no metrics published
    assert e["PAY_DOSSIERS"].line.basis is Basis.RECOMPUTED and e["PAY_DOSSIERS"].line.score == Decimal("5.67")
    assert e["PAY_PROVISION"].line.basis is Basis.DERIVED and e["PAY_PROVISION"].line.score == Decimal("0.48")
    assert e["REUSED_DIGITIZED_DATA"].line.basis is Basis.PUBLISHED


def test_what_restores_the_points(van_canh):
    e = by_code(van_canh)
    assert e["PAY_DOSSIERS"].restore.to_target == 2489 - 2352
    assert e["REUSED_DIGITIZED_DATA"].restore.to_target == math.ceil(Decimal("0.8") * 2618) - 1543
    assert "137 hồ sơ thanh toán trực tuyến" in restore_sentence(e["PAY_DOSSIERS"])
    assert "2.489 hồ sơ có phí" in restore_sentence(e["PAY_DOSSIERS"])
    on_time = e["ON_TIME"].restore
    assert on_time.bad_items == 77 and on_time.new_to_target is None  # full points need 100 %
    n, d, k = 2541, 2618, on_time.to_recover_half
    half = Fraction(20 * n, d) + (20 - Fraction(20 * n, d)) / 2
    assert Fraction(20 * (n + k), d + k) >= half > Fraction(20 * (n + k - 1), d + k - 1)
    assert "77 hồ sơ không đạt" in restore_sentence(e["ON_TIME"])


def test_future_metric_below_a_threshold(real_ws):
    x = real_ws.explain("H21.19")  # Sở Y tế: dossier satisfaction below 90 %
    e = by_code(x)["DOSSIER_RECEIVING_SATISFACTION"]
    r = e.restore
    if e.lost:
        n, d = e.line.numerator, e.line.denominator
        assert (n + r.new_to_target) / (d + r.new_to_target) >= Fraction(9, 10)
        assert (n + r.new_to_target - 1) / (d + r.new_to_target - 1) < Fraction(9, 10)


def test_one_metric(real_ws):
    x = real_ws.explain("H21.227", metric="on_time")
    assert [e.line.code for e in x.explanations] == ["ON_TIME"]


def test_unknown_unit(real_ws):
    with pytest.raises(UnknownUnitError):
        real_ws.explain("H99.1")


def test_list_shaped_unit_is_explained_by_group(real_ws):
    x = real_ws.explain("H01.187")
    assert {e.line.code for e in x.explanations} == {"CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH"}
    assert x.view.rank == 1 and x.view.peers == 102


def test_results_for_appendix(real_ws):
    from chiso.domain.periods import Period

    rs = real_ws.results(period=Period.parse("2026"), parent="H21")
    assert {u.kind for u in rs.units} == {"agency", "commune"}
    van_canh = rs.unit("H21.227")
    assert van_canh.rank == 1 and van_canh.peers == 13
    assert van_canh.groups["CLGQ"].score == Decimal("6.31") and van_canh.groups["CLGQ"].max == 12
    assert any(line.code == "ON_TIME" and line.numerator == 2541 for line in van_canh.lines)
    assert rs.origin.cutoff is not None and not rs.origin.is_estimate
    assert [c.code for c in real_ws.unit_tree().children("H21")][:1]
    assert real_ws.find_unit("H21.227").short_name == "UBND xã Vân Canh"
