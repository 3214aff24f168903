"""The demo's 派单目录: a letter's subject picks its unit and category."""

from __future__ import annotations

import random

from leadermail.platform.demo_routing import TOPICS, demo_category, topic_of, unit_chooser
from leadermail.platform.letters.models import Letter
from leadermail.platform.routing.rules import MAX_KEYWORDS, RuleContext, RuleDraft, validate_rule


def test_the_most_specific_subject_wins_over_the_place_it_happens():
    # Nearly every letter names its 小区; the noise is what it is about.
    noise = topic_of("小区旁工地夜间施工噪音扰民", "请有关部门处理。")
    assert noise is not None and noise.unit_stem == "生态环境"
    school = topic_of("小区配套学校何时招生", "")
    assert school is not None and school.unit_stem == "教育"
    housing = topic_of("小区物业不作为", "物业公司收费不公开。")
    assert housing is not None and housing.unit_stem == "住房和城乡建设"


def test_a_letter_about_nothing_listed_has_no_topic():
    assert topic_of("感谢信", "感谢市领导对我们的关心。") is None
    assert demo_category("感谢信", "感谢市领导对我们的关心。", {"其他": 1}) is None


def test_the_category_comes_from_the_tenants_own_list():
    categories = {"环境保护": 7, "城乡建设": 8}
    assert demo_category("油烟扰民", "楼下饭店油烟很大", categories) == 7
    assert demo_category("学位不足", "孩子入学难", categories) is None  # no 教育文体 here


def test_every_topic_is_a_rule_the_console_would_accept():
    context = RuleContext(unit_ids={1}, category_ids=set(), tenant_ids={1}, own_tenant_id=1)
    for topic in TOPICS:
        assert len(topic.keywords) <= MAX_KEYWORDS
        keywords = "、".join(topic.keywords)
        draft = RuleDraft(name=topic.category, keywords=keywords, assign_unit_id="1")
        assert validate_rule(draft, context).conditions["keywords"] == list(topic.keywords)


def test_the_registrar_reads_the_title_first_and_falls_back_to_any_unit():
    units = {3: "市公安局", 5: "市人力资源和社会保障局", 9: "市城市管理和综合执法局"}
    choose = unit_chooser(units, random.Random(1))
    wages = Letter(title="公司拖欠工资三个月", body="我的户口不在本地，能否申请劳动仲裁？")
    assert choose(wages) == 5
    household = Letter(title="落户问题", body="想把户口迁入本市。")
    assert choose(household) == 3
    thanks = Letter(title="感谢信", body="感谢各位的帮助。")
    assert {choose(thanks) for _ in range(50)} == set(units)
