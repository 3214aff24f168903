"""The inbox's approval queue over HTTP: 待审批 lists exactly the letters whose
draft was put forward and waits for a leader; a draft returned for revision
(退回修改) leaves it for its unit's tab until saved again; only the roles
that act on each queue see its tab; handlers see their own unit's; a letter
that stops being handled here takes its draft out."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import func, select, update

from leadermail.platform.accounts.models import Role
from leadermail.platform.clock import utcnow
from leadermail.platform.letters.duplicates import DuplicateCandidate
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.tracking import new_tracking_code
from leadermail.platform.routing.jobs import flag_duplicate_letters
from leadermail.platform.search import index_terms
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    Staff,
    console_url,
    make_letter,
    make_staff,
    run_job,
    sign_in_client,
)
from tests.functional.console.test_workflow import unit_ids


async def post(client: httpx.AsyncClient, url: str, **data: str) -> None:
    response = await client.post(url, data=data)
    assert response.status_code == 303, response.text[-2000:]


def listed(html: str) -> set[str]:
    """Titles of the letters in the inbox table."""
    rows = re.findall(r'<tr id="letter-row-\d+"[^>]*>.*?<a href="[^"]*">([^<]*)</a>', html, re.S)
    return set(rows)


def tab_count(html: str, tab: str) -> int | None:
    found = re.search(rf'data-state="{tab}">(\d+)<', html)
    return int(found.group(1)) if found else None


class Queue:
    tenant: TenantRef
    letters: dict[str, Letter]
    handler: Staff
    other_handler: Staff
    leader: Staff
    registrar: Staff


async def drafts_in_every_state(context, make_tenant, client) -> Queue:  # noqa: ANN001
    """One letter per step of the draft's life, in two units."""
    queue = Queue()
    queue.tenant = tenant = await make_tenant()
    unit, other = (await unit_ids(context, tenant))[:2]
    queue.handler = await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit)
    queue.other_handler = await make_staff(context, tenant, "孙承办", Role.HANDLER, unit_id=other)
    queue.leader = await make_staff(context, tenant, "刘局长", Role.LEADER)
    queue.registrar = await make_staff(context, tenant, "王登记", Role.REGISTRAR)
    due = utcnow() + timedelta(days=5)
    queue.letters = {}
    for title, unit_id in (
        ("已提交待审", unit), ("只自动保存", unit), ("被退回修改", unit), ("已审核通过", unit),
        ("已发送答复", unit), ("没有草稿", unit), ("外单位待审", other), ("外单位退回", other),
    ):
        queue.letters[title] = await make_letter(
            context, tenant, title=title, state="assigned", unit_id=unit_id, reply_due_at=due,
            tracking_code=new_tracking_code(),
        )

    def base(title: str) -> str:
        return console_url(tenant, f"/letters/{queue.letters[title].id}")

    sign_in_client(client, queue.handler)
    for title in ("已提交待审", "被退回修改", "已审核通过", "已发送答复"):
        await post(client, base(title) + "/reply", body=f"关于“{title}”的答复。")
    autosaved = await client.post(base("只自动保存") + "/reply/autosave", data={"body": "写了一半"})
    assert autosaved.status_code == 200
    sign_in_client(client, queue.other_handler)
    for title in ("外单位待审", "外单位退回"):
        await post(client, base(title) + "/reply", body=f"关于“{title}”的答复。")
    sign_in_client(client, queue.leader)
    for title in ("被退回修改", "外单位退回"):
        await post(client, base(title) + "/reply/return", comment="请补充整改时限")
    for title in ("已审核通过", "已发送答复"):
        await post(client, base(title) + "/reply/approve")
    sign_in_client(client, queue.registrar)
    await post(client, base("已发送答复") + "/reply/send")
    return queue


