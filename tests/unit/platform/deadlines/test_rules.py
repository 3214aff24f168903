from datetime import UTC, date, datetime, timedelta

import pytest

from leadermail.platform.deadlines.calendar import SHANGHAI, WorkCalendar
from leadermail.platform.deadlines.rules import (
    MAX_EXTENSION,
    DeadlineRule,
    DeadlineRuleError,
    Due,
    compute_due,
    extend,
)
from leadermail.platform.deadlines.schedule import calendar_from_schedule, parse_schedule

calendar = WorkCalendar()

# A plausible 2027 schedule (not the real one, which is not published yet).
SCHEDULE_2027 = """
# 2027年节假日安排（测试用）
2027-01-01,holiday,元旦
2027-02-06,2027-02-13,holiday,春节
2027-02-14,workday,春节调休
"""


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


@pytest.mark.parametrize(
    ("text", "rule", "code", "label"),
    [
        ("24h", DeadlineRule(24, "hours"), "24h", "24小时"),
        ("15d", DeadlineRule(15, "calendar_days"), "15d", "15日"),
        ("5wd", DeadlineRule(5, "working_days"), "5wd", "5个工作日"),
        (" 10WD ", DeadlineRule(10, "working_days"), "10wd", "10个工作日"),
        ("5个工作日", DeadlineRule(5, "working_days"), "5wd", "5个工作日"),
        ("60日", DeadlineRule(60, "calendar_days"), "60d", "60日"),
        ("7天", DeadlineRule(7, "calendar_days"), "7d", "7日"),
        ("24小时", DeadlineRule(24, "hours"), "24h", "24小时"),
    ],
)
def test_parse_and_format(text: str, rule: DeadlineRule, code: str, label: str) -> None:
    parsed = DeadlineRule.parse(text)
    assert parsed == rule
    assert (parsed.code, parsed.label, str(parsed)) == (code, label, code)
    assert DeadlineRule.parse(parsed.code) == parsed
    assert DeadlineRule.parse(parsed.label) == parsed


@pytest.mark.parametrize("text", ["", "5", "wd", "5w", "-5d", "5.5d", "0d", "400d", "5 weeks"])
def test_parse_refuses_bad_rules_in_chinese(text: str) -> None:
    with pytest.raises(DeadlineRuleError, match="期限"):
        DeadlineRule.parse(text)


def test_rule_refuses_unknown_unit_and_non_integers() -> None:
    with pytest.raises(DeadlineRuleError):
        DeadlineRule(5, "weeks")  # type: ignore[arg-type]
    with pytest.raises(DeadlineRuleError):
        DeadlineRule(True, "hours")


def test_hours_are_exact() -> None:
    start = datetime(2026, 2, 14, 15, 17, 23, tzinfo=UTC)
    due = compute_due(start, DeadlineRule(24, "hours"), calendar)
    assert due == Due(start + timedelta(hours=24), provisional=False)
    # Exact even into a year without a schedule: hours never depend on holidays.
    late = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
    assert compute_due(late, DeadlineRule(48, "hours"), calendar).provisional is False


def test_calendar_days_end_at_the_end_of_the_last_day() -> None:
    due = compute_due(shanghai(2026, 3, 2, 8, 0), DeadlineRule(15, "calendar_days"), calendar)
    assert local(due.due_at) == shanghai(2026, 3, 17, 23, 59, 59)
    assert not due.provisional


def test_calendar_days_ending_on_a_day_off_move_to_the_next_working_day() -> None:
    # 2026-02-01 + 15 days = 2026-02-16, in the Spring Festival break → 2026-02-24.
    due = compute_due(shanghai(2026, 2, 1, 9, 0), DeadlineRule(15, "calendar_days"), calendar)
    assert local(due.due_at).date() == date(2026, 2, 24)


def test_sixty_days_from_2026_11_23_end_in_2027_and_are_provisional() -> None:
    due = compute_due(shanghai(2026, 11, 23, 10, 0), DeadlineRule(60, "calendar_days"), calendar)
    assert local(due.due_at) == shanghai(2027, 1, 22, 23, 59, 59)
    assert due.provisional


def test_working_days_into_2027_fall_back_to_monday_to_friday_and_are_provisional() -> None:
    # Mon 2026-12-28: 12-29, 12-30, 12-31, then 2027-01-01 (Fri, a guess) and 01-04.
    due = compute_due(shanghai(2026, 12, 28, 10, 0), DeadlineRule(5, "working_days"), calendar)
    assert local(due.due_at).date() == date(2027, 1, 4)
    assert due.provisional


def test_working_days_inside_a_known_year_are_not_provisional() -> None:
    due = compute_due(shanghai(2026, 12, 21, 10, 0), DeadlineRule(5, "working_days"), calendar)
    assert local(due.due_at).date() == date(2026, 12, 28)
    assert not due.provisional


def test_loading_the_2027_schedule_makes_deadlines_official_and_moves_them() -> None:
    loaded = calendar_from_schedule(2027, parse_schedule(SCHEDULE_2027, 2027))
    start = shanghai(2026, 12, 28, 10, 0)
    rule = DeadlineRule(5, "working_days")
    recomputed = compute_due(start, rule, loaded)
    # 2027-01-01 is now 元旦: the fifth working day is Tuesday 01-05.
    assert local(recomputed.due_at).date() == date(2027, 1, 5)
    assert not recomputed.provisional
    assert compute_due(start, rule, calendar).due_at < recomputed.due_at

    # Across the loaded Spring Festival, with its make-up Sunday 2027-02-14.
    friday = shanghai(2027, 2, 5, 18, 0)
    assert local(compute_due(friday, DeadlineRule(1, "working_days"), loaded).due_at).date() == (
        date(2027, 2, 14)
    )
    assert local(compute_due(friday, DeadlineRule(2, "working_days"), loaded).due_at).date() == (
        date(2027, 2, 15)
    )


def test_extend_by_thirty_days_is_the_statutory_maximum() -> None:
    due = compute_due(shanghai(2026, 3, 2, 8, 0), DeadlineRule(60, "calendar_days"), calendar)
    extended = extend(due, MAX_EXTENSION, calendar)
    assert extended.due_at > due.due_at
    assert (extended.due_at - due.due_at) >= timedelta(days=30)
    with pytest.raises(DeadlineRuleError, match="30日"):
        extend(due, DeadlineRule(31, "calendar_days"), calendar)


def test_extensions_add_up_against_the_cap() -> None:
    due = compute_due(shanghai(2026, 3, 2, 8, 0), DeadlineRule(60, "calendar_days"), calendar)
    first = extend(due, DeadlineRule(10, "working_days"), calendar)
    with pytest.raises(DeadlineRuleError, match="第三十四条"):
        extend(first, DeadlineRule(20, "calendar_days"), calendar, original_due_at=due.due_at)
    second = extend(first, DeadlineRule(5, "calendar_days"), calendar, original_due_at=due.due_at)
    assert second.due_at > first.due_at


def test_compute_due_refuses_naive_start() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_due(datetime(2026, 3, 2, 8, 0), DeadlineRule(1, "hours"), calendar)
