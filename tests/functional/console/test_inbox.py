"""The inbox: filters, counts per state, deadline order, bulk and inline actions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.db import utcnow
from leadermail.platform.letters.models import Letter, Unit
from leadermail.platform.search import index_terms
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    sign_in_client,
)


async def units_of(context, tenant) -> list[int]:
    async with tenant_session(context.database, tenant) as session:
        return list((await session.execute(select(Unit.id).order_by(Unit.id))).scalars())


async def test_inbox_filters_sorts_and_counts(context, make_tenant, client):
    tenant = await make_tenant()
    now = utcnow()
    late = await make_letter(
        context, tenant, title="逾期的投诉", state="accepted", reply_due_at=now - timedelta(days=1)
    )
    soon = await make_letter(
        context, tenant, title="很快到期", state="accepted", reply_due_at=now + timedelta(hours=2)
    )
    later = await make_letter(
        context,
        tenant,
        title="下月到期的建议",
        state="registered",
        letter_type="suggestion",
        reply_due_at=now + timedelta(days=30),
    )
    await make_letter(context, tenant, title="早已办完的信", state="closed")
    staff = await make_staff(context, tenant, "王登记", Role.REGISTRAR)
    sign_in_client(client, staff)

    page = await client.get(console_url(tenant, "/inbox"))
    assert page.status_code == 200, page.text[-3000:]
    text = page.text
    assert text.index("逾期的投诉") < text.index("很快到期") < text.index("下月到期的建议")
    assert "早已办完的信" not in text
    assert 'data-state="accepted">2<' in text
    assert 'data-state="closed">1<' in text

    only_overdue = await client.get(console_url(tenant, "/inbox?level=overdue"))
    assert "逾期的投诉" in only_overdue.text and "很快到期" not in only_overdue.text
    due_soon = await client.get(console_url(tenant, "/inbox?level=due_soon"))
    assert "很快到期" in due_soon.text and "逾期的投诉" not in due_soon.text
    by_type = await client.get(console_url(tenant, "/inbox?type=suggestion"))
    assert "下月到期的建议" in by_type.text and "很快到期" not in by_type.text
    by_state = await client.get(console_url(tenant, "/inbox?state=closed"))
    assert "早已办完的信" in by_state.text and "很快到期" not in by_state.text
    assert {late.id, soon.id, later.id}


async def test_inbox_chinese_free_text_search(context, make_tenant, client):
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        for title, body in (
            ("夜间施工噪音扰民", "工地每晚施工到凌晨"),
            ("路灯不亮", "小区路灯坏了"),
        ):
            from sqlalchemy import func

            session.add(
                Letter(
                    tenant_id=tenant.id,
                    tracking_code=title.encode().hex()[:12].upper(),
                    query_password_hash="x",
                    letter_type="complaint",
                    title=title,
                    body=body,
                    writer_name="张三",
                    state="accepted",
                    search_vector=func.to_tsvector("simple", index_terms(title, body)),
                )
            )
        await session.commit()
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    found = await client.get(console_url(tenant, "/inbox"), params={"q": "施工噪音"})
    assert "夜间施工噪音扰民" in found.text and "路灯不亮" not in found.text
    fragment = await client.get(
        console_url(tenant, "/inbox"), params={"q": "路灯"}, headers={"HX-Request": "true"}
    )
    assert "路灯不亮" in fragment.text and "<html" not in fragment.text


async def test_handler_sees_only_their_units_letters(context, make_tenant, client):
    tenant = await make_tenant()
    unit_a, unit_b = (await units_of(context, tenant))[:2]
    await make_letter(context, tenant, title="甲单位的信", state="assigned", unit_id=unit_a)
    await make_letter(context, tenant, title="乙单位的信", state="assigned", unit_id=unit_b)
    sign_in_client(
        client, await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit_a)
    )
    page = await client.get(console_url(tenant, "/inbox"))
    assert "甲单位的信" in page.text and "乙单位的信" not in page.text


async def test_bulk_assign_and_inline_accept(context, make_tenant, client):
    tenant = await make_tenant()
    unit = (await units_of(context, tenant))[0]
    first = await make_letter(context, tenant, title="一", state="accepted")
    second = await make_letter(context, tenant, title="二", state="accepted")
    waiting = await make_letter(context, tenant, title="三", state="registered")
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))

    response = await client.post(
        console_url(tenant, "/inbox/assign"),
        data={"letter_id": [str(first.id), str(second.id)], "unit_id": str(unit)},
    )
    assert response.status_code == 303
    inline = await client.post(
        console_url(tenant, f"/inbox/letters/{waiting.id}/accept"), headers={"HX-Request": "true"}
    )
    assert inline.status_code == 200
    assert inline.text.strip().startswith("<tr") and "已受理" in inline.text
    async with tenant_session(context.database, tenant) as session:
        states = dict((await session.execute(select(Letter.id, Letter.state))).all())
        units = dict((await session.execute(select(Letter.id, Letter.unit_id))).all())
    assert states[first.id] == states[second.id] == "assigned"
    assert units[first.id] == units[second.id] == unit
    assert states[waiting.id] == "accepted"
