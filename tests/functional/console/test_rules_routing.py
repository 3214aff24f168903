"""Routing on arrival: rules in order, actions applied, 举报 never to the accused."""

from __future__ import annotations

from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.letters.models import Assignment, Letter, LetterEvent, Unit
from leadermail.platform.notifications.console import StaffNotification
from leadermail.platform.routing.jobs import route_new_letter
from leadermail.platform.routing.models import RoutingRule
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import make_letter, make_staff, run_job


async def units_of(context, tenant) -> dict[str, int]:
    async with tenant_session(context.database, tenant) as session:
        return {u.name: u.id for u in (await session.execute(select(Unit))).scalars()}


async def add_rule(context, tenant, position: int, **values) -> RoutingRule:
    async with tenant_session(context.database, tenant) as session:
        rule = RoutingRule(tenant_id=tenant.id, position=position, **values)
        session.add(rule)
        await session.commit()
    return rule


async def test_first_matching_rule_assigns_unit_priority_and_deadline(context, make_tenant):
    tenant = await make_tenant(units=["城管局", "环保局"])
    units = await units_of(context, tenant)
    await add_rule(context, tenant, 10, name="噪音", conditions={
        "keywords": ["噪音"], "keyword_mode": "any"}, assign_unit_id=units["环保局"],
        set_priority="high", deadline_rule="3wd")
    await add_rule(context, tenant, 20, name="兜底投诉", conditions={
        "letter_types": ["complaint"]}, assign_unit_id=units["城管局"])
    letter = await make_letter(context, tenant, title="夜间施工噪音", received_at=None)

    result = await run_job(context, route_new_letter, tenant_id=tenant.id, letter_id=letter.id)
    assert result["rule_name"] == "噪音"

    async with tenant_session(context.database, tenant) as session:
        routed = await session.get(Letter, letter.id)
        assert routed.unit_id == units["环保局"]
        assert routed.priority == "high"
        assert routed.extra["deadline_rule"] == "3wd"
        assert routed.reply_due_at is not None
        assignment = (await session.execute(select(Assignment))).scalar_one()
        assert assignment.unit_id == units["环保局"]
        kinds = (await session.execute(select(LetterEvent.kind))).scalars().all()
        assert "routed" in kinds
        audit = (await session.execute(select(AuditRecord.action))).scalars().all()
        assert "letter.route" in audit

    # Safe to run twice: nothing changes, no second assignment.
    again = await run_job(context, route_new_letter, tenant_id=tenant.id, letter_id=letter.id)
    assert again["already_routed"] is True
    async with tenant_session(context.database, tenant) as session:
        assert len((await session.execute(select(Assignment))).scalars().all()) == 1


async def test_a_report_is_never_routed_to_the_accused_unit(context, make_tenant):
    tenant = await make_tenant(units=["城管局", "纪委监委"])
    units = await units_of(context, tenant)
    supervisor = await make_staff(context, tenant, "赵督办", Role.SUPERVISOR)
    await add_rule(context, tenant, 10, name="城管类", conditions={
        "keywords": ["城管"], "keyword_mode": "any"}, assign_unit_id=units["城管局"])
    await add_rule(context, tenant, 20, name="举报", conditions={
        "letter_types": ["report"]}, assign_unit_id=units["纪委监委"])
    letter = await make_letter(
        context, tenant, title="举报城管执法人员收受好处", letter_type="report",
        accused_unit_id=units["城管局"],
    )

    result = await run_job(context, route_new_letter, tenant_id=tenant.id, letter_id=letter.id)

    assert result["rule_name"] == "举报"
    assert len(result["skipped_rule_ids"]) == 1
    async with tenant_session(context.database, tenant) as session:
        routed = await session.get(Letter, letter.id)
        assert routed.unit_id == units["纪委监委"]
        audit = (await session.execute(select(AuditRecord.action))).scalars().all()
        assert "letter.route_refused" in audit
        alerts = (await session.execute(select(StaffNotification))).scalars().all()
        assert [(a.user_id, a.kind) for a in alerts] == [(supervisor.user_id, "report_conflict")]
        jobs = (
            await session.execute(
                select(OutboxJob.job_name).where(OutboxJob.tenant_id == tenant.id)
            )
        ).scalars().all()
        assert "alert_supervisors_report_misassignment" in jobs


async def test_a_forward_rule_is_recorded_for_the_forwarding_service(context, make_tenant):
    tenant = await make_tenant()
    other = await make_tenant()
    await add_rule(context, tenant, 10, name="省直事项", conditions={
        "keywords": ["高速公路"], "keyword_mode": "any"}, forward_tenant_id=other.id)
    letter = await make_letter(context, tenant, title="高速公路收费站拥堵")

    result = await run_job(context, route_new_letter, tenant_id=tenant.id, letter_id=letter.id)

    assert result["forward_requested"] is True
    assert result["forward_tenant_id"] == other.id
    async with tenant_session(context.database, tenant) as session:
        kinds = (await session.execute(select(LetterEvent.kind))).scalars().all()
        assert "forward_requested" in kinds


async def test_no_rule_matches_leaves_the_letter_alone(context, make_tenant):
    tenant = await make_tenant()
    await add_rule(context, tenant, 10, name="停用的", is_active=False, conditions={
        "letter_types": ["complaint"]}, set_priority="urgent")
    letter = await make_letter(context, tenant)
    result = await run_job(context, route_new_letter, tenant_id=tenant.id, letter_id=letter.id)
    assert result["rule_id"] is None
    async with tenant_session(context.database, tenant) as session:
        assert (await session.get(Letter, letter.id)).priority == "normal"


async def test_a_letter_staff_already_assigned_keeps_its_unit_when_the_job_runs_late(
    context, make_tenant
):
    # The worker was down: by the time the arrival job runs, a registrar has
    # assigned the letter by hand. The rule must not take it elsewhere.
    tenant = await make_tenant(units=["城管局", "环保局"])
    units = await units_of(context, tenant)
    await add_rule(context, tenant, 10, name="噪音", conditions={
        "keywords": ["噪音"], "keyword_mode": "any"}, assign_unit_id=units["环保局"],
        set_priority="urgent")
    letter = await make_letter(context, tenant, title="夜间施工噪音")
    async with tenant_session(context.database, tenant) as session:
        handled = await session.get(Letter, letter.id)
        handled.state, handled.unit_id = "assigned", units["城管局"]
        await session.commit()

    result = await run_job(context, route_new_letter, tenant_id=tenant.id, letter_id=letter.id)

    assert result["superseded"] is True and result["rule_id"] is None
    async with tenant_session(context.database, tenant) as session:
        kept = await session.get(Letter, letter.id)
        assert kept.unit_id == units["城管局"] and kept.priority == "normal"
        assert (await session.execute(select(Assignment))).scalars().all() == []
        kinds = (await session.execute(select(LetterEvent.kind))).scalars().all()
        assert "routed" not in kinds
