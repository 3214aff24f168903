"""The audit page, and `leadermail audit verify` catching edited and deleted records."""

from __future__ import annotations

from sqlalchemy import text

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.writer import Actor, record_audit, record_platform_audit
from leadermail.platform.commands.audit import verify_all
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.tenants.session import tenant_session
from tests.conftest import unique_slug
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    sign_in_client,
)


async def produce_records(context, tenant, client, count: int = 3) -> list:
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    letters = []
    for _ in range(count):
        letter = await make_letter(context, tenant)
        assert (
            await client.post(console_url(tenant, f"/letters/{letter.id}/do/register"))
        ).status_code == 303
        letters.append(letter)
    return letters


def rows_of(html: str) -> str:
    """The table of records (the filter above it lists every action too)."""
    return html.split('id="audit-rows"')[1]


async def test_supervisors_see_the_audit_page_and_others_do_not(context, make_tenant, client):
    tenant = await make_tenant()
    await produce_records(context, tenant, client)
    assert (await client.get(console_url(tenant, "/audit"))).status_code == 403  # registrar
    sign_in_client(client, await make_staff(context, tenant, "赵督办", Role.SUPERVISOR))
    page = await client.get(console_url(tenant, "/audit"))
    assert page.status_code == 200 and rows_of(page.text).count("<code>letter.register<") == 3
    filtered = await client.get(console_url(tenant, "/audit"), params={"action": "letter.accept"})
    assert "letter.register" not in rows_of(filtered.text)
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


async def test_actions_show_by_name_and_letters_link_to_their_page(context, make_tenant, client):
    tenant = await make_tenant()
    letters = await produce_records(context, tenant, client, 2)
    sign_in_client(client, await make_staff(context, tenant, "赵督办", Role.SUPERVISOR))
    rows = rows_of((await client.get(console_url(tenant, "/audit"))).text)
    assert rows.count(">登记来信<") == 2
    assert rows.count('title="letter.register"') == 2  # the code stays visible to auditors
    assert "letter 91" not in rows and "来信 #" not in rows
    for letter in letters:
        link = f'href="{console_url(tenant, f"/letters/{letter.id}")}" data-testid="audit-letter">'
        assert link + format_tracking_code(letter.tracking_code) + "</a>" in rows
        assert letter.title in rows


async def test_an_unknown_code_shows_as_it_is(context, make_tenant, client):
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        await record_audit(
            session, tenant_id=tenant.id, actor=Actor.system(), action="letter.teleport",
            object_type="spaceship", object_id=7,
        )
        await session.commit()
    sign_in_client(client, await make_staff(context, tenant, "赵督办", Role.SUPERVISOR))
    page = await client.get(console_url(tenant, "/audit"), params={"action": "letter.teleport"})
    assert page.status_code == 200
    assert '<option value="letter.teleport" selected>letter.teleport</option>' in page.text
    rows = rows_of(page.text)
    assert '<td title="letter.teleport">letter.teleport</td>' in rows
    assert "spaceship #7" in rows


async def test_the_filter_offers_actions_by_name_and_old_links_still_work(
    context, make_tenant, client
):
    tenant = await make_tenant()
    await produce_records(context, tenant, client, 1)
    sign_in_client(client, await make_staff(context, tenant, "赵督办", Role.SUPERVISOR))
    page = (await client.get(console_url(tenant, "/audit"))).text
    select = page.split('<select name="action">')[1].split("</select>")[0]
    assert '<optgroup label="来信办理">' in select
    assert '<option value="letter.urge" title="letter.urge">催办</option>' in select
    assert "开通申请" not in select  # platform actions are not in a tenant's trail
    # the form sends the chosen option's code as ?action=, as links always did
    chosen = await client.get(console_url(tenant, "/audit"), params={"action": "letter.register"})
    assert 'value="letter.register" title="letter.register" selected>登记来信' in chosen.text
    assert rows_of(chosen.text).count(">登记来信<") == 1
    other = await client.get(console_url(tenant, "/audit"), params={"action": "letter.urge"})
    assert "登记来信" not in rows_of(other.text) and "没有记录" in rows_of(other.text)


async def platform_record(context, city) -> str:
    """A platform record about ``city``; returns a reason no other test writes."""
    reason = f"审计测试停用{unique_slug()}"
    async with context.database.core_session() as session:
        await record_platform_audit(
            session, actor=Actor(None, "省管理员"), action="tenant.disabled", tenant_id=city.id,
            object_type="tenant", object_id=city.id, data={"reason": reason},
        )
        await session.commit()
    return reason


async def test_province_admins_see_the_platform_trail(context, make_tenant, client):
    province = await make_tenant(kind="province", name="审计测试省信箱")
    city = await make_tenant(name=f"审计测试{unique_slug()}市市长信箱")
    await platform_record(context, city)
    sign_in_client(client, await make_staff(context, province, "省管理员", Role.PROVINCE_ADMIN))
    page = await client.get(console_url(province, "/audit"))
    assert 'data-testid="platform-log-tab"' in page.text
    platform = await client.get(console_url(province, "/audit"), params={"log": "platform"})
    assert platform.status_code == 200
    rows = rows_of(platform.text)
    row = next(r for r in rows.split("<tr>") if city.name in r)
    assert '<td title="tenant.disabled">停用信箱<br><small><code>tenant.disabled</code>' in row
    assert f"信箱 {city.name}" in row
    select = platform.text.split('<select name="action">')[1].split("</select>")[0]
    assert ">批准开通申请<" in select and ">催办<" not in select
    filtered = await client.get(
        console_url(province, "/audit"), params={"log": "platform", "action": "tenant.active"}
    )
    assert city.name not in rows_of(filtered.text)
    assert '<input type="hidden" name="log" value="platform">' in filtered.text


async def test_tenant_staff_never_see_the_platform_trail(context, make_tenant, client):
    province = await make_tenant(kind="province", name="审计测试省信箱")
    city = await make_tenant(name=f"审计测试{unique_slug()}市市长信箱")
    await platform_record(context, city)
    for tenant, role in (
        (city, Role.TENANT_ADMIN),
        (city, Role.PROVINCE_ADMIN),  # the role outside the province tenant
        (province, Role.SUPERVISOR),
    ):
        client.cookies.clear()
        sign_in_client(client, await make_staff(context, tenant, f"职员{role}", role))
        page = await client.get(console_url(tenant, "/audit"))
        assert page.status_code == 200 and "platform-log-tab" not in page.text
        assert "tenant.disabled" not in page.text
        refused = await client.get(console_url(tenant, "/audit"), params={"log": "platform"})
        assert refused.status_code == 403 and "tenant.disabled" not in refused.text
