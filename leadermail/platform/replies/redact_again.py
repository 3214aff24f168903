"""Applying a changed redaction to the letters already stored and published.

The public pages redact as they render, so they follow a new rule at once.
Two things were made with the old rule and are stored: each letter's search
vector (built from the redacted text when the letter came in) and, for a
published letter, the signature over each reply's public text (its signed
text is what /console/signatures/{reply_id} shows). This brings both up to
date, tenant by tenant::

    result = await redact_again(context, tenant)   # RedactedAgain(letters=…, resigned=…)

What staff corrected by hand (``letter.extra["public_text"]``) stays as they
wrote it: the search vector and the signatures are built from it exactly as
when they saved it. A reply whose public text is unchanged keeps its
signature; a reply held for 公示 (sent after publication) is skipped, as it
is signed when published. Each newly signed reply writes an audit record
(``letter.public_resign``); the tenant's public caches are dropped after the
commit. Safe to run again: the second run signs nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.context import AppContext
from leadermail.platform.letters.models import Letter, Reply
from leadermail.platform.letters.public_changes import announce_public_change
from leadermail.platform.letters.public_text import held_replies, public_reply_text
from leadermail.platform.letters.submission import letter_search_vector
from leadermail.platform.replies.models import ReplySignature
from leadermail.platform.replies.publishing import sign_public_text
from leadermail.platform.replies.signing import ensure_signing_key
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

#: Letters per transaction: a tenant with a million letters is done in steps
#: that each hold their locks briefly.
BATCH = 500
ACTOR = Actor.system("系统（重新隐去个人信息）")


@dataclass(frozen=True)
class RedactedAgain:
    letters: int  # search vectors rebuilt
    published: int  # published letters whose replies were checked
    resigned: int  # replies signed again because their public text changed


def _signed_text(signature: ReplySignature) -> str | None:
    try:
        return json.loads(signature.payload).get("text")
    except (ValueError, AttributeError):
        return None


async def _newest_public_texts(session: AsyncSession, reply_ids: list[int]) -> dict[int, str]:
    rows = await session.scalars(
        select(ReplySignature)
        .where(ReplySignature.reply_id.in_(reply_ids), ReplySignature.kind == "public")
        .order_by(ReplySignature.reply_id, ReplySignature.id)
    )
    newest: dict[int, str] = {}
    for signature in rows:
        text = _signed_text(signature)
        if text is not None:
            newest[signature.reply_id] = text  # ordered by id: the last one wins
    return newest


async def _resign_changed(
    session: AsyncSession, context: AppContext, tenant: TenantRef, letters: list[Letter]
) -> int:
    published = {letter.id: letter for letter in letters}
    replies = list(
        await session.scalars(
            select(Reply)
            .where(Reply.letter_id.in_(published), Reply.status == "sent")
            .order_by(Reply.id)
        )
    )
    if not replies:
        return 0
    signed = await _newest_public_texts(session, [reply.id for reply in replies])
    secret = context.settings.secret_key
    key = None
    resigned = 0
    for reply in replies:
        letter = published[reply.letter_id]
        if reply.id in held_replies(letter.extra):
            continue  # not public yet: signed when staff publish it
        text = public_reply_text(
            reply.id, reply.body_html, letter.writer_name, letter.extra, body=letter.body
        )
        if signed.get(reply.id) == text:
            continue
        key = key or await ensure_signing_key(session, tenant.id, secret)
        signature = await sign_public_text(session, key, secret, letter, reply, tenant.name)
        await record_audit(
            session,
            tenant_id=tenant.id,
            actor=ACTOR,
            action="letter.public_resign",
            object_type="letter",
            object_id=letter.id,
            data={"reply_id": reply.id, "signature_id": signature.id},
        )
        resigned += 1
    return resigned


async def redact_again(context: AppContext, tenant: TenantRef) -> RedactedAgain:
    """Rebuild every letter's search vector and re-sign the published replies
    whose public text the current redaction changes."""
    letters = published = resigned = 0
    after = 0
    while True:
        async with tenant_session(context.database, tenant) as session:
            batch = list(
                await session.scalars(
                    select(Letter).where(Letter.id > after).order_by(Letter.id).limit(BATCH)
                )
            )
            if not batch:
                break
            for letter in batch:
                letter.search_vector = letter_search_vector(letter)
            public = [letter for letter in batch if letter.is_published and letter.publish_consent]
            resigned += await _resign_changed(session, context, tenant, public)
            await session.commit()
        letters += len(batch)
        published += len(public)
        after = batch[-1].id
    if published:
        await announce_public_change(context.redis, tenant.id)
    return RedactedAgain(letters=letters, published=published, resigned=resigned)
