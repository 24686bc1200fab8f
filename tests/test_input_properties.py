"""Properties of the input parsers: valid dates and numbers round-trip, invalid ones are refused with their reason
and never silently shifted; encodings and delimiters are detected (hypothesis)."""

from __future__ import annotations

import calendar
import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chiso.errors import InputFileError
from chiso.ingest.fields import Field, FieldType
from chiso.ingest.parse import BAD_TIME, BAD_ZONE, MIN_YEAR, NO_SUCH_DAY, parse, parse_dates
from chiso.jsonfile import load_json
from chiso.textfile import decode, sniff_delimiter
from tests.fuzz_mutations import cp1258

TOP = datetime.now(UTC).year + 2
VN = timedelta(hours=7)
SHAPES = ("%Y%m%d%H%M%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
          "%d-%m-%Y %H:%M", "%Y-%m-%dT%H:%M")  # fmt: skip


def one(text: str | None):
    parsed = parse_dates(pa.array([text], pa.string()))
    reasons = [r for m, r in parsed.details if m[0].as_py()]
    return parsed.values[0].as_py(), parsed.bad[0].as_py(), reasons


no_deadline = settings(deadline=None)  # no test depends on wall-clock speed
local_moments = st.datetimes(min_value=datetime(MIN_YEAR, 1, 1), max_value=datetime(TOP, 12, 31, 23, 59, 59))


@no_deadline
@given(local_moments, st.sampled_from(SHAPES))
def test_valid_local_times_round_trip_in_every_shape(moment, shape):
    moment = moment.replace(microsecond=0)
    if "%S" not in shape:
        moment = moment.replace(second=0)
    value, bad, _ = one(moment.strftime(shape))
    assert not bad
    assert value == (moment - VN).replace(tzinfo=UTC)  # Vietnam time, stored as UTC


@no_deadline
@given(local_moments, st.integers(-14 * 60, 14 * 60))
def test_written_offsets_are_converted_to_utc(moment, minutes):
    moment = moment.replace(microsecond=0)
    sign = "+" if minutes >= 0 else "-"
    zone = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    value, bad, _ = one(moment.strftime("%Y-%m-%dT%H:%M:%S") + zone)
    assert not bad and value == (moment - timedelta(minutes=minutes)).replace(tzinfo=UTC)


@no_deadline
@given(st.integers(MIN_YEAR, TOP), st.integers(1, 12), st.integers(29, 31), st.sampled_from(["dmy", "iso", "sync"]))
def test_days_that_do_not_exist_are_refused_never_rolled_over(year, month, day, shape):
    if day <= calendar.monthrange(year, month)[1]:
        return
    text = {"dmy": f"{day:02d}/{month:02d}/{year} 08:00", "iso": f"{year}-{month:02d}-{day:02d}T08:00:00",
            "sync": f"{year}{month:02d}{day:02d}080000"}[shape]  # fmt: skip
    value, bad, reasons = one(text)
    assert bad and value is None and reasons[0] == NO_SUCH_DAY


@no_deadline
@given(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))
def test_times_out_of_range_are_refused(hour, minute, second):
    value, bad, reasons = one(f"15/05/2023 {hour:02d}:{minute:02d}:{second:02d}")
    if hour <= 23 and minute <= 59 and second <= 59:
        assert not bad and value is not None
    else:
        assert bad and value is None and reasons == [BAD_TIME]


@no_deadline
@given(st.one_of(st.integers(1, MIN_YEAR - 1), st.integers(TOP + 1, 9999)))
def test_implausible_years_are_refused(year):
    value, bad, reasons = one(f"{year:04d}-05-15T08:00:00")
    assert bad and value is None and reasons[-1].startswith("năm ngoài khoảng hợp lệ")


def test_an_offset_beyond_14_hours_is_refused():
    assert one("2023-05-04T09:00:00+15:00")[2] == [BAD_ZONE]


@no_deadline
@given(st.text(max_size=30))
def test_any_text_is_a_date_or_refused_never_an_error(text):
    value, bad, _ = one(text)
    assert (value is None) == (bad or not text.strip())


DECIMAL = Field("fee_total", FieldType.DECIMAL, "Phí, lệ phí", ())
INT = Field("supplement_count", FieldType.INT, "Số lần", ())


@no_deadline
@given(st.decimals(min_value=0, max_value=Decimal("99999999999999"), places=4, allow_nan=False))
def test_amounts_round_trip(number):
    parsed = parse(DECIMAL, pa.array([str(number)]))
    assert not parsed.bad[0].as_py() and parsed.values[0].as_py() == number


@no_deadline
@given(st.decimals(max_value=Decimal("-0.0001"), places=4, allow_nan=False, allow_infinity=False))
def test_negative_amounts_are_refused(number):
    parsed = parse(DECIMAL, pa.array([str(number)]))
    assert parsed.bad[0].as_py() and [r for m, r in parsed.details if m[0].as_py()] == ["không được âm"]


@no_deadline
@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_integers_fit_their_column_or_are_refused(n):
    parsed = parse(INT, pa.array([str(n)]), maximum=32767)
    reasons = [r for m, r in parsed.details if m[0].as_py()]
    if 0 <= n <= 32767:
        assert parsed.values[0].as_py() == n and not reasons
    else:
        assert parsed.bad[0].as_py() and parsed.values[0].as_py() is None
        assert reasons == (["không được âm"] if n < 0 else ["số quá lớn (tối đa 32.767)"])


VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàằầèềìòồờùừỳáắấéếíóốớúứýảẳẩẻểỉỏổởủửỷãẵẫẽễĩõỗỡũữỹạặậẹệịọộợụựỵ ,;"


@no_deadline
@given(st.text(alphabet=VIETNAMESE, min_size=1, max_size=60))
def test_windows_1258_text_is_read_back_as_written(words):
    text = f"Mã hồ sơ,Tên thủ tục\nA1,{words} hồ sơ\n"
    decoded = decode(cp1258(text), "f.csv")
    assert decoded.encoding == "cp1258" and decoded.text == text


@no_deadline
@given(st.text(alphabet="abcdeéèàçüñ ABC", min_size=1, max_size=60))
def test_latin_1_text_is_read_back_as_written(words):
    text = f"MaHoSo,TenTTHC\nA1,{words}\n"
    decoded = decode(text.encode("cp1252"), "f.csv")
    assert decoded.text == text


def test_utf16_with_a_mark_and_utf8_with_a_mark_are_read():
    text = "Mã hồ sơ;Phí, lệ phí\nA1;5000\n"
    assert decode(text.encode("utf-16"), "f").text == text
    assert decode(text.encode("utf-8-sig"), "f").text == text


def test_mixed_legacy_evidence_is_refused_naming_both_encodings():
    data = cp1258("Mã hồ sơ hoàn thành\n") + "Ìtaly Òslo Þór Ìn".encode("cp1252")
    with pytest.raises(InputFileError) as info:
        decode(data, "f.csv")
    assert "Windows-1258 hay Windows-1252" in info.value.message


def test_utf8_with_a_few_bad_bytes_is_kept_with_replacement_marks_or_refused_by_line():
    data = "Mã hồ sơ\nA1 hồ sơ\n".encode() + b"A2 \xff\n" + "A3 hồ sơ\n".encode()
    kept = decode(data, "f", allow_damage=True)
    assert kept.damaged == 1 and "A2 \ufffd" in kept.text and "A3 hồ sơ" in kept.text
    with pytest.raises(InputFileError) as info:
        decode(data, "f")
    assert info.value.place.startswith("dòng 3")


@given(st.sampled_from([",", ";", "\t", "|"]), st.integers(2, 6), st.integers(1, 8), st.data())
@settings(max_examples=150, deadline=None)
def test_the_delimiter_is_found_from_the_rows(delimiter, width, height, data):
    # cells hold letters, quotes and the file's own delimiter (quoted by the writer); headings hold commas
    cells = st.text(alphabet=f"abc xyz\"'Đơn{delimiter}", max_size=8)
    rows = [data.draw(st.lists(cells, min_size=width, max_size=width)) for _ in range(height + 1)]
    rows[0] = [f"Cột {i}, phụ" for i in range(width)]  # headings with commas, as "Phí, lệ phí"
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    assert sniff_delimiter(buf.getvalue()) == delimiter


@pytest.mark.parametrize("depth", [2000, 100_000])
def test_json_nested_too_deep_is_refused_not_a_recursion_error(depth):
    with pytest.raises(InputFileError) as info:
        load_json(b"[" * depth + b"]" * depth, "deep.json")
    assert "lồng nhau quá sâu" in info.value.message


def test_a_lone_surrogate_is_refused_with_its_path_or_replaced():
    body = b'{"data": [{"MaHoSo": "A\\ud800"}]}'
    with pytest.raises(InputFileError) as info:
        load_json(body, "x.json")
    assert info.value.place == "$.data[0].MaHoSo"
    assert load_json(body, "x.json", damaged="replace") == {"data": [{"MaHoSo": "A\ufffd"}]}
    assert load_json(b'["\\ud83d\\ude00"]', "x.json") == ["\U0001f600"]  # a whole pair is a character


def test_official_files_with_a_nul_are_refused_with_their_place(tmp_path):
    from chiso.official.reader import read_csv

    with pytest.raises(InputFileError) as info:
        read_csv(b"MA_COQUAN,TEN,TONG_SCORE\nH21,Gia\x00Lai,90\n", "x.csv")
    assert info.value.place == "dòng 2"
    with pytest.raises(InputFileError) as info:
        load_json(b'{"units": [{"departmentName": "Gia\\u0000Lai"}]}', "x.json")
    assert info.value.place == "$.units[0].departmentName"


def test_an_official_sheet_with_its_heading_too_low_says_where_it_is():
    from chiso.methodology import methodology_for
    from chiso.official.listing import Sheet, parse_list_sheets

    rows = [["BÁO CÁO"]] * 20 + [["MA_COQUAN", "TEN", "TONG_SCORE"], ["H21", "Gia Lai", "90"]]
    with pytest.raises(InputFileError) as info:
        parse_list_sheets([Sheet("Điểm năm", rows)], file="x.xlsx", file_name="x.xlsx", methodology_for=methodology_for,
                          period=None, captured=(datetime.now(UTC), "import"), warnings=[])  # fmt: skip
    assert info.value.place == "dòng 21 của trang tính 'Điểm năm'"
