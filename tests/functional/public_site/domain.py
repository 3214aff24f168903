"""Staff actions injected through the domain layer (the console is another workstream)."""

from __future__ import annotations

from sqlalchemy import select, update

from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.letters.models import Letter, Reply, Unit
from leadermail.platform.letters.tracking import normalize_tracking_code
from leadermail.platform.letters.workflow import apply_transition
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

STAFF = Actor(user_id=None, label="测试工作人员")


async def load_letter(context: AppContext, tenant: TenantRef, code: str) -> Letter:
    async with tenant_session(context.database, tenant) as session:
        letter = await session.scalar(
            select(Letter).where(Letter.tracking_code == normalize_tracking_code(code))
        )
        assert letter is not None
        return letter


async def reply_to_letter(
    context: AppContext,
    tenant: TenantRef,
    code: str,
    html: str = "<p>您好，已责成施工单位夜间停工。</p>",
) -> None:
    """accept → assign to the first unit → a sent reply → send_reply."""
    async with tenant_session(context.database, tenant) as session:
        letter = await session.scalar(
            select(Letter).where(Letter.tracking_code == normalize_tracking_code(code))
        )
        assert letter is not None
        unit_id = await session.scalar(select(Unit.id).order_by(Unit.id).limit(1))
        if letter.state in ("submitted", "registered"):
            await apply_transition(session, letter, "accept", STAFF)
        letter.unit_id = unit_id
        await apply_transition(session, letter, "assign", STAFF)
        session.add(
            Reply(
                tenant_id=tenant.id,
                letter_id=letter.id,
                unit_id=unit_id,
                body_html=html,
                status="sent",
                sent_at=utcnow(),
                signer_name="市住房和城乡建设局",
            )
        )
        await apply_transition(session, letter, "send_reply", STAFF)
        await session.commit()


async def request_material(context: AppContext, tenant: TenantRef, code: str, message: str) -> None:
    async with tenant_session(context.database, tenant) as session:
        letter = await session.scalar(
            select(Letter).where(Letter.tracking_code == normalize_tracking_code(code))
        )
        assert letter is not None
        await apply_transition(session, letter, "accept", STAFF)
        await apply_transition(session, letter, "request_material", STAFF, message=message)
        await session.commit()


async def publish(context: AppContext, tenant: TenantRef, code: str) -> int:
    """Mark published the way staff would (the console checks consent too)."""
    async with tenant_session(context.database, tenant) as session:
        letter_id = await session.scalar(
            select(Letter.id).where(Letter.tracking_code == normalize_tracking_code(code))
        )
        await session.execute(
            update(Letter)
            .where(Letter.id == letter_id)
            .values(is_published=True, published_at=utcnow())
        )
        await session.commit()
    return int(letter_id)
