"""The bell when work passes to someone: 分办, 催办, 批示, a draft to approve,
an approved reply to send, and the writer asking for handling again or
sending material. Right people, never the one who acted, once per round."""

from __future__ import annotations

from collections import Counter

import httpx
from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.notifications.console import StaffNotification
from leadermail.platform.routing.jobs import route_new_letter
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    run_job,
    sign_in_client,
)
from tests.functional.console.test_rehandling import csrf_of
from tests.functional.console.test_reply_attachments import open_desk, png_bytes, track
from tests.functional.console.test_rules_routing import add_rule, units_of
from tests.functional.console.test_workflow import unit_ids


async def bell(context, tenant: TenantRef, kind: str) -> Counter[int]:  # noqa: ANN001
    """How many notifications of ``kind`` each user has."""
    async with tenant_session(context.database, tenant) as session:
        users = await session.scalars(
            select(StaffNotification.user_id).where(StaffNotification.kind == kind)
        )
        return Counter(users)


async def titles(context, tenant: TenantRef, kind: str) -> set[str]:  # noqa: ANN001
    async with tenant_session(context.database, tenant) as session:
        return set(
            await session.scalars(
                select(StaffNotification.title).where(StaffNotification.kind == kind)
            )
        )


async def post(client: httpx.AsyncClient, url: str, **data: str) -> None:
    response = await client.post(url, data=data)
    assert response.status_code == 303, response.text


async def test_assignment_tells_the_receiving_units_handlers_once_per_round(
    context, make_tenant, client
):
    tenant = await make_tenant()
    unit, other = (await unit_ids(context, tenant))[:2]
    handler = await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit)
    colleague = await make_staff(context, tenant, "周承办", Role.HANDLER, unit_id=unit)
    elsewhere = await make_staff(context, tenant, "孙承办", Role.HANDLER, unit_id=other)
    # A registrar who also works for the unit is not told of their own 分办.
    registrar = await make_staff(
        context, tenant, "王登记", Role.REGISTRAR, Role.HANDLER, unit_id=unit
    )
    letter = await make_letter(context, tenant, state="accepted", title="路灯不亮")
    sign_in_client(client, registrar)
    assign = console_url(tenant, f"/letters/{letter.id}/assign")

    await post(client, assign, unit_id=str(unit), note="请核实")
    await post(client, assign, unit_id=str(unit), note="请核实")  # a double click
    assert await bell(context, tenant, "assignment") == {
        handler.user_id: 1, colleague.user_id: 1
    }
    assert await titles(context, tenant, "assignment") == {"新分办来信：路灯不亮"}

    # Sent elsewhere and back: the unit hears of the new round.
    await post(client, assign, unit_id=str(other))
    await post(client, assign, unit_id=str(unit))
    assert await bell(context, tenant, "assignment") == {
        handler.user_id: 2, colleague.user_id: 2, elsewhere.user_id: 1
    }


async def test_a_routing_rule_tells_the_unit_it_chose(context, make_tenant):
    tenant = await make_tenant(units=["城管局", "环保局"])
    units = await units_of(context, tenant)
    handler = await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=units["环保局"])
    await make_staff(context, tenant, "孙承办", Role.HANDLER, unit_id=units["城管局"])
    await add_rule(context, tenant, 10, name="噪音", conditions={
        "keywords": ["噪音"], "keyword_mode": "any"}, assign_unit_id=units["环保局"])
    letter = await make_letter(context, tenant, title="夜间施工噪音", received_at=None)

    for _ in range(2):  # the job run twice
        await run_job(context, route_new_letter, tenant_id=tenant.id, letter_id=letter.id)
    assert await bell(context, tenant, "assignment") == {handler.user_id: 1}


async def test_urge_and_instruction_go_to_the_units_handlers(context, make_tenant, client):
    tenant = await make_tenant()
    unit, other = (await unit_ids(context, tenant))[:2]
    handler = await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit)
    await make_staff(context, tenant, "孙承办", Role.HANDLER, unit_id=other)
    registrar = await make_staff(context, tenant, "王登记", Role.REGISTRAR)
    # Both also handle for the unit, so would hear of their own action.
    supervisor = await make_staff(
        context, tenant, "赵督办", Role.SUPERVISOR, Role.HANDLER, unit_id=unit
    )
    leader = await make_staff(context, tenant, "刘局长", Role.LEADER, Role.HANDLER, unit_id=unit)
    letter = await make_letter(
        context, tenant, state="assigned", unit_id=unit, title="噪音扰民"
    )
    base = console_url(tenant, f"/letters/{letter.id}")

    sign_in_client(client, supervisor)
    await post(client, base + "/do/urge", message="请本周内答复")
    await post(client, base + "/do/urge", message="请本周内答复")  # a double click
    assert await bell(context, tenant, "urge") == {handler.user_id: 1, leader.user_id: 1}
    await post(client, base + "/do/urge", message="已超期，请立即办理")
    assert await bell(context, tenant, "urge") == {handler.user_id: 2, leader.user_id: 2}
    assert await titles(context, tenant, "urge") == {"来信被催办：噪音扰民"}

    sign_in_client(client, leader)
    await post(client, base + "/instructions", body="请实地核查。")
    await post(client, base + "/instructions", body="请实地核查。")
    assert await bell(context, tenant, "instruction") == {
        handler.user_id: 1, supervisor.user_id: 1
    }
    assert await titles(context, tenant, "instruction") == {"领导批示：噪音扰民"}

    # A letter with no unit yet: the registrars are the ones to act.
    waiting = await make_letter(context, tenant, state="accepted", title="井盖缺失")
    await post(client, console_url(tenant, f"/letters/{waiting.id}/instructions"), body="速办")
    async with tenant_session(context.database, tenant) as session:
        told = set(
            await session.scalars(
                select(StaffNotification.user_id).where(
                    StaffNotification.letter_id == waiting.id
                )
            )
        )
    assert told == {registrar.user_id}


