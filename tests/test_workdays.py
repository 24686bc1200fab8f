"""Working days, office hours and deadlines (chiso.workdays): known cases, properties, vectorised = scalar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chiso.domain.times import VN_TZ
from chiso.errors import InputFileError
from chiso.workdays import (
    OfficeHours,
    Override,
    WorkCalendar,
    load_overrides,
    parse_unit,
)

CAL = WorkCalendar()


def vn(*args: int) -> datetime:
    """An aware Vietnam-time datetime."""
    return datetime(*args, tzinfo=VN_TZ)


def to_np(moment: datetime) -> np.datetime64:
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "us")


def from_np(value: np.datetime64) -> datetime | None:
    if np.isnat(value):
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(value.astype("datetime64[us]").view("int64")))


# --- known cases ---------------------------------------------------------------------------------------------------


def test_holidays_of_2023_hung_kings_and_reunification_days_are_skipped():
    for day in (date(2023, 4, 29), date(2023, 4, 30), date(2023, 5, 1), date(2023, 5, 2), date(2023, 5, 3)):
        assert not CAL.is_working_day(day), day
    assert CAL.is_working_day(date(2023, 4, 28)) and CAL.is_working_day(date(2023, 5, 4))
    due = CAL.add_working_time(vn(2023, 4, 28, 16, 0), 3, "Ngày làm việc")
    # 1 h on Friday, 8 h on Thursday 4/5, 8 h on Friday 5/5, 7 h on Monday 8/5
    assert due == vn(2023, 5, 8, 16, 0)
    assert due.tzinfo is UTC


def test_received_at_lunch_starts_at_the_afternoon_session():
    assert CAL.add_working_time(vn(2024, 3, 5, 12, 15), 1, "giờ") == vn(2024, 3, 5, 14, 30)
    # 3.5 h on Tuesday afternoon, 4.5 h on Wednesday morning: the deadline is the end of that session
    assert CAL.add_working_time(vn(2024, 3, 5, 12, 15), 1, "working_day") == vn(2024, 3, 6, 11, 30)


def test_received_after_office_hours_starts_next_working_morning():
    assert CAL.add_working_time(vn(2024, 3, 5, 18, 0), 1, "hour") == vn(2024, 3, 6, 8, 0)
    assert CAL.add_working_time(vn(2024, 3, 5, 18, 0), 1, "ngay lam viec") == vn(2024, 3, 6, 17, 0)
    # exactly at the end of the last session is already "after"
    assert CAL.add_working_time(vn(2024, 3, 5, 17, 0), 2, "hour") == vn(2024, 3, 6, 9, 0)


def test_received_before_office_hours_starts_at_the_first_session():
    assert CAL.add_working_time(vn(2024, 3, 5, 5, 45), 2, "hour") == vn(2024, 3, 5, 9, 0)


def test_received_on_saturday_starts_on_monday_unless_the_centre_works_saturdays():
    assert CAL.add_working_time(vn(2024, 3, 9, 10, 0), 1, "hour") == vn(2024, 3, 11, 8, 0)
    saturdays = WorkCalendar(saturday_working=True)
    assert saturdays.add_working_time(vn(2024, 3, 9, 10, 0), 1, "hour") == vn(2024, 3, 9, 11, 0)
    assert saturdays.is_working_day(date(2024, 3, 9)) and not saturdays.is_working_day(date(2024, 3, 10))
    # a public holiday on a Saturday stays a day off for Saturday-working centres
    assert not saturdays.is_working_day(date(2023, 4, 29))


def test_half_a_day_is_four_working_hours():
    start = vn(2024, 3, 5, 9, 0)
    due = CAL.add_working_time(start, 0.5, "Ngày làm việc")
    assert due == CAL.add_working_time(start, 4, "Giờ") == vn(2024, 3, 5, 15, 0)
    assert CAL.add_working_time(start, Decimal("1.5"), "working_day") == vn(2024, 3, 6, 15, 0)


def test_calendar_days_landing_on_a_sunday_move_to_monday():
    assert CAL.add_working_time(vn(2024, 3, 6, 10, 0), 4, "Ngày") == vn(2024, 3, 11, 10, 0)
    assert CAL.add_working_time(vn(2024, 3, 6, 10, 0), 2, "day") == vn(2024, 3, 8, 10, 0)
    # landing on the make-up Saturday 2025-04-26 keeps it; landing on the swapped day off 2025-05-02 moves
    assert CAL.add_working_time(vn(2025, 4, 25, 10, 0), 1, "day") == vn(2025, 4, 26, 10, 0)
    assert CAL.add_working_time(vn(2025, 4, 28, 10, 0), 4, "day") == vn(2025, 5, 5, 10, 0)


def test_fractional_calendar_days_are_office_time_capped_at_one_more_day():
    # 1.5 days from Tuesday 10:00: Wednesday 10:00 plus 4 working hours
    assert CAL.add_working_time(vn(2024, 3, 5, 10, 0), 1.5, "Ngày") == vn(2024, 3, 6, 16, 0)
    # from Wednesday 30/9/2026 07:00, 3 days is Saturday, moved to Monday 07:00; 3.125 days (Monday 08:00 uncapped)
    # is capped at 4 days (Sunday, moved to Monday 07:00): more time never gives an earlier deadline than 5 days
    start = vn(2026, 9, 29, 17, 0)
    assert CAL.add_working_time(start, 3, "day") == vn(2026, 10, 5, 7, 0)
    assert CAL.add_working_time(start, 3.125, "day") == vn(2026, 10, 5, 7, 0)
    assert CAL.add_working_time(start, 5, "day") == vn(2026, 10, 5, 7, 0)
    assert CAL.add_working_time(start, 5.125, "day") == vn(2026, 10, 5, 8, 0)


def test_calendar_months_clamp_to_the_month_end_and_move_to_a_working_day():
    assert CAL.add_working_time(vn(2024, 1, 31, 10, 0), 1, "Tháng") == vn(2024, 2, 29, 10, 0)
    # 2024-03-29 + 1 month = 2024-04-29 (swapped day off), then 30/4 and 1/5: Thursday 2/5
    assert CAL.add_working_time(vn(2024, 3, 29, 10, 0), 1, "month") == vn(2024, 5, 2, 10, 0)
    # received on Sunday 2024-03-31: counting starts Monday 1/4 07:00, + 1 month = 1/5 (holiday) → 2/5 07:00
    assert CAL.add_working_time(vn(2024, 3, 31, 10, 0), 1, "month") == vn(2024, 5, 2, 7, 0)
    # 2024-04-04 + 1 month is the make-up Saturday 2024-05-04: kept
    assert CAL.add_working_time(vn(2024, 4, 4, 10, 0), 1, "month") == vn(2024, 5, 4, 10, 0)
    # a fractional month is that share of the following month's days: 0.5 from 5/4 = 15 days (April has 30), the
    # Saturday 20/4 moves to Monday; from 5/2/2024, 14.5 days (29 days to 5/3): 19/2 10:00 + 4 working hours
    assert CAL.add_working_time(vn(2024, 4, 5, 10, 0), 0.5, "month") == vn(2024, 4, 22, 10, 0)
    assert CAL.add_working_time(vn(2024, 2, 5, 10, 0), 0.5, "month") == vn(2024, 2, 19, 16, 0)


def test_make_up_saturdays_and_swapped_days_off():
    assert CAL.is_working_day(date(2024, 5, 4)) and not CAL.is_working_day(date(2024, 4, 29))
    assert CAL.is_working_day(date(2025, 4, 26)) and not CAL.is_working_day(date(2025, 5, 2))
    assert not CAL.is_working_day(date(2024, 5, 11))
    # Friday 3/5/2024 16:00 + 2 h: 1 h on Friday, 1 h on the make-up Saturday
    assert CAL.add_working_time(vn(2024, 5, 3, 16, 0), 2, "hour") == vn(2024, 5, 4, 8, 0)
    assert CAL.holiday_name(date(2024, 4, 29)) is not None and CAL.holiday_name(date(2024, 5, 4)) is None


def test_overrides_off_and_work_apply_last():
    cal = WorkCalendar(
        overrides=[
            Override(date(2024, 3, 6), "off", "Nghỉ đột xuất"),
            Override(date(2024, 3, 9), "work", "Làm bù"),
            Override(date(2024, 5, 4), "off", "Không làm bù"),
            Override(date(2024, 3, 12), "off"),
            Override(date(2024, 3, 12), "work"),  # a later override of the same day wins
        ]
    )
    assert not cal.is_working_day(date(2024, 3, 6)) and CAL.is_working_day(date(2024, 3, 6))
    assert cal.is_working_day(date(2024, 3, 9)) and not CAL.is_working_day(date(2024, 3, 9))
    assert not cal.is_working_day(date(2024, 5, 4))
    assert cal.is_working_day(date(2024, 3, 12))
    assert cal.holiday_name(date(2024, 3, 6)) == "Nghỉ đột xuất"
    # Tuesday 16:00 + 2 working days: Wednesday off, Thursday, Friday → Monday? No: the Saturday is worked.
    assert cal.add_working_time(vn(2024, 3, 5, 16, 0), 2, "working_day") == vn(2024, 3, 8, 16, 0)
    assert cal.add_working_time(vn(2024, 3, 5, 16, 0), 3, "working_day") == vn(2024, 3, 9, 16, 0)
    assert CAL.add_working_time(vn(2024, 3, 5, 16, 0), 3, "working_day") == vn(2024, 3, 8, 16, 0)


def test_cutoff_after_moves_late_receptions_to_the_next_working_day():
    start = vn(2024, 3, 5, 15, 30)
    assert CAL.add_working_time(start, 1, "working_day") == vn(2024, 3, 6, 15, 30)
    assert CAL.add_working_time(start, 1, "working_day", cutoff_after=time(15, 0)) == vn(2024, 3, 6, 17, 0)
    assert CAL.add_working_time(vn(2024, 3, 5, 15, 0), 1, "hour", cutoff_after=time(15, 0)) == vn(2024, 3, 5, 16, 0)
    # Friday after the cut-off: Monday
    assert CAL.add_working_time(vn(2024, 3, 8, 16, 0), 1, "hour", cutoff_after=time(15)) == vn(2024, 3, 11, 8, 0)


def test_zero_amount_gives_the_start_of_counting():
    assert CAL.add_working_time(vn(2024, 3, 5, 10, 0), 0, "hour") == vn(2024, 3, 5, 10, 0)
    assert CAL.add_working_time(vn(2024, 3, 5, 18, 0), 0, "working_day") == vn(2024, 3, 6, 7, 0)
    assert CAL.add_working_time(vn(2024, 3, 9, 18, 0), 0, "day") == vn(2024, 3, 11, 7, 0)


def test_timezones_naive_is_vietnam_time_and_results_are_utc():
    naive = CAL.add_working_time(datetime(2024, 3, 5, 9, 0), 1, "hour")
    aware = CAL.add_working_time(datetime(2024, 3, 5, 2, 0, tzinfo=UTC), 1, "hour")
    assert naive == aware == datetime(2024, 3, 5, 3, 0, tzinfo=UTC)
    assert naive.utcoffset() == timedelta(0)
    # 23:30 UTC on Monday is 06:30 on Tuesday in Vietnam
    assert CAL.add_working_time(datetime(2024, 3, 4, 23, 30, tzinfo=UTC), 1, "hour") == vn(2024, 3, 5, 8, 0)


def test_working_seconds_between_across_a_weekend_and_lunch():
    assert CAL.working_seconds_between(vn(2024, 3, 8, 16, 0), vn(2024, 3, 11, 8, 0)) == 7200
    assert CAL.working_seconds_between(vn(2024, 3, 11, 8, 0), vn(2024, 3, 8, 16, 0)) == -7200
    assert CAL.working_seconds_between(vn(2024, 3, 5, 11, 30), vn(2024, 3, 5, 13, 30)) == 0
    assert CAL.working_seconds_between(vn(2024, 3, 4, 0, 0), vn(2024, 3, 9, 0, 0)) == 5 * 8 * 3600
    # the Tết week of 2024 (8–14/2) has no office time
    assert CAL.working_seconds_between(vn(2024, 2, 8, 0, 0), vn(2024, 2, 15, 0, 0)) == 0


def test_session_start_of_a_due_time():
    assert CAL.session_start(vn(2024, 3, 5, 17, 0)) == vn(2024, 3, 5, 13, 30)
    assert CAL.session_start(vn(2024, 3, 5, 13, 30)) == vn(2024, 3, 5, 13, 30)
    assert CAL.session_start(vn(2024, 3, 5, 10, 0)) == vn(2024, 3, 5, 7, 0)
    assert CAL.session_start(vn(2024, 3, 5, 11, 30)) == vn(2024, 3, 5, 7, 0)
    assert CAL.session_start(vn(2024, 3, 5, 12, 0)) == vn(2024, 3, 5, 7, 0)
    assert CAL.session_start(vn(2024, 3, 5, 6, 0)) == vn(2024, 3, 5, 6, 0)
    assert CAL.session_start(datetime(2024, 3, 5, 9, 0, tzinfo=UTC)) == vn(2024, 3, 5, 13, 30)


def test_working_days_between_and_next_working_day():
    assert CAL.working_days_between(date(2023, 4, 28), date(2023, 5, 4)) == 1
    assert CAL.working_days_between(date(2023, 5, 4), date(2023, 4, 28)) == -1
    assert CAL.working_days_between(date(2024, 3, 4), date(2024, 3, 11)) == 5
    assert CAL.working_days_between(date(2024, 3, 4), date(2024, 3, 4)) == 0
    assert CAL.next_working_day(date(2023, 4, 28)) == date(2023, 5, 4)
    assert CAL.next_working_day(date(2023, 4, 28), inclusive=True) == date(2023, 4, 28)
    assert CAL.next_working_day(date(2024, 2, 7)) == date(2024, 2, 15)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("Ngày làm việc", "working_day"),
        ("ngay lam viec", "working_day"),
        ("NGÀY LÀM VIỆC", "working_day"),
        ("working_day", "working_day"),
        ("Ngày", "day"),
        ("day", "day"),
        ("Giờ", "hour"),
        ("hour", "hour"),
        ("Tháng", "month"),
        ("month", "month"),
    ],
)
def test_units_are_read_in_vietnamese_or_english(text: str, unit: str):
    assert parse_unit(text) == unit


def test_unknown_unit_and_bad_amounts_are_refused():
    with pytest.raises(ValueError, match="Đơn vị thời gian"):
        parse_unit("tuần")
    with pytest.raises(ValueError, match="Đơn vị thời gian"):
        CAL.add_working_time(vn(2024, 3, 5, 9), 1, "fortnight")
    with pytest.raises(ValueError, match="không âm"):
        CAL.add_working_time(vn(2024, 3, 5, 9), -1, "hour")
    with pytest.raises(ValueError, match="không âm"):
        CAL.add_working_time(vn(2024, 3, 5, 9), float("nan"), "hour")
    with pytest.raises(ValueError, match="quá lớn"):
        CAL.add_working_time(vn(2024, 3, 5, 9), 1e12, "day")
    with pytest.raises(ValueError, match="Đơn vị thời gian"):
        CAL.add_working_time_many(np.array([to_np(vn(2024, 3, 5, 9))]), np.array([1.0]), np.array(["tuần"]))


def test_office_hours_parse_and_validate():
    default = OfficeHours()
    assert default.day_seconds == 8 * 3600
    assert OfficeHours.parse("07:00-11:30,13:30-17:00") == default
    assert str(default) == "07:00-11:30,13:30-17:00"
    other = OfficeHours.parse("7h30-11h30; 13:00 - 17:00")
    assert other.sessions == ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))
    assert other.day_seconds == 8 * 3600
    assert OfficeHours.parse("08:00-12:00").day_seconds == 4 * 3600
    for bad in ("", "11:30-07:00", "07:00-12:00,11:00-17:00", "25:00-26:00", "sáng"):
        with pytest.raises(ValueError, match=r"[Bb]uổi|[Gg]iờ"):
            OfficeHours.parse(bad)


def test_custom_office_hours_count_their_own_day():
    cal = WorkCalendar(hours=OfficeHours.parse("07:30-11:30,13:00-17:00"))
    assert cal.add_working_time(vn(2024, 3, 5, 7, 0), 0.5, "working_day") == vn(2024, 3, 5, 11, 30)
    assert cal.add_working_time(vn(2024, 3, 5, 12, 0), 1, "hour") == vn(2024, 3, 5, 14, 0)
    assert cal.session_start(vn(2024, 3, 5, 16, 0)) == vn(2024, 3, 5, 13, 0)


# --- vectorised path ----------------------------------------------------------------------------------------------


def test_vectorised_known_cases_and_missing_values():
    starts = np.array(
        [to_np(vn(2023, 4, 28, 16)), np.datetime64("NaT"), to_np(vn(2024, 3, 6, 10)), to_np(vn(2024, 3, 5, 9))],
        dtype="datetime64[us]",
    )
    amounts = np.array([3.0, 1.0, 4.0, np.nan])
    units = np.array(["Ngày làm việc", "hour", "Ngày", "hour"], dtype=object)
    out = CAL.add_working_time_many(starts, amounts, units)
    assert out.dtype == np.dtype("datetime64[us]")
    assert from_np(out[0]) == vn(2023, 5, 8, 16, 0)
    assert np.isnat(out[1]) and np.isnat(out[3])
    assert from_np(out[2]) == vn(2024, 3, 11, 10, 0)
    month_ends = np.array([to_np(vn(2024, 1, 31, 10)), to_np(vn(2023, 1, 31, 10)), to_np(vn(2025, 10, 31, 10))])
    clamped = CAL.add_working_time_many(month_ends, np.array([1.0, 1.0, 4.0]), "Tháng")
    assert [from_np(x) for x in clamped] == [vn(2024, 2, 29, 10), vn(2023, 2, 28, 10), vn(2026, 3, 2, 10)]
    missing_unit = CAL.add_working_time_many(starts[:1], np.array([1.0]), np.array([None], dtype=object))
    assert np.isnat(missing_unit[0])
    refused = CAL.add_working_time_many(np.repeat(starts[:1], 3), np.array([-1.0, np.inf, 1e12]), "hour")
    assert np.isnat(refused).all()
    too_late = CAL.add_working_time_many(starts[:1], np.array([100_000.0]), "working_day")
    assert np.isnat(too_late[0])
    with pytest.raises(ValueError, match="2100"):
        CAL.add_working_time(vn(2023, 4, 28, 16), 100_000, "working_day")
    seconds = CAL.working_seconds_between_many(starts, starts + np.timedelta64(3, "D"))
    assert seconds[0] == 3600 and np.isnan(seconds[1]) and seconds[2] == 21 * 3600


def test_vectorised_empty_input():
    empty = np.array([], dtype="datetime64[us]")
    assert CAL.add_working_time_many(empty, np.array([]), "hour").shape == (0,)
    assert CAL.working_seconds_between_many(empty, empty).shape == (0,)


def test_vectorised_extends_its_span_for_long_deadlines():
    start = vn(2024, 12, 30, 10, 0)
    out = CAL.add_working_time_many(np.array([to_np(start)]), np.array([36.0]), "month")
    assert from_np(out[0]) == CAL.add_working_time(start, 36, "month") == vn(2027, 12, 30, 10, 0)
    out = CAL.add_working_time_many(np.array([to_np(start)]), np.array([2000.0]), "working_day")
    assert from_np(out[0]) == CAL.add_working_time(start, 2000, "working_day")
    assert from_np(out[0]).year >= 2032


# Days that matter: Tết, 30/4–1/5, 2/9 with their neighbours, the make-up Saturdays, the override days.
FOCUS_DAYS = (
    [date(2023, 1, 19) + timedelta(days=i) for i in range(10)]
    + [date(2024, 2, 7) + timedelta(days=i) for i in range(10)]
    + [date(2025, 1, 25) + timedelta(days=i) for i in range(10)]
    + [date(y, 4, 26) + timedelta(days=i) for y in (2023, 2024, 2025, 2026) for i in range(11)]
    + [date(y, 8, 29) + timedelta(days=i) for y in (2022, 2023, 2024, 2025) for i in range(8)]
    + [date(2024, 5, 4), date(2025, 4, 26), date(2026, 8, 22), date(2027, 2, 5)]
    # month ends, for whole months landing on shorter months
    + [date(2024, 1, 31), date(2023, 1, 31), date(2024, 5, 31), date(2025, 10, 31), date(2026, 12, 31)]
    + [date(2023, 3, 30), date(2024, 1, 30), date(2027, 3, 31), date(2025, 12, 29)]
)
CLOCKS = [
    time(0, 0),
    time(6, 59, 59, 999999),
    time(7, 0),
    time(7, 30),
    time(11, 29, 59, 999999),
    time(11, 30),
    time(12, 0),
    time(13, 0),
    time(13, 30),
    time(15, 0),
    time(15, 0, 0, 1),
    time(16, 59, 59, 999999),
    time(17, 0),
    time(23, 59, 59, 999999),
]
LOW = int((datetime(2022, 1, 1, tzinfo=VN_TZ) - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))
HIGH = int((datetime(2028, 1, 1, tzinfo=VN_TZ) - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))

random_instants = st.integers(LOW, HIGH - 1).map(
    lambda us: datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
)
boundary_instants = st.builds(
    lambda d, c: datetime.combine(d, c, tzinfo=VN_TZ),
    st.one_of(st.sampled_from(FOCUS_DAYS), st.dates(date(2022, 1, 1), date(2027, 12, 31))),
    st.sampled_from(CLOCKS),
)
instants = st.one_of(random_instants, boundary_instants)
amounts = st.one_of(
    st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0, 45.0]),
    st.integers(0, 480).map(lambda q: q / 8),
    st.floats(0, 60, allow_nan=False, allow_infinity=False),
)
UNIT_TEXTS = ["Ngày làm việc", "working_day", "Ngày", "day", "Giờ", "hour", "Tháng", "month"]
units = st.sampled_from(UNIT_TEXTS)

CALENDARS = [
    WorkCalendar(),
    WorkCalendar(
        overrides=[
            Override(date(2023, 5, 4), "off", "nghỉ thêm"),
            Override(date(2023, 5, 6), "work", "làm bù"),
            Override(date(2025, 4, 28), "off"),
            Override(date(2024, 2, 17), "work"),
            Override(date(2024, 5, 4), "off"),
            Override(date(2026, 9, 5), "work"),
        ]
    ),
    WorkCalendar(saturday_working=True, hours=OfficeHours.parse("07:30-11:30,13:00-17:00")),
    WorkCalendar(hours=OfficeHours.parse("08:00-12:00")),
]
calendars = st.sampled_from(range(len(CALENDARS)))
cutoffs = st.sampled_from([None, time(15, 0)])
rows = st.lists(st.tuples(instants, amounts, units), min_size=1, max_size=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows, which=calendars, cutoff=cutoffs)
def test_vectorised_deadlines_equal_the_scalar_ones(rows, which, cutoff):
    cal = CALENDARS[which]
    starts = np.array([to_np(s) for s, _, _ in rows], dtype="datetime64[us]")
    values = np.array([a for _, a, _ in rows], dtype=np.float64)
    unit_array = np.array([u for _, _, u in rows], dtype=object)
    out = cal.add_working_time_many(starts, values, unit_array, cutoff_after=cutoff)
    for (start, amount, unit), got in zip(rows, out, strict=True):
        assert from_np(got) == cal.add_working_time(start, amount, unit, cutoff_after=cutoff), (start, amount, unit)
    # one unit for every row takes the same path
    single = cal.add_working_time_many(starts, values, rows[0][2], cutoff_after=cutoff)
    assert from_np(single[0]) == from_np(out[0])


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(instants, instants), min_size=1, max_size=30), which=calendars)
def test_vectorised_working_seconds_equal_the_scalar_ones(pairs, which):
    cal = CALENDARS[which]
    a = np.array([to_np(x) for x, _ in pairs], dtype="datetime64[us]")
    b = np.array([to_np(y) for _, y in pairs], dtype="datetime64[us]")
    got = cal.working_seconds_between_many(a, b)
    expected = [cal.working_seconds_between(x, y) for x, y in pairs]
    assert got.tolist() == expected


# --- properties -----------------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(start=instants, x=amounts, y=amounts, unit=units, which=calendars)
def test_more_time_never_gives_an_earlier_deadline(start, x, y, unit, which):
    cal = CALENDARS[which]
    low, high = sorted((x, y))
    assert cal.add_working_time(start, low, unit) <= cal.add_working_time(start, high, unit)


@settings(max_examples=200, deadline=None)
@given(start=instants, x=amounts, unit=units, which=calendars)
def test_a_deadline_is_on_a_working_day_within_office_hours_and_not_before_the_start(start, x, unit, which):
    cal = CALENDARS[which]
    due = cal.add_working_time(start, x, unit)
    assert due >= start
    local = due.astimezone(VN_TZ)
    assert cal.is_working_day(local.date())
    clock = local.time().replace(tzinfo=None)
    assert any(a <= clock <= b for a, b in cal.hours.sessions)


office_starts = st.builds(
    lambda d, minutes: datetime.combine(d, time(7), tzinfo=VN_TZ) + timedelta(minutes=minutes),
    st.dates(date(2022, 1, 1), date(2027, 12, 31)).filter(CAL.is_working_day),
    st.one_of(st.integers(0, 269), st.integers(390, 599)),
)


@settings(max_examples=200, deadline=None)
@given(start=office_starts, minutes=st.integers(0, 60 * 8 * 40))
def test_round_trip_working_seconds_of_a_deadline_in_hours(start, minutes):
    hours = minutes / 60
    due = CAL.add_working_time(start, hours, "hour")
    assert CAL.working_seconds_between(start, due) == round(hours * 3600 * 1_000_000) / 1_000_000
    days = minutes / (60 * 8)
    due_days = CAL.add_working_time(start, days, "working_day")
    assert CAL.working_seconds_between(start, due_days) == round(days * 8 * 3600 * 1_000_000) / 1_000_000


# --- override files -------------------------------------------------------------------------------------------------


def test_load_overrides_from_csv_with_vietnamese_headings(tmp_path: Path):
    path = tmp_path / "ngay_nghi.csv"
    path.write_text(
        "Ngày,Loại,Ghi chú\n"
        "02/09/2025,nghỉ,Nghỉ thêm dịp Quốc khánh\n"
        "2025-08-30,Làm bù,Làm bù cho ngày 02/09\n"
        ",,\n"
        "5/1/2026,OFF,\n",
        encoding="utf-8-sig",
    )
    overrides = load_overrides(path)
    assert overrides == [
        Override(date(2025, 9, 2), "off", "Nghỉ thêm dịp Quốc khánh"),
        Override(date(2025, 8, 30), "work", "Làm bù cho ngày 02/09"),
        Override(date(2026, 1, 5), "off", ""),
    ]
    cal = WorkCalendar(overrides)
    assert cal.is_working_day(date(2025, 8, 30)) and not cal.is_working_day(date(2026, 1, 5))


def test_load_overrides_from_yaml_and_semicolon_csv(tmp_path: Path):
    path = tmp_path / "lich.yaml"
    path.write_text(
        "ngày nghỉ:\n"
        "  - {ngày: 2024-02-17, loại: làm việc, ghi chú: Làm bù Tết}\n"
        "  - ngày: '19/02/2024'\n"
        "    loại: nghỉ\n",
        encoding="utf-8",
    )
    assert load_overrides(path) == [
        Override(date(2024, 2, 17), "work", "Làm bù Tết"),
        Override(date(2024, 2, 19), "off", ""),
    ]
    semi = tmp_path / "lich.csv"
    semi.write_text("ngay;loai;ghi chu\n01/06/2024;lam bu;x\n", encoding="utf-8")
    assert load_overrides(semi) == [Override(date(2024, 6, 1), "work", "x")]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("ngày,loại\n31/02/2024,nghỉ\n", ["dòng 2", "31/02/2024", "không có trên lịch"]),
        ("ngày,loại\n01/03/2024,nghỉ\n2024/03/05,nghỉ\n", ["dòng 3", "2024/03/05", "dd/MM/yyyy"]),
        ("ngày,loại\n01/03/2024,nghi phep\n", ["dòng 2", "nghi phep", "loại ngày"]),
        ("ngày,ghi chú\n01/03/2024,x\n", ["dòng 2", "loại"]),
        ("ngày,loại\n01/03/2024,nghỉ\n2024-03-01,làm bù\n", ["dòng 3", "01/03/2024", "dòng 2"]),
        ("ngày,loại\n,nghỉ\n", ["dòng 2", "thiếu ngày"]),
    ],
)
def test_bad_override_rows_name_file_row_value_and_reason(tmp_path: Path, content: str, words: list[str]):
    path = tmp_path / "ngay_nghi.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        load_overrides(path)
    error = info.value
    assert "ngay_nghi.csv" in error.message and error.file == str(path)
    for word in words:
        assert word in error.message
    assert error.place is not None and error.place.startswith("dòng")


def test_bad_override_files_are_refused(tmp_path: Path):
    yaml_path = tmp_path / "x.yaml"
    yaml_path.write_text("- {ngày: 2024-02-30, loại: nghỉ}\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="mục 1"):
        load_overrides(yaml_path)
    yaml_path.write_text("ngày: [\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="YAML"):
        load_overrides(yaml_path)
    other = tmp_path / "x.txt"
    other.write_text("ngày,loại\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="không được hỗ trợ"):
        load_overrides(other)
    with pytest.raises(InputFileError, match="không đọc được"):
        load_overrides(tmp_path / "missing.csv")
