"""A published letter handled again after 不满意: the public page says so at
once, keeps the old reply (unchanged, marked as the one the writer was not
satisfied with); when the new reply is sent the page says it was handled
again but does not show it; when staff publish it, it becomes the answer with
the old one kept below it as history. Every step reaches the cached pages."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.functional.console.test_public_changes import (  # noqa: F401 - fixture
    _announced,
    _listening,
    caches_on,
)
from tests.functional.console.test_rehandling import evaluate, texts_of
from tests.functional.console.test_reply_attachments import (
    approve_and_send,
    draft_with_files,
    open_desk,
    track,
)

FIRST = "第一次答复：路灯已报修。"
SECOND = "第二次答复：已更换灯具，经回访恢复照明。"
NOTICE = "来信人对答复不满意，本件正在重新办理。"
HELD_NOTICE = "来信人对答复不满意，本件已重新办理。重新办理的答复经审核后将在此公开"


async def test_rehandling_notice_appears_and_the_new_reply_replaces_the_old(
    context, make_tenant, client, caches_on  # noqa: F811
):
    desk = await open_desk(context, make_tenant, title="小区路灯坏了一个月")
    assert (await draft_with_files(client, desk, FIRST, [])).status_code == 303
    await approve_and_send(client, desk)
    assert (await client.post(desk.base + "/publish", data={"publish": "1"})).status_code == 303

    changes: list[int | None] = []
    listener = await _listening(context, changes)
    site = f"/t/{desk.tenant.slug}"
    page_path, list_path = f"{site}/letters/{desk.letter.id}", f"{site}/letters"
    visitor = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    try:
        async with visitor:
            page = (await visitor.get(page_path)).text
            (current,) = texts_of(page, "current-reply")
            assert FIRST in current and "重新办理" not in current
            assert NOTICE not in page and "重新办理中" not in (await visitor.get(list_path)).text

            # The writer is not satisfied and asks for the letter to be handled again.
            tracked = await track(client, desk)
            asked = await evaluate(
                client, desk, tracked, satisfaction="unsatisfied", problem_solved="no",
                comment="路灯还是不亮", wants_rehandling="1",
            )
            assert asked.status_code == 303
            await _announced(changes, desk.tenant.id)

            page = (await visitor.get(page_path)).text
            (notice,) = texts_of(page, "rehandling-notice")
            assert notice.startswith(NOTICE)
            assert texts_of(page, "current-reply") == []
            (old,) = texts_of(page, "earlier-reply")
            assert old.startswith("原答复") and FIRST in old
            assert "来信人对此答复不满意，正在重新办理" in old
            assert "路灯还是不亮" not in page  # the writer's comment is theirs, not public
            assert "重新办理中" in (await visitor.get(list_path)).text

            # The new reply goes out to the writer; nobody has reviewed it for
            # the public yet, so the page says so and shows the old one only.
            changes.clear()
            assert (await draft_with_files(client, desk, SECOND, [])).status_code == 303
            await approve_and_send(client, desk)
            await _announced(changes, desk.tenant.id)

            page = (await visitor.get(page_path)).text
            (notice,) = texts_of(page, "rehandling-notice")
            assert notice.startswith(HELD_NOTICE)
            assert SECOND not in page and texts_of(page, "current-reply") == []
            (old,) = texts_of(page, "earlier-reply")
            assert FIRST in old and "来信人对此答复不满意，已重新办理" in old
            listed = (await visitor.get(list_path)).text
            assert "已重新办理，答复待公开" in listed and "重新办理中" not in listed

            # Staff publish it: it is the answer now, the old one history.
            changes.clear()
            published = await client.post(desk.base + "/publish", data={"publish": "1"})
            assert published.status_code == 303
            await _announced(changes, desk.tenant.id)

            page = (await visitor.get(page_path)).text
            assert NOTICE not in page and texts_of(page, "rehandling-notice") == []
            (current,) = texts_of(page, "current-reply")
            assert "（重新办理后）" in current and SECOND in current and FIRST not in current
            (old,) = texts_of(page, "earlier-reply")
            assert FIRST in old and "来信人对此答复不满意，已重新办理" in old
            assert page.index('data-testid="current-reply"') < page.index(
                'data-testid="earlier-reply"'
            )
            listed = (await visitor.get(list_path)).text
            assert "重新办理中" not in listed and "答复待公开" not in listed
    finally:
        listener.cancel()
        with pytest.raises(asyncio.CancelledError):
            await listener


async def test_an_unpublished_letter_handled_again_announces_nothing(
    context, make_tenant, client, caches_on  # noqa: F811
):
    desk = await open_desk(context, make_tenant)
    assert (await draft_with_files(client, desk, FIRST, [])).status_code == 303
    await approve_and_send(client, desk)
    changes: list[int | None] = []
    listener = await _listening(context, changes)
    try:
        tracked = await track(client, desk)
        asked = await evaluate(
            client, desk, tracked, satisfaction="unsatisfied", problem_solved="no",
            comment="没有解决", wants_rehandling="1",
        )
        assert asked.status_code == 303
        await draft_with_files(client, desk, SECOND, [])
        await approve_and_send(client, desk)
        await asyncio.sleep(0.2)
        assert desk.tenant.id not in changes
    finally:
        listener.cancel()
        with pytest.raises(asyncio.CancelledError):
            await listener
