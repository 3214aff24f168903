"""bulk_deadline_problem: one 办理时限 for many letters, each held to the
rules of its own 分办 (``assignment_due_on``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadermail.platform.deadlines.calendar import end_of_day, local_day
from leadermail.platform.letters.assignment_deadlines import bulk_deadline_problem
from leadermail.platform.letters.models import Letter
from leadermail.platform.web.templating import format_datetime

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai
TODAY = local_day(NOW)


def letter(code: str, due_in_days: int | None, state: str = "accepted") -> Letter:
    due = None if due_in_days is None else end_of_day(TODAY + timedelta(days=due_in_days))
    return Letter(tracking_code=code, state=state, reply_due_at=due)


def test_a_date_every_letter_can_take_is_fine():
    letters = [letter("AAAAA11111", 10), letter("BBBBB22222", 4), letter("CCCCC33333", None)]
    assert bulk_deadline_problem(letters, TODAY + timedelta(days=4), now=NOW) is None


def test_the_letters_that_cannot_take_it_are_named_with_their_reason():
    short = letter("BBBBB22222", 2)
    letters = [letter("AAAAA11111", 10), short]
    problem = bulk_deadline_problem(letters, TODAY + timedelta(days=3), now=NOW)
    assert problem == (
        f"BBBBB-22222：办理时限不能晚于来信的答复期限（{format_datetime(short.reply_due_at)}）。"
        "请改选日期，或取消勾选这些来信（不填办理时限则各件以其答复期限为准）"
    )


def test_an_overdue_letter_takes_no_date_of_its_own():
    overdue = Letter(
        tracking_code="DDDDD44444", state="accepted", reply_due_at=NOW - timedelta(hours=1)
    )
    problem = bulk_deadline_problem([letter("AAAAA11111", 10), overdue], TODAY, now=NOW)
    assert problem is not None and problem.startswith(
        f"DDDDD-44444：来信的答复期限（{format_datetime(overdue.reply_due_at)}）已过，不能另定办理时限"
    )


def test_a_reason_shared_by_all_is_said_once():
    letters = [letter("AAAAA11111", 10), letter("BBBBB22222", 4)]
    assert (
        bulk_deadline_problem(letters, TODAY - timedelta(days=1), now=NOW)
        == "办理时限不能早于今天"
    )


def test_many_refusals_are_counted_after_the_first_five():
    letters = [letter(f"AAAAA{n:05d}", 1) for n in range(8)]
    problem = bulk_deadline_problem(
        [*letters, letter("ZZZZZ99999", 10)], TODAY + timedelta(days=2), now=NOW
    )
    assert problem is not None
    assert problem.count("不能晚于") == 5 and "等 8 件" in problem


def test_letters_that_cannot_be_assigned_now_are_left_to_the_assignment():
    letters = [letter("AAAAA11111", 10), letter("BBBBB22222", 1, state="registered")]
    assert bulk_deadline_problem(letters, TODAY + timedelta(days=4), now=NOW) is None
