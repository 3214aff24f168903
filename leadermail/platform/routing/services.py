"""Editing the routing catalogue: create, update, delete, reorder, all audited.

    rule = await create_rule(session, tenant, draft, actor, tenant_ids=...)
    await move_rule(session, tenant, rule.id, "up", actor)

Validation errors raise :class:`~leadermail.platform.routing.rules.RuleError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.letters.models import Category, Unit
from leadermail.platform.routing.models import RoutingRule
from leadermail.platform.routing.rules import RuleContext, RuleDraft, RuleError, validate_rule
from leadermail.tenants.registry import TenantRef


async def rule_context(
    session: AsyncSession, tenant: TenantRef, tenant_ids: Iterable[int]
) -> RuleContext:
    units = (await session.execute(select(Unit.id).where(Unit.is_active.is_(True)))).scalars()
    categories = (
        await session.execute(select(Category.id).where(Category.is_active.is_(True)))
    ).scalars()
    return RuleContext(
        unit_ids=set(units), category_ids=set(categories),
        tenant_ids=set(tenant_ids), own_tenant_id=tenant.id,
    )


def _snapshot(rule: RoutingRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "position": rule.position,
        "is_active": rule.is_active,
        "conditions": rule.conditions,
        "assign_unit_id": rule.assign_unit_id,
        "set_priority": rule.set_priority,
        "deadline_rule": rule.deadline_rule,
        "forward_tenant_id": rule.forward_tenant_id,
    }


async def list_rules(session: AsyncSession) -> list[RoutingRule]:
    query = select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)
    return list((await session.execute(query)).scalars().all())


async def access_rule(session: AsyncSession, rule_id: int) -> RoutingRule:
    rule = await session.get(RoutingRule, rule_id)
    if rule is None:
        raise RuleError(["没有找到这条分办规则"])
    return rule


async def create_rule(
    session: AsyncSession,
    tenant: TenantRef,
    draft: RuleDraft,
    actor: Actor,
    *,
    tenant_ids: Iterable[int],
) -> RoutingRule:
    valid = validate_rule(draft, await rule_context(session, tenant, tenant_ids))
    last = (await session.execute(select(func.max(RoutingRule.position)))).scalar()
    rule = RoutingRule(
        tenant_id=tenant.id,
        position=(last or 0) + 10,
        name=valid.name,
        is_active=valid.is_active,
        conditions=valid.conditions,
        assign_unit_id=valid.assign_unit_id,
        set_priority=valid.set_priority,
        deadline_rule=valid.deadline_rule,
        forward_tenant_id=valid.forward_tenant_id,
        created_by_user_id=actor.user_id,
        updated_by_user_id=actor.user_id,
    )
    session.add(rule)
    await session.flush()
    await record_audit(
        session, tenant_id=tenant.id, actor=actor, action="routing_rule.create",
        object_type="routing_rule", object_id=rule.id, data=_snapshot(rule),
    )
    return rule


async def update_rule(
    session: AsyncSession,
    tenant: TenantRef,
    rule: RoutingRule,
    draft: RuleDraft,
    actor: Actor,
    *,
    tenant_ids: Iterable[int],
) -> RoutingRule:
    valid = validate_rule(draft, await rule_context(session, tenant, tenant_ids))
    before = _snapshot(rule)
    rule.name = valid.name
    rule.is_active = valid.is_active
    rule.conditions = valid.conditions
    rule.assign_unit_id = valid.assign_unit_id
    rule.set_priority = valid.set_priority
    rule.deadline_rule = valid.deadline_rule
    rule.forward_tenant_id = valid.forward_tenant_id
    rule.updated_by_user_id = actor.user_id
    await session.flush()
    await record_audit(
        session, tenant_id=tenant.id, actor=actor, action="routing_rule.update",
        object_type="routing_rule", object_id=rule.id,
        data={"before": before, "after": _snapshot(rule)},
    )
    return rule


async def delete_rule(
    session: AsyncSession, tenant: TenantRef, rule: RoutingRule, actor: Actor
) -> None:
    snapshot = _snapshot(rule)
    await session.delete(rule)
    await session.flush()
    await record_audit(
        session, tenant_id=tenant.id, actor=actor, action="routing_rule.delete",
        object_type="routing_rule", object_id=rule.id, data=snapshot,
    )


async def move_rule(
    session: AsyncSession, tenant: TenantRef, rule: RoutingRule, direction: str, actor: Actor
) -> None:
    """Swap the rule with its neighbour (``direction`` is "up" or "down")."""
    rules = await list_rules(session)
    index = next(i for i, r in enumerate(rules) if r.id == rule.id)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(rules):
        return
    rules[index], rules[other] = rules[other], rules[index]
    for position, item in enumerate(rules, start=1):
        item.position = position * 10
    await session.flush()
    await record_audit(
        session, tenant_id=tenant.id, actor=actor, action="routing_rule.reorder",
        object_type="routing_rule", object_id=rule.id,
        data={"order": [r.id for r in rules]},
    )
