"""The home page's 最新答复 keeps a published letter while it is handled again
(不满意 → 重新办理): listed with the date of the reply the public can read and
a note saying so, as the letter's own page does; the note goes when the new
reply is published. Every step reaches the cached home page at once."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import update

from leadermail.platform.letters.models import Letter, Reply
from leadermail.public_site import page_cache
from leadermail.tenants.session import tenant_session
from tests.functional.console.test_public_changes import (  # noqa: F401 - fixture
    _announced,
    _listening,
    caches_on,
)
from tests.functional.console.test_rehandling import evaluate, texts_of
from tests.functional.console.test_reply_attachments import (
    Desk,
    approve_and_send,
    draft_with_files,
    open_desk,
    track,
)
from tests.functional.staff_ops.helpers import sign_in_client

FIRST = "第一次答复：路灯已报修。"
SECOND = "第二次答复：已更换灯具，经回访恢复照明。"
#: When the first reply went out (moved back so its date differs from today's).
FIRST_SENT = datetime(2024, 3, 5, 2, 0, tzinfo=UTC)


def recent_item(page: str, desk: Desk) -> str | None:
    """The text of the letter's row in 最新答复, or None when it is not listed."""
    link = f'href="/t/{desk.tenant.slug}/letters/{desk.letter.id}"'
    items = [item for item in recent_items(page) if link in item]
    assert len(items) <= 1
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", items[0])).strip() if items else None


def recent_items(page: str) -> list[str]:
    """The rows of 最新答复, as HTML."""
    section = page.split('id="recent-title"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"<li[^>]*>(.*?)</li>", section, re.S)


async def backdate_first_reply(context, desk: Desk) -> None:  # noqa: ANN001
    async with tenant_session(context.database, desk.tenant) as session:
        await session.execute(
            update(Reply).where(Reply.letter_id == desk.letter.id).values(sent_at=FIRST_SENT)
        )
        await session.execute(
            update(Letter).where(Letter.id == desk.letter.id).values(replied_at=FIRST_SENT)
        )
        await session.commit()


async def test_home_lists_a_letter_handled_again_with_its_published_reply(
    context, make_tenant, client, caches_on  # noqa: F811
):
    desk = await open_desk(context, make_tenant, title="小区路灯坏了一个月")
    assert (await draft_with_files(client, desk, FIRST, [])).status_code == 303
    await approve_and_send(client, desk)
    await backdate_first_reply(context, desk)
    assert (await client.post(desk.base + "/publish", data={"publish": "1"})).status_code == 303

    changes: list[int | None] = []
    listener = await _listening(context, changes)
    home = f"/t/{desk.tenant.slug}/"
    visitor = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    try:
        async with visitor:
            item = recent_item((await visitor.get(home)).text, desk)
            assert item is not None and "2024-03-05 答复" in item and "重新办理" not in item
            assert page_cache._pages, "the home page is now cached in this worker"

            # The writer is not satisfied: the letter stays, with its reply and a note.
            tracked = await track(client, desk)
            asked = await evaluate(
                client, desk, tracked, satisfaction="unsatisfied", problem_solved="no",
                comment="路灯还是不亮", wants_rehandling="1",
            )
            assert asked.status_code == 303
            await _announced(changes, desk.tenant.id)
            page = (await visitor.get(home)).text
            item = recent_item(page, desk)
            assert item is not None, "a letter handled again must stay on the home page"
            assert "小区路灯坏了一个月" in item and "2024-03-05 答复" in item
            assert "重新办理中" in item
            (note,) = texts_of(page, "recent-rehandling")
            assert note == "重新办理中"
            # Its page says the same at greater length, and shows the reply.
            letter_page = (await visitor.get(f"{home}letters/{desk.letter.id}")).text
            assert "本件正在重新办理" in letter_page and FIRST in letter_page

            # The new reply is sent to the writer and waits for 公示: still listed,
            # still with the reply the public can read.
            changes.clear()
            assert (await draft_with_files(client, desk, SECOND, [])).status_code == 303
            await approve_and_send(client, desk)
            await _announced(changes, desk.tenant.id)
            item = recent_item((await visitor.get(home)).text, desk)
            assert item is not None and "2024-03-05 答复" in item
            assert "已重新办理，答复待公开" in item and "重新办理中" not in item

            # Published: the new reply is the answer, the note goes.
            changes.clear()
            published = await client.post(desk.base + "/publish", data={"publish": "1"})
            assert published.status_code == 303
            await _announced(changes, desk.tenant.id)
            page = (await visitor.get(home)).text
            item = recent_item(page, desk)
            assert item is not None and "重新办理" not in item and "2024-03-05" not in item
            assert texts_of(page, "recent-rehandling") == []
    finally:
        listener.cancel()
        with pytest.raises(asyncio.CancelledError):
            await listener


async def test_a_letter_taken_down_while_handled_again_leaves_the_home_page(
    context, make_tenant, client, caches_on  # noqa: F811
):
    desk = await open_desk(context, make_tenant, title="公交站台顶棚漏雨")
    assert (await draft_with_files(client, desk, FIRST, [])).status_code == 303
    await approve_and_send(client, desk)
    assert (await client.post(desk.base + "/publish", data={"publish": "1"})).status_code == 303
    tracked = await track(client, desk)
    await evaluate(
        client, desk, tracked, satisfaction="unsatisfied", problem_solved="no",
        comment="还在漏", wants_rehandling="1",
    )
    changes: list[int | None] = []
    listener = await _listening(context, changes)
    home = f"/t/{desk.tenant.slug}/"
    visitor = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    try:
        async with visitor:
            assert recent_item((await visitor.get(home)).text, desk) is not None
            sign_in_client(client, desk.staff["registrar"])
            down = await client.post(desk.base + "/publish", data={"publish": "0"})
            assert down.status_code == 303
            await _announced(changes, desk.tenant.id)
            assert recent_item((await visitor.get(home)).text, desk) is None
    finally:
        listener.cancel()
        with pytest.raises(asyncio.CancelledError):
            await listener
