"""Property-based tests of every rule kind, and the portal's worked examples (methodology.md §8)."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from chiso.domain.results import FigureStatus
from chiso.methodology import load_methodology
from chiso.methodology.model import EmptyDenominator, LinearRule, ThresholdRule
from chiso.scoring.rules import apply_rule, metric_points
from chiso.scoring.score import MetricInput, score_unit

LIVE = load_methodology("dvcqg-live")
SCORED = [x for _, x in LIVE.metrics() if x.scored]

rules = st.one_of(
    st.just(LinearRule()),
    st.decimals(min_value=Decimal("0.05"), max_value=1, places=2).map(lambda t: ThresholdRule(target=t)),
)
maxima = st.sampled_from([Decimal(x) for x in (2, 4, 6, 10, 12, 20)])
counts = st.integers(0, 10**6)


@given(rules, maxima, counts, counts)
def test_never_above_the_maximum_nor_below_zero(rule, top, n, d):
    assume(d > 0)
    points = apply_rule(rule, top, Fraction(n, d))
    assert 0 <= points <= top


@given(rules, maxima, counts, counts, counts)
def test_monotone_in_the_ratio(rule, top, a, b, d):
    assume(d > 0)
    low, high = sorted((a, b))
    assert apply_rule(rule, top, Fraction(low, d)) <= apply_rule(rule, top, Fraction(high, d))


@given(st.decimals(min_value=Decimal("0.05"), max_value=1, places=2), maxima)
def test_exact_at_the_target_and_below_it(target, top):
    rule = ThresholdRule(target=target)
    assert apply_rule(rule, top, Fraction(target)) == top
    below = Fraction(target) - Fraction(1, 10**6)
    assert apply_rule(rule, top, below) < top


@given(st.sampled_from(SCORED), counts, counts)
def test_rounded_score_is_within_half_a_cent(metric, n, d):
    assume(d > 0)
    p = metric_points(metric, n, d)
    assert p.score is not None and p.exact is not None
    assert abs(Fraction(p.score) - p.exact) <= Fraction(1, 200)
    assert p.score == p.score.quantize(Decimal("0.01"))


@given(st.sampled_from(SCORED), counts, counts)
def test_differential_against_a_plain_float_formula(metric, n, d):
    """The exact path agrees with the formula written plainly in floats (methodology.md §4.7)."""
    assume(d > 0)
    r = min(n / d, 1.0)
    t = float(metric.target)
    plain = float(metric.max) * min(1.0, r / t)
    assert abs(float(metric_points(metric, n, d).exact) - plain) < 1e-9


@pytest.mark.parametrize("metric", SCORED, ids=lambda m: m.code)
def test_empty_denominator_policy(metric):
    p = metric_points(metric, 0, 0)
    expected = {EmptyDenominator.FULL: metric.max, EmptyDenominator.ZERO: Decimal(0)}[metric.on_empty]
    assert p.score == expected and p.empty


def test_empty_denominator_cases_seen_on_the_portal():
    # Gia Lai 10/10/2026: petitions 0/0 → 6; dossier satisfaction 0/0 → 0; no dossiers → TDGQ 0.
    assert metric_points(LIVE.metric("PETITION_PROCESSING_ON_TIME"), 0, 0).score == 6
    assert metric_points(LIVE.metric("PETITION_HANDLING_SATISFACTION"), 0, 0).score == 6
    assert metric_points(LIVE.metric("DOSSIER_RECEIVING_SATISFACTION"), 0, 0).score == 0
    assert metric_points(LIVE.metric("ON_TIME"), 0, 0).score == 0
    assert metric_points(LIVE.metric("FULL"), 0, 0).score == 0  # Ba Vì


def test_missing_inputs_are_no_data_never_zero():
    p = metric_points(LIVE.metric("ON_TIME"), None, None)
    assert p.score is None and p.status is FigureStatus.NO_DATA
    unit = score_unit(LIVE, {"ON_TIME": MetricInput(10, 10)})
    assert not unit.complete
    assert unit.group("TDGQ").score == 20 and unit.group("MDSH").missing


def test_monitoring_metrics_give_no_points():
    p = metric_points(LIVE.metric("AVG_DAYS"), 4, None)
    assert p.score is None and p.status is FigureStatus.NOT_APPLICABLE


def test_ha_noi_2026_10_10_groups():
    """methodology.md §8.1: recomputation of the city's groups from published figures."""
    unit = score_unit(
        LIVE,
        {
            "FULL": MetricInput(53, 81),
            "HAS_ONLINE": MetricInput(781, 1965),
            "ONLINE_DOSSIERS": MetricInput(886491, 1065048),
            "PAY_DOSSIERS": MetricInput(229394, 427521),
            "PAY_FORMALITIES": MetricInput(125, 331),
            "PAY_PROVISION": MetricInput(70, 331),
            "PETITION_PROCESSING_ON_TIME": MetricInput(ratio_percent=Decimal("22.19")),
            "PETITION_HANDLING_SATISFACTION": MetricInput(ratio_percent=Decimal("17.55")),
            "DOSSIER_RECEIVING_SATISFACTION": MetricInput(785199, 1065150),
            "ON_TIME": MetricInput(ratio_percent=Decimal("74.04")),
        },
    )
    assert unit.group("CLGQ").score == Decimal("9.23")
    assert unit.group("TTTT").score == Decimal("4.69")
    assert unit.group("MDHL").score == Decimal("7.29")
    assert unit.group("TDGQ").score == Decimal("14.81")


