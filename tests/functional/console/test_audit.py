"""The audit page, and `leadermail audit verify` catching edited and deleted records."""

from __future__ import annotations

from sqlalchemy import text

from leadermail.platform.accounts.models import Role
from leadermail.platform.commands.audit import verify_all
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    sign_in_client,
)


async def produce_records(context, tenant, client, count: int = 3) -> None:
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    for _ in range(count):
        letter = await make_letter(context, tenant)
        assert (
            await client.post(console_url(tenant, f"/letters/{letter.id}/do/register"))
        ).status_code == 303


async def test_supervisors_see_the_audit_page_and_others_do_not(context, make_tenant, client):
    tenant = await make_tenant()
    await produce_records(context, tenant, client)
    assert (await client.get(console_url(tenant, "/audit"))).status_code == 403  # registrar
    sign_in_client(client, await make_staff(context, tenant, "赵督办", Role.SUPERVISOR))
    page = await client.get(console_url(tenant, "/audit"))
    assert page.status_code == 200 and page.text.count("letter.register") == 3
    filtered = await client.get(console_url(tenant, "/audit"), params={"action": "letter.accept"})
    assert "letter.register" not in filtered.text.split('id="audit-rows"')[1]
    checked = await client.post(console_url(tenant, "/audit/verify"))
    assert "审计链完整：共 3 条记录" in checked.text


async def tamper(context, tenant, statement: str) -> None:
    """What a superuser could do: drop the append-only trigger, then change rows."""
    async with tenant_session(context.database, tenant) as session:
        await session.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
        await session.execute(text(statement))
        await session.commit()


async def test_the_trigger_refuses_changes(context, make_tenant, client):
    tenant = await make_tenant()
    await produce_records(context, tenant, client, 1)
    async with tenant_session(context.database, tenant) as session:
        try:
            await session.execute(text("UPDATE audit_log SET actor_label = 'x'"))
        except Exception as exc:  # noqa: BLE001 - psycopg's RaiseException via SQLAlchemy
            assert "append-only" in str(exc)
        else:
            raise AssertionError("the audit trail accepted an UPDATE")


async def test_verify_detects_an_edited_record(context, make_tenant, client, capsys):
    tenant = await make_tenant()
    await produce_records(context, tenant, client)
    assert await verify_all(context, tenant.slug) == []
    await tamper(
        context,
        tenant,
        "UPDATE audit_log SET actor_label = '别人' WHERE id = (SELECT min(id) + 1 FROM audit_log)",
    )
    problems = await verify_all(context, tenant.slug)
    assert len(problems) == 1 and "被改动" in problems[0][1]


async def test_verify_detects_a_deleted_record(context, make_tenant, client):
    tenant = await make_tenant()
    await produce_records(context, tenant, client)
    await tamper(
        context, tenant, "DELETE FROM audit_log WHERE id = (SELECT min(id) + 1 FROM audit_log)"
    )
    problems = await verify_all(context, tenant.slug)
    assert len(problems) == 1 and "链接断开" in problems[0][1]
    sign_in_client(client, await make_staff(context, tenant, "赵督办", Role.SUPERVISOR))
    checked = await client.post(console_url(tenant, "/audit/verify"))
    assert "审计链已被破坏" in checked.text


async def test_the_cli_exit_status_reports_tampering(context, make_tenant, client, settings):
    import argparse

    from leadermail.platform.commands.audit import run_verify

    tenant = await make_tenant()
    await produce_records(context, tenant, client, 2)
    await tamper(
        context,
        tenant,
        "UPDATE audit_log SET data = '{}'::jsonb WHERE id = (SELECT max(id) FROM audit_log)",
    )
    import asyncio

    status = await asyncio.to_thread(run_verify, argparse.Namespace(tenant=tenant.slug), settings)
    assert status == 1
