"""Fact computation: fairness rules and working-day handling time."""

from __future__ import annotations

from datetime import datetime, timedelta

from leadermail.platform.deadlines.calendar import SHANGHAI, WorkCalendar
from leadermail.platform.supervision.facts import (
    FactSource,
    TimelineEntry,
    build_fact,
    merge_intervals,
    working_days_between,
)

CAL = WorkCalendar()


def at(day: int, hour: int = 10, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def letter(**overrides):
    base = {
        "id": 1, "letter_type": "complaint", "category_id": None, "channel": "web",
        "state": "replied", "unit_id": 5, "submitted_at": at(2), "received_at": at(2),
        "accepted_at": at(2), "replied_at": None, "closed_at": None, "reply_due_at": at(9),
        "rehandle_count": 0, "origin_tenant_id": None, "updated_at": at(2),
    }
    base.update(overrides)
    return base


def test_working_days_do_not_count_the_start_day_or_weekends():
    # Monday 2 March → Monday 9 March: Tue–Fri and Monday = 5.
    assert working_days_between(CAL, at(2), at(9)) == 5
    assert working_days_between(CAL, at(2), at(2, 18)) == 0


def test_working_days_skip_official_holidays():
    # 2026 National Day: 1–7 October off; 9 October (Fri) a make-up working day? The
    # library knows; whatever it says, the count never includes 1–7 October.
    days = working_days_between(CAL, at(30, month=9), at(8, month=10))
    assert days <= 1


def test_a_late_reply_is_late():
    fact = build_fact(FactSource(1, letter(replied_at=at(10))), CAL, now=at(20))
    assert fact["on_time"] is False
    assert fact["handling_working_days"] == 6


def test_time_with_another_tenant_moves_the_deadline_and_is_not_handling_time():
    events = [
        TimelineEntry("forward", at(3), "accepted", "forwarded"),
        TimelineEntry("return", at(6), "forwarded", "accepted"),  # three days away
        TimelineEntry("send_reply", at(11), "accepted", "replied"),
    ]
    fact = build_fact(FactSource(1, letter(replied_at=at(11)), events=events), CAL, now=at(20))
    assert fact["away_seconds"] == 3 * 86400
    assert fact["effective_due_at"] == at(12)
    assert fact["on_time"] is True
    assert fact["was_forwarded"] is True
    # 3 Mar→11 Mar is 7 working days; 3→6 Mar (Wed–Fri) away = 3.
    assert fact["handling_working_days"] == 7 - 3


def test_ledger_legs_count_as_time_away_too():
    legs = [(at(3), at(5))]
    fact = build_fact(FactSource(1, letter(replied_at=at(10)), ledger_legs=legs), CAL, now=at(20))
    assert fact["effective_due_at"] == at(11)
    assert fact["on_time"] is True


def test_a_letter_away_now_is_not_open_here():
    events = [TimelineEntry("forward", at(3), "accepted", "forwarded")]
    fact = build_fact(FactSource(1, letter(state="forwarded"), events=events), CAL, now=at(30))
    assert fact["is_away"] is True
    assert fact["is_open"] is False


def test_a_forwarded_copy_starts_its_clock_when_it_arrived():
    copy = letter(origin_tenant_id=9, received_at=at(1, month=4), submitted_at=at(20))
    fact = build_fact(FactSource(2, copy), CAL, now=at(2, month=4))
    assert fact["started_at"] == at(1, month=4)
    assert fact["month"].month == 4


def test_month_is_the_shanghai_month():
    # 31 March 23:30 in Shanghai is still March although UTC says 31 March 15:30.
    late = datetime(2026, 3, 31, 23, 30, tzinfo=SHANGHAI)
    fact = build_fact(FactSource(1, letter(submitted_at=late)), CAL, now=at(20, month=4))
    assert fact["month"].month == 3
    early = late + timedelta(hours=1)
    fact = build_fact(FactSource(1, letter(submitted_at=early)), CAL, now=at(20, month=4))
    assert fact["month"].month == 4


def test_overlapping_intervals_merge():
    assert merge_intervals([(at(3), at(5)), (at(4), at(6)), (at(8), at(9))]) == [
        (at(3), at(6)), (at(8), at(9)),
    ]
