"""Replies: sanitising, autosave, the expired-session rescue, approval, signing,
publication with consent only, and the redacted public preview."""

from __future__ import annotations

import base64
import html
import json
import re
import time

import pyotp
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from leadermail.platform.accounts.models import Role
from leadermail.platform.letters.models import Letter, LetterEvent, Reply
from leadermail.platform.notifications.console import StaffNotification
from leadermail.platform.replies.models import ReplySignature, SigningKey
from leadermail.platform.replies.signing import verify
from leadermail.tenants.session import tenant_session
from tests.conftest import TEST_SECRET
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    sign_in_client,
)
from tests.functional.console.test_signin import (  # noqa: F401 - autouse fixture
    clear_login_limits,
    password_step,
    totp_step,
)
from tests.functional.console.test_workflow import unit_ids


async def the_reply(context, tenant, letter_id) -> Reply | None:
    async with tenant_session(context.database, tenant) as session:
        return (
            (
                await session.execute(
                    select(Reply).where(Reply.letter_id == letter_id).order_by(Reply.id.desc())
                )
            )
            .scalars()
            .first()
        )


async def test_markup_typed_into_a_reply_is_text_and_never_runs(context, make_tenant, client):
    tenant = await make_tenant()
    unit = (await unit_ids(context, tenant))[0]
    letter = await make_letter(context, tenant, state="assigned", unit_id=unit)
    sign_in_client(client, await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit))
    body = (
        '<p onclick="steal()">您好<script>alert(1)</script><img src=x onerror=alert(2)></p>'
        '<a href="javascript:x">链接</a>'
    )
    response = await client.post(
        console_url(tenant, f"/letters/{letter.id}/reply"), data={"body": body}
    )
    assert response.status_code == 303
    reply = await the_reply(context, tenant, letter.id)
    assert "<script" not in reply.body_html and "<img" not in reply.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in reply.body_html
    page = await client.get(console_url(tenant, f"/letters/{letter.id}"))
    assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text


async def test_a_saved_draft_comes_back_as_the_text_that_was_typed(context, make_tenant, client):
    # QA: the editor showed a saved draft as "<p>王建国同志：<br>…", lines
    # typed after that lost their breaks, and "<GB 12523-2011>" vanished.
    tenant = await make_tenant()
    unit = (await unit_ids(context, tenant))[0]
    letter = await make_letter(context, tenant, state="assigned", unit_id=unit)
    sign_in_client(client, await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit))
    url = console_url(tenant, f"/letters/{letter.id}")
    typed = "王建国同志：\n您好！\n\n噪声限值执行<GB 12523-2011>，夜间不得超过55分贝 & 以下。"
    assert (await client.post(url + "/reply", data={"body": typed})).status_code == 303
    reply = await the_reply(context, tenant, letter.id)
    assert reply.body_html == (
        "<p>王建国同志：<br>您好！</p>"
        "<p>噪声限值执行&lt;GB 12523-2011&gt;，夜间不得超过55分贝 &amp; 以下。</p>"
    )
    shown = editor_text((await client.get(url)).text)
    assert shown == typed
    # Edited and saved again: the new line keeps its break, nothing else moves.
    edited = shown + "\n特此答复。"
    assert (await client.post(url + "/reply", data={"body": edited})).status_code == 303
    assert editor_text((await client.get(url)).text) == edited


