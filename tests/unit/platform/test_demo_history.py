"""The demo letters' planned past: in order, never in the future, and the
letters still in hand are the recent ones."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from leadermail.platform.deadlines.calendar import SHANGHAI
from leadermail.platform.demo_history import at_work, plan_history
from leadermail.platform.demo_sources import reply_text

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
#: Each step, and the steps that must come before it when both are there.
BEFORE = {
    "register": {"submit"},
    "accept": {"register"},
    "reject": {"register"},
    "assign": {"accept"},
    "instruct": {"assign"},
    "urge": {"assign"},
    "draft": {"assign"},
    "approve": {"draft"},
    "send": {"approve", "urge"},
    "publish": {"send"},
    "evaluate": {"send"},
    "close": {"evaluate"},
}
#: A step is only there if these are (the workflow's own order).
NEEDS = {
    "accept": "register",
    "reject": "register",
    "assign": "accept",
    "draft": "assign",
    "approve": "draft",
    "send": "approve",
    "publish": "send",
    "evaluate": "send",
    "close": "evaluate",
    "urge": "assign",
    "instruct": "assign",
}


Plan = list[tuple[datetime, str]]


def _plans(count: int, *, has_reply: bool, consent: bool = True) -> list[Plan]:
    rng = random.Random(7)
    return [
        plan_history(rng, NOW, has_reply=has_reply, publish_consent=consent) for _ in range(count)
    ]


def _steps(plan: Plan) -> set[str]:
    return {step for _, step in plan}


def test_every_plan_starts_with_the_letter_and_keeps_time_and_workflow_order() -> None:
    for plan in _plans(2000, has_reply=True) + _plans(2000, has_reply=False):
        moments = [moment for moment, _ in plan]
        steps = [step for _, step in plan]
        assert steps[0] == "submit"
        assert moments == sorted(moments)
        assert moments[-1] <= NOW
        assert len(steps) == len(set(steps))
        at = {step: moment for moment, step in plan}
        for step in set(at) & set(BEFORE):
            for other in BEFORE[step] & set(at):
                assert at[other] < at[step], (other, step, plan)
        for step, needed in NEEDS.items():
            if step in at:
                assert needed in at, (step, plan)
        assert not ({"reject", "accept"} <= set(at))


def test_letters_without_an_answer_on_file_are_recent_and_never_answered() -> None:
    for plan in _plans(2000, has_reply=False):
        assert plan[0][0] >= NOW - timedelta(days=25)
        assert not {"draft", "approve", "send", "publish", "evaluate", "close"} & _steps(plan)


def test_no_publication_without_the_writers_consent() -> None:
    for plan in _plans(2000, has_reply=True, consent=False):
        assert "publish" not in _steps(plan)


def test_the_mailbox_shows_every_stage_and_old_letters_are_finished() -> None:
    plans = _plans(2000, has_reply=True) + _plans(400, has_reply=False)
    last_steps = Counter(plan[-1][1] for plan in plans)
    # Work waiting for each role: the registrar, the units, the leader.
    for step in ("submit", "register", "accept", "assign", "draft", "urge", "send", "reject"):
        assert last_steps[step] > 0, step
    every_step = Counter(step for plan in plans for _, step in plan)
    for step in BEFORE:
        assert every_step[step] > 0, step
    # A letter older than two months has long been answered or turned down.
    for plan in plans:
        if plan[0][0] < NOW - timedelta(days=60):
            assert {"send", "reject"} & _steps(plan), plan


STAFF_STEPS = set(BEFORE) - {"evaluate"}


def test_staff_act_in_office_hours_and_citizens_at_any_hour() -> None:
    citizen_hours = set()
    for plan in _plans(1000, has_reply=True) + _plans(500, has_reply=False):
        for moment, step in plan:
            local = moment.astimezone(SHANGHAI)
            if step in STAFF_STEPS:
                assert local.weekday() < 5, (step, local)
                assert time(8, 30) <= local.time() <= time(17, 30), (step, local)
            else:
                citizen_hours.add(local.hour)
    assert len(citizen_hours) == 24


def test_at_work_moves_evenings_and_weekends_to_the_next_working_morning() -> None:
    rng = random.Random(1)
    beijing = ZoneInfo("Asia/Shanghai")
    friday_evening = datetime(2026, 11, 20, 19, 0, tzinfo=beijing)
    monday = at_work(rng, friday_evening).astimezone(beijing)
    assert monday.date().isoformat() == "2026-11-23"
    assert time(8, 30) <= monday.time() <= time(10, 0)
    early = at_work(rng, datetime(2026, 11, 24, 6, 0, tzinfo=beijing)).astimezone(beijing)
    assert early.date().isoformat() == "2026-11-24" and early.time() >= time(8, 30)
    working = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
    assert at_work(rng, working) == working


def test_source_replies_lose_the_date_they_were_signed_on_and_nothing_else() -> None:
    signed = "感谢您对我们工作的支持、理解与监督！\u3000\u30002017年10月19日 "
    assert reply_text(signed) == "感谢您对我们工作的支持、理解与监督！"
    assert reply_text("详见2018年5月4日的通知。谢谢") == "详见2018年5月4日的通知。谢谢"
    assert reply_text(None) is None
