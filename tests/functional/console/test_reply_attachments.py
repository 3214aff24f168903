"""Staff attachments on replies: checked by content, kept through draft →
approved → sent, removable while drafting, downloadable by the letter's writer
once sent and by the public only when published *and* marked public; each
role's rights; no way across tenants; every action in the audit trail."""

from __future__ import annotations

import html
import io
import re

import httpx
from PIL import Image
from sqlalchemy import select, update

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.letters.figures import clear_cache
from leadermail.platform.letters.models import Attachment, Letter, Reply
from leadermail.platform.letters.tracking import hash_query_password, new_tracking_code
from leadermail.platform.uploads import MAX_UPLOAD_BYTES
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session
from tests.conftest import TEST_SECRET
from tests.functional.console.staff_session import (
    Staff,
    console_url,
    make_letter,
    make_staff,
    sign_in_client,
)
from tests.functional.console.test_workflow import unit_ids

PASSWORD = "pY4tKm8w"


def png_bytes(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class Desk:
    """One tenant with a letter assigned to a unit, and its staff."""

    def __init__(self, tenant: TenantRef, letter: Letter, unit: int, other_unit: int) -> None:
        self.tenant, self.letter, self.unit, self.other_unit = tenant, letter, unit, other_unit
        self.staff: dict[str, Staff] = {}

    @property
    def base(self) -> str:
        return console_url(self.tenant, f"/letters/{self.letter.id}")


async def open_desk(context, make_tenant, **letter_values) -> Desk:  # noqa: ANN001, ANN003
    tenant = await make_tenant()
    unit, other_unit = (await unit_ids(context, tenant))[:2]
    letter = await make_letter(
        context,
        tenant,
        state="assigned",
        unit_id=unit,
        publish_consent=letter_values.pop("publish_consent", True),
        **letter_values,
    )
    # A code and password the writer can use on the tracking page.
    async with tenant_session(context.database, tenant) as session:
        await session.execute(
            update(Letter)
            .where(Letter.id == letter.id)
            .values(
                tracking_code=new_tracking_code(),
                query_password_hash=hash_query_password(PASSWORD, TEST_SECRET),
            )
        )
        await session.commit()
        letter = await session.get(Letter, letter.id)
    desk = Desk(tenant, letter, unit, other_unit)
    desk.staff = {
        "handler": await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit),
        "leader": await make_staff(context, tenant, "刘局长", Role.LEADER),
        "registrar": await make_staff(context, tenant, "王登记", Role.REGISTRAR),
    }
    return desk


async def reply_files(context, desk: Desk) -> list[Attachment]:  # noqa: ANN001
    async with tenant_session(context.database, desk.tenant) as session:
        return list(
            await session.scalars(
                select(Attachment)
                .where(Attachment.letter_id == desk.letter.id, Attachment.reply_id.is_not(None))
                .order_by(Attachment.id)
            )
        )


async def the_reply(context, desk: Desk) -> Reply | None:  # noqa: ANN001
    async with tenant_session(context.database, desk.tenant) as session:
        return await session.scalar(
            select(Reply).where(Reply.letter_id == desk.letter.id).order_by(Reply.id.desc())
        )


async def audit_actions(context, desk: Desk) -> list[str]:  # noqa: ANN001
    async with tenant_session(context.database, desk.tenant) as session:
        return list(
            await session.scalars(
                select(AuditRecord.action)
                .where(AuditRecord.action.like("reply.attachment%"))
                .order_by(AuditRecord.id)
            )
        )


