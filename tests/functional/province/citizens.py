"""Helpers of the art. 19 and completion tests: letters submitted the way every
channel submits them, the outbox jobs they leave run as the worker would, a
reply sent through the reply verbs, and the citizen's tracking page."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.accounts.policy import StaffUser
from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding.intake import flag_matter_in_progress
from leadermail.platform.forwarding.matter_index import refresh_open_matter
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.letters.models import Category, Letter, LetterEvent
from leadermail.platform.letters.submission import SubmittedLetter, submit_letter
from leadermail.platform.letters.validation import CleanLetter
from leadermail.platform.letters.workflow import apply_transition
from leadermail.platform.replies.services import approve_reply, save_draft, send_reply
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session
from tests.conftest import TEST_SECRET
from tests.functional.staff_ops.helpers import make_staff

FLOODING_TITLE = "小区门口道路积水严重"
FLOODING_BODY = (
    "我住在人民路幸福小区，每次下雨小区门口的道路积水严重，"
    "居民出行非常困难，请尽快修缮排水设施。"
)
NOISE_TITLE = "夜间施工噪音扰民"
NOISE_BODY = "楼下商铺每天夜里装修施工到凌晨，电钻声音很大，老人孩子无法休息。"

#: The jobs these tests run themselves (the worker is not running in tests).
JOBS = {
    "refresh_open_matter": refresh_open_matter,
    "flag_matter_in_progress": flag_matter_in_progress,
}


async def submit(
    context: AppContext,
    tenant: TenantRef,
    *,
    phone: str,
    title: str = FLOODING_TITLE,
    body: str = FLOODING_BODY,
    id_number: str | None = None,
) -> SubmittedLetter:
    async with tenant_session(context.database, tenant) as session:
        category_id = await session.scalar(select(Category.id).order_by(Category.id).limit(1))
        assert category_id is not None
        clean = CleanLetter(
            letter_type="complaint",  # type: ignore[arg-type]
            category_id=category_id,
            title=title,
            body=body,
            region=None,
            name="李先生",
            phone=phone,
            email=None,
            id_number=id_number,
            publish_consent=False,
        )
        result = await submit_letter(session, tenant, clean, secret_key=TEST_SECRET)
        await session.commit()
    return result


async def run_jobs(context: AppContext, tenants: list[TenantRef]) -> dict[str, list[object]]:
    """Run the pending art. 19 jobs of ``tenants`` in outbox order, as the relay would."""
    ids = [t.id for t in tenants]
    results: dict[str, list[object]] = {name: [] for name in JOBS}
    async with context.database.core_session() as session:
        rows = (
            await session.scalars(
                select(OutboxJob)
                .where(
                    OutboxJob.sent_at.is_(None),
                    OutboxJob.job_name.in_(JOBS),
                    OutboxJob.tenant_id.in_(ids),
                )
                .order_by(OutboxJob.id)
            )
        ).all()
        for row in rows:
            row.sent_at = utcnow()
        await session.commit()
    for row in rows:
        results[row.job_name].append(await JOBS[row.job_name]({"app": context}, **row.kwargs))
    return results


async def get_letter(context: AppContext, tenant: TenantRef, letter_id: int) -> Letter:
    async with tenant_session(context.database, tenant) as session:
        letter = await session.get(Letter, letter_id)
    assert letter is not None
    return letter


async def public_messages(context: AppContext, tenant: TenantRef, letter_id: int) -> list[str]:
    async with tenant_session(context.database, tenant) as session:
        return list(
            (
                await session.scalars(
                    select(LetterEvent.message)
                    .where(LetterEvent.letter_id == letter_id, LetterEvent.is_public.is_(True))
                    .order_by(LetterEvent.id)
                )
            ).all()
        )


async def event_kinds(context: AppContext, tenant: TenantRef, letter_id: int) -> list[str]:
    async with tenant_session(context.database, tenant) as session:
        return list(
            (
                await session.scalars(
                    select(LetterEvent.kind)
                    .where(LetterEvent.letter_id == letter_id)
                    .order_by(LetterEvent.id)
                )
            ).all()
        )


async def audit_actions(context: AppContext, tenant: TenantRef) -> set[str]:
    async with tenant_session(context.database, tenant) as session:
        return set((await session.scalars(select(AuditRecord.action))).all())


async def answer_letter(
    context: AppContext, tenant: TenantRef, letter_id: int, text: str
) -> None:
    """Accept the letter and send a reply through the reply verbs (draft, approve, send)."""
    member = await make_staff(context, tenant, "办理人", Role.TENANT_ADMIN)
    staff = StaffUser(
        user_id=member.user_id,
        display_name=member.name,
        email=member.email,
        tenant=tenant,
        roles=frozenset({Role.TENANT_ADMIN}),
    )
    actor = Actor(user_id=member.user_id, label=member.name)
    async with tenant_session(context.database, tenant) as session:
        letter = await session.get(Letter, letter_id, with_for_update=True)
        assert letter is not None
        if letter.state in ("submitted", "registered"):
            await apply_transition(session, letter, "accept", actor)
        reply = await save_draft(session, staff, letter, actor, text)
        await approve_reply(session, staff, letter, actor, reply)
        await send_reply(session, staff, letter, actor, reply, TEST_SECRET)
        await session.commit()


async def open_tracking(
    client: httpx.AsyncClient, tenant: TenantRef, code: str, password: str
) -> str:
    """Prove the query password on the tracking page; returns the CSRF token."""
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)  # a staff sign-in of the same client
    page = await client.get(f"/t/{tenant.slug}/track")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = await client.post(
        f"/t/{tenant.slug}/track", data={"code": code, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text[:500]
    return token


async def tracked(client: httpx.AsyncClient, tenant: TenantRef, code: str) -> tuple[str, str]:
    """The citizen's letter page and its "path" part (where the letter went, final reply)."""
    page = await client.get(f"/t/{tenant.slug}/track/{code}")
    assert page.status_code == 200, page.text[:300]
    path = await client.get(f"/t/{tenant.slug}/track/{code}/path")
    assert path.status_code == 200, path.text[:300]
    return page.text, path.text
