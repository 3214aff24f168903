"""Planning and checking rotas (no database)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from leadermail.platform.deadlines.calendar import SHANGHAI, WorkCalendar
from leadermail.platform.duty.rota import (
    RotaEntry,
    RotaError,
    RotaTeams,
    StaffRef,
    at,
    check_rota,
    format_rota,
    parse_rota,
    plan_rota,
)

ZHANG, LI, WANG, ZHAO = (
    StaffRef(1, "张三"),
    StaffRef(2, "李四"),
    StaffRef(3, "王五"),
    StaffRef(4, "赵六"),
)
TEAMS = RotaTeams(workday=[ZHANG], night=[LI], weekend=[WANG], holiday=[ZHAO])


def test_a_planned_week_covers_every_hour_once():
    entries = plan_rota(date(2026, 3, 9), date(2026, 3, 15), WorkCalendar(), TEAMS)
    assert check_rota(entries) == []
    assert len(entries) == 14
    first, last = entries[0], entries[-1]
    assert first.starts_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") == "03-09 08:00"
    assert last.ends_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") == "03-16 08:00"
    monday_day, monday_night = entries[0], entries[1]
    assert (monday_day.staff_name, monday_day.kind, monday_day.rota) == ("张三", "day", "workday")
    assert monday_night.starts_at.astimezone(SHANGHAI).strftime("%H:%M") == "17:30"
    assert (monday_night.staff_name, monday_night.rota) == ("李四", "workday")
    saturday = [e for e in entries if e.starts_at.astimezone(SHANGHAI).date() == date(2026, 3, 14)]
    assert {e.staff_name for e in saturday} == {"王五"}
    assert {e.rota for e in saturday} == {"weekend"}


def test_holidays_come_from_the_deadline_calendar():
    # 2025-10-01..08 National Day + Mid-Autumn; 2025-09-28 (Sunday) was a 调休 working day.
    entries = plan_rota(date(2025, 9, 28), date(2025, 10, 2), WorkCalendar(), TEAMS)
    by_day = {}
    for entry in entries:
        by_day.setdefault(entry.starts_at.astimezone(SHANGHAI).date(), set()).add(
            (entry.rota, entry.staff_name, entry.holiday_name)
        )
    assert ("workday", "张三", None) in by_day[date(2025, 9, 28)]
    assert by_day[date(2025, 10, 1)] == {("holiday", "赵六", "国庆节")}


def test_a_gap_is_refused_and_named():
    entries = plan_rota(date(2026, 3, 9), date(2026, 3, 10), WorkCalendar(), TEAMS)
    del entries[1]  # Monday's night shift
    assert check_rota(entries) == ["2026-03-09 17:30 至 2026-03-10 08:00 无人值班"]


def test_an_overlap_is_refused_and_named():
    entries = plan_rota(date(2026, 3, 9), date(2026, 3, 9), WorkCalendar(), TEAMS)
    extra = RotaEntry(
        3, "王五", at(date(2026, 3, 9), time(16, 30)), at(date(2026, 3, 9), time(18, 30))
    )
    problems = check_rota([*entries, extra])
    assert problems == [
        "张三 与 王五 的班次在 2026-03-09 16:30 至 2026-03-09 17:30 重叠",
        "王五 与 李四 的班次在 2026-03-09 17:30 至 2026-03-09 18:30 重叠",
    ]


def test_a_shift_ending_before_it_starts_is_refused():
    start = at(date(2026, 3, 9), time(8, 0))
    problems = check_rota([RotaEntry(1, "张三", start, start)])
    assert "结束时间不晚于开始时间" in problems[0]


def test_the_text_form_reads_back_what_it_wrote():
    entries = plan_rota(date(2026, 3, 13), date(2026, 3, 15), WorkCalendar(), TEAMS)
    text = format_rota(entries)
    assert text.splitlines()[0] == "2026-03-13 08:00 - 2026-03-13 17:30 张三"
    again = parse_rota(text, [ZHANG, LI, WANG, ZHAO], WorkCalendar())
    assert [(e.user_id, e.starts_at, e.ends_at, e.rota) for e in again] == [
        (e.user_id, e.starts_at, e.ends_at, e.rota) for e in entries
    ]


def test_a_night_written_without_its_end_date_runs_into_the_morning():
    (entry,) = parse_rota("2026-03-09 17:30 - 08:00 李四", [LI], WorkCalendar())
    assert entry.ends_at - entry.starts_at == timedelta(hours=14, minutes=30)
    assert entry.kind == "night"


def test_unreadable_lines_and_unknown_people_are_named():
    with pytest.raises(RotaError) as refused:
        parse_rota("明天 早上 张三\n2026-03-09 08:00 - 17:30 路人甲", [ZHANG], WorkCalendar())
    assert refused.value.problems[0].startswith("第 1 行格式不对")
    assert refused.value.problems[1] == "第 2 行的“路人甲”不是本单位的工作人员"


def test_a_plan_needs_day_and_night_people():
    with pytest.raises(RotaError, match="至少需要一名"):
        plan_rota(date(2026, 3, 9), date(2026, 3, 9), WorkCalendar(), RotaTeams([ZHANG], []))
