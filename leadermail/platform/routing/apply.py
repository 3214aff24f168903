"""Applying the tenant's routing rules to a letter that just arrived.

Called inline by the submission service or by the ``route_new_letter`` job::

    outcome = await apply_routing(session, tenant, letter, Actor.system("分办规则"))
    if outcome.forward_requested:
        ...  # cross-tenant forwarding (issue 5) takes over from here
    await session.commit()

Rules are tried in order; the first matching rule is applied whole. A rule
that would hand a 举报 to the unit it accuses is skipped (《信访工作条例》
art. 30), the refusal is audited and the supervisors are alerted, and the next
rules are tried. Routing runs once per letter: a second call returns the
recorded outcome unless ``force=True``.

Rules only route a letter still at the front door (submitted or registered,
no unit). The job normally runs seconds after arrival, but a worker that was
down or behind can reach a letter a registrar has already handled; a rule must
not then replace the unit a person chose or add a second assignment. Such a
letter is recorded as ``superseded`` and left alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.deadlines.assignments import default_assignment_due
from leadermail.platform.deadlines.letters import RULE_KEY, refresh_deadlines
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.models import Assignment, Letter, LetterType, Unit
from leadermail.platform.letters.workflow import add_timeline_event
from leadermail.platform.notifications.console import notify, supervisors_or_admins
from leadermail.platform.notifications.handoffs import assignment_arrived
from leadermail.platform.routing.models import RoutingRule
from leadermail.platform.routing.rules import PRIORITY_LABELS, LetterFacts, rule_matches
from leadermail.tenants.registry import TenantRef

OUTCOME_KEY = "routing"
#: States in which the rules may still act on a letter (see the module doc).
ROUTABLE_STATES = frozenset({"submitted", "registered"})


@dataclass
class RoutingOutcome:
    rule_id: int | None = None
    rule_name: str | None = None
    unit_id: int | None = None
    priority: str | None = None
    deadline_rule: str | None = None
    #: The rule asks for cross-tenant forwarding; the caller (or issue 5's
    #: forwarding service) carries it out with ``forward_tenant_id``.
    forward_requested: bool = False
    forward_tenant_id: int | None = None
    #: Rules skipped because they would send a 举报 to the accused unit.
    skipped_rule_ids: list[int] = field(default_factory=list)
    #: Staff handled the letter before the rules ran; nothing was applied.
    superseded: bool = False
    already_routed: bool = False

    @property
    def matched(self) -> bool:
        return self.rule_id is not None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("already_routed")
        return data


def would_hand_report_to_accused(letter: Letter, rule: RoutingRule) -> bool:
    return (
        letter.letter_type == LetterType.REPORT
        and rule.assign_unit_id is not None
        and letter.accused_unit_id == rule.assign_unit_id
    )


async def active_rules(session: AsyncSession) -> list[RoutingRule]:
    return list(
        (
            await session.execute(
                select(RoutingRule)
                .where(RoutingRule.is_active.is_(True))
                .order_by(RoutingRule.position, RoutingRule.id)
            )
        ).scalars().all()
    )


async def _refuse_report_rule(
    session: AsyncSession, letter: Letter, rule: RoutingRule, actor: Actor
) -> None:
    assert rule.assign_unit_id is not None
    await record_audit(
        session, tenant_id=letter.tenant_id, actor=actor, action="letter.route_refused",
        object_type="letter", object_id=letter.id,
        data={"rule_id": rule.id, "unit_id": rule.assign_unit_id,
              "reason": "report_to_accused_unit"},
    )
    await add_timeline_event(
        session, letter, "route_refused", actor,
        message=f"分办规则“{rule.name}”会将举报件交给被举报单位，已跳过并通知督办人员",
        data={"rule_id": rule.id, "unit_id": rule.assign_unit_id},
    )
    supervisors = await supervisors_or_admins(session, letter.tenant_id)
    await notify(
        session, letter.tenant_id, supervisors, kind="report_conflict",
        title=f"举报件险被分办给被举报单位：{letter.title}",
        body=f"分办规则“{rule.name}”命中了该举报件，但其承办单位正是被举报单位，已跳过该规则。",
        letter_id=letter.id, dedupe_key=f"report_conflict:{letter.id}:{rule.id}",
    )
    # The e-mail to supervisors is the workflow's own alert job (same wording
    # as a refused manual assignment).
    enqueue(
        session, "alert_supervisors_report_misassignment", tenant_id=letter.tenant_id,
        letter_id=letter.id, unit_id=rule.assign_unit_id, actor_user_id=actor.user_id,
    )


async def apply_routing(
    session: AsyncSession,
    tenant: TenantRef,
    letter: Letter,
    actor: Actor,
    *,
    force: bool = False,
) -> RoutingOutcome:
    """Route ``letter`` by the tenant's rules, in the caller's transaction."""
    recorded = (letter.extra or {}).get(OUTCOME_KEY)
    if recorded is not None and not force:
        return RoutingOutcome(**recorded, already_routed=True)
    outcome = RoutingOutcome()
    if letter.state not in ROUTABLE_STATES or letter.unit_id is not None:
        outcome.superseded = True
        return await _recorded(session, letter, outcome)
    facts = LetterFacts.of(letter)
    chosen: RoutingRule | None = None
    for rule in await active_rules(session):
        if not rule_matches(rule.conditions, facts):
            continue
        if would_hand_report_to_accused(letter, rule):
            outcome.skipped_rule_ids.append(rule.id)
            await _refuse_report_rule(session, letter, rule, actor)
            continue
        chosen = rule
        break
    if chosen is not None:
        await _apply_rule(session, tenant, letter, chosen, actor, outcome)
    return await _recorded(session, letter, outcome)


async def _recorded(
    session: AsyncSession, letter: Letter, outcome: RoutingOutcome
) -> RoutingOutcome:
    """Keep ``outcome`` on the letter, so routing runs once."""
    extra = dict(letter.extra or {})
    extra[OUTCOME_KEY] = outcome.as_dict()
    letter.extra = extra
    await session.flush()
    return outcome


async def _apply_rule(
    session: AsyncSession,
    tenant: TenantRef,
    letter: Letter,
    rule: RoutingRule,
    actor: Actor,
    outcome: RoutingOutcome,
) -> None:
    outcome.rule_id, outcome.rule_name = rule.id, rule.name
    done: list[str] = []
    if rule.set_priority:
        letter.priority = rule.set_priority
        outcome.priority = rule.set_priority
        done.append(f"优先级设为{PRIORITY_LABELS.get(rule.set_priority, rule.set_priority)}")
    if rule.deadline_rule:
        extra = dict(letter.extra or {})
        extra[RULE_KEY] = rule.deadline_rule
        letter.extra = extra
        await refresh_deadlines(session, letter, tenant.settings)
        outcome.deadline_rule = rule.deadline_rule
        done.append(f"办理期限为{rule.deadline_rule}")
    if rule.assign_unit_id is not None:
        unit = await session.get(Unit, rule.assign_unit_id)
        if unit is not None and unit.is_active:
            letter.unit_id = unit.id
            note = f"按分办规则“{rule.name}”"
            due_at = default_assignment_due(letter)
            session.add(
                Assignment(
                    tenant_id=letter.tenant_id, letter_id=letter.id, unit_id=unit.id,
                    assigned_by_user_id=actor.user_id, note=note, due_at=due_at,
                )
            )
            await assignment_arrived(session, letter, unit, actor, note, due_at=due_at)
            outcome.unit_id = unit.id
            done.append(f"分办给{unit.name}")
    if rule.forward_tenant_id is not None:
        outcome.forward_requested = True
        outcome.forward_tenant_id = rule.forward_tenant_id
        done.append("待转办至其他信箱")
    message = f"按分办规则“{rule.name}”：" + "，".join(done) if done else None
    await add_timeline_event(
        session, letter, "routed", actor, message=message, data=outcome.as_dict()
    )
    await record_audit(
        session, tenant_id=letter.tenant_id, actor=actor, action="letter.route",
        object_type="letter", object_id=letter.id, data=outcome.as_dict(),
    )
    if outcome.forward_requested:
        await add_timeline_event(
            session, letter, "forward_requested", actor,
            message=f"分办规则“{rule.name}”要求转办",
            data={"forward_tenant_id": rule.forward_tenant_id, "rule_id": rule.id},
        )
