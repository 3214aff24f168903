"""Cross-tenant forwarding through the service layer: chains, objections,
urging, completion reports, bad input, idempotency, the citizen's view."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.forwarding import services
from leadermail.platform.forwarding.crossings import deliver_forwarding
from leadermail.platform.forwarding.jobs import sync_forwardings
from leadermail.platform.forwarding.models import Forwarding
from leadermail.platform.forwarding.services import ForwardingError
from leadermail.platform.forwarding.tracking import final_reply_for, forwarding_path
from leadermail.platform.letters.models import Letter, LetterEvent, LetterLocator
from leadermail.tenants.provisioning import set_tenant_status
from leadermail.tenants.session import tenant_session
from tests.functional.province.conftest import reply_to, write_letter

ACTOR = Actor(user_id=None, label="测试员")


async def forward(context, tenant, letter_id, to, **kw):  # noqa: ANN001, ANN201
    return await services.forward_letter_by_id(
        context,
        tenant=tenant,
        letter_id=letter_id,
        to_tenant_id=to.id,
        actor=ACTOR,
        note=kw.pop("note", "请依法处理"),
        **kw,
    )


async def get_letter(context, tenant, letter_id):  # noqa: ANN001, ANN201
    async with tenant_session(context.database, tenant) as session:
        return await session.get(Letter, letter_id)


async def event_kinds(context, tenant, letter_id):  # noqa: ANN001, ANN201
    async with tenant_session(context.database, tenant) as session:
        return (
            (
                await session.execute(
                    select(LetterEvent.kind)
                    .where(LetterEvent.letter_id == letter_id)
                    .order_by(LetterEvent.id)
                )
            )
            .scalars()
            .all()
        )


async def audit_actions(context, tenant):  # noqa: ANN001, ANN201
    async with tenant_session(context.database, tenant) as session:
        return set((await session.execute(select(AuditRecord.action))).scalars().all())


async def test_three_level_chain_reaches_the_county_and_reports_back(context, tree):
    letter = await write_letter(context, tree.province)

    leg1 = await forward(context, tree.province, letter.id, tree.city)
    assert leg1.to_letter_id is not None
    city_copy = await get_letter(context, tree.city, leg1.to_letter_id)
    assert city_copy.channel == "forwarded"
    assert (city_copy.origin_tenant_id, city_copy.origin_letter_id) == (tree.province.id, letter.id)
    assert city_copy.tracking_code != letter.tracking_code
    assert city_copy.writer_id_number is None
    assert (await get_letter(context, tree.province, letter.id)).state == "forwarded"

    await services.accept_forwarding(context, tenant=tree.city, forwarding_id=leg1.id, actor=ACTOR)
    leg2 = await forward(context, tree.city, city_copy.id, tree.county)
    assert leg2.parent_id == leg1.id
    assert (leg2.root_tenant_id, leg2.root_letter_id) == (tree.province.id, letter.id)
    assert leg2.tracking_code == letter.tracking_code

    # The citizen, at the province site, sees the whole path.
    path = await forwarding_path(context, tree.province, letter)
    assert [(leg.from_name, leg.to_name, leg.depth) for leg in path] == [
        (tree.province.name, tree.city.name, 0),
        (tree.city.name, tree.county.name, 1),
    ]
    assert await final_reply_for(context, tree.province, letter) is None
    async with context.database.core_session() as session:
        locator = await session.get(LetterLocator, letter.tracking_code)
    assert locator.current_tenant_id == tree.county.id

    await services.accept_forwarding(
        context, tenant=tree.county, forwarding_id=leg2.id, actor=ACTOR
    )
    with pytest.raises(ForwardingError, match="尚未答复"):
        await services.report_completion(
            context, tenant=tree.county, forwarding_id=leg2.id, actor=ACTOR, report="办完了"
        )
    await reply_to(context, tree.county, leg2.to_letter_id, "排水管道已于本周疏通。")
    await services.report_completion(
        context, tenant=tree.county, forwarding_id=leg2.id, actor=ACTOR, report="已疏通排水管道"
    )

    async with context.database.core_session() as session:
        rows = {
            r.id: r
            for r in (
                await session.execute(
                    select(Forwarding).where(Forwarding.id.in_([leg1.id, leg2.id]))
                )
            ).scalars()
        }
    assert rows[leg2.id].status == "completed"
    assert rows[leg1.id].status == "completed"  # passed up the chain by itself
    assert "乙县" in rows[leg1.id].completion_report

    final = await final_reply_for(context, tree.province, letter)
    assert final is not None and "排水管道已于本周疏通" in final.body_html
    assert final.tenant_name == tree.county.name
    assert [leg.status for leg in await forwarding_path(context, tree.province, letter)] == [
        "completed",
        "completed",
    ]

    # Every crossing is in both tenants' audit trails.
    assert {"letter.forward", "forwarding.accepted", "forwarding.completion_received"} <= (
        await audit_actions(context, tree.province)
    )
    assert {
        "forwarding.received",
        "forwarding.accepted",
        "letter.forward",
        "forwarding.completed",
        "forwarding.completion_received",
    } <= (await audit_actions(context, tree.city))
    assert {"forwarding.received", "forwarding.accepted", "forwarding.completed"} <= (
        await audit_actions(context, tree.county)
    )
    assert "completion_report" in await event_kinds(context, tree.province, letter.id)


async def test_objection_then_return_then_forward_elsewhere(context, tree):
    letter = await write_letter(context, tree.province, state="accepted")
    leg = await forward(context, tree.province, letter.id, tree.city)
    await services.object_forwarding(
        context, tenant=tree.city, forwarding_id=leg.id, actor=ACTOR, reason="该事项属于丙市管辖"
    )
    assert "forwarding_objected" in await event_kinds(context, tree.province, letter.id)

    with pytest.raises(ForwardingError, match="理由"):
        await services.decide_objection(
            context, tenant=tree.province, forwarding_id=leg.id, actor=ACTOR, decision="dismiss"
        )
    decided = await services.decide_objection(
        context, tenant=tree.province, forwarding_id=leg.id, actor=ACTOR, decision="return"
    )
    assert decided.status == "returned"
    assert (await get_letter(context, tree.province, letter.id)).state == "accepted"
    assert (await get_letter(context, tree.city, leg.to_letter_id)).state == "forwarded"

    again = await forward(context, tree.province, letter.id, tree.other_city)
    assert again.to_letter_id is not None
    path = await forwarding_path(context, tree.province, letter)
    assert [(leg.to_name, leg.status) for leg in path] == [
        (tree.city.name, "returned"),
        (tree.other_city.name, "pending"),
    ]


async def test_objection_reassigned_to_another_tenant(context, tree):
    letter = await write_letter(context, tree.province)
    leg = await forward(context, tree.province, letter.id, tree.city)
    await services.object_forwarding(
        context, tenant=tree.city, forwarding_id=leg.id, actor=ACTOR, reason="不属于本市"
    )
    decided = await services.decide_objection(
        context,
        tenant=tree.province,
        forwarding_id=leg.id,
        actor=ACTOR,
        decision="reassign",
        to_tenant_id=tree.other_city.id,
    )
    assert decided.status == "reassigned" and decided.replaced_by_id is not None
    async with context.database.core_session() as session:
        new_leg = await session.get(Forwarding, decided.replaced_by_id)
    assert new_leg.to_tenant_id == tree.other_city.id and new_leg.to_letter_id is not None
    assert (await get_letter(context, tree.province, letter.id)).state == "forwarded"


async def test_objection_after_five_working_days_is_refused(context, tree):
    letter = await write_letter(context, tree.province)
    leg = await forward(context, tree.province, letter.id, tree.city)
    assert leg.objection_due_at - utcnow() >= timedelta(days=4)
    async with context.database.core_session() as session:
        row = await session.get(Forwarding, leg.id)
        row.objection_due_at = utcnow() - timedelta(minutes=1)
        await session.commit()
    with pytest.raises(ForwardingError, match="异议期限"):
        await services.object_forwarding(
            context, tenant=tree.city, forwarding_id=leg.id, actor=ACTOR, reason="不归我们管"
        )


async def test_urging_reaches_the_receiver(context, tree):
    letter = await write_letter(context, tree.province)
    leg = await forward(context, tree.province, letter.id, tree.city)
    await services.urge_forwarding(
        context, tenant=tree.province, forwarding_id=leg.id, actor=ACTOR, message="请本周内答复"
    )
    assert "urge" in await event_kinds(context, tree.city, leg.to_letter_id)
    assert "forwarding.urged" in await audit_actions(context, tree.city)
    async with context.database.core_session() as session:
        assert (await session.get(Forwarding, leg.id)).urge_count == 1


@pytest.mark.parametrize("case", ["self", "disabled", "loop", "closed", "already"])
async def test_bad_forwards_are_refused_with_a_reason(context, tree, make_tenant, case):
    letter = await write_letter(
        context, tree.province, state="closed" if case == "closed" else "submitted"
    )
    if case == "self":
        target, expected, sender, letter_id = tree.province, "本信箱", tree.province, letter.id
    elif case == "disabled":
        target = await make_tenant(kind="city", parent_id=tree.province.id)
        set_tenant_status(context.database.sync_engine, target.slug, "disabled", "合并")
        context.tenants.invalidate()
        expected, sender, letter_id = "已停用", tree.province, letter.id
    elif case == "loop":
        leg = await forward(context, tree.province, letter.id, tree.city)
        target, expected, sender, letter_id = tree.province, "循环", tree.city, leg.to_letter_id
    elif case == "closed":
        target, expected, sender, letter_id = tree.city, "已办结", tree.province, letter.id
    else:
        await forward(context, tree.province, letter.id, tree.city)
        target, expected, sender, letter_id = tree.other_city, "已经转办", tree.province, letter.id
    with pytest.raises(ForwardingError, match=expected):
        await forward(context, sender, letter_id, target)


async def test_a_repeated_request_and_a_repeated_delivery_make_one_copy(context, tree):
    letter = await write_letter(context, tree.province)
    first = await forward(context, tree.province, letter.id, tree.city, request_key="form-123")
    second = await forward(context, tree.province, letter.id, tree.city, request_key="form-123")
    assert first.id == second.id
    assert await deliver_forwarding(context, first.id) == first.to_letter_id
    async with tenant_session(context.database, tree.city) as session:
        copies = (await session.execute(select(Letter.id))).scalars().all()
    assert copies == [first.to_letter_id]


async def test_the_sweep_turns_a_receivers_reply_into_the_completion_report(context, tree):
    letter = await write_letter(context, tree.province)
    leg = await forward(context, tree.province, letter.id, tree.city)
    await reply_to(context, tree.city, leg.to_letter_id, "已安排维修")
    await sync_forwardings({"app": context})
    async with context.database.core_session() as session:
        row = await session.get(Forwarding, leg.id)
    assert row.status == "completed" and "已安排维修" in row.completion_report
