"""Jobs that e-mail staff and deliver statutory notices to citizens.

Added to the outbox by the deadline scan and by :func:`issue_notice`::

    enqueue(session, "send_deadline_emails", tenant_id=..., alert_ids=[...])
    enqueue(session, "send_citizen_notice", tenant_id=..., notice_id=...)

They reuse the citizen-receipt senders (:mod:`.email` over SMTP, :mod:`.sms`
through the configured gateway) and are safe to run twice: deadline alerts
carry ``emailed_at``, notices a private ``notice_delivered`` timeline event.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from leadermail.platform.accounts.models import Membership, Role, User
from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.deadlines.alerts import DEADLINE_LABELS, DeadlineAlert
from leadermail.platform.letters.models import Letter, LetterEvent, Unit
from leadermail.platform.letters.notices import NOTICE_LABELS, LetterNotice
from leadermail.platform.letters.workflow import add_timeline_event
from leadermail.platform.notifications.email import send_email
from leadermail.platform.notifications.sms import sms_gateway
from leadermail.platform.web.templating import format_datetime
from leadermail.tenants.links import tracking_url
from leadermail.tenants.session import tenant_session

log = logging.getLogger(__name__)

DELIVERED_EVENT = "notice_delivered"


async def _member_emails(app: AppContext, tenant_id: int) -> list[tuple[str, str, int | None]]:
    """(email, role, unit_id) of the tenant's active staff."""
    async with app.database.core_session() as session:
        rows = await session.execute(
            select(User.email, Membership.role, Membership.unit_id)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.tenant_id == tenant_id,
                Membership.is_active.is_(True),
                User.is_active.is_(True),
            )
        )
        return [(email, role, unit_id) for email, role, unit_id in rows.all()]


Members = list[tuple[str, str, int | None]]


def _emails(members: Members, roles: set[str], unit_id: int | None = None) -> set[str]:
    return {
        email for email, role, unit in members
        if role in roles and (unit_id is None or unit == unit_id)
    }


async def send_deadline_emails(ctx: dict[str, Any], *, tenant_id: int, alert_ids: list[int]) -> int:
    """One digest per recipient: the unit (its e-mail and handlers), the
    registrars for acceptance deadlines and overdue 办理时限, the supervisors
    for overdue letters."""
    app: AppContext = ctx["app"]
    tenant = await app.tenants.by_id(tenant_id)
    if tenant is None:
        return 0
    members = await _member_emails(app, tenant_id)
    sent = 0
    async with tenant_session(app.database, tenant) as session:
        rows = (
            await session.execute(
                select(DeadlineAlert, Letter)
                .join(Letter, Letter.id == DeadlineAlert.letter_id)
                .where(DeadlineAlert.id.in_(alert_ids), DeadlineAlert.emailed_at.is_(None))
                .with_for_update(of=DeadlineAlert, skip_locked=True)
            )
        ).all()
        if not rows:
            return 0
        units = {u.id: u for u in (await session.execute(select(Unit))).scalars()}
        digests: dict[str, list[str]] = defaultdict(list)
        supervisors = _emails(members, {Role.SUPERVISOR}) or _emails(members, {Role.TENANT_ADMIN})
        registrars = _emails(members, {Role.REGISTRAR}) or _emails(members, {Role.TENANT_ADMIN})
        for alert, letter in rows:
            overdue = alert.level == "overdue"
            what = DEADLINE_LABELS.get(alert.deadline, "期限")
            line = (
                f"- {letter.tracking_code}《{letter.title}》：{what}"
                f"{'已于' if overdue else '将于'} {format_datetime(alert.due_at)} "
                f"{'届满，已超期' if overdue else '届满'}"
            )
            if alert.deadline == "acceptance":
                recipients = set(registrars)
            else:
                recipients = _emails(members, {Role.HANDLER}, alert.unit_id)
                unit = units.get(alert.unit_id) if alert.unit_id is not None else None
                if unit is not None and unit.email:
                    recipients.add(unit.email)
            if overdue:
                # A unit's overdue 办理时限 goes back to the registrars who set it.
                recipients |= registrars if alert.deadline == "assignment" else supervisors
            for address in recipients:
                digests[address].append(line)
            alert.emailed_at = utcnow()
        for address, lines in sorted(digests.items()):
            await send_email(
                app.settings, to=address,
                subject=f"【{tenant.name}】来信办理期限提醒（{len(lines)}件）",
                body="以下来信的办理期限需要关注，请登录工作台及时办理：\n\n"
                + "\n".join(lines) + "\n\n此邮件由系统自动发送。",
            )
            sent += 1
        await session.commit()
    return sent


async def send_citizen_notice(ctx: dict[str, Any], *, tenant_id: int, notice_id: int) -> str:
    """E-mail and/or SMS a statutory notice to the citizen, once."""
    app: AppContext = ctx["app"]
    tenant = await app.tenants.by_id(tenant_id)
    if tenant is None:
        return "no such tenant"
    async with tenant_session(app.database, tenant) as session:
        notice = await session.get(LetterNotice, notice_id)
        if notice is None:
            return "no such notice"
        letter = await session.get(Letter, notice.letter_id)
        assert letter is not None
        done = await session.scalar(
            select(LetterEvent.id).where(
                LetterEvent.letter_id == letter.id,
                LetterEvent.kind == DELIVERED_EVENT,
                LetterEvent.data["notice_id"].astext == str(notice.id),
            )
        )
        if done is not None:
            return "already sent"
        label = NOTICE_LABELS.get(notice.kind, "告知")
        # The page the notice points to, with the code filled in (never the
        # password: only the receipt carries that).
        link = tracking_url(app.settings, tenant, letter.tracking_code)
        body = f"{notice.text}\n查询办理进度：{link}"
        channels = []
        if letter.writer_email:
            await send_email(
                app.settings, to=letter.writer_email, subject=f"【{tenant.name}】{label}",
                body=body,
            )
            channels.append("email")
        if letter.writer_phone:
            text = f"【{tenant.name}】{body}"
            await sms_gateway(app.settings).send(letter.writer_phone, text)
            channels.append("sms")
        await add_timeline_event(
            session, letter, DELIVERED_EVENT, Actor.system(),
            message=f"{label}已发送（{'、'.join(channels) or '无联系方式'}）",
            data={"notice_id": notice.id, "channels": channels},
        )
        await session.commit()
    return "sent"


JOBS = [send_deadline_emails, send_citizen_notice]
CRON_JOBS: list[Any] = []
