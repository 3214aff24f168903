"""Which deadlines apply to a letter: platform defaults, overridden per tenant.

A tenant changes its deadlines as data, in ``tenant.settings``::

    {"deadline_policies": {"acceptance": "24h",
                           "reply": {"complaint": "10wd", "consultation": "3wd"}}}

``"reply"`` may also be one rule for every letter type (``"reply": "5wd"``).
The statutory limits (objection window, acceptance notice, handling,
extension) come from 《信访工作条例》 and cannot be overridden::

    policy = policy_for(tenant.settings, "complaint")
    compute_due(letter.received_at, policy.reply, calendar)

Defaults chosen here (no national figure exists for leader mailboxes; local
rules range from 3 to 15 working days, see research/mission-anchors.md):

* acceptance 24h for every type (the seeds' rule);
* reply: consultation 5wd and help 5wd (a question or a request for help
  should be quick, as in 许昌's 5-working-day rule); suggestion 10wd and
  complaint 10wd (need a unit to look into facts); report 15wd (举报 needs an
  investigation; 15 working days still fits the 60-day statutory handling
  limit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadermail.platform.deadlines.rules import MAX_EXTENSION, DeadlineRule, DeadlineRuleError
from leadermail.platform.letters.models import LETTER_TYPE_LABELS, LetterType

SETTINGS_KEY = "deadline_policies"

DEFAULT_ACCEPTANCE = DeadlineRule(24, "hours")
DEFAULT_REPLY: dict[str, DeadlineRule] = {
    LetterType.CONSULTATION: DeadlineRule(5, "working_days"),
    LetterType.HELP: DeadlineRule(5, "working_days"),
    LetterType.SUGGESTION: DeadlineRule(10, "working_days"),
    LetterType.COMPLAINT: DeadlineRule(10, "working_days"),
    LetterType.REPORT: DeadlineRule(15, "working_days"),
}

# 《信访工作条例》: art. 23 ¶3 (objection to a wrong assignment), art. 23 ¶2-3
# (written notice of acceptance or receipt), art. 34 (handling, extension).
OBJECTION_WINDOW = DeadlineRule(5, "working_days")
ACCEPTANCE_NOTICE_CAP = DeadlineRule(15, "calendar_days")
HANDLING_CAP = DeadlineRule(60, "calendar_days")
EXTENSION_CAP = MAX_EXTENSION


class DeadlinePolicyError(ValueError):
    """A tenant's ``deadline_policies`` setting is wrong; the message (Chinese) says where."""


@dataclass(frozen=True)
class DeadlinePolicy:
    letter_type: str
    acceptance: DeadlineRule
    reply: DeadlineRule
    objection: DeadlineRule = OBJECTION_WINDOW
    acceptance_notice_cap: DeadlineRule = ACCEPTANCE_NOTICE_CAP
    handling_cap: DeadlineRule = HANDLING_CAP
    extension_cap: DeadlineRule = EXTENSION_CAP


def _rule(value: object, where: str) -> DeadlineRule:
    try:
        return DeadlineRule.parse(value)  # type: ignore[arg-type]
    except DeadlineRuleError as exc:
        raise DeadlinePolicyError(f"{where}：{exc}") from None


def _within(rule: DeadlineRule, cap: DeadlineRule, where: str, what: str) -> None:
    # Working days are compared as ordinary weeks (5 → 7 days): a tenant rule
    # that cannot fit the statutory limit even in a week without holidays is
    # refused; holidays are handled when the real due dates are computed.
    if rule.nominal_days() > cap.nominal_days():
        raise DeadlinePolicyError(
            f"{where}：“{rule.label}”超过了{what}{cap.label}（《信访工作条例》）"
        )


def validate_deadline_policies(raw: object) -> tuple[DeadlineRule | None, dict[str, DeadlineRule]]:
    """Check a ``deadline_policies`` value; return (acceptance, reply rules by type).

    Raises :class:`DeadlinePolicyError`. The console calls this before
    saving; :func:`policy_for` calls it on every read.
    """
    if raw is None:
        return None, {}
    if not isinstance(raw, Mapping):
        raise DeadlinePolicyError(f'{SETTINGS_KEY} 必须是对象，例如 {{"acceptance": "24h"}}')
    unknown = sorted(set(raw) - {"acceptance", "reply"})
    if unknown:
        raise DeadlinePolicyError(
            f"{SETTINGS_KEY} 中有无法识别的项：{'、'.join(map(str, unknown))}"
            "（只能设置 acceptance 受理期限 和 reply 答复期限）"
        )
    acceptance = None
    if "acceptance" in raw:
        where = f"{SETTINGS_KEY}.acceptance（受理期限）"
        acceptance = _rule(raw["acceptance"], where)
        _within(acceptance, ACCEPTANCE_NOTICE_CAP, where, "法定告知期限")
    reply: dict[str, DeadlineRule] = {}
    raw_reply = raw.get("reply")
    if isinstance(raw_reply, str):
        where = f"{SETTINGS_KEY}.reply（答复期限）"
        rule = _rule(raw_reply, where)
        _within(rule, HANDLING_CAP, where, "法定办理期限")
        reply = {str(letter_type): rule for letter_type in LETTER_TYPE_LABELS}
    elif isinstance(raw_reply, Mapping):
        for letter_type, value in raw_reply.items():
            if letter_type not in LETTER_TYPE_LABELS:
                raise DeadlinePolicyError(
                    f"{SETTINGS_KEY}.reply 中的信件类型“{letter_type}”不存在；可用："
                    + "、".join(f"{key}（{label}）" for key, label in LETTER_TYPE_LABELS.items())
                )
            label = LETTER_TYPE_LABELS[letter_type]
            where = f"{SETTINGS_KEY}.reply.{letter_type}（{label}答复期限）"
            rule = _rule(value, where)
            _within(rule, HANDLING_CAP, where, "法定办理期限")
            reply[str(letter_type)] = rule
    elif raw_reply is not None:
        raise DeadlinePolicyError(
            f"{SETTINGS_KEY}.reply 必须是一个期限（如“5wd”）或按信件类型设置的对象"
        )
    return acceptance, reply


def policy_for(tenant_settings: Mapping[str, Any] | None, letter_type: str) -> DeadlinePolicy:
    """The deadlines for a letter of ``letter_type`` in a tenant with these settings."""
    if letter_type not in LETTER_TYPE_LABELS:
        raise DeadlinePolicyError(f"未知的信件类型“{letter_type}”")
    acceptance, reply = validate_deadline_policies((tenant_settings or {}).get(SETTINGS_KEY))
    return DeadlinePolicy(
        letter_type=str(letter_type),
        acceptance=acceptance or DEFAULT_ACCEPTANCE,
        reply=reply.get(letter_type, DEFAULT_REPLY[letter_type]),
    )
