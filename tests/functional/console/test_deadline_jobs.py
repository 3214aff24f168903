"""The deadline scan (urge / escalate once per level) and the recompute after
a holiday schedule is loaded, against real PostgreSQL and a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.alerts import DeadlineAlert
from leadermail.platform.deadlines.jobs import recompute_provisional_deadlines
from leadermail.platform.deadlines.models import HolidayDay
from leadermail.platform.deadlines.recompute import load_holiday_schedule
from leadermail.platform.deadlines.runs import RecomputeRun
from leadermail.platform.deadlines.scan import scan_all_tenants
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.letters.models import Letter, LetterEvent, Unit
from leadermail.platform.notifications.console import StaffNotification
from leadermail.platform.notifications.staff_jobs import send_deadline_emails
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import make_letter, make_staff, run_job


async def first_unit(context, tenant, email: str | None = None) -> int:
    async with tenant_session(context.database, tenant) as session:
        unit = (await session.execute(select(Unit).order_by(Unit.id))).scalars().first()
        unit.email = email
        await session.commit()
        return unit.id


async def test_scan_urges_once_per_level_and_escalates_overdue(
    mail_context, smtp_sink, make_tenant
):
    context = mail_context
    tenant = await make_tenant()
    unit_id = await first_unit(context, tenant, email="unit@example.cn")
    handler = await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit_id)
    supervisor = await make_staff(context, tenant, "赵督办", Role.SUPERVISOR)
    registrar = await make_staff(context, tenant, "王登记", Role.REGISTRAR)
    now = utcnow()
    # complaint: reply rule 10wd -> due soon within 2.8 days of the due time.
    soon = await make_letter(context, tenant, title="快到期", state="assigned", unit_id=unit_id,
                             reply_due_at=now + timedelta(days=1))
    late = await make_letter(context, tenant, title="已超期", state="assigned", unit_id=unit_id,
                             reply_due_at=now - timedelta(hours=3))
    fine = await make_letter(context, tenant, title="不急", state="assigned", unit_id=unit_id,
                             reply_due_at=now + timedelta(days=9))
    unaccepted = await make_letter(context, tenant, title="未受理", state="submitted",
                                   acceptance_due_at=now - timedelta(minutes=5))

    report = await scan_all_tenants(context.database, [tenant], now=now)
    assert (report.due_soon, report.overdue, report.failed) == (1, 2, [])

    async with tenant_session(context.database, tenant) as session:
        alerts = {
            (a.letter_id, a.deadline, a.level)
            for a in (await session.execute(select(DeadlineAlert))).scalars()
        }
        assert alerts == {
            (soon.id, "reply", "due_soon"), (late.id, "reply", "overdue"),
            (unaccepted.id, "acceptance", "overdue"),
        }
        notes = {
            (n.user_id, n.letter_id, n.kind)
            for n in (await session.execute(select(StaffNotification))).scalars()
        }
        assert (handler.user_id, soon.id, "urge") in notes
        assert (handler.user_id, late.id, "urge") in notes
        assert (supervisor.user_id, late.id, "escalation") in notes
        assert (registrar.user_id, unaccepted.id, "urge") in notes
        assert (supervisor.user_id, soon.id, "escalation") not in notes
        assert all(letter_id != fine.id for _, letter_id, _ in notes)
        events = (
            await session.execute(select(LetterEvent.letter_id, LetterEvent.kind))
        ).all()
        assert (late.id, "escalation") in events and (soon.id, "urge") in events
        # The console speaks Beijing time, like every other date it shows.
        escalation = await session.scalar(
            select(LetterEvent.message).where(
                LetterEvent.letter_id == late.id, LetterEvent.kind == "escalation"
            )
        )
        local_due = late.reply_due_at.astimezone(ZoneInfo("Asia/Shanghai"))
        assert escalation == f"答复期限已过（{local_due:%Y-%m-%d %H:%M}），已催办并报督办"
        job = (
            await session.execute(
                select(OutboxJob).where(
                    OutboxJob.tenant_id == tenant.id, OutboxJob.job_name == "send_deadline_emails"
                )
            )
        ).scalar_one()

    # The e-mail job: one digest per recipient, then nothing on a second run.
    sent = await run_job(context, send_deadline_emails, **job.kwargs)
    recipients = sorted(m["X-Rcpt-To"] for m in smtp_sink.messages)
    assert sent == len(recipients)
    expected = [handler.email, "unit@example.cn", supervisor.email, registrar.email]
    assert recipients == sorted(expected)
    assert await run_job(context, send_deadline_emails, **job.kwargs) == 0

    # A second scan at the same moment urges nobody again.
    again = await scan_all_tenants(context.database, [tenant], now=now)
    assert (again.due_soon, again.overdue) == (0, 0)
    # The due-soon letter becomes overdue later: escalated once more, then quiet.
    later = now + timedelta(days=2)
    third = await scan_all_tenants(context.database, [tenant], now=later)
    assert (third.due_soon, third.overdue) == (0, 1)
    assert (await scan_all_tenants(context.database, [tenant], now=later)).overdue == 0


async def test_an_extended_deadline_is_watched_afresh(context, make_tenant):
    tenant = await make_tenant()
    now = utcnow()
    letter = await make_letter(
        context, tenant, state="accepted", reply_due_at=now - timedelta(hours=1)
    )
    assert (await scan_all_tenants(context.database, [tenant], now=now)).overdue == 1
    async with tenant_session(context.database, tenant) as session:
        row = await session.get(Letter, letter.id)
        row.reply_due_at = now + timedelta(hours=12)
        await session.commit()
    report = await scan_all_tenants(context.database, [tenant], now=now)
    assert (report.due_soon, report.overdue) == (1, 0)


async def test_loading_a_schedule_recomputes_provisional_deadlines(context, make_tenant):
    tenant = await make_tenant()
    # Received on Friday 2027-02-05 (Shanghai): 10 working days, and 2027 has
    # no official data in chinesecalendar 1.11 -> Monday-Friday, provisional.
    received = datetime(2027, 2, 5, 2, 0, tzinfo=UTC)
    letter = await make_letter(
        context, tenant, state="accepted", received_at=received, submitted_at=received,
        reply_due_at=datetime(2027, 2, 19, 15, 59, 59, tzinfo=UTC), deadline_provisional=True,
        acceptance_due_at=received + timedelta(hours=24),
    )
    closed = await make_letter(
        context, tenant, state="closed", received_at=received, submitted_at=received,
        reply_due_at=datetime(2027, 2, 19, 15, 59, 59, tzinfo=UTC), deadline_provisional=True,
    )
    schedule = "\n".join([
        "# 2027年春节（示例）",
        "2027-02-06,2027-02-12,holiday,春节",
        "2027-02-14,workday,春节调休",
        "2027-02-20,workday,春节调休",
    ])
    try:
        run = await load_holiday_schedule(
            context.database, 2027, schedule, source="测试安排", actor=Actor.system("省管理员")
        )
        status = await run_job(context, recompute_provisional_deadlines, run_id=run.id)
        assert status == "done"
        async with context.database.core_session() as session:
            finished = await session.get(RecomputeRun, run.id)
            assert finished.tenants_done == finished.tenants_total >= 1
            assert finished.letters_changed >= 1
        async with tenant_session(context.database, tenant) as session:
            recomputed = await session.get(Letter, letter.id)
            untouched = await session.get(Letter, closed.id)
        # Working days after Fri 02-05: Mon 02-08..Fri 02-12 are 春节 holidays,
        # Sun 02-14 is a make-up working day (1), 15-19 (2-6), Sat 20 (7),
        # 22-24 (8-10): due at the end of Wednesday 2027-02-24, Shanghai.
        assert recomputed.reply_due_at == datetime(2027, 2, 24, 15, 59, 59, tzinfo=UTC)
        assert recomputed.deadline_provisional is False
        assert untouched.reply_due_at == datetime(2027, 2, 19, 15, 59, 59, tzinfo=UTC)
        assert untouched.deadline_provisional is True
    finally:
        async with context.database.core_session() as session:
            await session.execute(delete(HolidayDay).where(HolidayDay.year == 2027))
            await session.commit()


async def test_province_admin_uploads_a_schedule_and_watches_the_recompute(
    context, make_tenant, client
):
    from leadermail.platform.accounts.models import Role as Roles
    from tests.functional.console.staff_session import console_url, sign_in_client

    province = await make_tenant(kind="province")
    sign_in_client(client, await make_staff(context, province, "省管理员", Roles.PROVINCE_ADMIN))
    bad = await client.post(console_url(province, "/deadlines/holidays"),
                            data={"year": "2027", "schedule": "2027-02-30,holiday,春节"})
    assert bad.status_code == 422 and "2027-02-30" in bad.text
    try:
        response = await client.post(
            console_url(province, "/deadlines/holidays"),
            data={"year": "2027", "source": "国办发明电〔2026〕X号"},
            files={"file": ("2027.txt", "2027-02-06,2027-02-12,holiday,春节\n".encode())},
        )
        assert response.status_code == 303
        status_url = response.headers["location"]
        queued = await client.get(status_url, headers={"HX-Request": "true"})
        assert "排队中" in queued.text and "every 1s" in queued.text
        async with context.database.core_session() as session:
            job = (
                await session.execute(
                    select(OutboxJob).where(OutboxJob.job_name == "recompute_provisional_deadlines")
                    .order_by(OutboxJob.id.desc())
                )
            ).scalars().first()
        assert await run_job(context, recompute_provisional_deadlines, **job.kwargs) == "done"
        done = await client.get(status_url, headers={"HX-Request": "true"})
        assert "已完成" in done.text and "every 1s" not in done.text
        page = await client.get(console_url(province, "/deadlines/holidays"))
        assert "国办发明电〔2026〕X号" in page.text
    finally:
        async with context.database.core_session() as session:
            await session.execute(delete(HolidayDay).where(HolidayDay.year == 2027))
            await session.commit()
    registrar_tenant = await make_tenant()
    sign_in_client(client, await make_staff(context, registrar_tenant, "王登记", Roles.REGISTRAR))
    refused = await client.get(console_url(registrar_tenant, "/deadlines/holidays"))
    assert refused.status_code == 403


def test_cli_loads_a_schedule(tmp_path, migrated, monkeypatch):
    from leadermail import cli

    path = tmp_path / "2028.txt"
    path.write_text("2028-01-01,holiday,元旦\n", encoding="utf-8")
    for key, value in {
        "DATABASE_URL": migrated.database_url, "REDIS_URL": migrated.redis_url,
        "SECRET_KEY": migrated.secret_key, "LEADERMAIL_VAR_DIR": str(tmp_path),
    }.items():
        monkeypatch.setenv(key, value)
    try:
        assert cli.main(["holidays", "load", "--year", "2028", str(path), "--now"]) == 0
        assert cli.main(["holidays", "load", "--year", "2028", str(tmp_path / "missing")]) == 2
    finally:
        import psycopg

        url = migrated.database_url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM core.holiday_days WHERE year = 2028")
