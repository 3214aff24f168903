"""The 转办 overview (the province's ledger page and every mailbox's): when its
figures are from. The ledger columns are read with the page; the receivers'
progress is a copy kept by the steps and a sweep, shown "as of" that sweep."""

from __future__ import annotations

import re

from leadermail.platform.audit.writer import Actor
from leadermail.platform.forwarding.jobs import sync_forwardings
from leadermail.platform.forwarding.models import Forwarding
from leadermail.platform.forwarding.progress import progress_synced_at
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.workflow import apply_transition
from leadermail.tenants.session import tenant_session
from tests.functional.province.conftest import write_letter
from tests.functional.province.forwarded import forward
from tests.functional.province.test_isolation import as_staff, console

SYNCED_KEY = "leadermail:forwarding:progress-synced-at"


async def move(context, tenant, letter_id, transition):  # noqa: ANN001, ANN201
    async with tenant_session(context.database, tenant) as session:
        letter = await session.get(Letter, letter_id)
        await apply_transition(session, letter, transition, Actor(None, "市登记员"))
        await session.commit()


async def test_the_overview_says_as_of_when_its_figures_are(context, tree, client):
    letter = await write_letter(context, tree.province)
    leg = await forward(context, tree.province, letter.id, tree.city)
    await context.redis.delete(SYNCED_KEY)

    await as_staff(context, client, tree.province, "省登记员")
    page = (await client.get(console(tree.province, "/forwarding"))).text
    assert re.search(r"数据截至 <time [^>]+>\d{4}-\d\d-\d\d \d\d:\d\d</time>", page)
    assert "尚未与接收信箱定时核对" in page
    assert 'data-testid="progress-synced-at"' not in page

    # The city accepts the letter in its own workflow; the province hears of
    # it at the next sweep, and the page says when that was.
    await move(context, tree.city, leg.to_letter_id, "accept")
    sent_row = re.compile(rf'/forwarding/{leg.id}">{leg.id}</a>.*?</tr>', re.DOTALL)
    page = (await client.get(console(tree.province, "/forwarding"))).text
    assert "已受理" not in sent_row.search(page).group(0)
    assert await sync_forwardings({"app": context}) >= 1
    synced = await progress_synced_at(context.redis)
    assert synced is not None
    page = (await client.get(console(tree.province, "/forwarding"))).text
    assert "已受理" in sent_row.search(page).group(0)
    stamp = page.split('data-testid="progress-synced-at">')[1].split("<")[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", stamp)
    async with context.database.core_session() as session:
        assert (await session.get(Forwarding, leg.id)).receiver_state == "accepted"
    detail = (await client.get(console(tree.province, f"/forwarding/{leg.id}"))).text
    assert f"接收方来信状态：已受理，核对于 {stamp}" in detail

    # The receiver's own list shows its own letter's state as it is now.
    await move(context, tree.city, leg.to_letter_id, "assign")
    await as_staff(context, client, tree.city, "市登记员")
    page = (await client.get(console(tree.city, "/forwarding"))).text
    received = page.split('data-testid="received-legs"')[1].split("</table>")[0]
    assert "本机关办理状态" in received
    row = re.search(rf'/forwarding/{leg.id}">{leg.id}</a>.*?</tr>', received, re.DOTALL)
    assert re.search(r"<td>待签收</td>\s*<td>办理中</td>", row.group(0))


async def test_the_sweep_reaches_every_open_leg_batch_by_batch(context, tree):
    legs = []
    for _ in range(3):
        letter = await write_letter(context, tree.province)
        legs.append(await forward(context, tree.province, letter.id, tree.city))
        await move(context, tree.city, legs[-1].to_letter_id, "accept")
    await sync_forwardings({"app": context}, batch=1)
    async with context.database.core_session() as session:
        states = [(await session.get(Forwarding, leg.id)).receiver_state for leg in legs]
    assert states == ["accepted"] * 3


async def test_a_long_list_says_it_shows_the_newest(context, tree, client, monkeypatch):
    from leadermail.console.routes import forwarding

    monkeypatch.setattr(forwarding, "SHOWN_LEGS", 2)
    for _ in range(3):
        await forward(context, tree.province, (await write_letter(context, tree.province)).id,
                      tree.city)  # fmt: skip
    await as_staff(context, client, tree.province, "省登记员")
    page = (await client.get(console(tree.province, "/forwarding"))).text
    sent = page.split('data-testid="sent-legs"')[1].split("</table>")[0]
    assert len(re.findall(r"<tr><td><a ", sent)) == 2
    assert 'data-testid="more-sent">仅列出最近 2 条' in page
    assert 'data-testid="more-received"' not in page
    # The city's received list is its own, not cut by the province's sent legs.
    await as_staff(context, client, tree.city, "市登记员")
    page = (await client.get(console(tree.city, "/forwarding"))).text
    assert 'data-testid="more-received">仅列出最近 2 条' in page
