"""Statutory notices and extensions: generated, public, timed, delivered; the
extension needs the unit head and is capped at 30 days in total."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.letters import (
    apply_deadlines,
    letter_deadlines,
    session_calendar,
)
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.letters.extensions import LetterExtension
from leadermail.platform.letters.models import Letter, LetterEvent, Unit
from leadermail.platform.letters.notices import LetterNotice
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.platform.notifications.sms import LoggingSmsGateway, set_sms_gateway
from leadermail.platform.notifications.staff_jobs import send_citizen_notice
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    run_job,
    sign_in_client,
)
from tests.functional.console.test_reply_attachments import PASSWORD, open_desk


async def test_acceptance_notice_is_public_timed_and_delivered(
    mail_context, smtp_sink, make_tenant, client
):
    context = mail_context
    tenant = await make_tenant()
    letter = await make_letter(
        context, tenant, state="accepted", writer_email="citizen@example.cn",
        writer_phone="13812345678", received_at=utcnow() - timedelta(days=1),
        reply_due_at=utcnow() + timedelta(days=10),
    )
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    response = await client.post(
        console_url(tenant, f"/letters/{letter.id}/notices"), data={"kind": "acceptance"}
    )
    assert response.status_code == 303
    page = await client.get(console_url(tenant, f"/letters/{letter.id}/notices"))
    assert "受理告知" in page.text and "按时" in page.text

    async with tenant_session(context.database, tenant) as session:
        notice = (await session.execute(select(LetterNotice))).scalar_one()
        event = await session.get(LetterEvent, notice.event_id)
        job = (
            await session.execute(
                select(OutboxJob).where(
                    OutboxJob.tenant_id == tenant.id, OutboxJob.job_name == "send_citizen_notice"
                )
            )
        ).scalar_one()
    assert notice.on_time is True
    assert timedelta(days=13) < notice.due_at - notice.sent_at < timedelta(days=16)
    assert event.kind == "notice_acceptance" and event.is_public
    assert format_tracking_code(letter.tracking_code) in event.message and "已于" in event.message
    assert "王女士" not in event.message  # no personal data in a public notice

    # Issuing it twice gives the same notice.
    await client.post(
        console_url(tenant, f"/letters/{letter.id}/notices"), data={"kind": "acceptance"}
    )
    async with tenant_session(context.database, tenant) as session:
        assert len((await session.execute(select(LetterNotice))).scalars().all()) == 1

    gateway = LoggingSmsGateway()
    set_sms_gateway(context.settings, gateway)
    assert await run_job(context, send_citizen_notice, **job.kwargs) == "sent"
    assert [m["X-Rcpt-To"] for m in smtp_sink.messages] == ["citizen@example.cn"]
    assert len(gateway.sent) == 1
    assert format_tracking_code(letter.tracking_code) in gateway.sent[0][1]
    assert await run_job(context, send_citizen_notice, **job.kwargs) == "already sent"
    assert len(smtp_sink.messages) == 1


async def test_non_acceptance_needs_a_reason(context, make_tenant, client):
    tenant = await make_tenant()
    letter = await make_letter(context, tenant, state="not_accepted")
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    await client.post(console_url(tenant, f"/letters/{letter.id}/notices"),
                      data={"kind": "non_acceptance"})
    page = await client.get(console_url(tenant, f"/letters/{letter.id}/notices"))
    assert "需要写明理由" in page.text
    await client.post(console_url(tenant, f"/letters/{letter.id}/notices"),
                      data={"kind": "non_acceptance", "reason": "反映事项已进入诉讼程序"})
    async with tenant_session(context.database, tenant) as session:
        notice = (await session.execute(select(LetterNotice))).scalar_one()
    assert "反映事项已进入诉讼程序" in notice.text


async def test_extension_is_approved_by_the_unit_head_and_capped(context, make_tenant, client):
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        unit_id = (await session.execute(select(Unit.id).order_by(Unit.id))).scalars().first()
    letter = await make_letter(
        context, tenant, state="assigned", unit_id=unit_id,
        received_at=utcnow() - timedelta(days=2),
    )
    async with tenant_session(context.database, tenant) as session:
        row = await session.get(Letter, letter.id)
        calendar = await session_calendar(session)
        apply_deadlines(row, letter_deadlines(row, tenant.settings, calendar))
        original_due = row.reply_due_at
        await session.commit()
    handler = await make_staff(context, tenant, "李承办", Role.HANDLER, unit_id=unit_id)
    leader = await make_staff(context, tenant, "张领导", Role.LEADER)

    sign_in_client(client, handler)
    await client.post(console_url(tenant, f"/letters/{letter.id}/extensions"),
                      data={"rule": "20d", "reason": "需要住建、城管两部门联合调查"})
    # A handler cannot approve.
    async with tenant_session(context.database, tenant) as session:
        extension = (await session.execute(select(LetterExtension))).scalar_one()
    refused = await client.post(console_url(tenant, f"/extensions/{extension.id}/decide"),
                                data={"approve": "1"})
    assert refused.status_code == 403

    sign_in_client(client, leader)
    pending = await client.get(console_url(tenant, "/notices/extensions"))
    assert "需要住建、城管两部门联合调查" in pending.text
    await client.post(
        console_url(tenant, f"/extensions/{extension.id}/decide"), data={"approve": "1"}
    )
    async with tenant_session(context.database, tenant) as session:
        row = await session.get(Letter, letter.id)
        notice = (
            await session.execute(select(LetterNotice).where(LetterNotice.kind == "extension"))
        ).scalar_one()
        event = await session.get(LetterEvent, notice.event_id)
    assert row.reply_due_at > original_due + timedelta(days=19)
    assert event.is_public and event.kind == "notice_extension"
    assert "需要住建、城管两部门联合调查" in notice.text and notice.on_time is True

    # A second extension past 30 days in total is refused with the article.
    sign_in_client(client, handler)
    await client.post(console_url(tenant, f"/letters/{letter.id}/extensions"),
                      data={"rule": "15d", "reason": "仍需调查"})
    page = await client.get(console_url(tenant, f"/letters/{letter.id}/notices"))
    assert "第三十四条" in page.text
    async with tenant_session(context.database, tenant) as session:
        assert len((await session.execute(select(LetterExtension))).scalars().all()) == 1


def mail_text(message) -> str:  # noqa: ANN001
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


async def writer_notices(context, tenant, letter_id: int) -> list[LetterNotice]:  # noqa: ANN001
    async with tenant_session(context.database, tenant) as session:
        return list(
            await session.scalars(
                select(LetterNotice).where(LetterNotice.letter_id == letter_id)
                .order_by(LetterNotice.id)
            )
        )


async def queued_notice_ids(context, tenant) -> list[int]:  # noqa: ANN001
    async with tenant_session(context.database, tenant) as session:
        jobs = await session.scalars(
            select(OutboxJob).where(
                OutboxJob.tenant_id == tenant.id, OutboxJob.job_name == "send_citizen_notice"
            )
        )
        return [job.kwargs["notice_id"] for job in jobs]


async def test_the_writer_is_told_to_send_material_with_the_staffs_words(
    mail_context, smtp_sink, make_tenant, client
):
    context = mail_context
    desk = await open_desk(
        context, make_tenant, writer_email="citizen@example.cn", writer_phone="13812345678"
    )
    sign_in_client(client, desk.staff["registrar"])
    for _ in range(2):  # a double click: the second finds the letter already waiting
        await client.post(desk.base + "/do/request_material", data={"message": "请提供现场照片。"})

    (notice,) = await writer_notices(context, desk.tenant, desk.letter.id)
    assert notice.kind == "material_request" and notice.label == "补充材料告知"
    assert await queued_notice_ids(context, desk.tenant) == [notice.id]
    assert "需要您补充材料：请提供现场照片。请凭查询码和查询密码" in notice.text
    assert "“信件查询”页面" in notice.text
    assert format_tracking_code(desk.letter.tracking_code) in notice.text
    assert "。。" not in notice.text
    assert notice.due_at is None and notice.on_time is None

    gateway = LoggingSmsGateway()
    set_sms_gateway(context.settings, gateway)
    assert await run_job(context, send_citizen_notice, notice_id=notice.id,
                         tenant_id=desk.tenant.id) == "sent"
    ((_, sms),) = gateway.sent
    (mail,) = smtp_sink.messages
    assert "请提供现场照片" in sms
    assert str(make_header(decode_header(mail["Subject"]))) == f"【{desk.tenant.name}】补充材料告知"
    for text in (notice.text, sms, mail_text(mail)):
        assert PASSWORD not in text


async def test_the_writer_is_told_a_reply_waits_but_not_what_it_says(
    mail_context, smtp_sink, make_tenant, client
):
    context = mail_context
    desk = await open_desk(
        context, make_tenant, writer_email="citizen@example.cn", writer_phone="13812345678"
    )
    sign_in_client(client, desk.staff["handler"])
    await client.post(desk.base + "/reply", data={"body": "经核查，路灯已于昨日修复。"})
    sign_in_client(client, desk.staff["leader"])
    await client.post(desk.base + "/reply/approve")
    sign_in_client(client, desk.staff["registrar"])
    for _ in range(2):  # a double click: the second finds nothing left to send
        await client.post(desk.base + "/reply/send")

    (notice,) = await writer_notices(context, desk.tenant, desk.letter.id)
    assert notice.kind == "replied" and notice.label == "答复告知"
    assert await queued_notice_ids(context, desk.tenant) == [notice.id]
    assert "答复。请凭查询码和查询密码在本信箱“信件查询”页面查看答复" in notice.text
    assert "路灯已于昨日修复" not in notice.text

    gateway = LoggingSmsGateway()
    set_sms_gateway(context.settings, gateway)
    kwargs = {"tenant_id": desk.tenant.id, "notice_id": notice.id}
    assert await run_job(context, send_citizen_notice, **kwargs) == "sent"
    assert await run_job(context, send_citizen_notice, **kwargs) == "already sent"
    ((_, sms),) = gateway.sent
    (mail,) = smtp_sink.messages
    for text in (sms, mail_text(mail)):
        assert format_tracking_code(desk.letter.tracking_code) in text
        assert "路灯已于昨日修复" not in text and PASSWORD not in text


async def test_staff_text_ending_in_a_full_stop_gets_no_second_one(context, make_tenant, client):
    tenant = await make_tenant()
    refused = await make_letter(context, tenant, state="not_accepted")
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    await client.post(
        console_url(tenant, f"/letters/{refused.id}/notices"),
        data={"kind": "non_acceptance", "reason": "请向法院反映。"},
    )
    (notice,) = await writer_notices(context, tenant, refused.id)
    assert "理由：请向法院反映。如对本决定有异议" in notice.text

    # The extension's reason sits mid-sentence: no full stop before the comma.
    async with tenant_session(context.database, tenant) as session:
        unit_id = (await session.execute(select(Unit.id).order_by(Unit.id))).scalars().first()
    letter = await make_letter(
        context, tenant, state="assigned", unit_id=unit_id,
        received_at=utcnow() - timedelta(days=2),
    )
    async with tenant_session(context.database, tenant) as session:
        row = await session.get(Letter, letter.id)
        apply_deadlines(
            row, letter_deadlines(row, tenant.settings, await session_calendar(session))
        )
        await session.commit()
    sign_in_client(client, await make_staff(context, tenant, "李承办", Role.HANDLER,
                                            unit_id=unit_id))
    await client.post(console_url(tenant, f"/letters/{letter.id}/extensions"),
                      data={"rule": "15d", "reason": "需要夜查。"})
    sign_in_client(client, await make_staff(context, tenant, "张领导", Role.LEADER))
    async with tenant_session(context.database, tenant) as session:
        extension = (await session.execute(select(LetterExtension))).scalar_one()
    await client.post(
        console_url(tenant, f"/extensions/{extension.id}/decide"), data={"approve": "1"}
    )
    (notice,) = await writer_notices(context, tenant, letter.id)
    assert "因需要夜查，经单位负责人批准" in notice.text
