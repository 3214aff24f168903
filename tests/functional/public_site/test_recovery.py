"""找回查询码或密码 over HTTP: the same answer for every number, a new password
by SMS (and e-mail) for the writer's letters, the lock-out cleared."""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import select

from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.letters.citizen_access import LOCKED_MESSAGE, MAX_WRONG_PASSWORDS
from leadermail.platform.letters.models import Letter, LetterEvent
from leadermail.platform.letters.recovery import RECOVERY_JOB
from leadermail.platform.notifications.recovery_jobs import send_tracking_recovery
from leadermail.platform.notifications.sms import LoggingSmsGateway, set_sms_gateway
from leadermail.platform.web.ratelimit import Step
from leadermail.public_site.routes.recovery import BUSY_MESSAGE, PHONE_LIMIT
from leadermail.tenants.session import tenant_session
from tests.functional.public_site.conftest import Citizen, elsewhere, hidden

_numbers = itertools.count(1)


def new_phone() -> str:
    """A number of its own per test: the per-number limit is shared by all."""
    return f"1380000{next(_numbers):04d}"


async def ask(citizen: Citizen, phone: str, code: str = "", need: str = "password"):  # noqa: ANN201
    page = (await citizen.get("/track/recover")).text
    return await citizen.post(
        "/track/recover",
        data={"csrf_token": hidden(page, "csrf_token"), "phone": phone, "code": code, "need": need},
    )


async def recovery_jobs(context, tenant) -> list[OutboxJob]:  # noqa: ANN001
    async with context.database.core_session() as session:
        return list(
            (
                await session.scalars(
                    select(OutboxJob)
                    .where(OutboxJob.tenant_id == tenant.id, OutboxJob.job_name == RECOVERY_JOB)
                    .order_by(OutboxJob.id)
                )
            ).all()
        )


def answer_of(page: str) -> str:
    """The page without what differs by request (the CSRF token, the masked number)."""
    page = re.sub(r'name="csrf_token" value="[^"]*"', "", page)
    return re.sub(r"1\d\d\*\*\*\*\d{4}", "NUMBER", page)



_addresses = itertools.count(1)


@pytest.fixture
async def citizen(app, make_tenant) -> Citizen:  # noqa: ANN001
    """A writer on an address of their own (the per-address limit is shared too)."""
    tenant = await make_tenant(leader_name="李明", leader_title="市长")
    return Citizen(await elsewhere(app, f"198.18.{next(_addresses)}.1"), tenant)


@pytest.fixture
def sms(context):  # noqa: ANN001, ANN201
    gateway = LoggingSmsGateway()
    set_sms_gateway(context.settings, gateway)
    return gateway


async def test_the_same_answer_whether_or_not_the_number_wrote(citizen, context, sms):
    phone = new_phone()
    await citizen.write_letter(phone=phone)
    wrote = await ask(citizen, phone)
    stranger = await ask(citizen, "13900000001")
    assert wrote.status_code == stranger.status_code == 200
    assert "申请已收到" in wrote.text and f"138****{phone[-4:]}" in wrote.text
    assert answer_of(wrote.text) == answer_of(stranger.text)
    # Only the writer's number gets a job (and so an SMS).
    jobs = await recovery_jobs(context, citizen.tenant)
    assert len(jobs) == 1


async def test_a_new_password_reaches_the_phone_and_the_old_one_stops(
    citizen, context, sms, mail_context, smtp_sink
):
    phone = new_phone()
    code, old_password = await citizen.write_letter(phone=phone, email="zhang@example.com")
    typed = f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}"  # written another way
    answer = await ask(citizen, typed, code=code.lower())
    assert answer.status_code == 200
    (job,) = await recovery_jobs(context, citizen.tenant)
    set_sms_gateway(mail_context.settings, sms)
    assert await send_tracking_recovery({"app": mail_context}, **job.kwargs) == "sent via sms,email"
    ((phone, shown),) = sms.sent
    assert phone == f"138****{phone[-4:]}" and code in shown and "********" in shown
    mail = smtp_sink.messages[-1]
    assert mail["X-Rcpt-To"] == "zhang@example.com"
    body = mail.get_payload(decode=True).decode()
    new_password = re.search(r"新查询密码 ([a-z2-9]{5}-[a-z2-9]{5})", body).group(1)
    assert new_password not in shown  # blanked in the SMS log
    assert f"/t/{citizen.tenant.slug}/track?code={code}" in body
    assert (await citizen.track(code, old_password)).status_code == 403
    assert (await citizen.track(code, new_password)).status_code == 303
    # Run twice, sent once; the sealed password is scrubbed from the outbox.
    assert await send_tracking_recovery({"app": mail_context}, **job.kwargs) == "already sent"
    assert len(sms.sent) == 1
    async with context.database.core_session() as session:
        assert "sealed_passwords" not in (await session.get(OutboxJob, job.id)).kwargs
    # Staff see who did it and when, never the password.
    async with tenant_session(context.database, citizen.tenant) as session:
        letter = await session.scalar(
            select(Letter).where(Letter.tracking_code == code.replace("-", ""))
        )
        events = (
            await session.scalars(select(LetterEvent).where(LetterEvent.letter_id == letter.id))
        ).all()
        reset = [e for e in events if e.kind == "query_password_reset"]
        assert [(e.message, e.actor_label, e.is_public) for e in reset] == [
            ("来信人重置了查询密码", "来信人", False)
        ]
        assert any(e.kind == "tracking_recovery_sent" for e in events)
        audit = await session.scalar(
            select(AuditRecord).where(
                AuditRecord.action == "letter.query_password_reset",
                AuditRecord.object_id == str(letter.id),
            )
        )
        assert audit is not None and audit.actor_label == "来信人"
        assert new_password not in str(audit.data) and all(
            new_password not in (e.message or "") + str(e.data) for e in events
        )


