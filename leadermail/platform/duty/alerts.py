"""The 2-hour check: a new letter nobody on duty has looked at raises an alert.

The seed asks the person on duty to look at the inbox at least every 2 hours
(每2小时至少上网查看、接收一次). A cron job runs every 10 minutes:

* a new letter that arrived 2 hours ago or more, with no inbox visit by the
  person on duty since it arrived, alerts the person on duty now;
* one hour later (3 hours unseen) it alerts the tenant's supervisors (督办),
  or its administrators when it has none.

Each (letter, level) is alerted once: the ``duty_alerts`` row is committed
before the mail goes out, and a mail that failed is retried on the next run.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import aiosmtplib
from arq import cron
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from leadermail.platform.accounts.models import Membership, Role, User
from leadermail.platform.clock import utcnow
from leadermail.platform.config import Settings
from leadermail.platform.context import AppContext
from leadermail.platform.duty.models import DutyAlert, DutyShift
from leadermail.platform.duty.rota import show
from leadermail.platform.duty.services import shift_at, unseen_new_letters
from leadermail.platform.notifications.email import send_email
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

log = logging.getLogger(__name__)

DUTY_AFTER = timedelta(hours=2)
SUPERVISOR_AFTER = timedelta(hours=3)


async def alert_unseen_letters(
    app: AppContext, tenant: TenantRef, *, now: datetime | None = None
) -> int:
    """Create and send the alerts due in one tenant; returns how many were created."""
    now = now or utcnow()
    created = 0
    async with tenant_session(app.database, tenant) as session:
        if (await session.execute(select(DutyShift.id).limit(1))).first() is None:
            return 0  # no rota: this tenant does not run the duty roster
        shift = await shift_at(session, now)
        for letter in await unseen_new_letters(session, now=now, waited=DUTY_AFTER):
            arrived = letter.received_at or letter.submitted_at
            levels = []
            if shift is not None:
                levels.append(("duty", [shift.user_id]))
            if now - arrived >= SUPERVISOR_AFTER or shift is None:
                levels.append(("supervisor", await _supervisors(app, tenant)))
            for level, recipients in levels:
                who = "值班人员" if level == "duty" else "督办人员"
                message = (
                    f"来信“{letter.title}”（查询码 {letter.tracking_code}）"
                    f"于 {show(arrived)} 到达，"
                    f"至 {show(now)} 仍无值班人员查看，请{who}及时处理。"
                )
                result = await session.execute(
                    insert(DutyAlert)
                    .values(
                        tenant_id=tenant.id,
                        letter_id=letter.id,
                        level=level,
                        shift_id=shift.id if shift is not None else None,
                        recipient_user_ids=",".join(str(r) for r in recipients),
                        message=message,
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["letter_id", "level"])
                    .returning(DutyAlert.id)
                )
                if result.scalar_one_or_none() is not None:
                    created += 1
        await session.commit()
        await _deliver_pending(app, tenant, session)
    return created


async def _supervisors(app: AppContext, tenant: TenantRef) -> list[int]:
    async with app.database.core_session() as core:
        rows = (
            await core.execute(
                select(Membership.user_id, Membership.role).where(
                    Membership.tenant_id == tenant.id,
                    Membership.is_active.is_(True),
                    Membership.role.in_([Role.SUPERVISOR, Role.TENANT_ADMIN]),
                )
            )
        ).all()
    supervisors = sorted({u for u, role in rows if role == Role.SUPERVISOR})
    return supervisors or sorted({u for u, _ in rows})


async def _deliver_pending(app: AppContext, tenant: TenantRef, session: Any) -> None:
    pending = (
        (await session.execute(select(DutyAlert).where(DutyAlert.delivered_at.is_(None))))
        .scalars()
        .all()
    )
    if not pending:
        return
    ids = {int(i) for alert in pending for i in alert.recipient_user_ids.split(",") if i}
    async with app.database.core_session() as core:
        users = {
            u.id: u for u in (await core.execute(select(User).where(User.id.in_(ids)))).scalars()
        }
    for alert in pending:
        addresses = [
            users[int(i)].email
            for i in alert.recipient_user_ids.split(",")
            if i and int(i) in users and users[int(i)].is_active
        ]
        try:
            if addresses:
                await send_alert_mail(app.settings, tenant, addresses, alert.message)
            alert.delivered_at = utcnow()
            alert.last_error = None
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.warning("duty alert %s not delivered: %s", alert.id, exc)
            alert.last_error = str(exc)[:500]
    await session.commit()


async def send_alert_mail(
    settings: Settings, tenant: TenantRef, addresses: list[str], message: str
) -> None:
    await send_email(
        settings, to=addresses, subject=f"【{tenant.name}】来信超过2小时无人查看", body=message
    )


async def check_unopened_inboxes(ctx: dict[str, Any]) -> int:
    """Cron: every active tenant with a rota gets its due alerts."""
    app: AppContext = ctx["app"]
    total = 0
    for tenant in await app.tenants.all():
        if not tenant.is_active:
            continue
        try:
            total += await alert_unseen_letters(app, tenant)
        except Exception:  # one broken tenant must not stop the others
            log.exception("duty alerts failed for tenant %s", tenant.slug)
    return total


JOBS = [check_unopened_inboxes]
CRON_JOBS = [cron(check_unopened_inboxes, minute=set(range(0, 60, 10)), run_at_startup=False)]
