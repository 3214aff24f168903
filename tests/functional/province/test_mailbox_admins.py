"""信箱管理员: a province admin invites (or invites again) the admin of a
mailbox that exists, from the mailbox's page; the mail goes out through the
provisioning run's invitation step, with its progress page and its
重新发送邀请邮件."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.models import PlatformAuditRecord
from leadermail.tenants.jobs import provision_tenant
from leadermail.tenants.provisioning import set_tenant_status
from leadermail.tenants.provisioning_runs import ProvisioningRun
from tests.conftest import unique_slug
from tests.functional.province.test_provisioning import post_new, province_admin, url
from tests.functional.staff_ops.helpers import make_staff, sign_in_client

GOOD_PASSWORD = "lushan road no 17"


def field_error(page: str, name: str) -> str:
    match = re.search(rf'id="e-{name}">([^<]*)<', page)
    assert match, f"no error next to {name}"
    return html.unescape(match.group(1))


def request_key(page: str) -> str:
    return re.search(r'name="request_key" value="([^"]+)"', page).group(1)


def invitation_link(smtp_sink) -> str:  # noqa: ANN001
    body = smtp_sink.messages[-1].get_payload(decode=True).decode()
    return re.search(r"http://testserver(/t/\S+/console/invitation/\S+)", body).group(1)


async def run_id_of(response) -> int:  # noqa: ANN001
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def audit(context, action: str, object_id: int) -> list[PlatformAuditRecord]:  # noqa: ANN001
    async with context.database.core_session() as session:
        return list(
            (
                await session.execute(
                    select(PlatformAuditRecord).where(
                        PlatformAuditRecord.action == action,
                        PlatformAuditRecord.object_id == str(object_id),
                    )
                )
            ).scalars()
        )


async def opened_without_admin(context, client, province):  # noqa: ANN001, ANN201
    slug = unique_slug("noad")
    run_id = await run_id_of(await post_new(client, province, slug, admin_email=""))
    assert await provision_tenant({"app": context}, run_id=run_id) == "succeeded"
    context.tenants.invalidate()
    return await context.tenants.by_slug(slug), run_id


async def test_a_mailbox_opened_without_an_admin_gets_one_from_its_page(
    context, mail_context, make_tenant, client, smtp_sink
):
    province = await province_admin(context, make_tenant, client)
    county, opening_run = await opened_without_admin(context, client, province)
    admins_path = url(province, f"/province/tenants/{county.id}/admins")
    # The opening's progress page and the tree both lead to the mailbox's admins.
    done = (await client.get(url(province, f"/province/runs/{opening_run}"))).text
    assert f'href="{admins_path}"' in done and "平台运维人员为它添加管理员" not in done
    assert f'href="{admins_path}"' in (await client.get(url(province, "/province/tenants"))).text

    page = (await client.get(admins_path)).text
    assert 'data-testid="no-admins"' in page and 'name="csrf_token"' in page
    key = request_key(page)
    refused = await client.post(
        admins_path,
        data={"admin_name": "", "admin_email": "qian@county", "request_key": key},
    )
    assert refused.status_code == 422
    assert field_error(refused.text, "admin_name") == "请填写管理员姓名"
    assert field_error(refused.text, "admin_email").startswith("邮箱格式不正确")
    assert 'value="qian@county"' in refused.text and request_key(refused.text) == key

    form = {"admin_name": "钱管理", "admin_email": "Qian@County.Example.cn", "request_key": key}
    sent = await client.post(admins_path, data=form)
    run_id = await run_id_of(sent)
    assert await run_id_of(await client.post(admins_path, data=form)) == run_id  # one run
    progress = (await client.get(sent.headers["location"])).text
    assert "邀请管理员：" in progress and "等待发送" in progress
    assert "qian@county.example.cn" in progress and "建立信箱的数据库" not in progress
    (record,) = await audit(context, "tenant.admin_invited", run_id)
    assert record.tenant_id == county.id and record.data["email"] == "qian@county.example.cn"

    assert await provision_tenant({"app": mail_context}, run_id=run_id) == "succeeded"
    progress = (await client.get(sent.headers["location"])).text
    assert "邀请邮件已发出" in progress and "7 天内" in progress
    assert await audit(context, "tenant.provisioned", run_id) == []  # nothing was opened
    assert len(smtp_sink.messages) == 1 and "qian@county.example.cn" in smtp_sink.messages[0]["To"]
    assert re.search(r'data-state="invited">已邀请', (await client.get(admins_path)).text)

    link = invitation_link(smtp_sink)
    assert link.startswith(f"/t/{county.slug}/console/invitation/")
    accepted = await client.post(
        link, data={"password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD}
    )
    assert accepted.status_code == 303
    assert re.search(r'data-state="ready">可以登录', (await client.get(admins_path)).text)


async def test_a_failed_mail_is_sent_again_from_the_progress_page(
    context, mail_context, make_tenant, client, smtp_sink
):
    province = await province_admin(context, make_tenant, client)
    county = await make_tenant(slug=unique_slug("fail"), parent_id=province.id)
    admins_path = url(province, f"/province/tenants/{county.id}/admins")
    key = request_key((await client.get(admins_path)).text)
    form = {"admin_name": "孙管理", "admin_email": "sun@county.example.cn", "request_key": key}
    run_id = await run_id_of(await client.post(admins_path, data=form))
    no_mail = replace(mail_context, settings=replace(mail_context.settings, smtp_port=1))
    assert await provision_tenant({"app": no_mail}, run_id=run_id) == "failed"

    page = (await client.get(url(province, f"/province/runs/{run_id}"))).text
    assert "邀请失败" in page and "邀请邮件发送失败" in page and "重新发送邀请邮件" in page
    retried = await client.post(url(province, f"/province/runs/{run_id}/retry"))
    assert retried.status_code == 303
    (record,) = await audit(context, "tenant.provision_retried", run_id)
    assert record.data["admin_email"] == "sun@county.example.cn"
    assert await provision_tenant({"app": mail_context}, run_id=run_id) == "succeeded"
    assert len(smtp_sink.messages) == 1


async def test_inviting_again_sends_a_new_link_and_the_old_one_stops_working(
    context, mail_context, make_tenant, client, smtp_sink
):
    province = await province_admin(context, make_tenant, client)
    county = await make_tenant(slug=unique_slug("again"), parent_id=province.id)
    admins_path = url(province, f"/province/tenants/{county.id}/admins")
    key = request_key((await client.get(admins_path)).text)
    form = {"admin_name": "李管理", "admin_email": "li@county.example.cn", "request_key": key}
    first_run = await run_id_of(await client.post(admins_path, data=form))
    await provision_tenant({"app": mail_context}, run_id=first_run)
    first_link = invitation_link(smtp_sink)

    # The admin lost the mail: the row offers to send it again (its own request key).
    page = (await client.get(admins_path)).text
    again = re.search(
        r'<form method="post" action="[^"]*/admins" class="inline">(.*?)</form>', page, re.S
    ).group(1)
    hidden = dict(re.findall(r'name="(request_key|admin_name|admin_email)" value="([^"]*)"', again))
    assert hidden["admin_email"] == "li@county.example.cn" and hidden["request_key"] != key
    second_run = await run_id_of(await client.post(admins_path, data=hidden))
    assert second_run != first_run
    await provision_tenant({"app": mail_context}, run_id=second_run)
    second_link = invitation_link(smtp_sink)
    assert (await client.get(first_link)).status_code == 404
    assert (await client.get(second_link)).status_code == 200
    async with context.database.core_session() as session:
        runs = (
            (
                await session.execute(
                    select(ProvisioningRun.id).where(ProvisioningRun.tenant_id == county.id)
                )
            )
            .scalars()
            .all()
        )
    assert sorted(runs) == sorted([first_run, second_run])


async def test_a_disabled_mailbox_csrf_and_other_roles_are_refused(context, make_tenant, client):
    province = await province_admin(context, make_tenant, client)
    county = await make_tenant(slug=unique_slug("off"), parent_id=province.id)
    admins_path = url(province, f"/province/tenants/{county.id}/admins")
    form = {"admin_name": "周管理", "admin_email": "zhou@county.example.cn", "request_key": "k1"}
    set_tenant_status(context.database.sync_engine, county.slug, "disabled", "机构调整")
    refused = await client.post(admins_path, data=form)
    assert refused.status_code == 422 and "该信箱已停用，重新启用后才能邀请管理员" in refused.text
    set_tenant_status(context.database.sync_engine, county.slug, "active", None)

    token = client.headers.pop("X-CSRF-Token")
    assert (await client.post(admins_path, data=form)).status_code == 403
    client.headers["X-CSRF-Token"] = token

    county_admin = await make_staff(context, county, "县管理员", Role.TENANT_ADMIN)
    sign_in_client(client, county_admin)
    assert (
        await client.get(url(county, f"/province/tenants/{county.id}/admins"))
    ).status_code == 403
    assert (
        await client.post(url(county, f"/province/tenants/{county.id}/admins"), data=form)
    ).status_code == 403
    async with context.database.core_session() as session:
        assert (
            await session.scalar(
                select(ProvisioningRun.id).where(ProvisioningRun.tenant_id == county.id)
            )
        ) is None