async def test_a_draft_goes_to_the_leaders_and_an_approved_reply_to_the_registrars(
    context, make_tenant, client
):
    desk = await open_desk(context, make_tenant)
    tenant = desk.tenant
    handler, leader, registrar = (desk.staff[r] for r in ("handler", "leader", "registrar"))
    deputy = await make_staff(context, tenant, "陈副局长", Role.LEADER)
    # A leader who also registers does not hear of their own approval.
    leader_registrar = await make_staff(context, tenant, "吴主任", Role.LEADER, Role.REGISTRAR)
    sign_in_client(client, handler)
    autosaved = await client.post(desk.base + "/reply/autosave", data={"body": "路灯已修复。"})
    assert autosaved.status_code == 200
    assert await bell(context, tenant, "reply_review") == {}  # typing is not submitting

    await post(client, desk.base + "/reply", body="路灯已修复。")
    await post(client, desk.base + "/reply", body="路灯已修复，欢迎监督。")
    expected = {leader.user_id: 1, deputy.user_id: 1, leader_registrar.user_id: 1}
    assert await bell(context, tenant, "reply_review") == expected
    assert await titles(context, tenant, "reply_review") == {
        f"待审核答复：{desk.letter.title}"
    }

    sign_in_client(client, leader_registrar)
    await post(client, desk.base + "/reply/approve")
    assert await bell(context, tenant, "reply_to_send") == {registrar.user_id: 1}
    assert await titles(context, tenant, "reply_to_send") == {
        f"待发送答复：{desk.letter.title}"
    }

    # Edited after approval: it needs approving again, and the leaders are told.
    sign_in_client(client, handler)
    await post(client, desk.base + "/reply", body="路灯已于昨日修复。")
    assert await bell(context, tenant, "reply_review") == {
        user: count + 1 for user, count in expected.items()
    }
    sign_in_client(client, leader)
    await post(client, desk.base + "/reply/approve")
    assert await bell(context, tenant, "reply_to_send") == {
        registrar.user_id: 2, leader_registrar.user_id: 1
    }


async def test_the_writers_requests_go_to_the_registrars_and_the_unit(
    context, make_tenant, client
):
    desk = await open_desk(context, make_tenant)
    tenant = desk.tenant
    handler, registrar = desk.staff["handler"], desk.staff["registrar"]
    await make_staff(context, tenant, "孙承办", Role.HANDLER, unit_id=desk.other_unit)
    expected = {handler.user_id: 1, registrar.user_id: 1}
    site = f"/t/{tenant.slug}/track/{desk.letter.tracking_code}"

    sign_in_client(client, registrar)
    await post(client, desk.base + "/do/request_material", message="请提供现场照片")
    page = await track(client, desk)
    data = {
        "csrf_token": csrf_of(page),
        "submission_key": page.split('name="submission_key" value="')[1].split('"')[0],
        "material_text": "照片见附件",
    }
    files = [("material_files", ("现场.png", png_bytes(), "image/png"))]
    assert (await client.post(site + "/material", data=data, files=files)).status_code == 303
    again = await client.post(site + "/material", data=data, files=files)  # a retry
    assert again.status_code == 422
    assert await bell(context, tenant, "material") == expected
    assert await titles(context, tenant, "material") == {
        f"来信人已补充材料：{desk.letter.title}"
    }

    sign_in_client(client, handler)
    await post(client, desk.base + "/reply", body="路灯已修复。")
    sign_in_client(client, desk.staff["leader"])
    await post(client, desk.base + "/reply/approve")
    sign_in_client(client, registrar)
    await post(client, desk.base + "/reply/send")
    page = await track(client, desk)
    unsatisfied = {
        "csrf_token": csrf_of(page),
        "satisfaction": "unsatisfied",
        "problem_solved": "no",
        "comment": "路灯还是不亮",
        "wants_rehandling": "1",
    }
    assert (await client.post(site + "/evaluate", data=unsatisfied)).status_code == 303
    assert (await client.post(site + "/evaluate", data=unsatisfied)).status_code == 422
    assert await bell(context, tenant, "rehandling") == expected
    assert await titles(context, tenant, "rehandling") == {
        f"来信人申请重新办理：{desk.letter.title}"
    }
