"""常用语 in the reply editor: the picker's no-JavaScript path (the server
appends the text and shows the editor again with everything typed kept), and
what the page gives the script (each canned text as HTML and as plain text)."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.letters.models import Attachment, Reply
from leadermail.platform.replies.models import CannedReply
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    sign_in_client,
)
from tests.functional.console.test_reply_attachments import PDF
from tests.functional.console.test_workflow import unit_ids


def textarea(page: str) -> str:
    match = re.search(r'<textarea id="reply-body"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, "no reply editor on the page"
    return html.unescape(match.group(1))


async def add_canned(client, tenant, registrar, title: str, body: str) -> int:  # noqa: ANN001
    sign_in_client(client, registrar)
    response = await client.post(
        console_url(tenant, "/canned-replies"), data={"title": title, "body": body}
    )
    assert response.status_code == 303


async def canned_id(context, tenant, title: str) -> int:  # noqa: ANN001
    async with tenant_session(context.database, tenant) as session:
        return await session.scalar(select(CannedReply.id).where(CannedReply.title == title))


async def the_reply(context, tenant, letter_id) -> Reply | None:  # noqa: ANN001
    async with tenant_session(context.database, tenant) as session:
        return await session.scalar(select(Reply).where(Reply.letter_id == letter_id))


async def setup(context, make_tenant, client):  # noqa: ANN001, ANN201
    tenant = await make_tenant()
    unit = (await unit_ids(context, tenant))[0]
    letter = await make_letter(context, tenant, state="assigned", unit_id=unit)
    registrar = await make_staff(context, tenant, "王登记", Role.REGISTRAR)
    handler = await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit)
    await add_canned(client, tenant, registrar, "维修告知", "已安排维修。\n\n感谢您的监督。")
    return tenant, letter, handler, await canned_id(context, tenant, "维修告知")


async def test_insert_without_javascript_appends_and_keeps_the_typed_text(
    context, make_tenant, client
):
    tenant, letter, handler, canned = await setup(context, make_tenant, client)
    base = console_url(tenant, f"/letters/{letter.id}")
    sign_in_client(client, handler)
    page = await client.get(base)
    option = re.search(rf'<option value="{canned}"([^>]*)>维修告知</option>', page.text)
    assert option, "the picker offers the canned reply"
    assert 'data-text="已安排维修。' in option.group(1) and "reply_editor.js" in page.text

    typed = "张女士您好：\n\n经现场核查，路灯线路老化。"
    inserted = await client.post(
        base + "/reply", data={"body": typed, "op": "canned", "canned_id": str(canned)}
    )
    assert inserted.status_code == 200
    assert textarea(inserted.text) == typed + "\n\n已安排维修。\n\n感谢您的监督。"
    assert "已插入常用语「维修告知」" in inserted.text
    assert await the_reply(context, tenant, letter.id) is None  # inserted, not yet saved

    saved = await client.post(base + "/reply", data={"body": textarea(inserted.text)})
    assert saved.status_code == 303
    assert (await the_reply(context, tenant, letter.id)).body_html == (
        "<p>张女士您好：</p><p>经现场核查，路灯线路老化。</p><p>已安排维修。</p><p>感谢您的监督。</p>"
    )

    # A saved draft comes back as the text that was typed, and stays text.
    page = await client.get(base)
    assert textarea(page.text) == typed + "\n\n已安排维修。\n\n感谢您的监督。"
    again = await client.post(
        base + "/reply",
        data={"body": textarea(page.text), "op": "canned", "canned_id": str(canned)},
        headers={"HX-Request": "true"},
    )
    assert again.status_code == 200 and "<html" not in again.text
    assert textarea(again.text).endswith("感谢您的监督。\n\n已安排维修。\n\n感谢您的监督。")


async def test_insert_refuses_a_missing_choice_and_keeps_the_text(context, make_tenant, client):
    tenant, letter, handler, _ = await setup(context, make_tenant, client)
    base = console_url(tenant, f"/letters/{letter.id}")
    sign_in_client(client, handler)
    # (Ids are per tenant schema: another tenant's canned reply is simply not there.)
    for choice in ("", "abc", "999999"):
        refused = await client.post(
            base + "/reply", data={"body": "写了一半", "op": "canned", "canned_id": choice}
        )
        assert refused.status_code == 422
        error = re.search(r'id="canned-error">([^<]*)<', refused.text)
        assert error and error.group(1) == "请先选择要插入的常用语"
        assert textarea(refused.text) == "写了一半"

    # Files chosen before inserting are not silently stored: the user is told.
    with_file = await client.post(
        base + "/reply",
        data={
            "body": "写了一半",
            "op": "canned",
            "canned_id": str(await canned_id(context, tenant, "维修告知")),
        },
        files=[("attachments", ("a.pdf", PDF, "application/pdf"))],
    )
    assert with_file.status_code == 200 and "所选的附件尚未上传" in with_file.text
    async with tenant_session(context.database, tenant) as session:
        assert (await session.scalars(select(Attachment))).all() == []


async def test_only_those_who_draft_may_insert(context, make_tenant, client):
    tenant, letter, _, canned = await setup(context, make_tenant, client)
    base = console_url(tenant, f"/letters/{letter.id}")
    for role in (Role.LEADER, Role.REGISTRAR, Role.SUPERVISOR):
        sign_in_client(client, await make_staff(context, tenant, "某人", role))
        refused = await client.post(
            base + "/reply",
            data={"body": "x", "op": "canned", "canned_id": str(canned)},
            headers={"HX-Request": "true"},
        )
        assert refused.status_code == 422 and "没有执行此操作的权限" in refused.text
