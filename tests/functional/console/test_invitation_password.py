"""Accepting an invitation sets the password the way 修改密码 and 忘记密码 do:
an account that had one has its sessions ended, its open reset links spent,
and is told by e-mail; a new account just gets its first password."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from leadermail.platform.accounts.models import Role, User
from leadermail.platform.audit.models import PlatformAuditRecord
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.notifications.account_jobs import send_password_notice
from leadermail.tenants.invitations import invite_staff
from tests.functional.console.staff_session import console_url, run_job
from tests.functional.console.test_change_password import (  # noqa: F401 - a fixture
    NEW,
    OLD,
    browser,
    make_member,
    sign_in,
)
from tests.functional.console.test_password_reset import (  # noqa: F401 - autouse fixture
    ask_for_link,
    clear_reset_limits,
    mailed_link,
    reset_jobs,
)
from tests.functional.console.test_signin import (  # noqa: F401 - autouse fixture
    clear_login_limits,
    csrf_of,
    password_step,
)


async def invite(context, tenant, email: str, name: str = "赵管理") -> str:  # noqa: ANN001
    """The invitation link of a fresh invitation (what the e-mail carries)."""
    async with context.database.core_session() as session:
        _, token = await invite_staff(
            session, tenant_id=tenant.id, email=email, display_name=name, role=Role.TENANT_ADMIN
        )
        await session.commit()
    return console_url(tenant, f"/invitation/{token}")


async def accept(client, link: str, password: str, again: str | None = None):  # noqa: ANN001, ANN201
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


def error_of(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', page)
    assert match, f"no {element_id}"
    return html.unescape(match.group(1))


async def notices(context, user_id: int) -> list[OutboxJob]:  # noqa: ANN001
    async with context.database.core_session() as session:
        return list(
            (
                await session.execute(
                    select(OutboxJob).where(
                        OutboxJob.job_name == "send_password_notice",
                        OutboxJob.kwargs["user_id"].as_integer() == user_id,
                    )
                )
            ).scalars()
        )


async def audit_of(context, user_id: int) -> list[PlatformAuditRecord]:  # noqa: ANN001
    async with context.database.core_session() as session:
        return list(
            (
                await session.execute(
                    select(PlatformAuditRecord).where(
                        PlatformAuditRecord.action == "staff.invitation_accepted",
                        PlatformAuditRecord.object_id == str(user_id),
                    )
                )
            ).scalars()
        )


async def test_an_invitation_to_someone_with_a_password_ends_their_sessions_and_links(
    context,
    mail_context,
    smtp_sink,
    make_tenant,
    client,
    browser,  # noqa: F811 - the fixture
):
    tenant = await make_tenant()
    new_mailbox = await make_tenant()
    user, secret = await make_member(context, tenant)
    async with browser() as left_open:
        await sign_in(left_open, tenant, user, secret, window=0)
        # A 忘记密码 link of theirs is open too.
        await ask_for_link(client, tenant, user.email)
        (job,) = await reset_jobs(context, user.id)
        reset_link = await mailed_link(mail_context, smtp_sink, job, user.email)

        link = await invite(context, new_mailbox, user.email)
        mismatch = await accept(client, link, NEW, again="另一句话也很长很长")
        assert mismatch.status_code == 422
        assert error_of(mismatch.text, "p2-error") == "两次输入的新密码不一致"
        done = await accept(client, link, NEW)
        assert done.status_code == 303

        ended = await left_open.get(console_url(tenant, "/inbox"))
        assert ended.status_code == 303 and "/login" in ended.headers["location"]
    assert (await client.get(reset_link)).status_code == 404  # spent
    assert (await client.get(link)).status_code == 404  # used once
    client.cookies.clear()
    assert (await password_step(client, tenant, user.email, OLD)).status_code == 400
    assert (await password_step(client, tenant, user.email, NEW)).status_code == 303

    (record,) = await audit_of(context, user.id)
    assert record.tenant_id == new_mailbox.id and record.actor_user_id == user.id
    assert record.data["replaced"] is True and record.data["reset_links_spent"] == 1
    (notice,) = await notices(context, user.id)
    assert notice.kwargs["kind"] == "invitation"
    assert await run_job(mail_context, send_password_notice, **notice.kwargs) == "sent"
    body = smtp_sink.messages[-1].get_payload(decode=True).decode()
    assert "您的密码已通过邀请邮件中的链接重新设置" in body and "如非本人操作" in body


async def test_a_new_account_gets_its_first_password_without_a_notice(context, make_tenant, client):
    tenant = await make_tenant()
    link = await invite(context, tenant, "first.admin@county.example.cn")
    assert (await accept(client, link, NEW)).status_code == 303
    async with context.database.core_session() as session:
        user = await session.scalar(
            select(User).where(User.email == "first.admin@county.example.cn")
        )
    assert user.password_hash and user.password_changed_at is not None and user.is_active
    (record,) = await audit_of(context, user.id)
    assert record.data["replaced"] is False
    assert await notices(context, user.id) == []
    assert (await password_step(client, tenant, user.email, NEW)).status_code == 303


async def test_only_the_newest_invitation_link_works(context, make_tenant, client):
    tenant = await make_tenant()
    first = await invite(context, tenant, "again@county.example.cn")
    second = await invite(context, tenant, "again@county.example.cn")
    assert (await client.get(first)).status_code == 404
    assert (await accept(client, second, NEW)).status_code == 303
