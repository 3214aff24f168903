"""What happens on the *other* tenant's side of a forwarding step.

Why not one transaction for both tenants: a session is bound to one tenant
schema and crossing tenants in one session is forbidden (and tenants may
later live on different clusters). So every step is written in two parts:

1. the actor's side, the ledger row (``core``) and an outbox job, in ONE
   transaction of the actor's tenant session: either the step happened and
   the other side is guaranteed to hear of it, or nothing happened;
2. the other side, by :func:`record_crossing` / :func:`deliver_forwarding`,
   called inline right after the commit (so people see it at once) and again
   by the outbox job (so a crash in between loses nothing). Both are
   idempotent: a crossing is keyed by ``event_key`` (stored in the timeline
   event's data), a delivery by the ledger row's ``to_letter_id`` under a row
   lock plus the copy's unique ``submission_key``.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.deadlines.rules import DeadlineRule, compute_due
from leadermail.platform.deadlines.schedule import load_calendar
from leadermail.platform.forwarding.copies import (
    ForwardedCopy,
    matching_category,
    origin_category,
)
from leadermail.platform.forwarding.models import Forwarding
from leadermail.platform.letters.models import (
    Attachment,
    Channel,
    Letter,
    LetterEvent,
    LetterLocator,
)
from leadermail.platform.letters.workflow import add_timeline_event
from leadermail.platform.uploads import UploadNotFound, open_upload, store_upload
from leadermail.tenants.session import tenant_session

log = logging.getLogger(__name__)

#: 《信访工作条例》 art. 23 ¶3: objection within 5 working days of receipt.
OBJECTION_PERIOD = DeadlineRule.parse("5wd")

#: The copy's internal tracking code contains "0", which citizen codes never
#: do, so it can never clash with one nor be looked up by a citizen: the
#: citizen keeps the code of the letter they wrote (see ``tracking``).
COPY_CODE_PREFIX = "F0"


def copy_tracking_code(prefix: str, row_id: int) -> str:
    return f"{prefix}{row_id:014d}"


async def record_crossing(
    context: AppContext,
    *,
    tenant_id: int,
    letter_id: int,
    event_key: str,
    kind: str,
    message: str,
    action: str,
    public: bool = False,
    actor_label: str = "系统",
    data: dict[str, Any] | None = None,
    state: str | None = None,
) -> bool:
    """Write a timeline event + audit record (and optionally a state) once.

    Returns False when ``event_key`` was already recorded for the letter.
    """
    tenant = await context.tenants.by_id(tenant_id)
    if tenant is None:
        return False
    actor = Actor(user_id=None, label=actor_label)
    async with tenant_session(context.database, tenant) as session, session.begin():
        letter = await session.get(Letter, letter_id, with_for_update=True)
        if letter is None:
            return False
        seen = await session.scalar(
            select(LetterEvent.id).where(
                LetterEvent.letter_id == letter_id,
                LetterEvent.data["event_key"].astext == event_key,
            )
        )
        if seen is not None:
            return False
        payload = {"event_key": event_key, **(data or {})}
        if state is not None and letter.state != state:
            payload["from"], payload["to"] = letter.state, state
            letter.state = state
            letter.updated_at = utcnow()
        await add_timeline_event(
            session, letter, kind, actor, message=message, public=public, data=payload
        )
        await record_audit(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action=action,
            object_type="letter",
            object_id=letter_id,
            data=payload,
        )
    return True


async def record_crossing_job(ctx: dict[str, Any], **kwargs: Any) -> bool:
    return await record_crossing(ctx["app"], **kwargs)


async def deliver_forwarding(context: AppContext, forwarding_id: int) -> int | None:
    """Create the receiver's copy of a forwarded letter; return its id. Idempotent."""
    async with context.database.core_session() as session:
        leg = await session.get(Forwarding, forwarding_id)
        if leg is None:
            return None
        if leg.to_letter_id is not None:
            return leg.to_letter_id
        sender = await context.tenants.by_id(leg.from_tenant_id)
        receiver = await context.tenants.by_id(leg.to_tenant_id)
    assert sender is not None and receiver is not None
    async with tenant_session(context.database, sender) as session:
        original = await session.get(Letter, leg.from_letter_id)
        attachments = (
            (
                await session.execute(
                    select(Attachment).where(
                        Attachment.letter_id == leg.from_letter_id,
                        Attachment.uploaded_by == "citizen",
                    )
                )
            )
            .scalars()
            .all()
        )
        assert original is not None
        category = await origin_category(session, original)
    calendar = await load_calendar(context.database)
    now = utcnow()
    actor = Actor(user_id=None, label=f"{sender.name}（转办）")
    async with tenant_session(context.database, receiver) as session, session.begin():
        # The row lock serialises the inline call and the outbox job.
        leg = await session.get(
            Forwarding, forwarding_id, with_for_update=True, populate_existing=True
        )
        assert leg is not None
        if leg.to_letter_id is not None:
            return leg.to_letter_id
        copy = Letter(
            tenant_id=receiver.id,
            tracking_code=copy_tracking_code(COPY_CODE_PREFIX, leg.id),
            # Unusable: the citizen queries with the original code and password.
            query_password_hash="!forwarded",  # noqa: S106 - not a password
            letter_type=original.letter_type,
            title=original.title,
            body=original.body,
            region=original.region,
            # Only what the receiver needs to handle the matter and answer the
            # writer; the ID number stays with the sender.
            writer_name=original.writer_name,
            writer_phone=original.writer_phone,
            writer_email=original.writer_email,
            publish_consent=original.publish_consent,
            accused_person=original.accused_person,
            channel=Channel.FORWARDED,
            state="submitted",
            priority=original.priority,
            submitted_at=original.submitted_at,
            received_at=now,
            reply_due_at=leg.due_at,
            # Category lists are each mailbox's own: the one of the same name.
            category_id=await matching_category(session, category),
            submission_key=f"forwarding:{leg.id}",
            origin_tenant_id=sender.id,
            origin_letter_id=original.id,
            extra={"forwarding_id": leg.id, "root_tenant_id": leg.root_tenant_id},
        )
        session.add(copy)
        await session.flush()
        session.add(
            ForwardedCopy(
                tenant_id=receiver.id,
                letter_id=copy.id,
                forwarding_id=leg.id,
                writer_tracking_code=leg.tracking_code,
                origin_category_name=category.name if category else None,
            )
        )
        for attachment in attachments:
            key = _copy_file(context, attachment.storage_key, sender.id, receiver.id)
            if key is None:
                continue
            session.add(
                Attachment(
                    tenant_id=receiver.id,
                    letter_id=copy.id,
                    filename=attachment.filename,
                    content_type=attachment.content_type,
                    size_bytes=attachment.size_bytes,
                    sha256=attachment.sha256,
                    storage_key=key,
                    uploaded_by="citizen",
                )
            )
        await add_timeline_event(
            session,
            copy,
            "forwarding_received",
            actor,
            message=f"收到{sender.name}转办：{leg.note or '请依法处理'}",
            data={"forwarding_id": leg.id, "from_tenant_id": sender.id},
        )
        await record_audit(
            session,
            tenant_id=receiver.id,
            actor=actor,
            action="forwarding.received",
            object_type="letter",
            object_id=copy.id,
            data={
                "forwarding_id": leg.id,
                "from_tenant_id": sender.id,
                "from_letter_id": original.id,
                "origin_category": category.name if category else None,
                "category_id": copy.category_id,
            },
        )
        leg.to_letter_id = copy.id
        leg.delivered_at = now
        leg.receiver_state = copy.state
        leg.objection_due_at = compute_due(now, OBJECTION_PERIOD, calendar).due_at
        locator = await session.get(LetterLocator, leg.tracking_code, with_for_update=True)
        if locator is not None:
            locator.current_tenant_id = receiver.id
        return copy.id


async def deliver_forwarding_job(ctx: dict[str, Any], *, forwarding_id: int) -> int | None:
    return await deliver_forwarding(ctx["app"], forwarding_id)


def _copy_file(context: AppContext, key: str, from_tenant: int, to_tenant: int) -> str | None:
    """Store the file again under the receiver (keys are tenant-scoped)."""
    try:
        path = open_upload(context.settings.upload_dir, key, tenant_id=from_tenant)
    except UploadNotFound:
        log.warning("attachment %s of tenant %s missing; not copied", key, from_tenant)
        return None
    return store_upload(context.settings.upload_dir, to_tenant, path.read_bytes())