async def test_awaiting_approval_lists_exactly_the_drafts_waiting_for_a_leader(
    context, make_tenant, client
):
    queue = await drafts_in_every_state(context, make_tenant, client)
    inbox = console_url(queue.tenant, "/inbox")
    sign_in_client(client, queue.leader)

    page = await client.get(inbox + "?state=awaiting_approval")
    assert page.status_code == 200
    assert listed(page.text) == {"已提交待审", "外单位待审"}
    assert tab_count(page.text, "awaiting_approval") == 2
    assert 'aria-current="page" class="review-tab">待审批' in page.text
    # A leader does not write drafts: no 退回修改 tab.
    assert tab_count(page.text, "reply_returned") is None
    # The other filters still apply, and the count says the whole queue.
    other_unit = queue.letters["外单位待审"].unit_id
    narrowed = await client.get(inbox + f"?state=awaiting_approval&unit={other_unit}")
    assert listed(narrowed.text) == {"外单位待审"}
    assert tab_count(narrowed.text, "awaiting_approval") == 2
    code = queue.letters["外单位待审"].tracking_code
    by_code = await client.get(inbox + f"?state=awaiting_approval&q={code}")
    assert listed(by_code.text) == {"外单位待审"}
    by_text = await client.get(inbox + "?state=awaiting_approval&q=噪音")
    assert by_text.status_code == 200 and listed(by_text.text) == set()
    # Free text within the queue, by the ordered walk and (two narrowing
    # filters: no index walks them in order) from the queue itself.
    async with tenant_session(context.database, queue.tenant) as session:
        for title in ("外单位待审", "外单位退回"):
            await session.execute(
                update(Letter)
                .where(Letter.id == queue.letters[title].id)
                .values(search_vector=func.to_tsvector("simple", index_terms(title, "路灯不亮")))
            )
        await session.commit()
    for extra in ("", f"&type=complaint&unit={other_unit}"):
        by_text = await client.get(inbox + f"?state=awaiting_approval&q=路灯{extra}")
        assert listed(by_text.text) == {"外单位待审"}, extra
    # htmx swaps the rows only.
    rows = await client.get(
        inbox + "?state=awaiting_approval", headers={"HX-Request": "true"}
    )
    assert "<html" not in rows.text and listed(rows.text) == {"已提交待审", "外单位待审"}

    # The returned draft, saved again, is back in the queue; an approval takes it out.
    sign_in_client(client, queue.handler)
    returned = console_url(queue.tenant, f"/letters/{queue.letters['被退回修改'].id}")
    await post(client, returned + "/reply", body="已补充整改时限：本月底前完成。")
    sign_in_client(client, queue.leader)
    page = await client.get(inbox + "?state=awaiting_approval")
    assert listed(page.text) == {"已提交待审", "外单位待审", "被退回修改"}
    await post(client, returned + "/reply/approve")
    page = await client.get(inbox + "?state=awaiting_approval")
    assert listed(page.text) == {"已提交待审", "外单位待审"}
    assert tab_count(page.text, "awaiting_approval") == 2

    # Nothing waiting: said so.
    for title in ("已提交待审", "外单位待审"):
        letter_id = queue.letters[title].id
        await post(client, console_url(queue.tenant, f"/letters/{letter_id}/reply/approve"))
    empty = await client.get(inbox + "?state=awaiting_approval")
    assert listed(empty.text) == set() and "没有等待您审批的答复草稿" in empty.text
    assert tab_count(empty.text, "awaiting_approval") == 0


@pytest.mark.parametrize("walk_rows", [1, 3, 1000])
async def test_free_text_within_the_queue_is_the_same_whichever_way_it_is_found(
    context, make_tenant, client, monkeypatch, walk_rows
):
    """待审批 with free text, found by the ordered walk (3 rows: it fills the
    first page, and is cut short on the next), from the queue after a walk
    cut short (1 row), or from the queue at once (4 queued letters, a queue
    no longer than a walk of 1000 rows): the queued letters with the words,
    in deadline order, page by page; neither a queued letter without them
    nor a letter with them outside the queue."""
    from leadermail.console import inbox_query, inbox_search

    monkeypatch.setattr(inbox_search, "SEARCH_WALK_ROWS", walk_rows)
    monkeypatch.setattr(inbox_query, "PAGE_SIZE", 1)
    queue = await drafts_in_every_state(context, make_tenant, client)
    sign_in_client(client, queue.handler)
    for title in ("只自动保存", "没有草稿"):  # two more drafts put forward
        letter = console_url(queue.tenant, f"/letters/{queue.letters[title].id}")
        await post(client, letter + "/reply", body="答复已写完，提交审批。")
    now = utcnow()
    words = {  # title: (its words, days to its deadline); the rest: 5 days
        "外单位待审": ("路灯不亮", 1.0),  # queued, matching
        "只自动保存": ("道路积水", 1.1),  # queued, other words
        "已提交待审": ("路灯不亮", 1.2),  # queued, matching
        "被退回修改": ("路灯不亮", 1.3),  # matching, not queued
        "没有草稿": ("路灯不亮", 1.4),  # queued, matching
    }
    async with tenant_session(context.database, queue.tenant) as session:
        for title, (text, days) in words.items():
            await session.execute(
                update(Letter)
                .where(Letter.id == queue.letters[title].id)
                .values(
                    search_vector=func.to_tsvector("simple", index_terms(title, text)),
                    reply_due_at=now + timedelta(days=days),
                )
            )
        await session.commit()
    sign_in_client(client, queue.leader)
    params = {"state": "awaiting_approval", "q": "路灯"}
    titles: list[str] = []
    for _ in range(6):
        page = await client.get(console_url(queue.tenant, "/inbox"), params=params)
        assert page.status_code == 200
        titles += re.findall(r'<tr id="letter-row-\d+"[^>]*>.*?<a href="[^"]*">([^<]*)</a>',
                             page.text, re.S)
        cursor = re.search(r'after=([^"&]+)">下一页', page.text)
        if cursor is None:
            break
        params = {**params, "after": unquote(cursor.group(1))}
    assert titles == ["外单位待审", "已提交待审", "没有草稿"]


