"""One letter's supervision fact, computed from its tenant rows (pure functions).

::

    fact = build_fact(source, calendar, now=utcnow())
    fact["on_time"], fact["handling_working_days"], fact["away_seconds"]

Fairness (《信访工作条例》 supervision must not punish a unit for time the
letter was elsewhere): time the letter spent with another tenant (state
"forwarded", or a forwarding leg that came back) is added to the deadline and
left out of the handling time. The clock of a copy received by forwarding
starts when it arrived here (``received_at``), not when the citizen wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from leadermail.platform.deadlines.calendar import WorkCalendar, local_day
from leadermail.platform.letters.models import Satisfaction
from leadermail.platform.letters.workflow import OPEN_STATES

#: Ratings that count as satisfied in 满意率 (满意 + 基本满意).
SATISFIED = frozenset({Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED})
AWAY_STATE = "forwarded"
URGE_KINDS = frozenset({"urge", "supervise"})

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    created_at: datetime
    state_from: str | None = None
    state_to: str | None = None


@dataclass
class FactSource:
    """What the fact is computed from: plain values read from the tenant schema."""

    tenant_id: int
    letter: dict[str, Any]
    events: list[TimelineEntry] = field(default_factory=list)
    satisfaction: str | None = None
    problem_solved: bool | None = None
    unit_name: str | None = None
    category_name: str | None = None
    #: (left, came back or None) from the forwarding ledger, if any.
    ledger_legs: list[tuple[datetime, datetime | None]] = field(default_factory=list)


def month_of(moment: datetime) -> date:
    return local_day(moment).replace(day=1)


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def away_intervals(source: FactSource, now: datetime) -> list[Interval]:
    """Periods the letter was with another tenant (open-ended ones end ``now``)."""
    intervals: list[Interval] = []
    left: datetime | None = None
    for event in sorted(source.events, key=lambda e: e.created_at):
        if event.state_to == AWAY_STATE and left is None:
            left = event.created_at
        elif event.state_from == AWAY_STATE and left is not None:
            intervals.append((left, event.created_at))
            left = None
    if left is not None:
        intervals.append((left, now))
    for start, end in source.ledger_legs:
        intervals.append((start, end or now))
    return merge_intervals(intervals)


def working_days_between(calendar: WorkCalendar, start: datetime, end: datetime) -> int:
    """Working days d with start's day < d ≤ end's day (Shanghai), as deadlines count."""
    first, last = local_day(start), local_day(end)
    count = 0
    day = first + timedelta(days=1)
    while day <= last:
        if calendar.is_working_day(day):
            count += 1
        day += timedelta(days=1)
    return count


def handling_working_days(
    calendar: WorkCalendar, start: datetime, end: datetime, away: Sequence[Interval]
) -> int:
    total = working_days_between(calendar, start, end)
    for left, back in away:
        left, back = max(left, start), min(back, end)
        if back > left:
            total -= working_days_between(calendar, left, back)
    return max(total, 0)


def build_fact(source: FactSource, calendar: WorkCalendar, *, now: datetime) -> dict[str, Any]:
    """The ``core.letter_facts`` row (as a dict) of one letter."""
    letter = source.letter
    started_at: datetime = letter["submitted_at"]
    if letter.get("origin_tenant_id") is not None and letter.get("received_at") is not None:
        started_at = letter["received_at"]
    state: str = letter["state"]
    replied_at: datetime | None = letter.get("replied_at")
    reply_due_at: datetime | None = letter.get("reply_due_at")
    away = away_intervals(source, now)
    is_away = state == AWAY_STATE
    # Only finished trips move the deadline; a letter away now is not ours.
    finished = [(a, b) for a, b in away if b < now] if is_away else away
    away_seconds = int(sum((b - a).total_seconds() for a, b in finished))
    effective_due_at = (
        reply_due_at + timedelta(seconds=away_seconds) if reply_due_at is not None else None
    )
    on_time: bool | None = None
    working_days: int | None = None
    if replied_at is not None:
        on_time = effective_due_at is None or replied_at <= effective_due_at
        working_days = min(handling_working_days(calendar, started_at, replied_at, away), 32767)
    kinds = [e.kind for e in source.events]
    reached = {e.state_to for e in source.events}
    unit_id = letter.get("unit_id")
    return {
        "tenant_id": source.tenant_id,
        "letter_id": letter["id"],
        "unit_id": unit_id or 0,
        "unit_name": source.unit_name if unit_id else None,
        "letter_type": letter["letter_type"],
        "category_id": letter.get("category_id"),
        "category_name": source.category_name,
        "channel": letter.get("channel") or "web",
        "state": state,
        "month": month_of(started_at),
        "started_at": started_at,
        "accepted_at": letter.get("accepted_at"),
        "replied_at": replied_at,
        "closed_at": letter.get("closed_at"),
        "reply_due_at": reply_due_at,
        "effective_due_at": effective_due_at,
        "is_open": state in OPEN_STATES,
        "is_accepted": letter.get("accepted_at") is not None,
        "is_not_accepted": letter.get("accepted_at") is None
        and (state == "not_accepted" or "not_accepted" in reached),
        "is_replied": replied_at is not None,
        "on_time": on_time,
        "is_closed": letter.get("closed_at") is not None,
        "was_forwarded": AWAY_STATE in reached or bool(source.ledger_legs) or is_away,
        "was_assigned": "assign" in kinds,
        "urge_count": sum(1 for k in kinds if k in URGE_KINDS),
        "is_away": is_away,
        "away_seconds": away_seconds,
        "handling_working_days": working_days,
        "satisfaction": source.satisfaction,
        "problem_solved": source.problem_solved,
        "rehandled": (letter.get("rehandle_count") or 0) > 0,
        "source_updated_at": letter.get("updated_at"),
        "refreshed_at": now,
    }
