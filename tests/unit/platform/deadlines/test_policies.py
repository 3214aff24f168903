from typing import Any

import pytest

from leadermail.platform.deadlines.policies import (
    DeadlinePolicyError,
    policy_for,
    validate_deadline_policies,
)
from leadermail.platform.deadlines.rules import DeadlineRule
from leadermail.platform.letters.models import LetterType


@pytest.mark.parametrize(
    ("letter_type", "reply"),
    [
        ("consultation", "5wd"),
        ("help", "5wd"),
        ("suggestion", "10wd"),
        ("complaint", "10wd"),
        ("report", "15wd"),
    ],
)
def test_defaults(letter_type: str, reply: str) -> None:
    policy = policy_for({}, letter_type)
    assert policy.acceptance == DeadlineRule(24, "hours")
    assert policy.reply == DeadlineRule.parse(reply)
    assert policy.objection.code == "5wd"
    assert (policy.acceptance_notice_cap.code, policy.handling_cap.code) == ("15d", "60d")
    assert policy.extension_cap.code == "30d"


def test_tenant_overrides_per_type_and_acceptance() -> None:
    settings = {"deadline_policies": {"acceptance": "48h", "reply": {"complaint": "3wd"}}}
    complaint = policy_for(settings, LetterType.COMPLAINT)
    assert complaint.acceptance.code == "48h"
    assert complaint.reply.code == "3wd"
    assert policy_for(settings, "report").reply.code == "15wd"  # not overridden


def test_one_reply_rule_for_every_type() -> None:
    settings = {"deadline_policies": {"reply": "7d"}}
    assert {policy_for(settings, t).reply.code for t in LetterType} == {"7d"}


def test_other_settings_are_ignored() -> None:
    assert policy_for({"theme": "blue"}, "help").reply.code == "5wd"
    assert policy_for(None, "help").reply.code == "5wd"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"reply": {"complaint": "10x"}}, "deadline_policies.reply.complaint（投诉答复期限）"),
        ({"reply": {"gossip": "5wd"}}, "信件类型“gossip”不存在"),
        ({"acceptance": 24}, "acceptance（受理期限）"),
        ({"acceptance": "16d"}, "法定告知期限15日"),
        ({"reply": "70d"}, "法定办理期限60日"),
        ({"reply": {"report": "45wd"}}, "法定办理期限60日"),
        ({"objection": "10wd"}, "无法识别的项：objection"),
        ({"reply": ["5wd"]}, "reply 必须是"),
        ("5wd", "必须是对象"),
    ],
)
def test_bad_overrides_are_refused_in_chinese(value: Any, message: str) -> None:
    with pytest.raises(DeadlinePolicyError, match=message.replace("(", r"\(")):
        validate_deadline_policies(value)
    with pytest.raises(DeadlinePolicyError):
        policy_for({"deadline_policies": value}, "complaint")


def test_unknown_letter_type() -> None:
    with pytest.raises(DeadlinePolicyError, match="未知的信件类型"):
        policy_for({}, "gossip")


def test_forty_two_working_days_still_fit_sixty_days() -> None:
    assert policy_for({"deadline_policies": {"reply": "42wd"}}, "report").reply.code == "42wd"
