"""``leadermail letters redact-again``: what was stored under older redaction rules."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.commands.letters import redact_all
from leadermail.platform.letters.models import Letter, Reply
from leadermail.platform.letters.public_text import EXTRA_KEY
from leadermail.platform.letters.tracking import normalize_tracking_code
from leadermail.platform.replies.models import ReplySignature
from leadermail.platform.replies.redact_again import redact_again
from leadermail.platform.replies.signing import ensure_signing_key, sign_reply
from leadermail.platform.search import matches, query_terms, search_vector
from leadermail.tenants.session import tenant_session
from tests.conftest import TEST_SECRET
from tests.functional.public_site.domain import publish, reply_to_letter

BODY = "工厂拖欠工资两年，请领导督促解决。\n举报人：A市轴承厂 刘况"
REPLY = "<p>刘况同志：您好！工资已督促发放。如有疑问请致电0731-88888888。</p>"
# What the old rules published and signed: the name in, the office's phone out.
OLD_REPLY_TEXT = "刘况同志：您好！工资已督促发放。如有疑问请致电***。"


async def _stored_under_old_rules(context, tenant, code: str, reply_text: str) -> tuple[int, int]:  # noqa: ANN001
    """The letter's search vector and public signature as the old rules made them."""
    async with tenant_session(context.database, tenant) as session:
        letter = await session.scalar(
            select(Letter).where(Letter.tracking_code == normalize_tracking_code(code))
        )
        reply = await session.scalar(select(Reply).where(Reply.letter_id == letter.id))
        letter.search_vector = search_vector(letter.title, letter.body)
        key = await ensure_signing_key(session, tenant.id, TEST_SECRET)
        await sign_reply(
            session, key, TEST_SECRET, reply, kind="public", text=reply_text,
            signer_name=tenant.name, tracking_code=letter.tracking_code, attachments=[],
        )  # fmt: skip
        await session.commit()
        return letter.id, reply.id


async def _found_by(context, tenant, words: str) -> int:  # noqa: ANN001
    async with tenant_session(context.database, tenant) as session:
        terms = query_terms(words, public=True)
        return int(
            await session.scalar(select(func.count()).where(matches(Letter.search_vector, terms)))
        )


async def _signed_texts(context, tenant, reply_id: int) -> list[str]:  # noqa: ANN001
    async with tenant_session(context.database, tenant) as session:
        payloads = await session.scalars(
            select(ReplySignature.payload)
            .where(ReplySignature.reply_id == reply_id, ReplySignature.kind == "public")
            .order_by(ReplySignature.id)
        )
        return [json.loads(payload)["text"] for payload in payloads]


async def test_stored_letters_follow_the_current_redaction(citizen, context):
    tenant = citizen.tenant
    code, _ = await citizen.write_letter(title="工厂拖欠工资", body=BODY, name="王芳")
    await reply_to_letter(context, tenant, code, REPLY)
    await publish(context, tenant, code)
    letter_id, reply_id = await _stored_under_old_rules(context, tenant, code, OLD_REPLY_TEXT)
    # A second letter whose reply staff corrected by hand: that text stays.
    edited_code, _ = await citizen.write_letter(
        title="小区路灯不亮", body="小区路灯坏了一个月，晚上出行不便。"
    )
    await reply_to_letter(context, tenant, edited_code, "<p>已修复。电话13812345678。</p>")
    await publish(context, tenant, edited_code)
    async with tenant_session(context.database, tenant) as session:
        edited = await session.scalar(
            select(Letter).where(Letter.tracking_code == normalize_tracking_code(edited_code))
        )
        edited_reply = await session.scalar(select(Reply).where(Reply.letter_id == edited.id))
        edited.extra = {**edited.extra, EXTRA_KEY: {"replies": {str(edited_reply.id): "已修复。"}}}
        await session.commit()
    _, edited_reply_id = await _stored_under_old_rules(context, tenant, edited_code, "已修复。")
    assert await _found_by(context, tenant, "刘况") == 1

    result = await redact_again(context, tenant)
    assert (result.letters, result.published, result.resigned) == (2, 2, 1)

    assert await _found_by(context, tenant, "刘况") == 0
    assert await _found_by(context, tenant, "拖欠工资") == 1
    *_, newest = await _signed_texts(context, tenant, reply_id)
    assert newest == "某某同志：您好！工资已督促发放。如有疑问请致电0731-88888888。"
    assert await _signed_texts(context, tenant, edited_reply_id) == ["已修复。"]
    page = (await citizen.get(f"/console/signatures/{reply_id}")).text
    assert "0731-88888888" in page and "刘况" not in page
    async with tenant_session(context.database, tenant) as session:
        audits = list(
            await session.scalars(
                select(AuditRecord).where(AuditRecord.action == "letter.public_resign")
            )
        )
    assert [(a.object_id, a.data["reply_id"]) for a in audits] == [(str(letter_id), reply_id)]

    # Again: nothing left to sign; the command names the tenant it could not find.
    assert (await redact_again(context, tenant)).resigned == 0
    assert await redact_all(context, tenant.slug) == []
    assert await redact_all(context, "no-such-mailbox") == [("no-such-mailbox", "no such tenant")]