def textarea(page: str) -> str:
    match = re.search(r'<textarea id="reply-body"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, "no reply editor on the page"
    return html.unescape(match.group(1))


def field_error(page: str) -> str:
    match = re.search(r'id="reply-attachments-error"[^>]*>([^<]*)<', page)
    assert match, "no error next to the file field"
    return html.unescape(match.group(1))


async def draft_with_files(
    client: httpx.AsyncClient, desk: Desk, body: str, files: list[tuple[str, bytes, str]]
) -> httpx.Response:
    sign_in_client(client, desk.staff["handler"])
    return await client.post(
        desk.base + "/reply",
        data={"body": body, "op": "save"},
        files=[("attachments", f) for f in files],
    )


async def approve_and_send(client: httpx.AsyncClient, desk: Desk) -> None:
    sign_in_client(client, desk.staff["leader"])
    assert (await client.post(desk.base + "/reply/approve")).status_code == 303
    sign_in_client(client, desk.staff["registrar"])
    assert (await client.post(desk.base + "/reply/send")).status_code == 303


async def track(client: httpx.AsyncClient, desk: Desk) -> str:
    """Prove the letter's password as its writer; return the tracking page."""
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    site = f"/t/{desk.tenant.slug}"
    form = (await client.get(site + "/track")).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    done = await client.post(
        site + "/track",
        data={"csrf_token": csrf, "code": desk.letter.tracking_code, "password": PASSWORD},
    )
    assert done.status_code == 303, done.text
    page = await client.get(done.headers["location"])
    assert page.status_code == 200
    return page.text


async def test_files_survive_approval_and_sending_and_reach_the_writer(
    context, make_tenant, client
):
    desk = await open_desk(context, make_tenant)
    photo, scan = png_bytes(), PDF
    saved = await draft_with_files(
        client,
        desk,
        "经核查，路灯已修复，现场照片和验收单见附件。",
        [("现场照片.png", photo, "image/png"), ("验收单.jpg", scan, "image/jpeg")],
    )
    assert saved.status_code == 303
    files = await reply_files(context, desk)
    reply = await the_reply(context, desk)
    assert [(f.filename, f.content_type) for f in files] == [
        ("现场照片.png", "image/png"),
        ("验收单.pdf", "application/pdf"),  # the content decides, not the name
    ]
    assert all(f.reply_id == reply.id and f.uploaded_by == "staff" for f in files)
    assert not any(f.is_public for f in files)
    assert await audit_actions(context, desk) == ["reply.attachment_add"] * 2

    page = await client.get(desk.base)
    assert "现场照片.png" in page.text and "验收单.pdf" in page.text
    staff_download = await client.get(desk.base + f"/attachments/{files[1].id}")
    assert staff_download.status_code == 200 and staff_download.content == scan
    # The letter's own attachments list stays the citizen's files only.
    assert "答复附件" not in page.text.split('id="reply-heading"')[0]

    await approve_and_send(client, desk)
    reply = await the_reply(context, desk)
    assert reply.status == "sent"
    assert [f.reply_id for f in await reply_files(context, desk)] == [reply.id, reply.id]

    tracked = await track(client, desk)
    links = re.findall(r'href="([^"]+/attachments/\d+)"', tracked)
    assert len(links) == 2 and "验收单.pdf" in tracked
    download = await client.get(links[0])
    assert download.status_code == 200 and download.content == photo
    assert download.headers["content-type"] == "image/png"
    assert "no-store" in download.headers["cache-control"]

    # Another browser, without the password: nothing.
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver"
    ) as stranger:
        refused = await stranger.get(links[0])
        assert refused.status_code == 303 and refused.headers["location"].endswith("/track")


async def test_the_writer_sees_no_file_of_an_unsent_reply(context, make_tenant, client):
    desk = await open_desk(context, make_tenant)
    await draft_with_files(client, desk, "草稿", [("a.png", png_bytes(), "image/png")])
    (file,) = await reply_files(context, desk)
    tracked = await track(client, desk)
    assert "a.png" not in tracked
    site = f"/t/{desk.tenant.slug}"
    code = desk.letter.tracking_code
    refused = await client.get(f"{site}/track/{code}/attachments/{file.id}")
    assert refused.status_code == 404


