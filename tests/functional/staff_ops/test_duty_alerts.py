"""The 2-hour check: alerts to the person on duty, then to the supervisor, by mail."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.accounts.policy import StaffUser
from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import WorkCalendar
from leadermail.platform.duty.alerts import alert_unseen_letters, check_unopened_inboxes
from leadermail.platform.duty.models import DutyAlert
from leadermail.platform.duty.rota import RotaTeams, StaffRef, plan_rota
from leadermail.platform.duty.services import note_inbox_opened, save_rota
from leadermail.platform.jobs.worker import collect_jobs
from leadermail.tenants.session import tenant_session
from tests.functional.staff_ops.helpers import make_letter, make_staff


async def _rota_around_now(context, tenant, person):  # noqa: ANN001
    today = utcnow().date()
    ref = StaffRef(person.user_id, person.name)
    entries = plan_rota(
        today - timedelta(days=1),
        today + timedelta(days=1),
        WorkCalendar(),
        RotaTeams([ref], [ref]),
    )
    async with tenant_session(context.database, tenant) as session:
        await save_rota(session, tenant_id=tenant.id, entries=entries, actor=Actor.system())
        await session.commit()


async def test_duty_person_then_supervisor_are_alerted_once(mail_context, smtp_sink, make_tenant):
    context = mail_context
    tenant = await make_tenant()
    duty = await make_staff(context, tenant, "值班员")
    supervisor = await make_staff(context, tenant, "督办员", Role.SUPERVISOR)
    await _rota_around_now(context, tenant, duty)
    now = utcnow()
    letter = await make_letter(
        context, tenant, title="深夜施工噪音", submitted_at=now - timedelta(hours=2, minutes=5)
    )

    assert await alert_unseen_letters(context, tenant, now=now) == 1
    assert [m["X-Rcpt-To"] for m in smtp_sink.messages] == [duty.email]
    body = smtp_sink.messages[0].get_payload(decode=True).decode()
    assert "深夜施工噪音" in body and letter.tracking_code in body
    subject = str(make_header(decode_header(smtp_sink.messages[0]["Subject"])))
    assert subject.endswith("来信超过2小时无人查看")

    # Running again changes nothing: each alert is sent once.
    assert await alert_unseen_letters(context, tenant, now=now + timedelta(minutes=10)) == 0
    assert len(smtp_sink.messages) == 1

    # Still unseen an hour later: the supervisor hears about it.
    assert await alert_unseen_letters(context, tenant, now=now + timedelta(hours=1)) == 1
    assert smtp_sink.messages[-1]["X-Rcpt-To"] == supervisor.email
    async with tenant_session(context.database, tenant) as session:
        levels = (
            (await session.execute(select(DutyAlert.level).order_by(DutyAlert.id))).scalars().all()
        )
        undelivered = (
            (await session.execute(select(DutyAlert).where(DutyAlert.delivered_at.is_(None))))
            .scalars()
            .all()
        )
    assert levels == ["duty", "supervisor"]
    assert undelivered == []


async def test_no_alert_once_the_duty_person_opened_the_inbox(mail_context, smtp_sink, make_tenant):
    context = mail_context
    tenant = await make_tenant()
    duty = await make_staff(context, tenant, "值班员")
    await _rota_around_now(context, tenant, duty)
    now = utcnow()
    await make_letter(context, tenant, submitted_at=now - timedelta(hours=3))
    async with tenant_session(context.database, tenant) as session:
        staff = StaffUser(duty.user_id, duty.name, duty.email, tenant, frozenset({"registrar"}))
        await note_inbox_opened(session, staff)
        await session.commit()
    assert await alert_unseen_letters(context, tenant, now=now) == 0
    assert smtp_sink.messages == []


async def test_a_mail_server_that_is_down_leaves_the_alert_to_retry(context, make_tenant):
    from dataclasses import replace

    from tests.functional.staff_ops.helpers import free_port

    down = replace(
        context, settings=replace(context.settings, smtp_host="127.0.0.1", smtp_port=free_port())
    )
    tenant = await make_tenant()
    duty = await make_staff(context, tenant, "值班员")
    await _rota_around_now(context, tenant, duty)
    await make_letter(context, tenant, submitted_at=utcnow() - timedelta(hours=2, minutes=1))
    assert await alert_unseen_letters(down, tenant) == 1
    async with tenant_session(context.database, tenant) as session:
        (alert,) = (await session.execute(select(DutyAlert))).scalars().all()
    assert alert.delivered_at is None and alert.last_error


async def test_tenants_without_a_rota_are_left_alone(mail_context, smtp_sink, make_tenant):
    tenant = await make_tenant()
    await make_letter(mail_context, tenant, submitted_at=utcnow() - timedelta(hours=5))
    assert await alert_unseen_letters(mail_context, tenant) == 0


async def test_the_cron_job_is_registered_with_the_worker(mail_context):
    functions, cron_jobs = collect_jobs()
    assert check_unopened_inboxes in functions
    assert any(job.coroutine is check_unopened_inboxes for job in cron_jobs)
