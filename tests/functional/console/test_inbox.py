"""The inbox: filters, counts per state, deadline order, bulk and inline actions."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.clock import utcnow
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
    # The tab counts are totals per state, and a filtered page says so.
    assert 'data-state="accepted">2<' in by_type.text and "没有按类型" in by_type.text
    assert "没有按类型" not in text
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


@pytest.mark.parametrize("walk_rows", [1, 3, 1000])
async def test_search_pages_are_the_same_whichever_way_they_are_found(
    context, make_tenant, client, monkeypatch, walk_rows
):
    """Free text is looked up by an ordered walk first and by the GIN index
    when the walk is cut short (inbox_search.matching_rows): a tiny walk forces
    the second way, a long one the first; pages and their order must agree."""
    from sqlalchemy import func

    from leadermail.console import inbox_query, inbox_search

    monkeypatch.setattr(inbox_search, "SEARCH_WALK_ROWS", walk_rows)
    monkeypatch.setattr(inbox_query, "PAGE_SIZE", 2)
    tenant = await make_tenant()
    now = utcnow()

    async def letter(title: str, state: str, due_in_days: int | None) -> None:
        body = "来信内容"
        await make_letter(
            context, tenant, title=title, state=state, body=body,
            reply_due_at=None if due_in_days is None else now + timedelta(days=due_in_days),
            search_vector=func.to_tsvector("simple", index_terms(title, body)),
        )

    # Matching and other letters interleaved in deadline order, two without
    # a deadline (they come last), one closed (only under "全部").
    for index, due in enumerate((5, 1, 9, 3, 7)):
        await letter(f"工地噪音第{index}封", "accepted", due)
        await letter(f"路灯不亮第{index}封", "accepted", due)
    await letter("无期限噪音甲", "submitted", None)
    await letter("无期限噪音乙", "registered", None)
    await letter("已办结噪音", "closed", 2)
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))

    async def all_pages(params: dict[str, str]) -> list[str]:
        titles: list[str] = []
        for _ in range(10):
            page = await client.get(console_url(tenant, "/inbox"), params=params)
            assert page.status_code == 200
            titles += re.findall(r'/letters/\d+">([^<]+)</a>', page.text)
            cursor = re.search(r'after=([^"&]+)">下一页', page.text)
            if cursor is None:
                return titles
            params = {**params, "after": unquote(cursor.group(1))}
        raise AssertionError("more pages than letters")

    dated = [f"工地噪音第{i}封" for i in (1, 3, 0, 4, 2)]  # by deadline: 1, 3, 5, 7, 9 days
    undated = ["无期限噪音甲", "无期限噪音乙"]
    assert await all_pages({"q": "噪音"}) == dated + undated
    assert await all_pages({"q": "噪音", "state": "all"}) == [
        dated[0], "已办结噪音", *dated[1:], *undated
    ]
    # A complaint turns "due soon" in its last 20% of 14 days: the 1-day one.
    assert await all_pages({"q": "噪音", "level": "normal"}) == dated[1:] + undated
    assert await all_pages({"q": "噪音", "level": "due_soon"}) == dated[:1]
    assert await all_pages({"q": "没有这个词"}) == []
