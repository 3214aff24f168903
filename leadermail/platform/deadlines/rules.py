"""Deadline rules ("24h", "15d", "5wd") and the due dates they give.

One engine, three units, chosen per rule::

    rule = DeadlineRule.parse("5wd")        # or "5个工作日"
    rule.code, rule.label                   # ("5wd", "5个工作日")
    due = compute_due(received_at, rule, calendar)
    due.due_at, due.provisional             # aware UTC datetime, bool

Conventions (all arithmetic in Asia/Shanghai, results in UTC):

* ``hours``: exactly ``start + N hours``; never provisional.
* ``calendar_days``: the end (23:59:59) of the day ``start + N``; the start
  day is not counted (《民法典》 art. 201). If that last day is not a working
  day it moves to the end of the next working day (《民法典》 art. 203), so a
  calendar-day deadline also depends on the holiday schedule and is
  provisional when the last day's year has no official data.
* ``working_days``: see :meth:`WorkCalendar.add_working_days`; provisional
  when any counted day lies in a year without official data.

:func:`compute_due` is pure: recomputing a provisional deadline after a new
schedule is loaded is ``compute_due(start, rule, new_calendar)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from leadermail.platform.deadlines.calendar import (
    WorkCalendar,
    end_of_day,
    local_day,
    require_aware,
)

Unit = Literal["hours", "calendar_days", "working_days"]

UNIT_CODES: dict[Unit, str] = {"hours": "h", "calendar_days": "d", "working_days": "wd"}
UNIT_LABELS: dict[Unit, str] = {"hours": "小时", "calendar_days": "日", "working_days": "个工作日"}
#: Largest amount per unit: a year, which no mailbox rule comes near; it
#: catches typos such as "100d" meant as "10d".
MAX_AMOUNTS: dict[Unit, int] = {"hours": 366 * 24, "calendar_days": 366, "working_days": 250}

_UNIT_BY_SUFFIX: dict[str, Unit] = {
    "h": "hours",
    "小时": "hours",
    "d": "calendar_days",
    "日": "calendar_days",
    "天": "calendar_days",
    "wd": "working_days",
    "工作日": "working_days",
    "个工作日": "working_days",
}
_RULE_PATTERN = re.compile(
    r"^\s*(\d{1,5})\s*(wd|h|d|小时|个工作日|工作日|日|天)\s*$", re.IGNORECASE
)


class DeadlineRuleError(ValueError):
    """A rule or an extension that cannot be used; the message is for staff (Chinese)."""


@dataclass(frozen=True)
class DeadlineRule:
    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.unit not in UNIT_CODES:
            raise DeadlineRuleError(f"未知的期限单位“{self.unit}”")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise DeadlineRuleError(f"期限数值必须是整数，收到“{self.amount!r}”")
        if self.amount < 1:
            raise DeadlineRuleError("期限必须至少为1")
        if self.amount > MAX_AMOUNTS[self.unit]:
            raise DeadlineRuleError(
                f"期限“{self.amount}{UNIT_LABELS[self.unit]}”过长，"
                f"最多{MAX_AMOUNTS[self.unit]}{UNIT_LABELS[self.unit]}"
            )

    @classmethod
    def parse(cls, text: str) -> DeadlineRule:
        """``"24h"``, ``"15d"``, ``"5wd"``; also ``"24小时"``, ``"15日"``, ``"5个工作日"``."""
        if not isinstance(text, str):
            raise DeadlineRuleError(f"期限必须是文字，例如“5wd”，收到“{text!r}”")
        match = _RULE_PATTERN.match(text)
        if match is None:
            raise DeadlineRuleError(
                f"“{text}”不是有效的期限；请写成“24h”（小时）、“15d”（日）或“5wd”（工作日）"
            )
        amount, suffix = match.groups()
        return cls(int(amount), _UNIT_BY_SUFFIX[suffix.lower()])

    @property
    def code(self) -> str:
        """The form stored in settings: ``"5wd"``."""
        return f"{self.amount}{UNIT_CODES[self.unit]}"

    @property
    def label(self) -> str:
        """The form shown to people: ``"5个工作日"``."""
        return f"{self.amount}{UNIT_LABELS[self.unit]}"

    def __str__(self) -> str:
        return self.code

    def nominal_days(self) -> float:
        """Length in calendar days of an ordinary week's worth (5 working days = 7 days).

        Only for comparing rules of different units (policy validation);
        deadlines themselves always go through :func:`compute_due`.
        """
        if self.unit == "hours":
            return self.amount / 24
        if self.unit == "calendar_days":
            return float(self.amount)
        weeks, rest = divmod(self.amount, 5)
        return float(weeks * 7 + rest)


@dataclass(frozen=True)
class Due:
    due_at: datetime  # aware, UTC
    #: True when a year without an official holiday schedule was used;
    #: recompute once the schedule is loaded.
    provisional: bool = False


def compute_due(start: datetime, rule: DeadlineRule, calendar: WorkCalendar) -> Due:
    """When a period of ``rule`` starting at ``start`` ends (see the module conventions)."""
    require_aware(start, "start")
    if rule.unit == "hours":
        return Due((start + timedelta(hours=rule.amount)).astimezone(UTC), provisional=False)
    first_day = local_day(start)
    if rule.unit == "calendar_days":
        last_day = first_day + timedelta(days=rule.amount)
        provisional = not calendar.has_official_data(last_day.year)
        if not calendar.is_working_day(last_day):
            last_day = calendar.next_working_day(last_day)
            provisional = provisional or not calendar.covers(last_day, last_day)
        return Due(end_of_day(last_day), provisional=provisional)
    last_day = calendar.working_day_after(first_day, rule.amount)
    counted_from = first_day + timedelta(days=1)
    return Due(end_of_day(last_day), provisional=not calendar.covers(counted_from, last_day))


#: 《信访工作条例》 art. 34: handling may be extended by at most 30 days.
MAX_EXTENSION = DeadlineRule(30, "calendar_days")


def extend(
    due: Due,
    rule: DeadlineRule,
    calendar: WorkCalendar,
    *,
    original_due_at: datetime | None = None,
) -> Due:
    """Push ``due`` back by ``rule``, within :data:`MAX_EXTENSION` in total.

    The period is counted from the current due date. The cap is measured
    from ``original_due_at`` (the due date before any extension; defaults to
    ``due.due_at``, i.e. a first extension), so several extensions together
    cannot exceed 30 days: the new date may not be later than where a single
    30-day extension of the original date would end::

        extended = extend(due, DeadlineRule.parse("30d"), calendar)
        extend(extended, DeadlineRule.parse("1d"), calendar,
               original_due_at=due.due_at)          # raises DeadlineRuleError
    """
    original = require_aware(original_due_at or due.due_at, "original_due_at")
    extended = compute_due(due.due_at, rule, calendar)
    limit = compute_due(original, MAX_EXTENSION, calendar)
    if extended.due_at > limit.due_at:
        raise DeadlineRuleError(
            f"延期“{rule.label}”超出上限：延期合计不得超过{MAX_EXTENSION.label}"
            "（《信访工作条例》第三十四条）"
        )
    return Due(
        extended.due_at,
        provisional=due.provisional or extended.provisional or limit.provisional,
    )
