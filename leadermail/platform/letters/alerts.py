"""Alerts to supervisors (督办) that come out of the letter workflow.

    enqueue(session, "alert_supervisors_report_misassignment", tenant_id=..., letter_id=...,
            unit_id=..., actor_user_id=...)

Sent by the worker after the refusal committed. The e-mail goes to every
active supervisor of the tenant; a Redis key makes a second run a no-op.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from leadermail.platform.accounts.models import Membership, Role, User
from leadermail.platform.context import AppContext
from leadermail.platform.letters.models import Letter, Unit
from leadermail.platform.notifications.email import send_email
from leadermail.tenants.session import tenant_session

log = logging.getLogger(__name__)


async def supervisor_emails(context: AppContext, tenant_id: int) -> list[str]:
    async with context.database.core_session() as session:
        rows = await session.execute(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.tenant_id == tenant_id,
                Membership.role == Role.SUPERVISOR,
                Membership.is_active.is_(True),
                User.is_active.is_(True),
            )
            .distinct()
        )
        return sorted(rows.scalars().all())


async def alert_supervisors_report_misassignment(
    ctx: dict[str, Any], *, tenant_id: int, letter_id: int, unit_id: int, actor_user_id: int | None
) -> int:
    """Tell supervisors that someone tried to hand a 举报 to the accused unit."""
    app: AppContext = ctx["app"]
    once = (
        f"leadermail:alert:report_misassignment:{tenant_id}:{letter_id}:{unit_id}:{actor_user_id}"
    )
    if not await app.redis.set(once, "1", nx=True, ex=7 * 24 * 3600):
        return 0
    tenant = await app.tenants.by_id(tenant_id)
    if tenant is None:
        return 0
    async with tenant_session(app.database, tenant) as session:
        letter = await session.get(Letter, letter_id)
        unit = await session.get(Unit, unit_id)
    if letter is None or unit is None:
        return 0
    recipients = await supervisor_emails(app, tenant_id)
    if not recipients:
        log.warning("no supervisor to alert for letter %s of tenant %s", letter_id, tenant_id)
        return 0
    await send_email(
        app.settings,
        to=recipients,
        subject=f"【督办提醒】举报件 {letter.tracking_code} 险些交由被举报单位办理",
        body=(
            f"{tenant.name}：举报件 {letter.tracking_code}（{letter.title}）被尝试分办给"
            f"被举报单位“{unit.name}”，系统已拒绝。请登录工作台核查分办情况。"
        ),
    )
    return len(recipients)


JOBS = [alert_supervisors_report_misassignment]
CRON_JOBS: list[Any] = []