async def test_only_the_roles_that_approve_see_the_queue(context, make_tenant, client):
    queue = await drafts_in_every_state(context, make_tenant, client)
    inbox = console_url(queue.tenant, "/inbox")
    admin = await make_staff(context, queue.tenant, "陈管理", Role.TENANT_ADMIN)
    sign_in_client(client, admin)
    page = await client.get(inbox)
    assert tab_count(page.text, "awaiting_approval") == 2
    assert tab_count(page.text, "reply_returned") == 2

    # A registrar neither approves nor drafts: no tab, and the address shows
    # the open letters instead of the queue.
    sign_in_client(client, queue.registrar)
    page = await client.get(inbox + "?state=awaiting_approval")
    assert page.status_code == 200
    assert "待审批" not in page.text and tab_count(page.text, "awaiting_approval") is None
    assert "没有草稿" in listed(page.text) and "只自动保存" in listed(page.text)


async def test_returned_drafts_show_for_the_drafters_unit_only(context, make_tenant, client):
    queue = await drafts_in_every_state(context, make_tenant, client)
    inbox = console_url(queue.tenant, "/inbox")

    sign_in_client(client, queue.handler)
    page = await client.get(inbox + "?state=reply_returned")
    assert listed(page.text) == {"被退回修改"}
    assert tab_count(page.text, "reply_returned") == 1
    # Handlers do not approve: no 待审批, even by address (their open letters instead).
    assert tab_count(page.text, "awaiting_approval") is None
    fallback = await client.get(inbox + "?state=awaiting_approval")
    assert "外单位待审" not in listed(fallback.text)
    assert "已提交待审" in listed(fallback.text)

    sign_in_client(client, queue.other_handler)
    page = await client.get(inbox + "?state=reply_returned")
    assert listed(page.text) == {"外单位退回"}
    assert tab_count(page.text, "reply_returned") == 1
    # The returned one is not waiting for the leader.
    sign_in_client(client, queue.leader)
    page = await client.get(inbox + "?state=awaiting_approval")
    assert not listed(page.text) & {"被退回修改", "外单位退回"}


async def test_a_letter_merged_away_takes_its_draft_out_of_the_queue(
    context, make_tenant, client
):
    tenant = await make_tenant()
    unit = (await unit_ids(context, tenant))[0]
    handler = await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit)
    leader = await make_staff(context, tenant, "刘局长", Role.LEADER)
    registrar = await make_staff(context, tenant, "王登记", Role.REGISTRAR)
    body = "我们小区门口的工地每天晚上施工到凌晨两点，噪音很大，老人孩子都睡不好，请尽快处理。"
    await make_letter(
        context, tenant, title="夜间施工噪音扰民", body=body, writer_phone="13812345678",
        state="accepted", unit_id=unit, submitted_at=utcnow() - timedelta(days=3),
    )
    repeat = await make_letter(
        context, tenant, title="工地夜间施工噪音", body=body, writer_phone="13812345678",
        state="accepted", unit_id=unit,
    )
    sign_in_client(client, handler)
    await post(client, console_url(tenant, f"/letters/{repeat.id}/reply"), body="已转城管核查。")
    sign_in_client(client, leader)
    inbox = console_url(tenant, "/inbox")
    assert tab_count((await client.get(inbox)).text, "awaiting_approval") == 1

    await run_job(
        context, flag_duplicate_letters, tenant_id=tenant.id, letter_id=repeat.id
    )
    async with tenant_session(context.database, tenant) as session:
        candidate = (await session.execute(select(DuplicateCandidate))).scalar_one()
    sign_in_client(client, registrar)
    await post(client, console_url(tenant, f"/duplicates/{candidate.id}/merge"))
    sign_in_client(client, leader)
    page = await client.get(inbox + "?state=awaiting_approval")
    assert tab_count(page.text, "awaiting_approval") == 0 and listed(page.text) == set()
