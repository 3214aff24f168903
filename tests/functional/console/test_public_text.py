"""公示文本: staff review and correct what the public site shows of a letter,
before and after publishing; personal data typed back in is refused with the
input kept; "do not publish" still blocks everything; every change is audited
and reaches the public page, its caches and the public search at once."""

from __future__ import annotations

import asyncio
import html
import re

import httpx
import pytest
from sqlalchemy import select, update

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.letters.figures import clear_cache
from leadermail.platform.letters.models import Letter, LetterEvent
from leadermail.platform.letters.public_text import EXTRA_KEY
from leadermail.platform.letters.submission import letter_search_vector
from leadermail.platform.replies.models import ReplySignature
from leadermail.public_site import page_cache
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import make_staff, sign_in_client
from tests.functional.console.test_public_changes import (  # noqa: F401 - fixture
    _announced,
    _listening,
    caches_on,
)
from tests.functional.console.test_reply_attachments import (
    Desk,
    approve_and_send,
    draft_with_files,
    open_desk,
)

TITLE = "王五家门口的路灯坏了"
BODY = (
    "我叫张三，电话13812345678。邻居王五家门口的路灯坏了一个月，"
    "晚上出行很不方便，请尽快修理。"
)
REPLY = "张三您好：路灯已于本周修复，如有问题请拨打13812345678联系我们。"


async def replied_desk(context, make_tenant, client, **letter_values) -> Desk:  # noqa: ANN001, ANN003
    """A letter by 张三 whose reply was sent; indexed as a submitted letter is."""
    values = {"title": TITLE, "body": BODY, "writer_name": "张三", **letter_values}
    desk = await open_desk(context, make_tenant, **values)
    async with tenant_session(context.database, desk.tenant) as session:
        letter = await session.get(Letter, desk.letter.id)
        letter.search_vector = letter_search_vector(letter)
        await session.commit()
    assert (await draft_with_files(client, desk, REPLY, [])).status_code == 303
    await approve_and_send(client, desk)  # signed in as the registrar now
    return desk


def fields(page: str) -> dict[str, str]:
    """The 公示文本 editor's fields as the browser would post them."""
    found = {}
    title = re.search(r'<input id="public-title" name="title" value="([^"]*)"', page)
    if title:
        found["title"] = html.unescape(title.group(1))
    textareas = r'<textarea id="public-[^"]+" name="([^"]+)"[^>]*>(.*?)</textarea>'
    for name, text in re.findall(textareas, page, re.S):
        found[name] = html.unescape(text)
    return found


def error_of(page: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}-error">([^<]*)<', page)
    assert match, f"no error next to {field_id}"
    return html.unescape(match.group(1))


async def public_text_audits(context, desk: Desk) -> list[dict]:  # noqa: ANN001
    async with tenant_session(context.database, desk.tenant) as session:
        return list(
            await session.scalars(
                select(AuditRecord.data)
                .where(AuditRecord.action == "letter.public_text")
                .order_by(AuditRecord.id)
            )
        )


async def stored_letter(context, desk: Desk) -> Letter:  # noqa: ANN001
    async with tenant_session(context.database, desk.tenant) as session:
        return await session.get(Letter, desk.letter.id)


def anonymous(client: httpx.AsyncClient) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=client._transport, base_url="http://testserver")


