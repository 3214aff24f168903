"""In-console notifications for staff: the table and the verbs.

A notification is addressed to one user (fan-out happens when it is created,
so "read" is simply ``read_at`` on the row)::

    users = await staff_user_ids(session, tenant.id, roles={Role.SUPERVISOR})
    await notify(session, tenant.id, users, kind="escalation", title="来信已超期",
                 body="...", letter_id=letter.id, dedupe_key=f"overdue:{letter.id}")
    await unread_count(session, user_id)

``dedupe_key`` makes a notification idempotent per user (a job run twice
creates it once). Emails for notifications go through the outbox
(:mod:`leadermail.platform.notifications.staff_jobs`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Text, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.accounts.models import Membership, Role, User
from leadermail.platform.clock import utcnow
from leadermail.platform.db import TenantBase, TenantScoped

KIND_LABELS: dict[str, str] = {
    "urge": "催办",
    "escalation": "超期督办",
    "report_conflict": "举报回避提醒",
    "extension_request": "延期申请",
    "extension_decision": "延期审批结果",
    "duplicate": "疑似重复来信",
    "export_ready": "导出完成",
    "routing": "分办",
    "assignment": "分办",
    "assignment_deadline": "办理时限调整",
    "instruction": "领导批示",
    "reply_review": "答复待审核",
    "reply_to_send": "答复待发送",
    "rehandling": "申请重新办理",
    "material": "补充材料",
    "reply_returned": "答复退回修改",
}


class StaffNotification(TenantScoped, TenantBase):
    __tablename__ = "staff_notifications"
    __table_args__ = (
        Index("uq_staff_notifications_user_id_dedupe_key", "user_id", "dedupe_key", unique=True),
        Index("ix_staff_notifications_unread", "user_id", postgresql_where="read_at IS NULL"),
        Index("ix_staff_notifications_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    #: core.users.id of the recipient (no foreign key across schemas).
    user_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    #: Path inside the console, e.g. "/letters/12" (the view prefixes it).
    link: Mapped[str | None] = mapped_column(String(300))
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


async def staff_user_ids(
    session: AsyncSession,
    tenant_id: int,
    *,
    roles: Iterable[str],
    unit_id: int | None = None,
) -> list[int]:
    """Active users holding one of ``roles`` in the tenant (optionally in ``unit_id``)."""
    query = (
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.tenant_id == tenant_id,
            Membership.is_active.is_(True),
            User.is_active.is_(True),
            Membership.role.in_([str(r) for r in roles]),
        )
        .distinct()
    )
    if unit_id is not None:
        query = query.where(Membership.unit_id == unit_id)
    return sorted((await session.execute(query)).scalars().all())


async def holders_or_admins(session: AsyncSession, tenant_id: int, role: Role) -> list[int]:
    """Who holds ``role`` in the tenant; with nobody in it, the tenant admins
    (a small mailbox where one person does everything still hears of it)."""
    users = await staff_user_ids(session, tenant_id, roles={role})
    return users or await staff_user_ids(session, tenant_id, roles={Role.TENANT_ADMIN})


async def supervisors_or_admins(session: AsyncSession, tenant_id: int) -> list[int]:
    """Who is alerted when something needs oversight."""
    return await holders_or_admins(session, tenant_id, Role.SUPERVISOR)


async def registrars_or_admins(session: AsyncSession, tenant_id: int) -> list[int]:
    """Who keeps the front door (登记、受理、发送)."""
    return await holders_or_admins(session, tenant_id, Role.REGISTRAR)


async def leaders_or_admins(session: AsyncSession, tenant_id: int) -> list[int]:
    """Who approves (答复审核)."""
    return await holders_or_admins(session, tenant_id, Role.LEADER)


async def unit_handlers(session: AsyncSession, tenant_id: int, unit_id: int | None) -> list[int]:
    """Who works on a letter of ``unit_id``: its handlers; with no unit yet,
    the registrars (as the deadline scan addresses its reminders)."""
    if unit_id is None:
        return await registrars_or_admins(session, tenant_id)
    return await staff_user_ids(session, tenant_id, roles={Role.HANDLER}, unit_id=unit_id)


async def notify(
    session: AsyncSession,
    tenant_id: int,
    user_ids: Iterable[int],
    *,
    kind: str,
    title: str,
    body: str = "",
    letter_id: int | None = None,
    link: str | None = None,
    dedupe_key: str | None = None,
) -> list[int]:
    """Create one notification per user; returns the ids of the rows created now
    (a repeated ``dedupe_key`` creates nothing)."""
    rows = [
        {
            "tenant_id": tenant_id,
            "user_id": user_id,
            "kind": kind,
            "title": title[:200],
            "body": body,
            "letter_id": letter_id,
            "link": link if link is not None else (f"/letters/{letter_id}" if letter_id else None),
            "dedupe_key": dedupe_key,
            "created_at": utcnow(),
        }
        for user_id in dict.fromkeys(user_ids)
    ]
    if not rows:
        return []
    statement = insert(StaffNotification).values(rows)
    if dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
    result = await session.execute(statement.returning(StaffNotification.id))
    return list(result.scalars().all())


async def unread_count(session: AsyncSession, user_id: int) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(StaffNotification)
                .where(StaffNotification.user_id == user_id, StaffNotification.read_at.is_(None))
            )
        ).scalar_one()
    )


async def recent_notifications(
    session: AsyncSession, user_id: int, *, limit: int = 50, unread_only: bool = False
) -> list[StaffNotification]:
    query = select(StaffNotification).where(StaffNotification.user_id == user_id)
    if unread_only:
        query = query.where(StaffNotification.read_at.is_(None))
    query = query.order_by(StaffNotification.created_at.desc(), StaffNotification.id.desc())
    return list((await session.execute(query.limit(limit))).scalars().all())


async def mark_read(session: AsyncSession, user_id: int, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, every) notification of ``user_id`` read."""
    statement = update(StaffNotification).where(
        StaffNotification.user_id == user_id, StaffNotification.read_at.is_(None)
    )
    if notification_id is not None:
        statement = statement.where(StaffNotification.id == notification_id)
    result = await session.execute(statement.values(read_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