async def test_bad_files_are_named_next_to_the_field_and_the_text_is_kept(
    context, make_tenant, client
):
    desk = await open_desk(context, make_tenant)
    typed = "张女士您好：\n\n经核查，路灯已修复。"
    program = await draft_with_files(
        client, desk, typed, [("照片.jpg", b"MZ\x90\x00" + b"\x00" * 200, "image/jpeg")]
    )
    assert program.status_code == 422
    assert "「照片.jpg」是程序文件，不能上传" in field_error(program.text)
    assert textarea(program.text) == typed
    assert await the_reply(context, desk) is None  # nothing saved, nothing half-saved

    too_big = await draft_with_files(
        client, desk, typed, [("扫描件.pdf", b"%PDF-" + b"0" * MAX_UPLOAD_BYTES, "application/pdf")]
    )
    assert too_big.status_code == 422
    assert "超过 10 MB" in field_error(too_big.text) and textarea(too_big.text) == typed

    six = [(f"{n}.png", png_bytes((n, n, n)), "image/png") for n in range(6)]
    too_many = await draft_with_files(client, desk, typed, six)
    assert too_many.status_code == 422
    assert "最多 5 个附件" in field_error(too_many.text)

    # Both a bad and a good file: the bad one is named, none is stored.
    mixed = await draft_with_files(
        client,
        desk,
        typed,
        [("好.png", png_bytes(), "image/png"), ("坏.pdf", b"<html>x</html>", "application/pdf")],
    )
    assert mixed.status_code == 422 and "「坏.pdf」是网页文件" in field_error(mixed.text)
    assert "好.png" not in field_error(mixed.text)
    assert await reply_files(context, desk) == []

    # With htmx the same answer comes as the page's main block.
    fragment = await client.post(
        desk.base + "/reply",
        data={"body": typed},
        files=[("attachments", ("x.png", b"not an image", "image/png"))],
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 422 and "<html" not in fragment.text
    assert "格式无法识别" in field_error(fragment.text) and textarea(fragment.text) == typed

    # Five on the draft already: a sixth is refused later too.
    five = [(f"{n}.png", png_bytes((n, 0, 0)), "image/png") for n in range(5)]
    assert (await draft_with_files(client, desk, typed, five)).status_code == 303
    sixth = await draft_with_files(
        client, desk, typed + "补充", [("6.png", png_bytes(), "image/png")]
    )
    assert sixth.status_code == 422 and "已有 5 个" in field_error(sixth.text)
    assert textarea(sixth.text) == typed + "补充"
    assert len(await reply_files(context, desk)) == 5


async def test_remove_while_drafting_keeps_the_typed_text(context, make_tenant, client):
    desk = await open_desk(context, make_tenant)
    await draft_with_files(
        client,
        desk,
        "第一稿",
        [("a.png", png_bytes(), "image/png"), ("b.pdf", PDF, "application/pdf")],
    )
    first, second = await reply_files(context, desk)
    removed = await client.post(
        desk.base + "/reply",
        data={"body": "第二稿，还没保存", "remove_attachment": str(first.id)},
    )
    assert removed.status_code == 200
    assert "已移除附件「a.png」" in removed.text
    assert textarea(removed.text) == "第二稿，还没保存"
    assert [f.id for f in await reply_files(context, desk)] == [second.id]
    assert (await the_reply(context, desk)).body_html == "<p>第一稿</p>"  # not saved by removing

    # A removal after approval sends the draft back to the leader.
    sign_in_client(client, desk.staff["leader"])
    assert (await client.post(desk.base + "/reply/approve")).status_code == 303
    sign_in_client(client, desk.staff["handler"])
    again = await client.post(
        desk.base + "/reply", data={"body": "第一稿", "remove_attachment": str(second.id)}
    )
    assert again.status_code == 200
    assert (await the_reply(context, desk)).status == "draft"
    assert await audit_actions(context, desk) == [
        "reply.attachment_add",
        "reply.attachment_add",
        "reply.attachment_remove",
        "reply.attachment_remove",
    ]

    # Once sent, the files are what the citizen received: no more changes.
    await draft_with_files(client, desk, "定稿", [("c.png", png_bytes(), "image/png")])
    (kept,) = await reply_files(context, desk)
    await approve_and_send(client, desk)
    sign_in_client(client, desk.staff["handler"])
    late = await client.post(
        desk.base + "/reply",
        data={"body": "x", "remove_attachment": str(kept.id)},
        headers={"HX-Request": "true"},
    )
    assert late.status_code == 422 and "答复已发送" in late.text
    assert len(await reply_files(context, desk)) == 1


async def test_adding_a_file_to_an_approved_reply_needs_approval_again(
    context, make_tenant, client
):
    desk = await open_desk(context, make_tenant)
    await draft_with_files(client, desk, "答复", [])
    sign_in_client(client, desk.staff["leader"])
    await client.post(desk.base + "/reply/approve")
    assert (await the_reply(context, desk)).status == "approved"
    await draft_with_files(client, desk, "答复", [("a.png", png_bytes(), "image/png")])
    assert (await the_reply(context, desk)).status == "draft"


async def test_who_may_attach_remove_and_mark_public(context, make_tenant, client):
    desk = await open_desk(context, make_tenant)
    files = [("a.png", png_bytes(), "image/png")]
    for role in ("leader", "registrar"):
        sign_in_client(client, desk.staff[role])
        refused = await client.post(
            desk.base + "/reply",
            data={"body": "答复"},
            files=[("attachments", files[0])],
            headers={"HX-Request": "true"},
        )
        assert refused.status_code == 422 and "没有执行此操作的权限" in refused.text
    # A handler of another unit does not even see the letter.
    stranger = await make_staff(
        context, desk.tenant, "赵承办", Role.HANDLER, unit_id=desk.other_unit
    )
    sign_in_client(client, stranger)
    hidden = await client.post(
        desk.base + "/reply", data={"body": "答复"}, files=[("attachments", files[0])]
    )
    assert hidden.status_code == 404
    assert await reply_files(context, desk) == []

    assert (await draft_with_files(client, desk, "答复", files)).status_code == 303
    (file,) = await reply_files(context, desk)
    assert (await client.get(desk.base + f"/attachments/{file.id}")).status_code == 200
    sign_in_client(client, stranger)
    assert (await client.get(desk.base + f"/attachments/{file.id}")).status_code == 404
    removing = await client.post(
        desk.base + "/reply", data={"body": "答复", "remove_attachment": str(file.id)}
    )
    assert removing.status_code == 404

    mark = desk.base + f"/reply/attachments/{file.id}/public"
    sign_in_client(client, desk.staff["registrar"])
    early = await client.post(mark, data={"public": "1"}, headers={"HX-Request": "true"})
    assert early.status_code == 422 and "答复发送后才能设置" in early.text
    await approve_and_send(client, desk)
    for role in ("handler", "leader"):
        sign_in_client(client, desk.staff[role])
        refused = await client.post(mark, data={"public": "1"}, headers={"HX-Request": "true"})
        assert refused.status_code == 422 and "没有执行此操作的权限" in refused.text
    supervisor = await make_staff(context, desk.tenant, "孙督办", Role.SUPERVISOR)
    sign_in_client(client, supervisor)
    refused = await client.post(mark, data={"public": "1"}, headers={"HX-Request": "true"})
    assert refused.status_code == 422
    assert not (await reply_files(context, desk))[0].is_public
    admin = await make_staff(context, desk.tenant, "周管理", Role.TENANT_ADMIN)
    sign_in_client(client, admin)
    assert (await client.post(mark, data={"public": "1"})).status_code == 303
    assert (await reply_files(context, desk))[0].is_public


async def test_the_public_gets_only_files_marked_public_of_a_published_letter(
    context, make_tenant, client
):
    desk = await open_desk(context, make_tenant)
    await draft_with_files(
        client,
        desk,
        "答复",
        [
            ("公开的照片.png", png_bytes(), "image/png"),
            ("内部的扫描件.pdf", PDF, "application/pdf"),
        ],
    )
    shown, kept_back = await reply_files(context, desk)
    await approve_and_send(client, desk)
    registrar_page = await client.get(desk.base)
    assert 'data-testid="public-files"' in registrar_page.text
    assert (await client.post(desk.base + "/publish", data={"publish": "1"})).status_code == 303

    public_page = f"/t/{desk.tenant.slug}/letters/{desk.letter.id}"
    clear_cache()
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with anonymous:
        page = await anonymous.get(public_page)
        assert page.status_code == 200 and "公开的照片.png" not in page.text  # not marked yet
        download = public_page + f"/attachments/{shown.id}"
        assert (await anonymous.get(download)).status_code == 404

        mark = desk.base + f"/reply/attachments/{shown.id}/public"
        assert (await client.post(mark, data={"public": "1"})).status_code == 303
        clear_cache()
        page = await anonymous.get(public_page)
        assert "公开的照片.png" in page.text and "内部的扫描件.pdf" not in page.text
        got = await anonymous.get(download)
        assert got.status_code == 200 and got.content == png_bytes()
        assert (
            await anonymous.get(public_page + f"/attachments/{kept_back.id}")
        ).status_code == 404

        # Taken off the public page: the file goes with it.
        assert (await client.post(desk.base + "/publish", data={"publish": "0"})).status_code == 303
        assert (await anonymous.get(download)).status_code == 404
        assert (await client.post(desk.base + "/publish", data={"publish": "1"})).status_code == 303
        assert (await client.post(mark, data={"public": "0"})).status_code == 303
        assert (await anonymous.get(download)).status_code == 404
    assert await audit_actions(context, desk) == [
        "reply.attachment_add",
        "reply.attachment_add",
        "reply.attachment_public",
        "reply.attachment_private",
    ]


async def test_no_file_crosses_tenants(context, make_tenant, client):
    home = await open_desk(context, make_tenant)
    away = await open_desk(context, make_tenant)
    await draft_with_files(client, away, "答复", [("b.png", png_bytes(), "image/png")])
    (foreign,) = await reply_files(context, away)
    await approve_and_send(client, away)
    sign_in_client(client, away.staff["registrar"])
    await client.post(away.base + "/publish", data={"publish": "1"})
    await client.post(away.base + f"/reply/attachments/{foreign.id}/public", data={"public": "1"})

    # Tenant A's staff: B's URL wants a sign-in in B; A's URL with B's ids is a 404.
    for role in ("registrar", "handler"):
        sign_in_client(client, home.staff[role])
        other_console = await client.get(away.base + f"/attachments/{foreign.id}")
        assert other_console.status_code == 303 and "/login" in other_console.headers["location"]
        mixed = console_url(home.tenant, f"/letters/{away.letter.id}/attachments/{foreign.id}")
        assert (await client.get(mixed)).status_code == 404
        own_letter = home.base + f"/attachments/{foreign.id}"
        assert (await client.get(own_letter)).status_code == 404
    # A's writer, signed in to A's tracking page, cannot fetch B's file.
    await track(client, home)
    site = f"/t/{home.tenant.slug}"
    assert (
        await client.get(f"{site}/track/{home.letter.tracking_code}/attachments/{foreign.id}")
    ).status_code == 404
    # B's published file is not published on A's site.
    clear_cache()
    assert (
        await client.get(f"{site}/letters/{away.letter.id}/attachments/{foreign.id}")
    ).status_code == 404
    assert (
        await client.get(f"/t/{away.tenant.slug}/letters/{away.letter.id}/attachments/{foreign.id}")
    ).status_code == 200