async def test_staff_correct_the_text_before_publishing_and_the_public_sees_it(
    context, make_tenant, client
):
    desk = await replied_desk(context, make_tenant, client)
    page = (await client.get(desk.base + "/publication")).text
    assert "未公示" in page
    start = fields(page)
    reply_field = next(name for name in start if name.startswith("reply-"))
    # The automatic redaction is the starting point.
    assert start["title"] == TITLE
    assert "某某" in start["body"] and "13812345678" not in start["body"]
    assert "张三" not in start[reply_field] and "13812345678" not in start[reply_field]
    assert "王五" in start["body"]  # a neighbour's name: redaction cannot know

    # The letter page offers the way there.
    assert "/publication" in (await client.get(desk.base)).text

    edited = {
        "title": "路灯坏了一个月无人修理",
        "body": "邻居家门口的路灯坏了一个月，晚上出行很不方便，银杏树下一片漆黑，请尽快修理。",
        reply_field: "您好：路灯已于本周修复。\n\n如有问题请拨打 12345 市民热线。",
    }
    saved = await client.post(desk.base + "/publication", data={**edited, "op": "save"})
    assert saved.status_code == 303
    page = (await client.get(saved.headers["location"])).text
    assert "公示文本已保存（标题、来信内容、答复），公示时将使用此文本" in page
    assert fields(page) == edited
    assert "（已人工修改）" in page and "自动隐去个人信息的文本（供对照）" in page

    # Stored as corrections of the automatic text, audited part by part.
    letter = await stored_letter(context, desk)
    assert not letter.is_published
    assert letter.extra[EXTRA_KEY]["title"] == edited["title"]
    (audit,) = await public_text_audits(context, desk)
    assert [c["part"] for c in audit["changes"]] == ["title", "body", reply_field]
    title_change = audit["changes"][0]
    assert (title_change["before"], title_change["after"]) == (TITLE, edited["title"])
    assert audit["published"] is False
    async with tenant_session(context.database, desk.tenant) as session:
        event = await session.scalar(
            select(LetterEvent).where(LetterEvent.kind == "public_text_edited")
        )
    assert not event.is_public and "标题、来信内容、答复" in event.message

    published = await client.post(desk.base + "/publication", data={**edited, "op": "publish"})
    assert published.status_code == 303
    assert "已公示" in (await client.get(published.headers["location"])).text
    letter = await stored_letter(context, desk)
    assert letter.is_published

    # The public signature covers the corrected reply.
    async with tenant_session(context.database, desk.tenant) as session:
        public_signature = await session.scalar(
            select(ReplySignature).where(ReplySignature.kind == "public")
        )
    assert "12345 市民热线" in public_signature.payload
    assert "13812345678" not in public_signature.payload

    clear_cache()
    async with anonymous(client) as visitor:
        site = f"/t/{desk.tenant.slug}"
        public = (await visitor.get(f"{site}/letters/{desk.letter.id}")).text
        assert "路灯坏了一个月无人修理" in public and "银杏树下一片漆黑" in public
        assert "<p>您好：路灯已于本周修复。</p><p>如有问题请拨打 12345 市民热线。</p>" in public
        assert "王五" not in public and "某某" not in public
        # The public search finds the corrected text, and not what staff took out.
        found = (await visitor.get(f"{site}/letters", params={"q": "银杏树"})).text
        assert "找到 1 封" in found and "路灯坏了一个月无人修理" in found
        gone = (await visitor.get(f"{site}/letters", params={"q": "王五"})).text
        assert "找到 0 封" in gone
    # Staff still find the letter by what its writer wrote.
    inbox = await client.get(
        desk.base.rsplit("/letters/", 1)[0] + "/inbox", params={"q": "王五", "state": "all"}
    )
    assert TITLE in inbox.text


async def test_correcting_a_published_text_reaches_every_cached_page_at_once(
    context, make_tenant, client, caches_on  # noqa: F811
):
    desk = await replied_desk(context, make_tenant, client)
    assert (await client.post(desk.base + "/publish", data={"publish": "1"})).status_code == 303
    changes: list[int | None] = []
    listener = await _listening(context, changes)
    try:
        site = f"/t/{desk.tenant.slug}"
        async with anonymous(client) as visitor:
            before = (await visitor.get(f"{site}/letters/{desk.letter.id}")).text
            assert "王五" in before and TITLE in (await visitor.get(f"{site}/letters")).text
            assert page_cache._pages, "the pages are cached in this worker"

            page = (await client.get(desk.base + "/publication")).text
            assert "已公示" in page
            corrected = {**fields(page), "title": "路灯坏了一个月", "op": "save"}
            corrected["body"] = corrected["body"].replace("邻居王五家", "邻居家")
            saved = await client.post(desk.base + "/publication", data=corrected)
            assert saved.status_code == 303
            flash = (await client.get(saved.headers["location"])).text
            assert "公示文本已保存（标题、来信内容），公开页面已更新" in flash
            await _announced(changes, desk.tenant.id)

            after = (await visitor.get(f"{site}/letters/{desk.letter.id}")).text
            assert "王五" not in after and "路灯坏了一个月" in after
            listed = (await visitor.get(f"{site}/letters")).text
            assert TITLE not in listed and "路灯坏了一个月" in listed
    finally:
        listener.cancel()
        with pytest.raises(asyncio.CancelledError):
            await listener
    (audit,) = await public_text_audits(context, desk)
    assert audit["published"] is True
    assert [c["part"] for c in audit["changes"]] == ["title", "body"]
    assert "王五" in audit["changes"][1]["before"] and "王五" not in audit["changes"][1]["after"]


async def test_personal_data_typed_back_in_is_refused_and_what_was_typed_stays(
    context, make_tenant, client
):
    desk = await replied_desk(context, make_tenant, client)
    start = fields((await client.get(desk.base + "/publication")).text)
    reply_field = next(name for name in start if name.startswith("reply-"))
    typed = {
        "title": "张三反映路灯坏了",
        "body": start["body"] + "\n\n联系邮箱 zhangsan@example.com",
        reply_field: "您好：已修复。回访电话 13987654321，身份证 43010519900101123X。",
        "op": "save",
    }
    refused = await client.post(desk.base + "/publication", data=typed)
    assert refused.status_code == 422
    page = refused.text
    assert "公示文本未保存" in page
    assert error_of(page, "public-title").startswith("标题中仍有个人信息：来信人姓名（张*）")
    assert "电子邮箱（z***@example.com）" in error_of(page, "public-body")
    reply_error = error_of(page, f"public-{reply_field}")
    assert "手机号码（139****4321）" in reply_error
    assert "身份证号或银行卡号（430***********123X）" in reply_error
    # Everything typed is still there, nothing was saved.
    assert fields(page) == {k: v for k, v in typed.items() if k != "op"}
    letter = await stored_letter(context, desk)
    assert EXTRA_KEY not in (letter.extra or {})
    assert await public_text_audits(context, desk) == []
    # Empty parts are refused too, by name.
    empty = await client.post(desk.base + "/publication", data={**typed, "title": " "})
    assert error_of(empty.text, "public-title") == "请填写标题"
    # "保存并公示" with personal data publishes nothing.
    both = await client.post(desk.base + "/publication", data={**typed, "op": "publish"})
    assert both.status_code == 422
    assert not (await stored_letter(context, desk)).is_published


