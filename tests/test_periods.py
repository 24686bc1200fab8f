from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chiso.domain.periods import Period, PeriodKind
from chiso.errors import PeriodError


def test_parse_forms():
    assert Period.parse("2023-05").start == date(2023, 5, 1)
    assert Period.parse("2023-05").end == date(2023, 5, 31)
    assert Period.parse("5/2023") == Period.parse("2023-05")
    assert Period.parse("2023-Q2").end == date(2023, 6, 30)
    assert Period.parse("2023").kind is PeriodKind.YEAR
    ytd = Period.parse("2023-05", ytd=True)
    assert (ytd.start, ytd.end, ytd.key) == (date(2023, 1, 1), date(2023, 5, 31), "2023-05-ytd")
    assert Period.parse("2023-05-ytd") == ytd
    assert Period.parse("2023-05-01..2023-05-20").key == "2023-05-01..2023-05-20"


def test_labels():
    assert Period.parse("2023-05").label == "tháng 5/2023"
    assert Period.parse("2023-Q2").label == "quý II/2023"
    assert Period.parse("2023").label == "năm 2023"
    assert Period.parse("2023-05", ytd=True).label == "lũy kế đến tháng 5/2023"


def test_previous():
    assert Period.parse("2023-01").previous() == Period.parse("2022-12")
    assert Period.parse("2023-Q1").previous() == Period.parse("2022-Q4")
    assert Period.parse("2023").previous() == Period.parse("2022")


@pytest.mark.parametrize("bad", ["2023-13", "2023-Q5", "abc", "2023-05-10..2023-05-01", "2023-02-30..2023-03-01"])
def test_bad_periods_are_refused_in_vietnamese(bad):
    with pytest.raises(PeriodError) as err:
        Period.parse(bad)
    assert err.value.message  # a Vietnamese sentence, not a traceback


@given(st.integers(2000, 2100), st.integers(1, 12))
def test_month_keys_round_trip_and_chain(year, month):
    p = Period.month(year, month)
    assert Period.parse(p.key) == p
    assert p.previous().end + timedelta(days=1) == p.start


@given(st.integers(2000, 2100), st.integers(1, 4))
def test_quarter_keys_round_trip(year, quarter):
    p = Period.quarter(year, quarter)
    assert Period.parse(p.key) == p
    assert p.months() == 3
