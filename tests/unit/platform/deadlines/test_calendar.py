"""WorkCalendar against chinesecalendar's real 2026 data and the Mon–Fri fallback.

Known 2026 dates (checked with chinesecalendar 1.11): 春节 off 2026-02-15..02-23,
make-up Saturdays 2026-02-14 and 2026-02-28; 国庆节 off 2026-10-01..10-07,
make-up days Sunday 2026-09-20 and Saturday 2026-10-10; 中秋 2026-09-25.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from leadermail.platform.deadlines.calendar import (
    SHANGHAI,
    CalendarSource,
    OfficialDay,
    WorkCalendar,
)

calendar = WorkCalendar()


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


@pytest.mark.parametrize(
    "day",
    [date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)],
)
def test_make_up_weekend_days_are_working_days(day: date) -> None:
    assert day.weekday() >= 5
    assert calendar.is_working_day(day)
    assert not calendar.is_holiday(day)


@pytest.mark.parametrize("offset", range(9))
def test_spring_festival_2026_is_nine_days_off(offset: int) -> None:
    day = date(2026, 2, 15) + timedelta(days=offset)
    assert not calendar.is_working_day(day)
    assert calendar.holiday_name(day) == "春节"


def test_national_day_2026() -> None:
    off = [date(2026, 10, d) for d in range(1, 8)]
    assert not any(calendar.is_working_day(day) for day in off)
    assert calendar.is_working_day(date(2026, 10, 8))
    assert calendar.holiday_name(date(2026, 9, 25)) == "中秋"  # the library's own Chinese name


def test_ordinary_weekend_is_neither_working_nor_holiday() -> None:
    assert not calendar.is_working_day(date(2026, 3, 7))
    assert not calendar.is_holiday(date(2026, 3, 7))


def test_friday_evening_plus_three_working_days_is_end_of_wednesday() -> None:
    due = calendar.add_working_days(shanghai(2026, 3, 6, 19, 30), 3)
    assert due.tzinfo is UTC
    assert local(due) == shanghai(2026, 3, 11, 23, 59, 59)


def test_received_during_a_holiday_counts_from_the_next_working_day() -> None:
    # 2026-10-03 is in the National Day break; 10-08 (Thu) is the first working day.
    assert local(calendar.add_working_days(shanghai(2026, 10, 3, 9, 0), 1)).date() == date(
        2026, 10, 8
    )


def test_across_spring_festival_the_make_up_saturday_counts() -> None:
    # Friday 02-13: 02-14 (make-up Saturday) is day 1, then 02-24..02-27, then 02-28.
    start = shanghai(2026, 2, 13, 10, 0)
    assert local(calendar.add_working_days(start, 1)).date() == date(2026, 2, 14)
    assert local(calendar.add_working_days(start, 2)).date() == date(2026, 2, 24)
    assert local(calendar.add_working_days(start, 6)).date() == date(2026, 2, 28)
    assert local(calendar.add_working_days(start, 7)).date() == date(2026, 3, 2)


def test_the_day_is_taken_in_shanghai_not_utc() -> None:
    # 2026-03-06 17:00 UTC is already Saturday 01:00 in Shanghai.
    due = calendar.add_working_days(datetime(2026, 3, 6, 17, 0, tzinfo=UTC), 1)
    assert local(due).date() == date(2026, 3, 9)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.add_working_days(datetime(2026, 3, 6, 19, 30), 3)


def test_sources_and_official_data() -> None:
    assert calendar.source_for(2026) is CalendarSource.LIBRARY
    assert calendar.has_official_data(2026)
    assert calendar.source_for(2027) is CalendarSource.FALLBACK
    assert not calendar.has_official_data(2027)
    assert not calendar.covers(date(2026, 12, 30), date(2027, 1, 2))


def test_fallback_year_is_monday_to_friday() -> None:
    week = [date(2027, 2, 8) + timedelta(days=i) for i in range(7)]  # Mon..Sun
    assert [calendar.is_working_day(day) for day in week] == [True] * 5 + [False] * 2


def test_loaded_days_take_priority_over_the_library() -> None:
    corrected = WorkCalendar([OfficialDay(date(2026, 3, 9), "holiday", "测试假日", 2026)])
    assert corrected.source_for(2026) is CalendarSource.LOADED
    assert not corrected.is_working_day(date(2026, 3, 9))
    # A loaded year is complete: days the library knows as holidays but the
    # loaded schedule does not list follow Monday–Friday.
    assert corrected.is_working_day(date(2026, 2, 16))


def test_add_working_days_needs_at_least_one() -> None:
    with pytest.raises(ValueError):
        calendar.add_working_days(shanghai(2026, 3, 6, 9, 0), 0)