async def test_a_reply_keeps_the_office_landline_and_a_letter_does_not(
    context, make_tenant, client
):
    desk = await replied_desk(context, make_tenant, client)
    start = fields((await client.get(desk.base + "/publication")).text)
    reply_field = next(name for name in start if name.startswith("reply-"))
    office = "您好：路灯已修复。如有问题请联系我们（联系电话0731-88888888）或拨打12345。"
    typed = {**start, reply_field: office, "op": "save"}
    assert (await client.post(desk.base + "/publication", data=typed)).status_code == 303
    assert (await stored_letter(context, desk)).extra[EXTRA_KEY]["replies"] == {
        reply_field.removeprefix("reply-"): office
    }
    # In the letter the same number is the writer's: refused, and so is a
    # name written after 举报人.
    letter_typed = {**typed, "body": start["body"] + "\n座机0731-88888888。举报人：刘况"}
    refused = await client.post(desk.base + "/publication", data=letter_typed)
    assert refused.status_code == 422
    body_error = error_of(refused.text, "public-body")
    assert "电话号码（********8888）" in body_error and "姓名（刘*）" in body_error


async def test_do_not_publish_blocks_the_text_and_the_publication(
    context, make_tenant, client
):
    desk = await replied_desk(context, make_tenant, client, publish_consent=False)
    page = await client.get(desk.base + "/publication")
    assert page.status_code == 200
    assert "来信人不同意公开" in page.text and 'id="public-text-form"' not in page.text
    for op in ("save", "publish", "reset"):
        refused = await client.post(
            desk.base + "/publication", data={"title": "路灯", "body": "路灯坏了", "op": op}
        )
        assert refused.status_code == 422 and "来信人不同意公开" in refused.text
    letter = await stored_letter(context, desk)
    assert not letter.is_published and EXTRA_KEY not in (letter.extra or {})

    # Even a letter that carries corrections and the 公示 flag stays off the
    # site once the writer's choice says no.
    async with tenant_session(context.database, desk.tenant) as session:
        await session.execute(
            update(Letter)
            .where(Letter.id == desk.letter.id)
            .values(is_published=True, extra={EXTRA_KEY: {"title": "路灯坏了一个月"}})
        )
        await session.commit()
    clear_cache()
    async with anonymous(client) as visitor:
        site = f"/t/{desk.tenant.slug}"
        assert (await visitor.get(f"{site}/letters/{desk.letter.id}")).status_code == 404
        assert "路灯坏了一个月" not in (await visitor.get(f"{site}/letters")).text


async def test_staff_can_go_back_to_the_automatic_text(context, make_tenant, client):
    desk = await replied_desk(context, make_tenant, client)
    start = fields((await client.get(desk.base + "/publication")).text)
    edited = {**start, "title": "路灯坏了一个月", "op": "save"}
    assert (await client.post(desk.base + "/publication", data=edited)).status_code == 303
    unchanged = await client.post(desk.base + "/publication", data=edited)
    assert "公示文本没有变化" in (await client.get(unchanged.headers["location"])).text

    reset = await client.post(desk.base + "/publication", data={"op": "reset"})
    assert reset.status_code == 303
    page = (await client.get(reset.headers["location"])).text
    assert "公示文本已恢复为自动隐去个人信息的文本（标题）" in page
    assert fields(page) == start and "（已人工修改）" not in page
    assert EXTRA_KEY not in (await stored_letter(context, desk)).extra
    audits = await public_text_audits(context, desk)
    assert len(audits) == 2 and audits[1]["automatic"] is True


async def test_only_staff_who_may_publish_see_the_editor(context, make_tenant, client):
    desk = await replied_desk(context, make_tenant, client)
    sign_in_client(client, desk.staff["handler"])
    assert (await client.get(desk.base + "/publication")).status_code == 403
    refused = await client.post(desk.base + "/publication", data={"title": "x", "op": "save"})
    assert refused.status_code == 403
    assert EXTRA_KEY not in (await stored_letter(context, desk)).extra
    # Someone else's letter is not found, as everywhere in the console.
    other = await make_tenant()
    sign_in_client(client, await make_staff(context, other, "外单位", Role.REGISTRAR))
    elsewhere = f"/t/{other.slug}/console/letters/{desk.letter.id}/publication"
    assert (await client.get(elsewhere)).status_code == 404

