"""办理时限 over HTTP: chosen at 分办, refused when wrong (input kept), shown on
the letter page, in the unit's inbox and on the 交办单, changed with a reason
(audit, timeline, the unit's bell), carried along by an approved extension,
and watched by the deadline scan."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import httpx
from sqlalchemy import select, update

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.alerts import DeadlineAlert
from leadermail.platform.deadlines.calendar import end_of_day, local_day
from leadermail.platform.deadlines.letters import (
    apply_deadlines,
    letter_deadlines,
    session_calendar,
)
from leadermail.platform.deadlines.scan import scan_all_tenants
from leadermail.platform.letters.extensions import LetterExtension
from leadermail.platform.letters.models import Assignment, Letter, LetterEvent, Unit
from leadermail.platform.notifications.console import StaffNotification
from leadermail.platform.notifications.staff_jobs import send_deadline_emails
from leadermail.platform.web.templating import format_datetime
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    Staff,
    console_url,
    make_letter,
    make_staff,
    run_job,
    sign_in_client,
)


def today() -> date:
    return local_day(utcnow())


class Office:
    """A tenant with an accepted letter due in ten days, its registrar and
    the handlers of the unit it will go to."""

    tenant: TenantRef
    letter: Letter
    unit: Unit
    registrar: Staff
    handler: Staff

    @property
    def page(self) -> str:
        return console_url(self.tenant, f"/letters/{self.letter.id}")


async def open_office(context, make_tenant, **letter_values) -> Office:  # noqa: ANN001, ANN003
    office = Office()
    office.tenant = await make_tenant()
    async with tenant_session(context.database, office.tenant) as session:
        office.unit = (await session.execute(select(Unit).order_by(Unit.id).limit(1))).scalar_one()
    letter_values.setdefault("reply_due_at", end_of_day(today() + timedelta(days=10)))
    office.letter = await make_letter(
        context, office.tenant, title="路灯不亮", state="accepted", **letter_values
    )
    office.registrar = await make_staff(context, office.tenant, "王登记", Role.REGISTRAR)
    office.handler = await make_staff(
        context, office.tenant, "李承办", Role.HANDLER, unit_id=office.unit.id
    )
    return office


async def assignments(context, office: Office) -> list[Assignment]:  # noqa: ANN001
    async with tenant_session(context.database, office.tenant) as session:
        return list(
            await session.scalars(
                select(Assignment)
                .where(Assignment.letter_id == office.letter.id)
                .order_by(Assignment.id)
            )
        )


def field_error(html: str, element_id: str) -> str | None:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    return unescape(found.group(1)) if found else None


def input_value(html: str, element_id: str) -> str:
    tag = re.search(rf'<(?:input|textarea)[^>]*id="{element_id}"[^>]*>', html)
    assert tag is not None, element_id
    if tag.group(0).startswith("<textarea"):
        return unescape(html[tag.end():html.index("</textarea>", tag.end())])
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else ""


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "slip.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


async def test_the_form_offers_the_letters_deadline(context, make_tenant, client):
    office = await open_office(context, make_tenant)
    sign_in_client(client, office.registrar)
    page = (await client.get(office.page)).text
    last_day = (today() + timedelta(days=10)).isoformat()
    assert input_value(page, "assign-due-on") == last_day
    tag = re.search(r'<input id="assign-due-on"[^>]*>', page).group(0)
    assert f'min="{today().isoformat()}"' in tag and f'max="{last_day}"' in tag
    assert "默认为来信的答复期限" in page


async def test_assign_with_a_deadline_shows_it_to_everyone_concerned(
    context, make_tenant, client, tmp_path
):
    office = await open_office(context, make_tenant)
    sign_in_client(client, office.registrar)
    day = today() + timedelta(days=4)
    done = await client.post(
        office.page + "/assign",
        data={"unit_id": str(office.unit.id), "note": "请实地核查", "due_on": day.isoformat()},
    )
    assert done.status_code == 303, done.text[-2000:]
    [assignment] = await assignments(context, office)
    assert assignment.due_at == end_of_day(day)
    shown = format_datetime(end_of_day(day))

    # The letter page's 分办记录.
    page = (await client.get(office.page)).text
    assert f'办理时限 <span data-testid="assignment-due">{shown}</span>' in page
    # The audit record of the 分办 carries it.
    async with tenant_session(context.database, office.tenant) as session:
        record = (
            await session.execute(
                select(AuditRecord).where(AuditRecord.action == "letter.assign")
            )
        ).scalar_one()
        told = (
            await session.execute(
                select(StaffNotification).where(StaffNotification.kind == "assignment")
            )
        ).scalar_one()
    assert record.data["due_at"] == end_of_day(day).isoformat()
    # The unit hears of its deadline with the letter.
    assert told.user_id == office.handler.user_id and f"办理时限：{shown}" in told.body

    # The unit's inbox row shows it under the letter's own deadline.
    sign_in_client(client, office.handler)
    inbox = (await client.get(console_url(office.tenant, "/inbox"))).text
    row = inbox[inbox.index(f'id="letter-row-{office.letter.id}"'):]
    row = row[: row.index("</tr>")]
    assert f'<small data-testid="assignment-due">办理时限 {shown}</small>' in row
    assert "assignment-level" not in row  # four days left of ten: not yet urgent

    # The printed 交办单.
    slip = await client.get(office.page + "/documents/assignment-slip.pdf")
    assert slip.status_code == 200
    text = " ".join(pdf_text(slip.content, tmp_path).split())
    on_paper = format_datetime(end_of_day(day), "%Y年%m月%d日 %H:%M")
    assert f"办理时限 {on_paper}前报送办理结果" in text


async def test_assign_without_a_date_takes_the_letters_deadline(context, make_tenant, client):
    office = await open_office(context, make_tenant)
    sign_in_client(client, office.registrar)
    done = await client.post(
        office.page + "/assign", data={"unit_id": str(office.unit.id), "due_on": ""}
    )
    assert done.status_code == 303
    [assignment] = await assignments(context, office)
    assert assignment.due_at == office.letter.reply_due_at
    # Nothing earlier than the letter's deadline: the inbox row adds nothing.
    sign_in_client(client, office.handler)
    inbox = (await client.get(console_url(office.tenant, "/inbox"))).text
    assert 'data-testid="assignment-due"' not in inbox


async def test_a_bad_date_is_refused_next_to_the_field_with_the_input_kept(
    context, make_tenant, client
):
    office = await open_office(context, make_tenant)
    sign_in_client(client, office.registrar)
    letter_deadline = format_datetime(office.letter.reply_due_at)
    cases = {
        "2026-02-30": "请填写有效的日期，例如 2026-12-01",
        "下周五": "请填写有效的日期，例如 2026-12-01",
        (today() + timedelta(days=11)).isoformat(): (
            f"办理时限不能晚于来信的答复期限（{letter_deadline}）"
        ),
        (today() - timedelta(days=1)).isoformat(): "办理时限不能早于今天",
    }
    for typed, message in cases.items():
        for htmx in (False, True):
            refused = await client.post(
                office.page + "/assign",
                data={"unit_id": str(office.unit.id), "note": "请于周五前回复", "due_on": typed},
                headers={"HX-Request": "true"} if htmx else {},
            )
            assert refused.status_code == 422, (typed, refused.status_code)
            html = refused.text
            assert field_error(html, "assign-due-error") == message, typed
            assert input_value(html, "assign-due-on") == typed
            assert input_value(html, "assign-note") == "请于周五前回复"
            assert f'<option value="{office.unit.id}" selected>' in html
            assert 'aria-invalid="true"' in html
    # A missing unit is said next to the unit, the date kept as well.
    refused = await client.post(
        office.page + "/assign", data={"unit_id": "", "due_on": today().isoformat()}
    )
    assert refused.status_code == 422
    assert field_error(refused.text, "assign-unit-error") == "请选择承办单位"
    assert input_value(refused.text, "assign-due-on") == today().isoformat()
    assert await assignments(context, office) == []
    async with tenant_session(context.database, office.tenant) as session:
        state = await session.scalar(select(Letter.state).where(Letter.id == office.letter.id))
    assert state == "accepted"


async def assign(client: httpx.AsyncClient, office: Office, day: date) -> None:
    done = await client.post(
        office.page + "/assign", data={"unit_id": str(office.unit.id), "due_on": day.isoformat()}
    )
    assert done.status_code == 303, done.text[-2000:]


async def test_a_registrar_changes_the_deadline_with_a_reason(context, make_tenant, client):
    office = await open_office(context, make_tenant)
    colleague = await make_staff(
        context, office.tenant, "周承办", Role.HANDLER, unit_id=office.unit.id
    )
    sign_in_client(client, office.registrar)
    first_day = today() + timedelta(days=4)
    await assign(client, office, first_day)
    [assignment] = await assignments(context, office)
    change = f"{office.page}/assignments/{assignment.id}/deadline"
    form = f"deadline-{assignment.id}"
    new_day = today() + timedelta(days=7)

    # No reason: refused next to the reason, the chosen date kept.
    refused = await client.post(change, data={"due_on": new_day.isoformat(), "reason": " "})
    assert refused.status_code == 422
    assert field_error(refused.text, f"{form}-reason-error") == "请填写调整理由"
    assert input_value(refused.text, f"{form}-due") == new_day.isoformat()
    # Later than the letter: refused next to the date, the reason kept.
    late = (today() + timedelta(days=12)).isoformat()
    refused = await client.post(change, data={"due_on": late, "reason": "需要现场核查"})
    assert refused.status_code == 422
    assert "不能晚于来信的答复期限" in field_error(refused.text, f"{form}-due-error")
    assert input_value(refused.text, f"{form}-reason") == "需要现场核查"
    # Both wrong: both said.
    refused = await client.post(change, data={"due_on": "2020-01-01", "reason": ""})
    assert field_error(refused.text, f"{form}-due-error") == "办理时限不能早于今天"
    assert field_error(refused.text, f"{form}-reason-error") == "请填写调整理由"
    # A handler may not change it.
    sign_in_client(client, office.handler)
    refused = await client.post(change, data={"due_on": new_day.isoformat(), "reason": "想延后"})
    assert refused.status_code == 422 and "没有执行此操作的权限" in refused.text
    [unchanged] = await assignments(context, office)
    assert unchanged.due_at == end_of_day(first_day)

    sign_in_client(client, office.registrar)
    done = await client.post(change, data={"due_on": new_day.isoformat(), "reason": "需要现场核查"})
    assert done.status_code == 303
    [changed] = await assignments(context, office)
    assert changed.due_at == end_of_day(new_day)
    before, after = format_datetime(end_of_day(first_day)), format_datetime(end_of_day(new_day))
    async with tenant_session(context.database, office.tenant) as session:
        record = (
            await session.execute(
                select(AuditRecord).where(AuditRecord.action == "letter.assignment_deadline")
            )
        ).scalar_one()
        event = (
            await session.execute(
                select(LetterEvent).where(LetterEvent.kind == "assignment_deadline")
            )
        ).scalar_one()
        told = list(
            await session.scalars(
                select(StaffNotification).where(StaffNotification.kind == "assignment_deadline")
            )
        )
    assert record.data == {
        "assignment_id": assignment.id,
        "unit_id": office.unit.id,
        "previous_due_at": end_of_day(first_day).isoformat(),
        "new_due_at": end_of_day(new_day).isoformat(),
        "reason": "需要现场核查",
    }
    assert record.actor_user_id == office.registrar.user_id
    assert not event.is_public  # the writer sees the letter's deadline only
    assert event.message == (
        f"调整{office.unit.name}的办理时限：{before} → {after}；理由：需要现场核查"
    )
    assert {n.user_id for n in told} == {office.handler.user_id, colleague.user_id}
    assert all(after in n.body and "需要现场核查" in n.body for n in told)

    # The same date again: nothing to change.
    again = await client.post(change, data={"due_on": new_day.isoformat(), "reason": "再确认"})
    assert again.status_code == 422
    assert field_error(again.text, f"{form}-due-error") == "新的办理时限与原办理时限相同"
    page = (await client.get(office.page)).text
    assert f'<span data-testid="assignment-due">{after}</span>' in page
    assert "需要现场核查" in page  # the internal timeline entry


async def test_an_overdue_or_near_assignment_deadline_is_flagged_to_the_unit(
    context, make_tenant, client
):
    office = await open_office(context, make_tenant)
    other = await make_letter(
        context, office.tenant, title="另一封信", state="accepted",
        reply_due_at=end_of_day(today() + timedelta(days=10)),
    )
    sign_in_client(client, office.registrar)
    await assign(client, office, today() + timedelta(days=3))
    other_done = await client.post(
        console_url(office.tenant, f"/letters/{other.id}/assign"),
        data={"unit_id": str(office.unit.id), "due_on": (today() + timedelta(days=3)).isoformat()},
    )
    assert other_done.status_code == 303
    # Time passes: one deadline is over, the other is tomorrow.
    now = utcnow()
    async with tenant_session(context.database, office.tenant) as session:
        await session.execute(
            update(Assignment)
            .where(Assignment.letter_id == office.letter.id)
            .values(due_at=now - timedelta(hours=2))
        )
        await session.execute(
            update(Assignment)
            .where(Assignment.letter_id == other.id)
            .values(due_at=now + timedelta(hours=20))
        )
        await session.commit()
    sign_in_client(client, office.handler)
    inbox = (await client.get(console_url(office.tenant, "/inbox"))).text

    def row(letter_id: int) -> str:
        part = inbox[inbox.index(f'id="letter-row-{letter_id}"'):]
        return part[: part.index("</tr>")]

    assert (
        '<span class="level-overdue" data-testid="assignment-level">办理时限已过</span>'
        in row(office.letter.id)
    )
    assert (
        '<span class="level-due_soon" data-testid="assignment-level">办理时限将至</span>'
        in row(other.id)
    )
    page = (await client.get(office.page)).text
    assert '<span class="level-overdue" data-testid="assignment-level">办理时限已过</span>' in page


async def test_the_scan_urges_the_unit_about_its_own_deadline(
    mail_context, smtp_sink, make_tenant, client
):
    context = mail_context
    office = await open_office(context, make_tenant)
    supervisor = await make_staff(context, office.tenant, "赵督办", Role.SUPERVISOR)
    reply_due = end_of_day(today() + timedelta(days=20))
    letters = {
        title: await make_letter(
            context, office.tenant, title=title, state="accepted", reply_due_at=reply_due
        )
        for title in ("明天到期", "已经超时", "同答复期限")
    }
    sign_in_client(client, office.registrar)
    for letter in letters.values():
        done = await client.post(
            console_url(office.tenant, f"/letters/{letter.id}/assign"),
            data={"unit_id": str(office.unit.id)},
        )
        assert done.status_code == 303
    now = utcnow()
    async with tenant_session(context.database, office.tenant) as session:
        for title, due in (
            ("明天到期", now + timedelta(hours=20)),
            ("已经超时", now - timedelta(hours=3)),
        ):
            await session.execute(
                update(Assignment)
                .where(Assignment.letter_id == letters[title].id)
                .values(due_at=due)
            )
        await session.commit()

    report = await scan_all_tenants(context.database, [office.tenant], now=now)
    assert (report.due_soon, report.overdue, report.failed) == (1, 1, [])
    second = await scan_all_tenants(context.database, [office.tenant], now=now)
    assert (second.due_soon, second.overdue) == (0, 0)  # nobody is urged twice

    async with tenant_session(context.database, office.tenant) as session:
        alerts = {
            (a.letter_id, a.deadline, a.level, a.unit_id): a.id
            for a in (await session.execute(select(DeadlineAlert))).scalars()
        }
        notes = {
            (n.user_id, n.letter_id, n.kind): n.title
            for n in (await session.execute(select(StaffNotification))).scalars()
            if n.kind in ("urge", "escalation")
        }
        messages = set(
            await session.scalars(
                select(LetterEvent.message).where(LetterEvent.kind.in_(("urge", "escalation")))
            )
        )
    soon, late = letters["明天到期"].id, letters["已经超时"].id
    assert set(alerts) == {
        (soon, "assignment", "due_soon", office.unit.id),
        (late, "assignment", "overdue", office.unit.id),
    }
    assert notes[(office.handler.user_id, soon, "urge")] == "【催办】明天到期（办理时限即将到期）"
    assert notes[(office.handler.user_id, late, "urge")] == "【超期】已经超时（办理时限已过）"
    # The registrar who set it hears of the overdue one; the supervisors do
    # not: the letter's statutory deadline is weeks away.
    assert (office.registrar.user_id, late, "escalation") in notes
    assert not any(user == supervisor.user_id for user, _, _ in notes)
    assert "办理时限即将到期，已催办" in messages
    assert any(
        m.startswith("办理时限已过（") and m.endswith("已催办并报登记人员") for m in messages
    )

    sent = await run_job(
        context, send_deadline_emails, tenant_id=office.tenant.id, alert_ids=list(alerts.values())
    )
    assert sent >= 1
    bodies = {
        message["X-Rcpt-To"]: message.get_payload(decode=True).decode()
        for message in smtp_sink.messages
    }
    assert "办理时限将于" in bodies[office.handler.email]
    assert "办理时限已于" in bodies[office.registrar.email]
    assert supervisor.email not in bodies


async def test_an_approved_extension_carries_the_units_default_deadline_along(
    context, make_tenant, client
):
    office = await open_office(context, make_tenant, received_at=utcnow() - timedelta(days=1))
    leader = await make_staff(context, office.tenant, "张领导", Role.LEADER)
    other = await make_letter(
        context, office.tenant, title="另一封信", state="accepted",
        received_at=utcnow() - timedelta(days=1),
    )
    async with tenant_session(context.database, office.tenant) as session:
        calendar = await session_calendar(session)
        for letter_id in (office.letter.id, other.id):
            row = await session.get(Letter, letter_id)
            apply_deadlines(row, letter_deadlines(row, office.tenant.settings, calendar))
        await session.commit()
        first_due = (await session.get(Letter, office.letter.id)).reply_due_at
    sign_in_client(client, office.registrar)
    # One unit keeps the letter's deadline, the other was given two days.
    await client.post(office.page + "/assign", data={"unit_id": str(office.unit.id)})
    earlier = today() + timedelta(days=2)
    await client.post(
        console_url(office.tenant, f"/letters/{other.id}/assign"),
        data={"unit_id": str(office.unit.id), "due_on": earlier.isoformat()},
    )
    sign_in_client(client, office.handler)
    for letter_id in (office.letter.id, other.id):
        await client.post(
            console_url(office.tenant, f"/letters/{letter_id}/extensions"),
            data={"rule": "20d", "reason": "需要现场联合调查"},
        )
    sign_in_client(client, leader)
    async with tenant_session(context.database, office.tenant) as session:
        extensions = list(await session.scalars(select(LetterExtension.id)))
    for extension_id in extensions:
        decided = await client.post(
            console_url(office.tenant, f"/extensions/{extension_id}/decide"),
            data={"approve": "1"},
        )
        assert decided.status_code in (200, 303)
    async with tenant_session(context.database, office.tenant) as session:
        extended = (await session.get(Letter, office.letter.id)).reply_due_at
        dues = dict(
            (await session.execute(
                select(Assignment.letter_id, Assignment.due_at)
                .where(Assignment.status == "active")
            )).all()
        )
    assert extended > first_due + timedelta(days=19)
    # The default followed the letter (the unit is not "overdue" on the old
    # date); the registrar's earlier choice stays.
    assert dues == {office.letter.id: extended, other.id: end_of_day(earlier)}
    report = await scan_all_tenants(context.database, [office.tenant], now=utcnow())
    async with tenant_session(context.database, office.tenant) as session:
        kinds = set(await session.scalars(select(DeadlineAlert.letter_id)))
    assert office.letter.id not in kinds and report.failed == []
