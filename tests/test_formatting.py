from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from chiso.formatting import cutoff_time, date_in_words, integer, nfc, number, percent, score, signed, to_decimal


def test_vietnamese_numbers():
    assert number(Decimal("63.31")) == "63,31"
    assert number(1234567.5) == "1.234.567,5"
    assert integer(1065150) == "1.065.150"
    assert percent(Decimal("92.37")) == "92,37%"
    assert score(Decimal("63.31")) == "63,31/100"
    assert score(Decimal("63.3")) == "63,30/100"
    assert number(None) == "—"
    assert signed(Decimal("4.41")) == "+4,41"
    assert signed(Decimal("-0.5")) == "-0,5"


def test_dates_in_words():
    assert date_in_words(date(2023, 6, 2)) == "ngày 02 tháng 6 năm 2023"
    assert cutoff_time(datetime(2023, 5, 31, 16, 30)) == "16 giờ 30 phút ngày 31/5/2023"


def test_round_half_up_like_the_portal():
    assert to_decimal(Fraction(2, 1000) * 5 + Fraction(1, 1000) * 5) == Decimal("0.02")  # 0.015 → 0.02
    assert to_decimal(Fraction(19411764, 1000000)) == Decimal("19.41")
    assert to_decimal(0.125) == Decimal("0.13")


def test_nfc():
    decomposed = "Tho\u0302\u0301ng"
    assert nfc(decomposed) == "Thống"


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_number_round_trips(value: Decimal):
    text = number(value, 2, trim=False)
    back = Decimal(text.replace(".", "").replace(",", "."))
    assert back == value


def test_unit_names_as_officials_write_them():
    from chiso.formatting import area_name, join_words, mid_sentence, place_name, unit_name

    assert unit_name("Xã Thạnh Đức") == "UBND xã Thạnh Đức"
    assert unit_name("Ủy ban nhân dân thị trấn Gò Dầu - huyện Gò Dầu") == "UBND thị trấn Gò Dầu"
    assert unit_name("Sở Tư pháp - tỉnh Tây Ninh") == "Sở Tư pháp"
    assert unit_name("UBND Thành phố Tây Ninh") == "UBND thành phố Tây Ninh"
    assert area_name("UBND huyện Gò Dầu") == "huyện Gò Dầu"
    assert place_name("UBND huyện Gò Dầu") == "Gò Dầu"
    assert place_name("UBND thị xã Hòa Thành") == "Hòa Thành"
    assert mid_sentence("Các cơ quan chuyên môn huyện") == "các cơ quan chuyên môn huyện"
    assert mid_sentence("Sở Tư pháp") == "Sở Tư pháp"
    assert mid_sentence("UBND các xã, thị trấn") == "UBND các xã, thị trấn"
    assert join_words(["a", "b", "c"]) == "a, b và c"
    assert join_words(["a"]) == "a"


def test_period_in_words():
    from chiso.domain.periods import Period

    assert Period.parse("2023-05").words == "tháng 5 năm 2023"
    assert Period.parse("2023-Q2").words == "quý II năm 2023"
    assert Period.parse("2023").words == "năm 2023"
