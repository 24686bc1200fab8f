"""When jobs are due: daily, working mornings (weekends and public holidays skipped), after the month's close."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chiso.domain.times import VN_TZ
from chiso.notify.config import NotifyConfig
from chiso.notify.jobs import JOBS
from chiso.notify.runner import jobs_summary
from chiso.notify.schedule import AfterMonthEnd, Daily
from chiso.workdays import OfficeHours, Override, WorkCalendar

CALENDAR = WorkCalendar([], OfficeHours.parse("07:00-11:30,13:30-17:00"))


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ).astimezone(UTC)


def keys(schedule, start: datetime, end: datetime, calendar: WorkCalendar = CALENDAR) -> list[str]:  # type: ignore[no-untyped-def]
    return [o.key for o in schedule.occurrences("job", start, end, calendar)]


def test_daily_is_due_at_its_time_in_vietnam():
    [occ] = Daily(time(7, 30)).occurrences("brief", vn(2026, 10, 12, 0, 0), vn(2026, 10, 12, 23, 0), CALENDAR)
    assert occ.key == "2026-10-12" and occ.due_at == datetime(2026, 10, 12, 0, 30, tzinfo=UTC)
    assert keys(Daily(time(7, 30)), vn(2026, 10, 12, 7, 30), vn(2026, 10, 12, 23, 0)) == []  # start is exclusive
    assert keys(Daily(time(7, 30)), vn(2026, 10, 12, 0, 0), vn(2026, 10, 12, 7, 29)) == []


def test_working_mornings_skip_weekends_and_public_holidays():
    week = keys(Daily(time(7, 45), working_days_only=True), vn(2026, 4, 26, 12, 0), vn(2026, 5, 6, 12, 0))
    # 27 April: Hùng Kings' day; 30 April and 1 May: Reunification and Labour days; 2-3 May: weekend
    assert week == ["2026-04-28", "2026-04-29", "2026-05-04", "2026-05-05", "2026-05-06"]
    every = keys(Daily(time(7, 45)), vn(2026, 4, 26, 12, 0), vn(2026, 5, 6, 12, 0))
    assert len(every) == 10


def test_the_local_calendar_override_counts():
    make_up = WorkCalendar([Override(datetime(2026, 5, 2).date(), "work", "làm bù")],
                           OfficeHours.parse("07:00-11:30,13:30-17:00"))  # fmt: skip
    week = keys(Daily(time(7, 45), working_days_only=True), vn(2026, 5, 1, 12, 0), vn(2026, 5, 4, 12, 0), make_up)
    assert week == ["2026-05-02", "2026-05-04"]


def test_the_letter_is_due_on_the_first_working_day_from_its_day():
    rule = AfterMonthEnd(time(8, 0), day=3)
    # 3 October 2026 is a Saturday: Monday 5 October, for September
    [occ] = rule.occurrences("letter", vn(2026, 10, 1, 0, 0), vn(2026, 10, 31, 0, 0), CALENDAR)
    assert occ.key == "2026-09" and occ.due_at == vn(2026, 10, 5, 8, 0)
    # 3 January 2027 is a Sunday: Monday 4 January, for December 2026
    assert keys(rule, vn(2026, 12, 20, 0, 0), vn(2027, 1, 10, 0, 0)) == ["2026-12"]
    assert keys(rule, vn(2026, 10, 5, 8, 0), vn(2026, 11, 3, 7, 59)) == []  # Tuesday 3 November, 08:00


windows = st.tuples(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 1)),
    st.lists(st.integers(min_value=1, max_value=60 * 24 * 9), min_size=1, max_size=6),
)


@settings(max_examples=60, deadline=None)
@given(windows, st.sampled_from([Daily(time(7, 30)), Daily(time(7, 45), True), AfterMonthEnd(time(8, 0), 3)]))
def test_cron_at_any_interval_sees_each_occurrence_once(window, rule):  # type: ignore[no-untyped-def]
    """Splitting a window into runs at any moments gives exactly the occurrences of the whole window."""
    start, steps = window
    start = start.replace(tzinfo=UTC)
    cuts = [start]
    for minutes in steps:
        cuts.append(cuts[-1] + timedelta(minutes=minutes))
    pieces = [o for a, b in itertools.pairwise(cuts) for o in rule.occurrences("j", a, b, CALENDAR)]
    whole = rule.occurrences("j", cuts[0], cuts[-1], CALENDAR)
    assert pieces == whole
    assert len({o.key for o in whole}) == len(whole)
    assert all(cuts[0] < o.due_at <= cuts[-1] for o in whole)


def test_times_come_from_the_settings_and_off_stops_a_job():
    config = NotifyConfig(schedule={"brief": "06:15", "brief_days": "working", "alerts": "off", "letter_day": 5})
    summary = {job.name: when for job, when in jobs_summary(config)}
    assert summary["brief"] == "06:15 mỗi ngày làm việc"
    assert summary["alerts"] == "tắt"
    assert summary["letter"].startswith("08:00 ngày làm việc đầu tiên từ ngày 5")
    assert JOBS["alerts"].schedule(config) is None
    brief = JOBS["brief"].schedule(config)
    assert keys(brief, vn(2026, 10, 10, 0, 0), vn(2026, 10, 12, 23, 0)) == ["2026-10-12"]  # not Sat 10, Sun 11
