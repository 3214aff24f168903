"""In-console notifications: fan-out per user, badge, list, mark read; idempotent."""

from __future__ import annotations

from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.notifications.console import (
    StaffNotification,
    notify,
    supervisors_or_admins,
    unread_count,
)
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import console_url, make_staff, sign_in_client


async def test_bell_list_and_read(context, make_tenant, client):
    tenant = await make_tenant()
    supervisor = await make_staff(context, tenant, "赵督办", Role.SUPERVISOR)
    other = await make_staff(context, tenant, "钱督办", Role.SUPERVISOR)
    async with tenant_session(context.database, tenant) as session:
        users = await supervisors_or_admins(session, tenant.id)
        assert users == sorted([supervisor.user_id, other.user_id])
        first = await notify(session, tenant.id, users, kind="escalation", title="来信已超期",
                             body="请督办", dedupe_key="overdue:1")
        again = await notify(session, tenant.id, users, kind="escalation", title="来信已超期",
                             dedupe_key="overdue:1")
        await notify(session, tenant.id, [supervisor.user_id], kind="urge", title="请尽快办理",
                     link="/inbox")
        await session.commit()
    assert len(first) == 2 and again == []

    sign_in_client(client, supervisor)
    badge = await client.get(console_url(tenant, "/notifications/badge"),
                             headers={"HX-Request": "true"})
    assert badge.status_code == 200 and "<html" not in badge.text
    assert '<span class="badge">2</span>' in badge.text and 'hx-trigger="every 30s"' in badge.text
    page = await client.get(console_url(tenant, "/notifications"))
    assert "来信已超期" in page.text and "超期督办" in page.text and "请尽快办理" in page.text

    async with tenant_session(context.database, tenant) as session:
        mine = (
            await session.execute(
                select(StaffNotification).where(
                    StaffNotification.user_id == supervisor.user_id,
                    StaffNotification.kind == "urge",
                )
            )
        ).scalar_one()
        theirs = (
            await session.execute(
                select(StaffNotification.id).where(StaffNotification.user_id == other.user_id)
            )
        ).scalar_one()
    opened = await client.post(console_url(tenant, f"/notifications/{mine.id}/read"))
    assert opened.status_code == 303 and opened.headers["location"].endswith("/console/inbox")
    # Someone else's notification is left alone.
    await client.post(console_url(tenant, f"/notifications/{theirs}/read"))
    async with tenant_session(context.database, tenant) as session:
        assert await unread_count(session, supervisor.user_id) == 1
        assert await unread_count(session, other.user_id) == 1
    await client.post(console_url(tenant, "/notifications/read-all"))
    async with tenant_session(context.database, tenant) as session:
        assert await unread_count(session, supervisor.user_id) == 0
    badge = await client.get(console_url(tenant, "/notifications/badge"),
                             headers={"HX-Request": "true"})
    assert 'class="badge"' not in badge.text


async def test_anonymous_visitors_are_sent_to_sign_in(make_tenant, client):
    tenant = await make_tenant()
    response = await client.get(console_url(tenant, "/notifications"))
    assert response.status_code == 303 and "/console/login" in response.headers["location"]