def test_ba_vi_online_group():
    unit = score_unit(
        LIVE, {"FULL": MetricInput(0, 0), "HAS_ONLINE": MetricInput(31, 403), "ONLINE_DOSSIERS": MetricInput(9, 10)}
    )
    assert unit.group("CLGQ").score == Decimal("6.31")


def test_gia_lai_rows():
    cases = {
        ("ON_TIME", 653, 654): "19.97",
        ("ORIGINAL_RESULT_AVAILABLE", 610, 654): "5.60",
        ("SO_HOA_GIAY_TO_GIAI_QUYET", 603, 654): "3.69",
        ("REUSED_DIGITIZED_DATA", 636, 654): "2.00",
        ("REUSED_DIGITIZED_DATA", 1543, 2618): "1.47",
        ("CITIZEN_DATA_CONNECTED_FORMALITY", 28, 388): "0.14",
        ("DOSSIER_RECEIVING_SATISFACTION", 2540, 2618): "6.00",
        ("ON_TIME", 2541, 2618): "19.41",
        ("ON_TIME", 287, 294): "19.52",
    }
    for (code, n, d), expected in cases.items():
        assert metric_points(LIVE.metric(code), n, d).score == Decimal(expected), code


def test_group_is_the_sum_of_rounded_metric_scores():
    """Vân Canh MDSH: rounded scores add to the published 12.49; unrounded ones would give 12.51."""
    inputs = {
        "ORIGINAL_RESULT_AVAILABLE": MetricInput(2497, 2618),
        "SO_HOA_GIAY_TO_GIAI_QUYET": MetricInput(1520, 2618),
        "REUSED_DIGITIZED_DATA": MetricInput(1543, 2618),
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": MetricInput(2, 2618),
        "CITIZEN_DATA_CONNECTED_DOSSIER": MetricInput(1105, 2618),
        "CITIZEN_DATA_CONNECTED_FORMALITY": MetricInput(28, 388),
        "ELECTRONIC_CERTIFIED_COPY": MetricInput(ratio_percent=100),
    }
    unit = score_unit(LIVE, inputs)
    assert unit.group("MDSH").score == Decimal("12.49")
    exact = sum(m.points.exact for m in unit.group("MDSH").metrics)
    assert round(float(exact), 2) == 12.51


@given(st.lists(st.tuples(st.sampled_from(SCORED), counts, counts), max_size=30))
def test_total_is_the_sum_of_groups(entries):
    inputs = {m.code: MetricInput(min(n, d), d) for m, n, d in entries if d > 0}
    unit = score_unit(LIVE, inputs)
    assert unit.total == sum(g.score for g in unit.groups)
    assert unit.total <= 100
    for g in unit.groups:
        assert g.score <= g.max
