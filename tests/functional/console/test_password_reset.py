"""忘记密码: a neutral answer, a single-use 30-minute link by e-mail (caught by
a real SMTP sink), every session ended, and the TOTP code still asked for."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select, update

from leadermail.platform.accounts.models import PasswordReset
from leadermail.platform.audit.models import PlatformAuditRecord
from leadermail.platform.clock import utcnow
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.notifications.account_jobs import (
    send_password_notice,
    send_password_reset_email,
)
from tests.functional.console.staff_session import console_url, run_job
from tests.functional.console.test_change_password import (  # noqa: F401 - a fixture
    NEW,
    OLD,
    browser,
    field_error,
    make_member,
    sign_in,
)
from tests.functional.console.test_signin import (  # noqa: F401 - autouse fixture
    clear_login_limits,
    csrf_of,
    password_step,
    totp_step,
)


@pytest.fixture(autouse=True)
async def clear_reset_limits(context) -> None:  # noqa: ANN001
    async for key in context.redis.scan_iter(match="lm:rl:console-reset*"):
        await context.redis.delete(key)


async def ask_for_link(client, tenant, email: str):  # noqa: ANN001, ANN201
    page = await client.get(console_url(tenant, "/password/forgot"))
    return await client.post(
        console_url(tenant, "/password/forgot"),
        data={"csrf_token": csrf_of(page.text), "email": email},
    )


async def reset_jobs(context, user_id: int) -> list[OutboxJob]:  # noqa: ANN001
    async with context.database.core_session() as session:
        resets = select(PasswordReset.id).where(PasswordReset.user_id == user_id)
        return list(
            (
                await session.execute(
                    select(OutboxJob)
                    .where(
                        OutboxJob.job_name == "send_password_reset_email",
                        OutboxJob.kwargs["reset_id"].as_integer().in_(resets),
                    )
                    .order_by(OutboxJob.id)
                )
            ).scalars()
        )


async def mailed_link(mail_context, smtp_sink, job: OutboxJob, email: str) -> str:  # noqa: ANN001
    assert await run_job(mail_context, send_password_reset_email, **job.kwargs) == "sent"
    body = [m for m in smtp_sink.messages if email in m["X-Rcpt-To"]][-1]
    text = body.get_payload(decode=True).decode()
    match = re.search(r"(http://testserver/t/\S+/console/password/reset/[\w-]+)", text)
    assert match, text
    return match.group(1).removeprefix("http://testserver")


async def set_new_password(client, link: str, password: str, again: str | None = None):  # noqa: ANN001, ANN201
    page = await client.get(link)
    assert page.status_code == 200, page.text
    return await client.post(
        link,
        data={
            "csrf_token": csrf_of(page.text),
            "password": password,
            "password_again": password if again is None else again,
        },
    )


async def test_the_answer_is_the_same_for_unknown_and_known_addresses(
    context, make_tenant, client
):
    tenant = await make_tenant()
    user, _ = await make_member(context, tenant)
    stranger_tenant = await make_tenant()
    outsider, _ = await make_member(context, stranger_tenant)  # a member elsewhere only
    answers = [
        await ask_for_link(client, tenant, address)
        for address in ("nobody@staff.example.cn", user.email.upper(), outsider.email)
    ]
    assert {a.status_code for a in answers} == {303}
    assert len({a.headers["location"] for a in answers}) == 1
    shown = await client.get(answers[0].headers["location"])
    assert "如果该邮箱是本信箱工作台的有效账号" in shown.text
    assert len(await reset_jobs(context, user.id)) == 1
    assert await reset_jobs(context, outsider.id) == []
    async with context.database.core_session() as session:
        (reset,) = (
            await session.execute(select(PasswordReset).where(PasswordReset.user_id == user.id))
        ).scalars()
        requested = await session.scalar(
            select(PlatformAuditRecord.ip_address).where(
                PlatformAuditRecord.action == "staff.password_reset_requested",
                PlatformAuditRecord.object_id == str(user.id),
            )
        )
    assert requested is not None
    assert reset.expires_at - reset.created_at == timedelta(minutes=30)
    # Only a hash is stored; the job carries the token sealed, not in clear.
    (job,) = await reset_jobs(context, user.id)
    assert len(reset.token_hash) == 64 and job.kwargs["sealed_token"].startswith("sealed-v1:")


async def test_the_link_works_once_ends_every_session_and_keeps_the_second_factor(
    context, mail_context, smtp_sink, make_tenant, client, browser  # noqa: F811 - the fixture
):
    tenant = await make_tenant()
    user, secret = await make_member(context, tenant)
    async with browser() as left_open:
        await sign_in(left_open, tenant, user, secret, window=-1)
        assert (await ask_for_link(client, tenant, user.email)).status_code == 303
        (job,) = await reset_jobs(context, user.id)
        link = await mailed_link(mail_context, smtp_sink, job, user.email)
        assert link.startswith(console_url(tenant, "/password/reset/"))
        # Sent once; the sealed token is scrubbed from the outbox row.
        resent = await run_job(mail_context, send_password_reset_email, **job.kwargs)
        assert resent == "already sent"
        (job,) = await reset_jobs(context, user.id)
        assert "sealed_token" not in job.kwargs

        weak = await set_new_password(client, link, "abcabcabcabc")
        assert weak.status_code == 422 and "重复的字符太多" in field_error(weak.text, "password")
        mismatch = await set_new_password(client, link, NEW, again="另一句话也很长很长")
        assert field_error(mismatch.text, "password-again") == "两次输入的新密码不一致"
        # Refusals spend nothing: the link still opens.
        done = await set_new_password(client, link, NEW)
        assert done.status_code == 303 and done.headers["location"] == console_url(tenant, "/login")
        assert "新密码已设置" in (await client.get(done.headers["location"])).text

        # The session left open elsewhere has ended.
        ended = await left_open.get(console_url(tenant, "/inbox"))
        assert ended.status_code == 303 and "/login" in ended.headers["location"]

    # Used once: the second time is refused with a way to ask again.
    again = await client.get(link)
    assert again.status_code == 404 and 'data-testid="reset-invalid"' in again.text
    assert f'href="{console_url(tenant, "/password/forgot")}"' in again.text
    form = await client.get(console_url(tenant, "/password/forgot"))
    posted = await client.post(
        link, data={"csrf_token": csrf_of(form.text), "password": OLD, "password_again": OLD}
    )
    assert posted.status_code == 404

    # The new password leads to the TOTP step, not into the console.
    assert (await password_step(client, tenant, user.email, OLD)).status_code == 400
    assert (await password_step(client, tenant, user.email, NEW)).status_code == 303
    page = await client.get(console_url(tenant, "/login/totp"))
    assert "<svg" not in page.text  # no new enrolment: the same factor
    assert (await client.get(console_url(tenant, "/inbox"))).status_code == 303
    done = await totp_step(client, tenant, pyotp.TOTP(secret).at(time.time() + 30))
    assert done.status_code == 303
    assert (await client.get(console_url(tenant, "/inbox"))).status_code == 200

    async with context.database.core_session() as session:
        actions = set(
            (
                await session.execute(
                    select(PlatformAuditRecord.action).where(
                        PlatformAuditRecord.object_id == str(user.id)
                    )
                )
            ).scalars()
        )
        notice = (
            await session.execute(
                select(OutboxJob).where(
                    OutboxJob.job_name == "send_password_notice",
                    OutboxJob.kwargs["user_id"].as_integer() == user.id,
                )
            )
        ).scalar_one()
    assert {"staff.password_reset_requested", "staff.password_reset"} <= actions
    assert notice.kwargs["kind"] == "reset"
    await run_job(mail_context, send_password_notice, **notice.kwargs)
    body = smtp_sink.messages[-1].get_payload(decode=True).decode()
    assert "您的密码已通过“忘记密码”邮件链接重置" in body and "如非本人操作" in body


async def test_expired_links_and_links_of_another_mailbox_are_refused(
    context, mail_context, smtp_sink, make_tenant, client
):
    tenant = await make_tenant()
    other = await make_tenant()
    user, _ = await make_member(context, tenant)
    await ask_for_link(client, tenant, user.email)
    (job,) = await reset_jobs(context, user.id)
    link = await mailed_link(mail_context, smtp_sink, job, user.email)
    token = link.rsplit("/", 1)[1]
    elsewhere = await client.get(console_url(other, f"/password/reset/{token}"))
    assert elsewhere.status_code == 404 and "无效" in elsewhere.text
    async with context.database.core_session() as session:
        await session.execute(
            update(PasswordReset)
            .where(PasswordReset.id == job.kwargs["reset_id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    expired = await client.get(link)
    assert expired.status_code == 404 and "已过期" in expired.text
    unknown = await client.get(console_url(tenant, "/password/reset/not-a-token"))
    assert unknown.status_code == 404


async def test_a_new_password_spends_every_other_link(
    context, mail_context, smtp_sink, make_tenant, client
):
    tenant = await make_tenant()
    user, _ = await make_member(context, tenant)
    await ask_for_link(client, tenant, user.email)
    await ask_for_link(client, tenant, user.email)
    first_job, second_job = await reset_jobs(context, user.id)
    first = await mailed_link(mail_context, smtp_sink, first_job, user.email)
    second = await mailed_link(mail_context, smtp_sink, second_job, user.email)
    assert first != second
    assert (await set_new_password(client, second, NEW)).status_code == 303
    assert (await client.get(first)).status_code == 404


async def test_requests_are_limited_per_address(context, make_tenant, client):
    tenant = await make_tenant()
    user, _ = await make_member(context, tenant)
    statuses = [(await ask_for_link(client, tenant, user.email)).status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
    assert len(await reset_jobs(context, user.id)) == 3
    limited = await ask_for_link(client, tenant, user.email)
    assert "申请过于频繁" in field_error(limited.text, "email")
    assert f'value="{user.email}"' in limited.text  # what was typed is kept


async def test_members_without_a_password_get_an_explanation_not_a_link(
    context, make_tenant, client
):
    tenant = await make_tenant()
    user, _ = await make_member(context, tenant, password=None, oidc=True)
    assert (await ask_for_link(client, tenant, user.email)).status_code == 303
    assert await reset_jobs(context, user.id) == []
    async with context.database.core_session() as session:
        notice = (
            await session.execute(
                select(OutboxJob).where(
                    OutboxJob.job_name == "send_password_notice",
                    OutboxJob.kwargs["user_id"].as_integer() == user.id,
                )
            )
        ).scalar_one()
    assert notice.kwargs["kind"] == "no_password"


async def test_a_bad_address_is_said_next_to_the_field(context, make_tenant, client):
    tenant = await make_tenant()
    answer = await ask_for_link(client, tenant, "wang-at-example")
    assert answer.status_code == 422
    assert field_error(answer.text, "email") == "请填写您登录工作台所用的邮箱"
    assert 'value="wang-at-example"' in answer.text


async def test_two_submissions_of_one_link_cannot_both_succeed(
    context, mail_context, smtp_sink, make_tenant, client
):
    tenant = await make_tenant()
    user, _ = await make_member(context, tenant)
    await ask_for_link(client, tenant, user.email)
    (job,) = await reset_jobs(context, user.id)
    link = await mailed_link(mail_context, smtp_sink, job, user.email)
    page = await client.get(link)
    form = {"csrf_token": csrf_of(page.text), "password": NEW, "password_again": NEW}
    first, second = await asyncio.gather(client.post(link, data=form), client.post(link, data=form))
    assert sorted([first.status_code, second.status_code]) == [303, 404]
    async with context.database.core_session() as session:
        resets = await session.scalar(
            select(func.count()).select_from(PlatformAuditRecord).where(
                PlatformAuditRecord.action == "staff.password_reset",
                PlatformAuditRecord.object_id == str(user.id),
            )
        )
    assert resets == 1
