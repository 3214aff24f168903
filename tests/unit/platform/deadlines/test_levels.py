from datetime import UTC, datetime, timedelta

import pytest

from leadermail.platform.deadlines.levels import (
    WARNING_LEVEL_LABELS,
    WarningLevel,
    due_soon_threshold,
    warning_level,
)
from leadermail.platform.deadlines.rules import DeadlineRule

DUE = datetime(2026, 3, 11, 15, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rule", "threshold"),
    [
        ("24h", timedelta(hours=4, minutes=48)),
        ("15d", timedelta(days=3)),
        ("60d", timedelta(days=12)),
        ("3wd", timedelta(hours=24)),  # 20% of 3 days is under the 24h minimum
        ("5wd", timedelta(days=7) * 0.2),
        ("10wd", timedelta(days=14) * 0.2),
    ],
)
def test_thresholds(rule: str, threshold: timedelta) -> None:
    parsed = DeadlineRule.parse(rule)
    assert due_soon_threshold(parsed) == threshold
    assert warning_level(DUE - threshold, DUE, parsed) is WarningLevel.DUE_SOON
    assert warning_level(DUE - threshold - timedelta(seconds=1), DUE, parsed) is WarningLevel.NORMAL


def test_due_at_itself_is_still_in_time_and_a_second_later_is_overdue() -> None:
    rule = DeadlineRule.parse("5wd")
    assert warning_level(DUE, DUE, rule) is WarningLevel.DUE_SOON
    assert warning_level(DUE + timedelta(seconds=1), DUE, rule) is WarningLevel.OVERDUE


def test_labels_are_chinese() -> None:
    assert [WARNING_LEVEL_LABELS[level] for level in WarningLevel] == ["正常", "即将到期", "已超期"]
