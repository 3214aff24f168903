"""Validating and matching routing rules (pure: no database).

A rule's conditions, as stored in ``RoutingRule.conditions``::

    {"letter_types": ["complaint", "report"],   # any of (OR)
     "category_ids": [3],                       # any of
     "regions": ["岳麓区"],                      # the letter's region contains any
     "channels": ["web", "email"],              # any of
     "keywords": ["噪音", "施工"],               # found in title or body
     "keyword_mode": "any"}                     # "any" or "all" of the keywords

Every condition present must hold (AND across conditions). Chinese has no
spaces, so keywords are matched as substrings of the title and body.

    draft = RuleDraft(name="噪音投诉", keywords="噪音、施工", assign_unit_id=4)
    validated = validate_rule(draft, RuleContext(unit_ids={4}, category_ids=set(),
                                                 tenant_ids={1, 2}, own_tenant_id=1))
    rule_matches(validated.conditions, LetterFacts.of(letter))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from leadermail.platform.deadlines.policies import HANDLING_CAP
from leadermail.platform.deadlines.rules import DeadlineRule, DeadlineRuleError
from leadermail.platform.letters.models import CHANNEL_LABELS, LETTER_TYPE_LABELS, PRIORITY_LABELS

KEYWORD_MODES = {"any": "包含任一关键词", "all": "包含全部关键词"}
MAX_KEYWORDS = 30
MAX_KEYWORD_LENGTH = 20
MAX_REGIONS = 20
_SEPARATORS = re.compile(r"[,，、;；\s]+")
_KEYWORD = re.compile(r"^[0-9A-Za-z\u3400-\u9fff·]+$")


class RuleError(ValueError):
    """The rule cannot be saved; ``errors`` lists every reason, in Chinese."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("；".join(errors))
        self.errors = errors


@dataclass
class RuleDraft:
    """A rule as typed into the console form (strings and lists of strings)."""

    name: str = ""
    letter_types: list[str] = field(default_factory=list)
    category_ids: list[str] = field(default_factory=list)
    regions: str = ""
    channels: list[str] = field(default_factory=list)
    keywords: str = ""
    keyword_mode: str = "any"
    assign_unit_id: str = ""
    set_priority: str = ""
    deadline_rule: str = ""
    forward_tenant_id: str = ""
    is_active: bool = True

    @classmethod
    def from_form(cls, form: Mapping[str, Any], getlist: Any) -> RuleDraft:
        """``form`` is a Starlette FormData; ``getlist`` its ``getlist``."""

        def one(key: str) -> str:
            value = form.get(key)
            return value.strip() if isinstance(value, str) else ""

        return cls(
            name=one("name"),
            letter_types=[v for v in getlist("letter_types") if isinstance(v, str)],
            category_ids=[v for v in getlist("category_ids") if isinstance(v, str)],
            regions=one("regions"),
            channels=[v for v in getlist("channels") if isinstance(v, str)],
            keywords=one("keywords"),
            keyword_mode=one("keyword_mode") or "any",
            assign_unit_id=one("assign_unit_id"),
            set_priority=one("set_priority"),
            deadline_rule=one("deadline_rule"),
            forward_tenant_id=one("forward_tenant_id"),
            is_active=one("is_active") in {"1", "on", "true"},
        )


@dataclass(frozen=True)
class RuleContext:
    """What a rule may refer to in its tenant."""

    unit_ids: frozenset[int] | set[int]
    category_ids: frozenset[int] | set[int]
    tenant_ids: frozenset[int] | set[int]
    own_tenant_id: int


@dataclass(frozen=True)
class ValidatedRule:
    name: str
    is_active: bool
    conditions: dict[str, Any]
    assign_unit_id: int | None
    set_priority: str | None
    deadline_rule: str | None
    forward_tenant_id: int | None


def split_terms(text: str) -> list[str]:
    return [term for term in _SEPARATORS.split(text.strip()) if term]


def _ids(values: Iterable[str], known: Iterable[int], what: str, errors: list[str]) -> list[int]:
    known = set(known)
    ids: list[int] = []
    for value in values:
        if not value:
            continue
        try:
            number = int(value)
        except ValueError:
            errors.append(f"{what}“{value}”无效")
            continue
        if number not in known:
            errors.append(f"{what}（编号 {number}）不存在或已停用")
        elif number not in ids:
            ids.append(number)
    return ids


def _optional_id(value: str, what: str, errors: list[str]) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        errors.append(f"{what}“{value}”无效")
        return None


def parse_keywords(text: str, errors: list[str]) -> list[str]:
    keywords: list[str] = []
    for term in split_terms(text):
        if not _KEYWORD.match(term):
            errors.append(
                f"关键词“{term}”含有不支持的符号：关键词只能由汉字、字母和数字组成，"
                "多个关键词用逗号、顿号或空格分隔"
            )
        elif len(term) > MAX_KEYWORD_LENGTH:
            errors.append(f"关键词“{term}”过长（最多{MAX_KEYWORD_LENGTH}个字）")
        elif term not in keywords:
            keywords.append(term)
    if len(keywords) > MAX_KEYWORDS:
        errors.append(f"关键词最多{MAX_KEYWORDS}个")
    return keywords