async def test_without_a_code_every_recent_letter_is_listed_and_only_codes_when_asked(
    citizen, context, sms
):
    phone = new_phone()
    first, first_password = await citizen.write_letter(phone=phone)
    second, _ = await citizen.write_letter(phone=phone, title="路灯坏了很久没人修")
    await citizen.write_letter(phone="13900000002", title="别人的来信不该出现")
    await ask(citizen, phone, need="code")
    (job,) = await recovery_jobs(context, citizen.tenant)
    assert job.kwargs["sealed_passwords"] == {}
    await send_tracking_recovery({"app": context}, **job.kwargs)
    ((_, shown),) = sms.sent
    assert first in shown and second in shown and "别人的来信" not in shown
    assert shown.count("查询密码不变") == 2
    assert (await citizen.track(first, first_password)).status_code == 303
    # Both forgotten: a new password for each listed letter.
    await ask(citizen, phone)
    job = (await recovery_jobs(context, citizen.tenant))[-1]
    assert len(job.kwargs["sealed_passwords"]) == 2


async def test_a_code_of_another_number_resets_nothing(citizen, context, sms):
    phone = new_phone()
    mine, _ = await citizen.write_letter(phone=phone)
    theirs, their_password = await citizen.write_letter(phone="13900000003")
    answer = await ask(citizen, phone, code=theirs)
    assert "申请已收到" in answer.text
    (job,) = await recovery_jobs(context, citizen.tenant)
    assert job.kwargs["sealed_passwords"] == {} and job.kwargs["code_not_found"]
    await send_tracking_recovery({"app": context}, **job.kwargs)
    ((_, shown),) = sms.sent
    assert mine in shown and theirs not in shown and "没有重设密码" in shown
    assert (await citizen.track(theirs, their_password)).status_code == 303


async def test_a_reset_lifts_the_lock_out_from_the_lock_message_link(citizen, context, sms, app):
    phone = new_phone()
    code, _ = await citizen.write_letter(phone=phone)
    for _ in range(MAX_WRONG_PASSWORDS):
        await citizen.track(code, "wrongpass")
    locked = await citizen.track(code, "still-wrong")
    assert LOCKED_MESSAGE in locked.text
    link = re.search(r'href="([^"]*/track/recover\?code=[^"]*)"', locked.text).group(1)
    form = await citizen.client.get(link.replace("&amp;", "&"))
    assert f'value="{code}"' in form.text
    await ask(citizen, phone, code=code)
    (job,) = await recovery_jobs(context, citizen.tenant)
    await send_tracking_recovery({"app": context}, **job.kwargs)
    assert "新查询密码 ********" in sms.sent[0][1]  # blanked in what the gateway logged
    async with tenant_session(context.database, citizen.tenant) as session:
        letter = await session.scalar(
            select(Letter).where(Letter.tracking_code == code.replace("-", ""))
        )
    # The lock is gone for this address: a wrong guess is wrong again, not locked.
    again = await citizen.track(code, "wrongpass")
    assert LOCKED_MESSAGE not in again.text and letter.query_password_hash.startswith("v2:")


async def test_bad_input_is_said_next_to_the_field_and_kept(citizen):
    answer = await ask(citizen, "138 1234", code="hello")
    assert answer.status_code == 422
    assert "请填写有效的手机号码" in answer.text and "查询码是 10 位字母和数字" in answer.text
    assert 'value="138 1234"' in answer.text and 'value="hello"' in answer.text
    empty = await ask(citizen, "")
    assert "请填写写信时留的手机号码" in empty.text


async def test_requests_are_limited_per_number_and_per_address(citizen, context, app):
    limit = f"{PHONE_LIMIT[1]}/day"
    for _ in range(PHONE_LIMIT[1]):
        await context.rate_limiter.check(Step.hit(PHONE_LIMIT[0], "13900000009", limit))
    refused = await ask(citizen, "139 0000 0009")
    assert refused.status_code == 429 and BUSY_MESSAGE in refused.text
    assert 'value="139 0000 0009"' in refused.text
    other = Citizen(await elsewhere(app, "203.0.113.50"), citizen.tenant)
    assert (await ask(other, "13900000010")).status_code == 200
    for _ in range(9):
        await ask(other, "13900000011")
    assert (await ask(other, "13900000012")).status_code == 429


async def test_the_track_form_links_to_recovery(citizen):
    page = (await citizen.get("/track")).text
    assert f'href="/t/{citizen.tenant.slug}/track/recover"' in page and "忘记查询码或密码？" in page
    assert (await citizen.get("/track/recover")).status_code == 200
