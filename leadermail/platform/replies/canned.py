"""常用语: the tenant's reusable paragraphs for the reply editor.

    items = await canned_replies(session, tenant_id)          # active, in order
    await add_canned_reply(session, staff, actor, "受理告知", "您好：……")
    body = insert_canned(typed, canned.body_html)             # no-JavaScript insert
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import Action, StaffUser
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.letters.staff_actions import ActionRefused, require
from leadermail.platform.replies.models import CannedReply
from leadermail.platform.replies.sanitize import (
    html_to_editor_text,
    reply_html_from_form,
    sanitize_reply_html,
)


async def canned_replies(session: AsyncSession, tenant_id: int) -> list[CannedReply]:
    return list(
        (
            await session.execute(
                select(CannedReply)
                .where(CannedReply.tenant_id == tenant_id, CannedReply.is_active.is_(True))
                .order_by(CannedReply.position, CannedReply.id)
            )
        ).scalars()
    )


async def add_canned_reply(
    session: AsyncSession, staff: StaffUser, actor: Actor, title: str, body: str
) -> CannedReply:
    require(staff, Action.MANAGE_CANNED_REPLIES)
    title = (title or "").strip()
    body_html = sanitize_reply_html(reply_html_from_form(body))
    if not title or len(title) > 100 or not body_html:
        raise ActionRefused("请填写常用语标题（不超过 100 字）和内容")
    canned = CannedReply(tenant_id=staff.tenant.id, title=title, body_html=body_html)
    session.add(canned)
    await session.flush()
    await record_audit(
        session,
        tenant_id=staff.tenant.id,
        actor=actor,
        action="canned_reply.add",
        object_type="canned_reply",
        object_id=canned.id,
    )
    return canned


async def canned_reply_by_id(
    session: AsyncSession, tenant_id: int, canned_id: int
) -> CannedReply | None:
    """An active 常用语 of the tenant (what the editor's picker offers)."""
    return (
        await session.execute(
            select(CannedReply).where(
                CannedReply.id == canned_id,
                CannedReply.tenant_id == tenant_id,
                CannedReply.is_active.is_(True),
            )
        )
    ).scalar_one_or_none()


def insert_canned(body: str, canned_html: str) -> str:
    """The editor's text with a 常用语 added at the end (the no-JavaScript path)::

        insert_canned("您好：", "<p>感谢来信。</p>")        # "您好：\\n\\n感谢来信。"
    """
    body = (body or "").rstrip()
    text = canned_text(canned_html)
    return f"{body}\n\n{text}" if body else text


def canned_text(canned_html: str) -> str:
    """A 常用语 as editor text: its paragraphs separated by blank lines."""
    return html_to_editor_text(canned_html)
