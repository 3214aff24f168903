"""Properties over any start moment from 2025 to 2027 (library data and fallback)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leadermail.platform.deadlines.calendar import SHANGHAI, WorkCalendar, local_day
from leadermail.platform.deadlines.rules import DeadlineRule, compute_due

calendar = WorkCalendar()
starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
rules = st.builds(
    DeadlineRule,
    amount=st.integers(min_value=1, max_value=60),
    unit=st.sampled_from(["hours", "calendar_days", "working_days"]),
)
quick = settings(deadline=None, database=None, max_examples=200)


@quick
@given(start=starts, rule=rules)
def test_due_is_after_start_and_in_utc(start: datetime, rule: DeadlineRule) -> None:
    due = compute_due(start, rule, calendar)
    assert due.due_at > start
    assert due.due_at.utcoffset() == timedelta(0)
    if rule.unit != "hours":
        # Always the last second of a working day in Shanghai.
        moment = due.due_at.astimezone(SHANGHAI)
        assert (moment.hour, moment.minute, moment.second) == (23, 59, 59)
        assert calendar.is_working_day(moment.date())


@quick
@given(start=starts, n=st.integers(min_value=1, max_value=40))
def test_one_more_working_day_is_exactly_the_next_working_day(start: datetime, n: int) -> None:
    due = calendar.add_working_days(start, n)
    later = calendar.add_working_days(start, n + 1)
    assert later > due
    between = local_day(due) + timedelta(days=1)
    while between < local_day(later):
        assert not calendar.is_working_day(between)
        between += timedelta(days=1)


@quick
@given(start=starts, other=starts, n=st.integers(min_value=1, max_value=30))
def test_a_later_start_never_gives_an_earlier_due(start: datetime, other: datetime, n: int) -> None:
    early, late = sorted([start, other])
    rule = DeadlineRule(n, "working_days")
    assert compute_due(early, rule, calendar).due_at <= compute_due(late, rule, calendar).due_at


@quick
@given(start=starts, rule=rules)
def test_provisional_exactly_when_a_year_without_data_is_involved(
    start: datetime, rule: DeadlineRule
) -> None:
    due = compute_due(start, rule, calendar)
    if rule.unit == "hours":
        assert not due.provisional
    elif local_day(due.due_at).year >= 2027:
        assert due.provisional
    else:
        assert not due.provisional
