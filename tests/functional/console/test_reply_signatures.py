"""Reply signatures cover the reply's files (payload v2): a swapped file fails
verification on the public signature page and on the letter page; marking a
file public on a published letter signs again; a v1 signature made before
files were covered still verifies."""

from __future__ import annotations

import base64
import json

import httpx
from sqlalchemy import select, update

from leadermail.platform.letters.models import Attachment, Reply
from leadermail.platform.replies.models import ReplySignature, SigningKey
from leadermail.platform.replies.signing import (
    canonical_payload,
    load_private_key,
    verify_reply_signature,
)
from leadermail.tenants.session import tenant_session
from tests.conftest import TEST_SECRET
from tests.functional.console.staff_session import sign_in_client
from tests.functional.console.test_rehandling import texts_of
from tests.functional.console.test_reply_attachments import (
    PDF,
    Desk,
    approve_and_send,
    draft_with_files,
    open_desk,
    png_bytes,
    reply_files,
    the_reply,
)


async def signatures(context, desk: Desk) -> list[ReplySignature]:  # noqa: ANN001
    async with tenant_session(context.database, desk.tenant) as session:
        return list(await session.scalars(select(ReplySignature).order_by(ReplySignature.id)))


async def checks(context, desk: Desk) -> list[tuple[str, bool, int]]:  # noqa: ANN001
    """(kind, valid, version) of every stored signature, checked as the pages do."""
    async with tenant_session(context.database, desk.tenant) as session:
        rows = await session.execute(
            select(ReplySignature, SigningKey)
            .join(SigningKey, SigningKey.id == ReplySignature.signing_key_id)
            .order_by(ReplySignature.id)
        )
        found = []
        for signature, key in rows.all():
            check = await verify_reply_signature(session, signature, key)
            found.append((signature.kind, check.valid, check.version))
        return found


async def public_check(client: httpx.AsyncClient, desk: Desk, reply_id: int) -> str:
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver"
    ) as anonymous:
        page = await anonymous.get(f"/t/{desk.tenant.slug}/console/signatures/{reply_id}")
    assert page.status_code == 200
    (verdict,) = texts_of(page.text, "signature-valid")
    return verdict


async def sent_and_published(context, client, make_tenant) -> tuple[Desk, Reply]:  # noqa: ANN001
    desk = await open_desk(context, make_tenant)
    files = [("现场照片.png", png_bytes(), "image/png"), ("验收单.pdf", PDF, "application/pdf")]
    assert (await draft_with_files(client, desk, "路灯已修复。", files)).status_code == 303
    await approve_and_send(client, desk)
    assert (await client.post(desk.base + "/publish", data={"publish": "1"})).status_code == 303
    return desk, await the_reply(context, desk)


async def test_a_swapped_attachment_fails_verification(context, make_tenant, client):
    desk, reply = await sent_and_published(context, client, make_tenant)
    photo, scan = await reply_files(context, desk)
    sent, public = await signatures(context, desk)
    signed = json.loads(sent.payload)
    assert signed["v"] == 2
    assert signed["attachments"] == sorted(
        [
            {"filename": "现场照片.png", "sha256": photo.sha256},
            {"filename": "验收单.pdf", "sha256": scan.sha256},
        ],
        key=lambda f: (f["sha256"], f["filename"]),
    )
    assert json.loads(public.payload)["attachments"] == []  # nothing marked public yet
    assert await checks(context, desk) == [("sent", True, 2), ("public", True, 2)]

    # Marking a file public on the published letter signs the public text again.
    mark = desk.base + f"/reply/attachments/{photo.id}/public"
    assert (await client.post(mark, data={"public": "1"})).status_code == 303
    latest = (await signatures(context, desk))[-1]
    assert latest.kind == "public"
    assert json.loads(latest.payload)["attachments"] == [
        {"filename": "现场照片.png", "sha256": photo.sha256}
    ]
    assert (await public_check(client, desk, reply.id)).startswith("签名有效：内容和附件")
    found = await checks(context, desk)
    assert (found[0], found[-1]) == (("sent", True, 2), ("public", True, 2))

    # Someone swaps the public photo for another file.
    async with tenant_session(context.database, desk.tenant) as session:
        await session.execute(
            update(Attachment)
            .where(Attachment.id == photo.id)
            .values(sha256="0" * 64, storage_key=f"{desk.tenant.id}/00/00/{'0' * 64}")
        )
        await session.commit()
    verdict = await public_check(client, desk, reply.id)
    assert verdict.startswith("签名无效") and "附件与签名时不一致" in verdict
    # Both signatures in force covered the photo: the sent one and the newest public one.
    found = await checks(context, desk)
    assert (found[0], found[-1]) == (("sent", False, 2), ("public", False, 2))
    sign_in_client(client, desk.staff["registrar"])
    page = (await client.get(desk.base)).text
    verdicts = texts_of(page, "signature-check")  # a superseded public signature is not shown
    assert len(verdicts) == 2
    assert all(v.startswith("无效：答复附件与签名时不一致") for v in verdicts)

    # A renamed file fails too, even with the right bytes.
    async with tenant_session(context.database, desk.tenant) as session:
        await session.execute(
            update(Attachment)
            .where(Attachment.id == photo.id)
            .values(sha256=photo.sha256, storage_key=photo.storage_key)
        )
        await session.commit()
    assert (await public_check(client, desk, reply.id)).startswith("签名有效")
    async with tenant_session(context.database, desk.tenant) as session:
        await session.execute(
            update(Attachment).where(Attachment.id == scan.id).values(filename="验收单-新.pdf")
        )
        await session.commit()
    found = await checks(context, desk)
    assert (found[0], found[-1]) == (("sent", False, 2), ("public", True, 2))


async def test_an_old_v1_signature_still_verifies(context, make_tenant, client):
    desk, reply = await sent_and_published(context, client, make_tenant)
    # A public signature as the code before payload v2 made it: text only.
    async with tenant_session(context.database, desk.tenant) as session:
        key = await session.scalar(select(SigningKey))
        payload = canonical_payload(
            {
                "kind": "public",
                "key": key.fingerprint,
                "letter": desk.letter.tracking_code,
                "reply": reply.id,
                "signed_at": "2025-06-01T08:00:00+00:00",
                "signer": reply.signer_name,
                "text": "路灯已修复。",
            }
        )
        signature = base64.b64encode(
            load_private_key(key, TEST_SECRET).sign(payload.encode())
        ).decode()
        session.add(
            ReplySignature(
                tenant_id=desk.tenant.id,
                reply_id=reply.id,
                signing_key_id=key.id,
                kind="public",
                signer_name=reply.signer_name,
                payload=payload,
                signature=signature,
            )
        )
        await session.commit()
    assert (await checks(context, desk))[-1] == ("public", True, 1)
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver"
    ) as anonymous:
        page = await anonymous.get(f"/t/{desk.tenant.slug}/console/signatures/{reply.id}")
    assert texts_of(page.text, "signature-valid") == ["签名有效：内容自签名后未被改动。"]
    assert "不包括附件" in page.text

    # The v1 text is still protected: an edited payload fails.
    async with tenant_session(context.database, desk.tenant) as session:
        await session.execute(
            update(ReplySignature)
            .where(ReplySignature.signature == signature)
            .values(payload=payload.replace("路灯已修复", "路灯未修复"))
        )
        await session.commit()
    assert (await checks(context, desk))[-1] == ("public", False, 1)
    assert (await public_check(client, desk, reply.id)).startswith("签名无效")
