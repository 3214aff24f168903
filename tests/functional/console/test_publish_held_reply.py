"""A reply sent on a letter that is already published (handled again after
不满意) is held: the public page, the list, the home page, its public files
and its signature page leave it out until staff review its public text and
publish it (公示). Then it shows, redacted. Publishing it runs the same
personal-data detectors as the 公示文本 editor and writes the audit trail; a
text they still find personal data in is refused and nothing goes public."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select, update

from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.letters.figures import clear_cache
from leadermail.platform.letters.models import Letter, LetterEvent
from leadermail.platform.letters.public_text import (
    EXTRA_KEY,
    held_replies,
    is_edited,
    with_held,
)
from leadermail.platform.replies.models import ReplySignature
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import console_url, sign_in_client
from tests.functional.console.test_public_text import error_of, fields
from tests.functional.console.test_rehandling import (
    evaluate,
    letter_of,
    replies_of,
    texts_of,
)
from tests.functional.console.test_reply_attachments import (
    Desk,
    approve_and_send,
    draft_with_files,
    open_desk,
    png_bytes,
    reply_files,
    track,
)

BODY = "我叫张三，电话13812345678。小区门口的路灯坏了一个月，晚上出行很不方便。"
FIRST = "第一次答复：路灯已报修。"
SECOND = "张三您好：已更换灯具，经回访恢复照明。如有疑问请拨打13812345678与我们联系。"
SECOND_PUBLIC_START = "已更换灯具，经回访恢复照明"


def visitor_of(client: httpx.AsyncClient) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=client._transport, base_url="http://testserver")


async def held_desk(context, make_tenant, client: httpx.AsyncClient) -> Desk:  # noqa: ANN001
    """A letter published with its first reply, handled again after 不满意,
    and answered again (with a photo marked public): the second reply held."""
    desk = await open_desk(
        context, make_tenant, title="小区路灯坏了一个月", body=BODY, writer_name="张三"
    )
    assert (await draft_with_files(client, desk, FIRST, [])).status_code == 303
    await approve_and_send(client, desk)
    assert (await client.post(desk.base + "/publish", data={"publish": "1"})).status_code == 303
    tracked = await track(client, desk)
    asked = await evaluate(
        client, desk, tracked, satisfaction="unsatisfied", problem_solved="no",
        comment="还是不亮", wants_rehandling="1",
    )
    assert asked.status_code == 303
    photo = ("灯具.png", png_bytes(), "image/png")
    assert (await draft_with_files(client, desk, SECOND, [photo])).status_code == 303
    await approve_and_send(client, desk)  # signed in as the registrar, who may publish
    (file,) = await reply_files(context, desk)
    marked = await client.post(
        desk.base + f"/reply/attachments/{file.id}/public", data={"public": "1"}
    )
    assert marked.status_code == 303
    return desk


async def publish_audits(context, desk: Desk) -> list[dict]:  # noqa: ANN001
    async with tenant_session(context.database, desk.tenant) as session:
        return list(
            await session.scalars(
                select(AuditRecord.data)
                .where(
                    AuditRecord.action == "letter.publish",
                    AuditRecord.object_id == str(desk.letter.id),
                )
                .order_by(AuditRecord.id)
            )
        )


async def public_signature_ids(context, desk: Desk, reply_id: int) -> list[int]:  # noqa: ANN001
    async with tenant_session(context.database, desk.tenant) as session:
        return list(
            await session.scalars(
                select(ReplySignature.id).where(
                    ReplySignature.reply_id == reply_id, ReplySignature.kind == "public"
                )
            )
        )


async def test_a_new_reply_stays_off_the_public_site_until_staff_publish_it(
    context, make_tenant, client
):
    desk = await held_desk(context, make_tenant, client)
    first, second = await replies_of(context, desk)
    (photo,) = await reply_files(context, desk)
    letter = await letter_of(context, desk)
    assert held_replies(letter.extra) == {second.id} and not is_edited(letter.extra)
    # Sent, audited as held; no public signature was made for it.
    async with tenant_session(context.database, desk.tenant) as session:
        sent = await session.scalar(
            select(AuditRecord.data).where(
                AuditRecord.action == "reply.send", AuditRecord.object_id == str(second.id)
            )
        )
    assert sent["held_for_publication"] is True
    assert await public_signature_ids(context, desk, second.id) == []

    site = f"/t/{desk.tenant.slug}"
    page_path = f"{site}/letters/{desk.letter.id}"
    clear_cache()
    async with visitor_of(client) as visitor:
        page = (await visitor.get(page_path)).text
        assert SECOND_PUBLIC_START not in page and "灯具.png" not in page
        assert texts_of(page, "current-reply") == []
        (old,) = texts_of(page, "earlier-reply")
        assert FIRST in old
        (notice,) = texts_of(page, "rehandling-notice")
        assert "已重新办理" in notice and "经审核后将在此公开" in notice
        listed = (await visitor.get(f"{site}/letters")).text
        assert "已重新办理，答复待公开" in listed
        assert not re.search(r"\d 答复", listed)  # no date of an answer not shown
        # The home page's 最新答复 keeps the letter, with the list's note, and
        # nothing of the held reply.
        home = (await visitor.get(f"{site}/")).text
        assert "小区路灯坏了一个月" in home and "已重新办理，答复待公开" in home
        assert SECOND_PUBLIC_START not in home
        assert (await visitor.get(f"{page_path}/attachments/{photo.id}")).status_code == 404
        signatures = console_url(desk.tenant, "/signatures/")
        assert (await visitor.get(f"{signatures}{second.id}")).status_code == 404
        assert (await visitor.get(f"{signatures}{first.id}")).status_code == 200

    # Staff see what waits, and where to review it.
    letter_page = (await client.get(desk.base)).text
    (held_notice,) = texts_of(letter_page, "held-notice")
    assert "第 2 次答复" in held_notice and "尚未在公开页面显示" in held_notice
    assert "第 2 次答复（待公示）" in letter_page and "公示新的答复" in letter_page
    editor = (await client.get(desk.base + "/publication")).text
    assert texts_of(editor, "held-reply") == ["待公示"]
    assert "保存并公示新的答复" in editor
    reply_text = fields(editor)[f"reply-{second.id}"]
    assert SECOND_PUBLIC_START in reply_text and "13812345678" not in reply_text

    # 公示, from the letter page.
    published = await client.post(desk.base + "/publish", data={"publish": "1"})
    assert published.status_code == 303
    assert "新的答复已公示" in (await client.get(published.headers["location"])).text
    letter = await letter_of(context, desk)
    assert held_replies(letter.extra) == frozenset() and EXTRA_KEY not in letter.extra
    assert letter.is_published
    *_, audit = await publish_audits(context, desk)
    assert audit["held"] is True and audit["reply_ids"] == [second.id]
    assert audit["signature_ids"] == await public_signature_ids(context, desk, second.id)
    async with tenant_session(context.database, desk.tenant) as session:
        event = await session.scalar(
            select(LetterEvent)
            .where(LetterEvent.letter_id == desk.letter.id, LetterEvent.kind == "published")
            .order_by(LetterEvent.id.desc())
        )
    assert event.message == "重新办理的答复已公示" and event.is_public

    clear_cache()
    async with visitor_of(client) as visitor:
        page = (await visitor.get(page_path)).text
        (current,) = texts_of(page, "current-reply")
        assert SECOND_PUBLIC_START in current and "（重新办理后）" in current
        assert "13812345678" not in page and "张三" not in page  # redacted
        assert texts_of(page, "rehandling-notice") == []
        assert (await visitor.get(f"{page_path}/attachments/{photo.id}")).status_code == 200
        assert "小区路灯坏了一个月" in (await visitor.get(f"{site}/")).text
        signature_page = await visitor.get(console_url(desk.tenant, f"/signatures/{second.id}"))
        assert signature_page.status_code == 200 and SECOND_PUBLIC_START in signature_page.text

    # Nothing more waits: 公示 again changes nothing and writes nothing.
    count = len(await publish_audits(context, desk))
    again = await client.post(desk.base + "/publish", data={"publish": "1"})
    assert "已公示，没有待公示的答复" in (await client.get(again.headers["location"])).text
    assert len(await publish_audits(context, desk)) == count


async def test_staff_correct_the_held_reply_and_publish_it_from_the_editor(
    context, make_tenant, client
):
    desk = await held_desk(context, make_tenant, client)
    _, second = await replies_of(context, desk)
    field = f"reply-{second.id}"
    typed = fields((await client.get(desk.base + "/publication")).text)

    # Saving a correction keeps it held: the public page shows nothing of it.
    typed[field] = "您好：灯具已于本周更换，经回访已恢复照明。"
    saved = await client.post(desk.base + "/publication", data={**typed, "op": "save"})
    assert saved.status_code == 303
    assert "新的答复尚未公示" in (await client.get(saved.headers["location"])).text
    assert await public_signature_ids(context, desk, second.id) == []
    clear_cache()
    async with visitor_of(client) as visitor:
        page = (await visitor.get(f"/t/{desk.tenant.slug}/letters/{desk.letter.id}")).text
        assert "灯具已于本周更换" not in page

    published = await client.post(desk.base + "/publication", data={**typed, "op": "publish"})
    assert published.status_code == 303
    assert "新的答复已公示" in (await client.get(published.headers["location"])).text
    clear_cache()
    async with visitor_of(client) as visitor:
        page = (await visitor.get(f"/t/{desk.tenant.slug}/letters/{desk.letter.id}")).text
        (current,) = texts_of(page, "current-reply")
        assert "灯具已于本周更换" in current


async def test_personal_data_in_the_held_reply_is_refused_and_nothing_goes_public(
    context, make_tenant, client
):
    desk = await held_desk(context, make_tenant, client)
    _, second = await replies_of(context, desk)
    field = f"reply-{second.id}"
    typed = fields((await client.get(desk.base + "/publication")).text)
    typed[field] = "张三您好：灯具已更换，请拨打13812345678联系。"

    refused = await client.post(desk.base + "/publication", data={**typed, "op": "publish"})
    assert refused.status_code == 422
    assert "个人信息" in error_of(refused.text, f"public-{field}")
    assert fields(refused.text)[field] == typed[field]  # what was typed stays
    letter = await letter_of(context, desk)
    assert held_replies(letter.extra) == {second.id}
    assert await public_signature_ids(context, desk, second.id) == []

    # A stored text the detectors now object to (saved under older rules)
    # is not published from the letter page either.
    async with tenant_session(context.database, desk.tenant) as session:
        stored = await session.get(Letter, desk.letter.id)
        extra = with_held(stored.extra, {second.id})
        extra[EXTRA_KEY] = {**extra[EXTRA_KEY], "replies": {str(second.id): "请联系13812345678"}}
        await session.execute(
            update(Letter).where(Letter.id == desk.letter.id).values(extra=extra)
        )
        await session.commit()
    count = len(await publish_audits(context, desk))
    blocked = await client.post(desk.base + "/publish", data={"publish": "1"})
    shown = (await client.get(blocked.headers["location"])).text
    assert "第 2 次答复中仍有个人信息" in shown and "138****5678" in shown
    assert len(await publish_audits(context, desk)) == count
    assert held_replies((await letter_of(context, desk)).extra) == {second.id}
    clear_cache()
    async with visitor_of(client) as visitor:
        page = (await visitor.get(f"/t/{desk.tenant.slug}/letters/{desk.letter.id}")).text
        assert "13812345678" not in page and texts_of(page, "current-reply") == []


async def test_only_staff_who_may_publish_can_publish_the_held_reply(
    context, make_tenant, client
):
    desk = await held_desk(context, make_tenant, client)
    sign_in_client(client, desk.staff["handler"])
    assert "公示新的答复" not in (await client.get(desk.base)).text
    refused = await client.post(desk.base + "/publish", data={"publish": "1"})
    assert refused.status_code in {303, 403}
    _, second = await replies_of(context, desk)
    assert held_replies((await letter_of(context, desk)).extra) == {second.id}