def validate_rule(draft: RuleDraft, context: RuleContext) -> ValidatedRule:
    """Check a draft against its tenant; raise :class:`RuleError` with every reason."""
    errors: list[str] = []
    name = draft.name.strip()
    if not name:
        errors.append("请填写规则名称")
    elif len(name) > 100:
        errors.append("规则名称不能超过100个字")

    conditions: dict[str, Any] = {}
    types = [t for t in dict.fromkeys(draft.letter_types) if t]
    unknown_types = [t for t in types if t not in LETTER_TYPE_LABELS]
    if unknown_types:
        errors.append(f"信件类型“{unknown_types[0]}”不存在")
    elif types:
        conditions["letter_types"] = types
    category_ids = _ids(draft.category_ids, context.category_ids, "分类", errors)
    if category_ids:
        conditions["category_ids"] = category_ids
    regions = list(dict.fromkeys(split_terms(draft.regions)))
    if len(regions) > MAX_REGIONS:
        errors.append(f"地区最多{MAX_REGIONS}个")
    elif any(len(r) > 50 for r in regions):
        errors.append("地区名称过长（最多50个字）")
    elif regions:
        conditions["regions"] = regions
    channels = [c for c in dict.fromkeys(draft.channels) if c]
    unknown_channels = [c for c in channels if c not in CHANNEL_LABELS]
    if unknown_channels:
        errors.append(f"来信渠道“{unknown_channels[0]}”不存在")
    elif channels:
        conditions["channels"] = channels
    keywords = parse_keywords(draft.keywords, errors)
    if draft.keyword_mode not in KEYWORD_MODES:
        errors.append("关键词匹配方式只能是“任一”或“全部”")
    if keywords:
        conditions["keywords"] = keywords
        conditions["keyword_mode"] = draft.keyword_mode
    if not conditions and not errors:
        errors.append("规则至少需要一个条件（类型、分类、地区、渠道或关键词），否则会命中所有来信")

    unit_id = _optional_id(draft.assign_unit_id, "承办单位", errors)
    if unit_id is not None and unit_id not in context.unit_ids:
        errors.append(f"承办单位（编号 {unit_id}）不存在或已停用")
    priority = draft.set_priority or None
    if priority is not None and priority not in PRIORITY_LABELS:
        errors.append(f"优先级“{priority}”无效")
    deadline: str | None = None
    if draft.deadline_rule:
        try:
            rule = DeadlineRule.parse(draft.deadline_rule)
        except DeadlineRuleError as exc:
            errors.append(f"办理期限：{exc}")
        else:
            if rule.nominal_days() > HANDLING_CAP.nominal_days():
                errors.append(f"办理期限“{rule.label}”超过了法定办理期限{HANDLING_CAP.label}")
            else:
                deadline = rule.code
    forward = _optional_id(draft.forward_tenant_id, "转办信箱", errors)
    if forward is not None:
        if forward == context.own_tenant_id:
            errors.append("不能转办给本信箱")
        elif forward not in context.tenant_ids:
            errors.append(f"转办信箱（编号 {forward}）不存在或已停用")
    if forward is not None and unit_id is not None:
        errors.append("转办到其他信箱的规则不能同时指定本信箱的承办单位")
    if unit_id is None and priority is None and deadline is None and forward is None:
        errors.append("规则至少需要一个动作（分办单位、优先级、办理期限或转办）")
    if errors:
        raise RuleError(errors)
    return ValidatedRule(
        name=name,
        is_active=draft.is_active,
        conditions=conditions,
        assign_unit_id=unit_id,
        set_priority=priority,
        deadline_rule=deadline,
        forward_tenant_id=forward,
    )


@dataclass(frozen=True)
class LetterFacts:
    """What conditions look at."""

    letter_type: str
    category_id: int | None
    region: str | None
    channel: str
    title: str
    body: str

    @classmethod
    def of(cls, letter: Any) -> LetterFacts:
        return cls(
            letter_type=letter.letter_type,
            category_id=letter.category_id,
            region=letter.region,
            channel=letter.channel,
            title=letter.title or "",
            body=letter.body or "",
        )


def rule_matches(conditions: Mapping[str, Any], facts: LetterFacts) -> bool:
    if not conditions:
        return False  # an empty rule never matches everything by accident
    types = conditions.get("letter_types")
    if types and facts.letter_type not in types:
        return False
    categories = conditions.get("category_ids")
    if categories and facts.category_id not in categories:
        return False
    regions = conditions.get("regions")
    if regions and not (facts.region and any(r in facts.region for r in regions)):
        return False
    channels = conditions.get("channels")
    if channels and facts.channel not in channels:
        return False
    keywords = conditions.get("keywords")
    if keywords:
        text = f"{facts.title}\n{facts.body}"
        found = [k in text for k in keywords]
        if conditions.get("keyword_mode") == "all":
            if not all(found):
                return False
        elif not any(found):
            return False
    return True


def describe_conditions(conditions: Mapping[str, Any], category_names: Mapping[int, str]) -> str:
    """A one-line Chinese summary for the rule list."""
    parts = []
    if conditions.get("letter_types"):
        types = conditions["letter_types"]
        parts.append("类型为" + "或".join(LETTER_TYPE_LABELS.get(t, t) for t in types))
    if conditions.get("category_ids"):
        parts.append(
            "分类为" + "或".join(category_names.get(c, str(c)) for c in conditions["category_ids"])
        )
    if conditions.get("regions"):
        parts.append("地区含" + "或".join(conditions["regions"]))
    if conditions.get("channels"):
        parts.append("渠道为" + "或".join(CHANNEL_LABELS.get(c, c) for c in conditions["channels"]))
    if conditions.get("keywords"):
        joiner = "和" if conditions.get("keyword_mode") == "all" else "或"
        parts.append("标题或正文含" + joiner.join(f"“{k}”" for k in conditions["keywords"]))
    return "，且".join(parts) or "（无条件）"