async def test_autosave_keeps_the_draft(context, make_tenant, client):
    tenant = await make_tenant()
    unit = (await unit_ids(context, tenant))[0]
    letter = await make_letter(context, tenant, state="assigned", unit_id=unit)
    sign_in_client(client, await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit))
    saved = await client.post(
        console_url(tenant, f"/letters/{letter.id}/reply/autosave"),
        data={"body": "正在写的答复"},
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200 and "已自动保存" in saved.text
    assert (await the_reply(context, tenant, letter.id)).body_html == "<p>正在写的答复</p>"


def editor_text(page: str) -> str:
    found = re.search(r'<textarea id="reply-body"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "the page has the reply editor"
    return html.unescape(found.group(1)).removeprefix("\n")


def expired_session_cookie(user_id: int, csrf: str) -> str:
    """A session signed in nine hours ago (the console allows eight)."""
    data = {
        "staff_user_id": user_id,
        "staff_signed_in_at": int(time.time()) - 9 * 3600,
        "csrf_secret": csrf,
    }
    return TimestampSigner(TEST_SECRET).sign(base64.b64encode(json.dumps(data).encode())).decode()


async def test_an_expired_session_mid_edit_keeps_the_draft_through_sign_in(
    context, make_tenant, client
):
    tenant = await make_tenant()
    unit = (await unit_ids(context, tenant))[0]
    letter = await make_letter(context, tenant, state="assigned", unit_id=unit)
    handler = await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit)
    client.cookies.set("leadermail_session", expired_session_cookie(handler.user_id, "tok"))
    typed = "经核查，路灯已于本周修复。"
    response = await client.post(
        console_url(tenant, f"/letters/{letter.id}/reply"),
        data={"body": typed, "csrf_token": "tok"},
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(console_url(tenant, "/login?next=")) and location.endswith(
        f"/letters/{letter.id}"
    )
    assert await the_reply(context, tenant, letter.id) is None  # nothing saved while signed out

    # Sign in again through the real form (password + TOTP enrolment).
    await password_step(
        client, tenant, handler.email, next_url=console_url(tenant, f"/letters/{letter.id}")
    )
    page = await client.get(console_url(tenant, "/login/totp"))
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    done = await totp_step(client, tenant, pyotp.TOTP(secret).now())
    assert done.status_code == 303
    assert done.headers["location"] == console_url(tenant, f"/letters/{letter.id}")
    page = await client.get(done.headers["location"])
    assert page.status_code == 200
    assert typed in page.text and "已恢复您登录前填写的答复内容" in page.text


async def test_approve_send_sign_and_publish(context, make_tenant, client, app):
    tenant = await make_tenant()
    unit = (await unit_ids(context, tenant))[0]
    letter = await make_letter(
        context,
        tenant,
        state="assigned",
        unit_id=unit,
        writer_name="张三",
        body="我是张三，电话13812345678，住人民路12号3栋501室，路灯坏了。",
        publish_consent=True,
    )
    handler = await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit)
    leader = await make_staff(context, tenant, "刘局长", Role.LEADER)
    registrar = await make_staff(context, tenant, "王登记", Role.REGISTRAR)
    base = console_url(tenant, f"/letters/{letter.id}")

    sign_in_client(client, handler)
    await client.post(
        base + "/reply", data={"body": "张三您好：路灯已修复，如有问题请拨打13812345678。"}
    )
    refused = await client.post(base + "/reply/send", headers={"HX-Request": "true"})
    assert refused.status_code == 422  # a handler cannot send, and not before approval
    sign_in_client(client, registrar)
    early = await client.post(base + "/reply/send", headers={"HX-Request": "true"})
    assert early.status_code == 422 and "须经领导审核" in early.text

    sign_in_client(client, leader)
    assert (await client.post(base + "/reply/approve")).status_code == 303
    sign_in_client(client, registrar)
    assert (await client.post(base + "/reply/send")).status_code == 303
    reply = await the_reply(context, tenant, letter.id)
    assert reply.status == "sent" and "刘局长" in reply.signer_name

    page = await client.get(base)
    preview = page.text.split('data-testid="public-preview"')[1].split("</div>")[0]
    assert "张三" not in preview and "13812345678" not in preview and "501" not in preview
    assert "某某" in preview

    assert (await client.post(base + "/publish", data={"publish": "1"})).status_code == 303
    async with tenant_session(context.database, tenant) as session:
        published = (
            await session.execute(select(Letter.is_published).where(Letter.id == letter.id))
        ).scalar_one()
        signatures = (
            (await session.execute(select(ReplySignature).order_by(ReplySignature.id)))
            .scalars()
            .all()
        )
        key = (await session.execute(select(SigningKey))).scalar_one()
    assert published
    assert [s.kind for s in signatures] == ["sent", "public"]
    for signature in signatures:
        assert verify(key.public_key_pem, signature.payload, signature.signature)
    tampered = signatures[1].payload.replace("路灯", "水管")
    assert not verify(key.public_key_pem, tampered, signatures[1].signature)
    assert "13812345678" not in signatures[1].payload

    # Anyone (signed out) can see the key and check the published signature.
    client.cookies.clear()
    key_page = await client.get(console_url(tenant, "/signing-key"))
    assert key.fingerprint in key_page.text and "BEGIN PUBLIC KEY" in key_page.text
    check = await client.get(console_url(tenant, f"/signatures/{reply.id}"))
    assert "签名有效" in check.text and "刘局长" in check.text


async def test_no_publication_without_consent(context, make_tenant, client):
    tenant = await make_tenant()
    unit = (await unit_ids(context, tenant))[0]
    letter = await make_letter(
        context, tenant, state="assigned", unit_id=unit, publish_consent=False
    )
    base = console_url(tenant, f"/letters/{letter.id}")
    for role, path, data in (
        (Role.HANDLER, "/reply", {"body": "答复内容"}),
        (Role.LEADER, "/reply/approve", {}),
        (Role.REGISTRAR, "/reply/send", {}),
    ):
        sign_in_client(client, await make_staff(context, tenant, "x", role, unit_id=unit))
        assert (await client.post(base + path, data=data)).status_code == 303
    refused = await client.post(
        base + "/publish", data={"publish": "1"}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 422 and "不同意公开" in refused.text
    page = await client.get(base)
    assert 'data-testid="public-preview"' not in page.text
    async with tenant_session(context.database, tenant) as session:
        assert not (
            await session.execute(select(Letter.is_published).where(Letter.id == letter.id))
        ).scalar_one()


async def test_personal_data_is_masked_for_roles_without_the_right(context, make_tenant, client):
    tenant = await make_tenant()
    letter = await make_letter(
        context,
        tenant,
        writer_phone="13812345678",
        writer_id_number="43010519900101123X",
        writer_email="zhangsan@example.com",
    )
    page_url = console_url(tenant, f"/letters/{letter.id}")
    sign_in_client(client, await make_staff(context, tenant, "刘领导", Role.LEADER))
    masked = await client.get(page_url)
    assert "138****5678" in masked.text and "13812345678" not in masked.text
    assert "430***********123X" in masked.text
    assert "z***@example.com" in masked.text and "zhangsan@" not in masked.text
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    full = await client.get(page_url)
    assert "13812345678" in full.text and "43010519900101123X" in full.text
    assert "zhangsan@example.com" in full.text


async def test_the_leader_returns_a_draft_with_a_comment_and_approves_the_revision(
    context, make_tenant, client
):
    tenant = await make_tenant()
    unit = (await unit_ids(context, tenant))[0]
    letter = await make_letter(context, tenant, state="assigned", unit_id=unit)
    handler = await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit)
    leader = await make_staff(context, tenant, "刘局长", Role.LEADER)
    base = console_url(tenant, f"/letters/{letter.id}")
    sign_in_client(client, handler)
    await client.post(base + "/reply", data={"body": "路灯已修复。"})

    sign_in_client(client, leader)
    page = await client.get(base)
    assert "/reply/return" in page.text and "退回修改" in page.text
    empty = await client.post(
        base + "/reply/return", data={"comment": "  "}, headers={"HX-Request": "true"}
    )
    assert empty.status_code == 422 and "请填写退回修改的意见" in empty.text
    comment = "请写明修复日期和后续巡查安排。"
    returned = await client.post(base + "/reply/return", data={"comment": comment})
    assert returned.status_code == 303

    # The drafter is told, sees why above the editor, and the draft stays a draft.
    async with tenant_session(context.database, tenant) as session:
        reply = (await session.execute(select(Reply))).scalar_one()
        told = (
            await session.execute(
                select(StaffNotification.user_id, StaffNotification.title).where(
                    StaffNotification.kind == "reply_returned"
                )
            )
        ).all()
        event = (
            await session.execute(select(LetterEvent).where(LetterEvent.kind == "reply_returned"))
        ).scalar_one()
    assert reply.status == "draft"
    assert told == [(handler.user_id, f"答复被退回修改：{letter.title}")]
    assert not event.is_public  # the writer never sees internal review
    sign_in_client(client, handler)
    page = await client.get(base)
    assert f"退回修改：{comment}" in page.text

    # The revision goes back to the leader, who is told again, and approves it.
    await client.post(base + "/reply", data={"body": "路灯已于11月20日修复，街道每周巡查。"})
    async with tenant_session(context.database, tenant) as session:
        reviews = (
            await session.execute(
                select(func.count()).where(
                    StaffNotification.kind == "reply_review",
                    StaffNotification.user_id == leader.user_id,
                )
            )
        ).scalar_one()
    assert reviews == 2
    sign_in_client(client, leader)
    assert (await client.post(base + "/reply/approve")).status_code == 303
    async with tenant_session(context.database, tenant) as session:
        assert (await session.execute(select(Reply.status))).scalar_one() == "approved"
