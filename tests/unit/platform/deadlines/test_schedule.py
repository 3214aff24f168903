from datetime import date

import pytest

from leadermail.platform.deadlines.calendar import CalendarSource
from leadermail.platform.deadlines.schedule import (
    ScheduleEntry,
    ScheduleError,
    calendar_from_rows,
    calendar_from_schedule,
    parse_schedule,
)


def test_parse_ranges_single_days_comments_and_chinese_kinds() -> None:
    entries = parse_schedule(
        "\ufeff# 2027\n\n2027-02-06，2027-02-08，放假，春节\n2027-02-14,上班,春节调休\n"
        "2027-01-01,holiday,元旦\n",
        2027,
    )
    assert entries == [
        ScheduleEntry(date(2027, 1, 1), "holiday", "元旦"),
        ScheduleEntry(date(2027, 2, 6), "holiday", "春节"),
        ScheduleEntry(date(2027, 2, 7), "holiday", "春节"),
        ScheduleEntry(date(2027, 2, 8), "holiday", "春节"),
        ScheduleEntry(date(2027, 2, 14), "workday", "春节调休"),
    ]


def test_previous_december_is_accepted() -> None:
    # The 2012 schedule made Saturday 2011-12-31 a working day.
    assert parse_schedule("2011-12-31,workday,元旦调休", 2012)[0].day == date(2011, 12, 31)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2027-02-30,holiday,春节", "第1行：日期“2027-02-30”无效"),
        ("2027-02-06,2027-02-12,vacation,春节", "类型“vacation”无效"),
        ("2027-02-06,holiday,", "缺少名称"),
        ("2027-02-06", "格式不对"),
        ("2027-02-12,2027-02-06,holiday,春节", "早于开始日期"),
        ("2028-01-01,holiday,元旦", "不属于2027年"),
        ("2026-06-01,holiday,儿童节", "不属于2027年"),
        ("2027-02-01,2027-03-31,holiday,春节", "超过15天"),
        ("2027-02-10,workday,春节调休", "是工作日（周一至周五），无需调休上班"),
        (
            "2027-02-06,2027-02-12,holiday,春节\n2027-02-12,holiday,春节",
            "第2行：2027-02-12 与第1行重复",
        ),
        ("# only a comment", "没有任何2027年的节假日安排"),
    ],
)
def test_invalid_lines(line: str, message: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(line, 2027)
    assert any(message in error for error in caught.value.errors), caught.value.errors


def test_every_error_is_reported_at_once() -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule("2027-13-01,holiday,元旦\n2027-02-06,holiday,春节\nbad line", 2027)
    assert [error[:3] for error in caught.value.errors] == ["第1行", "第3行"]
    assert "节假日安排有误" in str(caught.value)


def test_calendar_from_rows_marks_the_year_loaded() -> None:
    class Row:
        def __init__(self, day: date, kind: str, name: str) -> None:
            self.day, self.kind, self.name, self.year = day, kind, name, day.year

    calendar = calendar_from_rows([Row(date(2027, 2, 8), "holiday", "春节")])
    assert calendar.source_for(2027) is CalendarSource.LOADED
    assert calendar.has_official_data(2027)
    assert calendar.holiday_name(date(2027, 2, 8)) == "春节"
    assert not calendar.is_working_day(date(2027, 2, 8))
    assert calendar.is_working_day(date(2027, 2, 9))


def test_calendar_from_schedule_uses_the_schedule_year() -> None:
    calendar = calendar_from_schedule(2012, parse_schedule("2011-12-31,workday,元旦调休", 2012))
    assert calendar.loaded_years == {2012}
    assert calendar.is_working_day(date(2011, 12, 31))
