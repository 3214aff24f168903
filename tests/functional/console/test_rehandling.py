"""Re-handling after 不满意, end to end over HTTP: the citizen rates the reply
不满意 and asks for the letter to be handled again; staff see the sent reply
read-only and write a new one through draft → approved → sent; the citizen
sees both replies (the newest as the answer in force), rates the new one, and
cannot ask for re-handling a second time."""

from __future__ import annotations

import html
import re

import httpx
from sqlalchemy import select

from leadermail.platform.letters.figures import clear_cache
from leadermail.platform.letters.models import Evaluation, Letter, Reply
from leadermail.platform.replies.models import ReplySignature
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import sign_in_client
from tests.functional.console.test_reply_attachments import (
    Desk,
    approve_and_send,
    draft_with_files,
    open_desk,
    png_bytes,
    textarea,
    track,
)


def texts_of(page: str, testid: str) -> list[str]:
    """The text of every element carrying ``data-testid``, tags stripped."""
    found = []
    for match in re.finditer(rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>', page):
        tag, start = match.group(1), match.end()
        end = page.index(f"</{tag}>", start)
        found.append(html.unescape(re.sub(r"<[^>]+>", "", page[start:end])).strip())
    return found


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


async def replies_of(context, desk: Desk) -> list[Reply]:  # noqa: ANN001
    async with tenant_session(context.database, desk.tenant) as session:
        return list(
            await session.scalars(
                select(Reply).where(Reply.letter_id == desk.letter.id).order_by(Reply.id)
            )
        )


async def letter_of(context, desk: Desk) -> Letter:  # noqa: ANN001
    async with tenant_session(context.database, desk.tenant) as session:
        return await session.get(Letter, desk.letter.id)


async def evaluate(
    client: httpx.AsyncClient, desk: Desk, page: str, **answers: str
) -> httpx.Response:
    return await client.post(
        f"/t/{desk.tenant.slug}/track/{desk.letter.tracking_code}/evaluate",
        data={"csrf_token": csrf_of(page), **answers},
    )


async def test_unsatisfied_citizen_gets_a_second_reply_and_rates_it(context, make_tenant, client):
    desk = await open_desk(context, make_tenant)

    # First round: drafted with a photo, approved, signed, sent and published.
    first_draft = await draft_with_files(
        client, desk, "第一次答复：路灯已报修。", [("报修单.png", png_bytes(), "image/png")]
    )
    assert first_draft.status_code == 303
    await approve_and_send(client, desk)
    assert (await client.post(desk.base + "/publish", data={"publish": "1"})).status_code == 303
    (first,) = await replies_of(context, desk)
    assert first.status == "sent"

    # The citizen is not satisfied and asks for the letter to be handled again.
    tracked = await track(client, desk)
    assert "第一次答复：路灯已报修。" in tracked and "我不满意，申请重新办理" in tracked
    asked = await evaluate(
        client,
        desk,
        tracked,
        satisfaction="unsatisfied",
        problem_solved="no",
        comment="路灯还是不亮",
        wants_rehandling="1",
    )
    assert asked.status_code == 303, asked.text
    letter = await letter_of(context, desk)
    assert letter.state == "assigned" and letter.rehandle_count == 1

    # The handler sees the sent reply read-only and an empty editor for a new one.
    sign_in_client(client, desk.staff["handler"])
    page = (await client.get(desk.base)).text
    assert texts_of(page, "reply-status") == ["待重新答复"]
    assert "路灯还是不亮" in texts_of(page, "rehandling")[0]
    (sent,) = texts_of(page, "sent-reply")
    assert "第一次答复：路灯已报修。" in sent and "报修单.png" in sent
    assert textarea(page) == ""
    assert "签名并发送答复" not in page and "审核通过" not in page
    # Nothing of the sent reply can be changed any more.
    (photo_id,) = re.findall(r"/attachments/(\d+)\">报修单.png", page)[:1]
    refused = await client.post(
        desk.base + "/reply",
        data={"body": "x", "remove_attachment": photo_id},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422 and "答复已发送" in refused.text

    # Second round: a new reply goes draft → approved → sent.
    second_draft = await draft_with_files(
        client, desk, "第二次答复：已更换灯具，经回访恢复照明。", []
    )
    assert second_draft.status_code == 303
    page = (await client.get(desk.base)).text
    assert texts_of(page, "reply-status") == ["草稿"]
    assert "（第 2 次答复）" in page
    assert "第二次答复" not in texts_of(page, "sent-reply")[0]
    assert textarea(page) == "第二次答复：已更换灯具，经回访恢复照明。"
    first_again, second = await replies_of(context, desk)
    assert (first_again.id, first_again.status, first_again.body_html) == (
        first.id,
        "sent",
        first.body_html,
    )
    assert second.status == "draft"

    sign_in_client(client, desk.staff["leader"])
    page = (await client.get(desk.base)).text
    assert "审核通过" in page
    await approve_and_send(client, desk)
    _, second = await replies_of(context, desk)
    assert second.status == "sent" and "刘局长" in second.signer_name
    letter = await letter_of(context, desk)
    assert letter.state == "replied" and letter.replied_at is not None

    page = (await client.get(desk.base)).text
    assert texts_of(page, "reply-status") == ["已发送"]
    earlier, current = texts_of(page, "sent-reply")
    assert earlier.startswith("第 1 次答复") and "第一次答复" in earlier
    assert current.startswith("第 2 次答复（当前答复）") and "第二次答复" in current
    assert 'id="reply-body"' not in page  # replied: nothing to draft now

    # Published before: the new reply waits for 公示 (not signed as public
    # text yet); once published it is on the public page, with its own public
    # signature that anyone can check.
    async with tenant_session(context.database, desk.tenant) as session:
        kinds = list(await session.scalars(select(ReplySignature.kind).order_by(ReplySignature.id)))
    assert kinds == ["sent", "public", "sent"]
    sign_in_client(client, desk.staff["registrar"])
    assert (await client.post(desk.base + "/publish", data={"publish": "1"})).status_code == 303
    async with tenant_session(context.database, desk.tenant) as session:
        kinds = list(
            await session.execute(
                select(ReplySignature.reply_id, ReplySignature.kind).order_by(ReplySignature.id)
            )
        )
    assert [tuple(row) for row in kinds] == [
        (first.id, "sent"),
        (first.id, "public"),
        (second.id, "sent"),
        (second.id, "public"),
    ]
    clear_cache()
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver"
    ) as anonymous:
        public = (await anonymous.get(f"/t/{desk.tenant.slug}/letters/{desk.letter.id}")).text
        assert "第一次答复" in public and "第二次答复" in public
        check = await anonymous.get(f"/t/{desk.tenant.slug}/console/signatures/{second.id}")
        assert "签名有效" in check.text

    # The citizen sees both, the newest as the answer in force, and rates it.
    tracked = await track(client, desk)
    (current,) = texts_of(tracked, "current-reply")
    (earlier,) = texts_of(tracked, "earlier-reply")
    assert current.startswith("最新答复") and "第二次答复" in current
    assert "第一次答复" in earlier and "报修单.png" in earlier
    assert tracked.index('data-testid="current-reply"') < tracked.index(
        'data-testid="earlier-reply"'
    )
    assert "提交评价" in tracked and "我不满意，申请重新办理" not in tracked
    again = await evaluate(
        client,
        desk,
        tracked,
        satisfaction="unsatisfied",
        problem_solved="no",
        comment="还是不行",
        wants_rehandling="1",
    )
    assert again.status_code == 422 and "不能再次申请重新办理" in again.text
    rated = await evaluate(client, desk, tracked, satisfaction="satisfied", problem_solved="yes")
    assert rated.status_code == 303

    letter = await letter_of(context, desk)
    assert letter.state == "evaluated" and letter.rehandle_count == 1
    async with tenant_session(context.database, desk.tenant) as session:
        evaluations = list(
            await session.execute(
                select(Evaluation.reply_id, Evaluation.satisfaction, Evaluation.wants_rehandling)
                .where(Evaluation.letter_id == desk.letter.id)
                .order_by(Evaluation.id)
            )
        )
    assert [tuple(row) for row in evaluations] == [
        (first.id, "unsatisfied", True),
        (second.id, "satisfied", False),
    ]
    # No third round from the console either.
    sign_in_client(client, desk.staff["registrar"])
    page = (await client.get(desk.base)).text
    assert "/do/rehandle" not in page and 'id="reply-body"' not in page
