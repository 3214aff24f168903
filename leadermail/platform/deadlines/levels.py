"""How urgent a deadline is now: 正常 / 即将到期 / 已超期.

::

    level = warning_level(now, due.due_at, policy.reply)
    WARNING_LEVEL_LABELS[level]   # "即将到期"

The rule chosen here:

* ``overdue`` once ``now`` is past ``due_at`` (``due_at`` itself, 23:59:59,
  still counts as in time);
* ``due_soon`` when no more than 20% of the rule's span remains. The span is
  the rule's nominal length: N hours, N days, or for working days the same
  number of working days in an ordinary week (5 working days = 7 days,
  :meth:`DeadlineRule.nominal_days`). Working-day rules get at least 24 hours
  of warning, so a 3-working-day letter is flagged during its whole last day.
  The nominal span keeps the function pure (no calendar, no start time);
  a long holiday in the middle only makes the warning come later, never
  skips it.
* ``normal`` otherwise.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from leadermail.platform.deadlines.calendar import require_aware
from leadermail.platform.deadlines.rules import DeadlineRule

DUE_SOON_FRACTION = 0.2
MIN_WORKING_DAY_WARNING = timedelta(hours=24)


class WarningLevel(enum.StrEnum):
    NORMAL = "normal"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


WARNING_LEVEL_LABELS: dict[str, str] = {
    WarningLevel.NORMAL: "正常",
    WarningLevel.DUE_SOON: "即将到期",
    WarningLevel.OVERDUE: "已超期",
}


def due_soon_threshold(rule: DeadlineRule) -> timedelta:
    """How long before ``due_at`` a deadline of ``rule`` turns ``due_soon``."""
    threshold = timedelta(days=rule.nominal_days()) * DUE_SOON_FRACTION
    if rule.unit == "working_days":
        threshold = max(threshold, MIN_WORKING_DAY_WARNING)
    return threshold


def warning_level(now: datetime, due_at: datetime, rule: DeadlineRule) -> WarningLevel:
    return level_within(now, due_at, due_soon_threshold(rule))


def level_within(now: datetime, due_at: datetime, threshold: timedelta) -> WarningLevel:
    """The level of a deadline that turns ``due_soon`` ``threshold`` before ``due_at``."""
    remaining = require_aware(due_at, "due_at") - require_aware(now, "now")
    if remaining < timedelta(0):
        return WarningLevel.OVERDUE
    if remaining <= threshold:
        return WarningLevel.DUE_SOON
    return WarningLevel.NORMAL
