"""Editing routing rules over HTTP: create, reject invalid, preview, reorder, audit."""

from __future__ import annotations

from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.letters.models import Unit
from leadermail.platform.routing.models import RoutingRule
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    sign_in_client,
)


async def unit_ids(context, tenant) -> list[int]:
    async with tenant_session(context.database, tenant) as session:
        return list((await session.execute(select(Unit.id).order_by(Unit.id))).scalars())


async def test_admin_creates_edits_reorders_and_deletes_rules(context, make_tenant, client):
    tenant = await make_tenant()
    units = await unit_ids(context, tenant)
    sign_in_client(client, await make_staff(context, tenant, "管理员", Role.TENANT_ADMIN))

    for name, keyword in (("噪音", "噪音"), ("路灯", "路灯")):
        response = await client.post(console_url(tenant, "/rules"), data={
            "name": name, "keywords": keyword, "keyword_mode": "any",
            "assign_unit_id": str(units[0]), "deadline_rule": "5wd", "is_active": "1",
        })
        assert response.status_code == 303, response.text
    page = await client.get(console_url(tenant, "/rules"))
    assert page.status_code == 200
    assert page.text.index("噪音") < page.text.index("路灯")
    assert "标题或正文含“噪音”" in page.text

    async with tenant_session(context.database, tenant) as session:
        query = select(RoutingRule).order_by(RoutingRule.position)
        rules = (await session.execute(query)).scalars().all()
    second = rules[1]
    moved = await client.post(
        console_url(tenant, f"/rules/{second.id}/move"), data={"direction": "up"}
    )
    assert moved.status_code == 303
    page = await client.get(console_url(tenant, "/rules"))
    assert page.text.index("路灯") < page.text.index("噪音")

    edited = await client.post(console_url(tenant, f"/rules/{second.id}"), data={
        "name": "路灯报修", "keywords": "路灯 照明", "assign_unit_id": str(units[1]),
    })
    assert edited.status_code == 303
    deleted = await client.post(console_url(tenant, f"/rules/{rules[0].id}/delete"))
    assert deleted.status_code == 303

    async with tenant_session(context.database, tenant) as session:
        left = (await session.execute(select(RoutingRule))).scalars().all()
        actions = (await session.execute(select(AuditRecord.action))).scalars().all()
    assert [(r.name, r.conditions["keywords"], r.is_active) for r in left] == [
        ("路灯报修", ["路灯", "照明"], False)
    ]
    for action in ("routing_rule.create", "routing_rule.reorder", "routing_rule.update",
                   "routing_rule.delete"):
        assert action in actions


async def test_an_invalid_rule_is_rejected_with_its_reasons(context, make_tenant, client):
    tenant = await make_tenant()
    sign_in_client(client, await make_staff(context, tenant, "管理员", Role.TENANT_ADMIN))
    response = await client.post(console_url(tenant, "/rules"), data={
        "name": "坏规则", "keywords": "噪音|施工", "assign_unit_id": "999999",
        "deadline_rule": "十天",
    })
    assert response.status_code == 422
    assert "不支持的符号" in response.text
    assert "承办单位（编号 999999）不存在" in response.text
    assert "不是有效的期限" in response.text
    empty = await client.post(
        console_url(tenant, "/rules"), data={"name": "空", "set_priority": "high"}
    )
    assert empty.status_code == 422 and "至少需要一个条件" in empty.text
    async with tenant_session(context.database, tenant) as session:
        assert (await session.execute(select(RoutingRule))).scalars().all() == []


async def test_preview_tries_the_draft_on_recent_letters(context, make_tenant, client):
    tenant = await make_tenant()
    units = await unit_ids(context, tenant)
    await make_letter(context, tenant, title="夜间施工噪音")
    await make_letter(context, tenant, title="举报噪音执法", letter_type="report",
                      accused_unit_id=units[0])
    await make_letter(context, tenant, title="路灯不亮")
    sign_in_client(client, await make_staff(context, tenant, "管理员", Role.TENANT_ADMIN))
    response = await client.post(
        console_url(tenant, "/rules/preview"),
        data={"name": "噪音", "keywords": "噪音", "assign_unit_id": str(units[0])},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text  # the fragment only
    assert "有 <strong>2</strong> 封命中" in response.text
    assert "1 封举报件" in response.text
    assert "夜间施工噪音" in response.text and "路灯不亮" not in response.text
    async with tenant_session(context.database, tenant) as session:
        assert (await session.execute(select(RoutingRule))).scalars().all() == []


async def test_only_rule_managers_reach_the_rules(context, make_tenant, client):
    tenant = await make_tenant()
    sign_in_client(client, await make_staff(context, tenant, "登记员", Role.REGISTRAR))
    assert (await client.get(console_url(tenant, "/rules"))).status_code == 403
    forged = await client.post(
        console_url(tenant, "/rules"),
        data={"name": "x", "keywords": "噪音", "set_priority": "high"},
        headers={"X-CSRF-Token": "forged"},
    )
    assert forged.status_code == 403
