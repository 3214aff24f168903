"""办理时限: the default, the date a registrar may choose, and its warning level."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from leadermail.platform.deadlines.assignments import (
    AssignmentDeadlineError,
    assignment_due_on,
    assignment_level,
    assignment_threshold,
    default_assignment_due,
    default_day,
    parse_due_day,
)
from leadermail.platform.deadlines.calendar import end_of_day
from leadermail.platform.letters.models import Letter

# Monday 2026-03-09 10:00 Shanghai.
NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)


def letter(reply_due_at: datetime | None) -> Letter:
    return Letter(letter_type="complaint", reply_due_at=reply_due_at)


def test_the_default_is_the_letters_reply_deadline() -> None:
    due = end_of_day(date(2026, 3, 20))
    assert default_assignment_due(letter(due)) == due
    assert default_day(letter(due), NOW) == date(2026, 3, 20)
    assert default_assignment_due(letter(None)) is None
    # An overdue letter offers no day: none would be allowed.
    assert default_day(letter(NOW - timedelta(hours=1)), NOW) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("  ", None),
        ("2026-03-12", date(2026, 3, 12)),  # what a date input sends
        ("2026/03/12", date(2026, 3, 12)),  # typed by hand
    ],
)
def test_parse_due_day(text: str, expected: date | None) -> None:
    assert parse_due_day(text) == expected


@pytest.mark.parametrize(
    "text", ["12/03/2026", "2026-02-30", "2026/3/12", "下周五", "2026-03-12T10:00"]
)
def test_parse_due_day_refuses_what_is_not_a_date(text: str) -> None:
    with pytest.raises(AssignmentDeadlineError, match="有效的日期"):
        parse_due_day(text)


def test_a_chosen_day_ends_at_midnight_shanghai() -> None:
    reply = end_of_day(date(2026, 3, 20))
    assert assignment_due_on(letter(reply), date(2026, 3, 13), now=NOW) == end_of_day(
        date(2026, 3, 13)
    )
    # Today is allowed; the letter's own last day too.
    assert assignment_due_on(letter(reply), date(2026, 3, 9), now=NOW) == end_of_day(
        date(2026, 3, 9)
    )
    assert assignment_due_on(letter(reply), date(2026, 3, 20), now=NOW) == reply


def test_not_later_than_the_letters_deadline_nor_in_the_past() -> None:
    reply = end_of_day(date(2026, 3, 20))
    with pytest.raises(AssignmentDeadlineError, match="不能晚于来信的答复期限（2026-03-20 23:59）"):
        assignment_due_on(letter(reply), date(2026, 3, 21), now=NOW)
    with pytest.raises(AssignmentDeadlineError, match="不能早于今天"):
        assignment_due_on(letter(reply), date(2026, 3, 8), now=NOW)


def test_on_the_letters_last_day_an_hour_deadline_is_kept() -> None:
    # A 24-hour rule ends mid-afternoon: the unit's deadline ends with it.
    reply = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)  # 15:00 Shanghai
    assert assignment_due_on(letter(reply), date(2026, 3, 10), now=NOW) == reply
    later = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    with pytest.raises(AssignmentDeadlineError, match="已过"):
        assignment_due_on(letter(reply), date(2026, 3, 10), now=later)


def test_a_letter_without_a_deadline_takes_any_day_from_today() -> None:
    assert assignment_due_on(letter(None), date(2026, 5, 1), now=NOW) == end_of_day(
        date(2026, 5, 1)
    )


def test_levels_measure_the_assignments_own_span() -> None:
    # Ten days given: due soon in the last fifth of them (two days).
    assigned = NOW - timedelta(days=5)
    due = assigned + timedelta(days=10)
    assert assignment_level(due, assigned, NOW) == "normal"
    assert assignment_level(due, assigned, due - timedelta(days=2)) == "due_soon"
    assert assignment_level(due, assigned, due + timedelta(seconds=1)) == "overdue"
    assert assignment_level(due, assigned, due) == "due_soon"  # 23:59:59 itself is in time
    # Two days given: normal at first (the letter's rule would say "due
    # soon" at once), due soon for the whole last day.
    short = NOW + timedelta(days=2)
    assert assignment_level(short, NOW, NOW) == "normal"
    assert assignment_level(short, NOW, short - timedelta(hours=23)) == "due_soon"
    assert assignment_threshold(NOW, short) == timedelta(hours=24)
    assert assignment_level(None, NOW, NOW) is None
