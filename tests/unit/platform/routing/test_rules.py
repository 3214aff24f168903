"""Routing rules: validation reasons and matching, without a database."""

from __future__ import annotations

import pytest

from leadermail.platform.routing.rules import (
    LetterFacts,
    RuleContext,
    RuleDraft,
    RuleError,
    describe_conditions,
    rule_matches,
    validate_rule,
)

CONTEXT = RuleContext(unit_ids={4, 5}, category_ids={7}, tenant_ids={1, 2}, own_tenant_id=1)


def facts(**overrides: object) -> LetterFacts:
    values = {
        "letter_type": "complaint", "category_id": 7, "region": "长沙市岳麓区",
        "channel": "web", "title": "小区夜间施工噪音扰民", "body": "工地每晚施工到凌晨两点。",
    }
    values.update(overrides)
    return LetterFacts(**values)  # type: ignore[arg-type]


def reasons(draft: RuleDraft) -> list[str]:
    with pytest.raises(RuleError) as caught:
        validate_rule(draft, CONTEXT)
    return caught.value.errors


def test_a_complete_rule_is_normalised():
    rule = validate_rule(
        RuleDraft(
            name=" 噪音投诉 ", letter_types=["complaint"], category_ids=["7"],
            regions="岳麓区 天心区", channels=["web"], keywords="噪音，施工、噪音",
            keyword_mode="all", assign_unit_id="4", set_priority="high", deadline_rule="10个工作日",
        ),
        CONTEXT,
    )
    assert rule.name == "噪音投诉"
    assert rule.conditions == {
        "letter_types": ["complaint"], "category_ids": [7], "regions": ["岳麓区", "天心区"],
        "channels": ["web"], "keywords": ["噪音", "施工"], "keyword_mode": "all",
    }
    assert (rule.assign_unit_id, rule.set_priority, rule.deadline_rule) == (4, "high", "10wd")


def test_empty_conditions_are_rejected():
    assert any("至少需要一个条件" in r for r in reasons(RuleDraft(name="x", assign_unit_id="4")))


def test_no_action_is_rejected():
    assert any("至少需要一个动作" in r for r in reasons(RuleDraft(name="x", keywords="噪音")))


def test_unknown_unit_is_rejected():
    assert any("承办单位（编号 99）不存在" in r for r in reasons(
        RuleDraft(name="x", keywords="噪音", assign_unit_id="99")
    ))


@pytest.mark.parametrize("keywords", ["噪音|施工", "(噪音", "噪音*", "a.b"])
def test_bad_keyword_syntax_is_rejected(keywords: str):
    assert any("不支持的符号" in r for r in reasons(
        RuleDraft(name="x", keywords=keywords, assign_unit_id="4")
    ))


@pytest.mark.parametrize(
    ("text", "expected"), [("5周", "不是有效的期限"), ("90d", "超过了法定办理期限")]
)
def test_bad_deadline_is_rejected(text: str, expected: str):
    assert any(expected in r for r in reasons(
        RuleDraft(name="x", keywords="噪音", deadline_rule=text)
    ))


def test_forwarding_to_itself_or_an_unknown_tenant_is_rejected():
    assert any("不能转办给本信箱" in r for r in reasons(
        RuleDraft(name="x", keywords="噪音", forward_tenant_id="1")
    ))
    assert any("转办信箱（编号 9）不存在" in r for r in reasons(
        RuleDraft(name="x", keywords="噪音", forward_tenant_id="9")
    ))
    assert validate_rule(
        RuleDraft(name="x", keywords="噪音", forward_tenant_id="2"), CONTEXT
    ).forward_tenant_id == 2


def test_every_reason_is_reported_at_once():
    errors = reasons(RuleDraft(name="", keywords="a|b", assign_unit_id="99", deadline_rule="x"))
    assert len(errors) >= 4


def test_keywords_any_and_all():
    any_rule = {"keywords": ["噪音", "垃圾"], "keyword_mode": "any"}
    all_rule = {"keywords": ["噪音", "垃圾"], "keyword_mode": "all"}
    assert rule_matches(any_rule, facts())
    assert not rule_matches(all_rule, facts())
    assert rule_matches(all_rule, facts(body="噪音和垃圾"))


def test_conditions_combine_with_and():
    conditions = {"letter_types": ["report"], "keywords": ["噪音"], "keyword_mode": "any"}
    assert not rule_matches(conditions, facts())
    assert rule_matches(conditions, facts(letter_type="report"))


def test_region_channel_and_category():
    assert rule_matches({"regions": ["岳麓区"]}, facts())
    assert not rule_matches({"regions": ["天心区"]}, facts())
    assert not rule_matches({"regions": ["岳麓区"]}, facts(region=None))
    assert not rule_matches({"channels": ["phone"]}, facts())
    assert not rule_matches({"category_ids": [8]}, facts())


def test_an_empty_rule_never_matches():
    assert not rule_matches({}, facts())


def test_description_is_readable():
    text = describe_conditions(
        {"letter_types": ["complaint"], "keywords": ["噪音", "施工"], "keyword_mode": "all"}, {}
    )
    assert text == "类型为投诉，且标题或正文含“噪音”和“施工”"
