"""Self-service application → review → provisioning → the new mailbox at its domain."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from leadermail.platform.accounts.models import Role
from leadermail.tenants.applications import TenantApplication
from leadermail.tenants.jobs import provision_tenant
from leadermail.tenants.models import Tenant
from leadermail.tenants.provisioning_runs import ProvisioningRun
from tests.conftest import unique_slug
from tests.functional.staff_ops.helpers import make_staff, sign_in_client


@pytest.fixture(autouse=True)
async def fresh_rate_limit(context):  # noqa: ANN001, ANN201
    """Submissions are limited per address; each test starts with a clean count."""
    await context.rate_limiter.clear("apply", "127.0.0.1", "5/hour")


async def csrf(client) -> str:  # noqa: ANN001
    page = await client.get("/apply")
    assert page.status_code == 200
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


async def apply(client, slug: str, **extra):  # noqa: ANN001, ANN201
    data = {
        "unit_name": "某某县人民政府县长信箱",
        "kind": "county",
        "leader_name": "孙县长",
        "contact_name": "周联系",
        "contact_phone": "0731-12345678",
        "contact_email": f"{slug}@apply.example.cn",
        "reason": "方便群众反映问题",
        "wished_slug": slug,
        "wished_domain": f"{slug}.example.gov.cn",
        "csrf_token": await csrf(client),
        **extra,
    }
    return await client.post("/apply", data=data)


def code_of(response) -> str:  # noqa: ANN001
    """The code of a submitted application, from the redirect to its status page."""
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/apply/status"
    return parse_qs(location.query)["code"][0]


async def new_province(make_tenant):  # noqa: ANN001, ANN201
    """A province to apply under: the deployment hosts several trees (every
    test makes its own), so an application names its parent."""
    return await make_tenant(slug=unique_slug("prov"), kind="province")


async def admin_of(context, province, client):  # noqa: ANN001, ANN201
    staff = await make_staff(context, province, "省管理员", Role.PROVINCE_ADMIN)
    client.cookies.clear()
    sign_in_client(client, staff)
    return province


async def application_id(context, code: str) -> int:  # noqa: ANN001
    async with context.database.core_session() as session:
        return await session.scalar(
            select(TenantApplication.id).where(TenantApplication.code == code)
        )


async def test_apply_approve_and_the_new_mailbox_answers_at_its_domain(
    context, mail_context, make_tenant, client, smtp_sink
):
    slug = unique_slug("app")
    province = await new_province(make_tenant)
    code = code_of(await apply(client, slug, parent_tenant_id=str(province.id)))
    status = await client.get(f"/apply/status?code={code}")
    assert "待审核" in status.text

    await admin_of(context, province, client)
    app_id = await application_id(context, code)
    queue = await client.get(f"/t/{province.slug}/console/province/applications")
    assert code in queue.text
    approved = await client.post(
        f"/t/{province.slug}/console/province/applications/{app_id}/approve", data={}
    )
    assert approved.status_code == 303 and "/province/runs/" in approved.headers["location"]
    run_id = int(approved.headers["location"].rsplit("/", 1)[1])
    assert await provision_tenant({"app": mail_context}, run_id=run_id) == "succeeded"

    client.cookies.clear()
    status = await client.get(f"/apply/status?code={code}")
    assert "已开通" in status.text
    context.tenants.invalidate()
    home = await client.get("/", headers={"Host": f"{slug}.example.gov.cn"})
    assert home.status_code == 200 and "某某县人民政府县长信箱" in home.text
    assert [m["X-Rcpt-To"] for m in smtp_sink.messages] == [f"{slug}@apply.example.cn"]
    assert "/console/invitation/" in smtp_sink.messages[0].get_payload(decode=True).decode()


async def test_reject_with_a_reason(context, make_tenant, client):
    slug = unique_slug("rej")
    province = await new_province(make_tenant)
    code = code_of(await apply(client, slug, parent_tenant_id=str(province.id)))
    await admin_of(context, province, client)
    app_id = await application_id(context, code)
    url = f"/t/{province.slug}/console/province/applications/{app_id}/reject"
    assert (await client.post(url, data={"reason": ""})).status_code == 303
    async with context.database.core_session() as session:
        assert (await session.get(TenantApplication, app_id)).status == "pending"
    await client.post(url, data={"reason": "请由上级政府统一申请"})
    client.cookies.clear()
    status = await client.get(f"/apply/status?code={code}")
    assert "未通过" in status.text and "请由上级政府统一申请" in status.text


async def test_approving_a_slug_taken_meanwhile_creates_nothing(context, make_tenant, client):
    slug = unique_slug("tkn")
    province = await new_province(make_tenant)
    code = code_of(await apply(client, slug, parent_tenant_id=str(province.id)))
    await make_tenant(slug=slug)
    await admin_of(context, province, client)
    app_id = await application_id(context, code)
    response = await client.post(
        f"/t/{province.slug}/console/province/applications/{app_id}/approve", data={}
    )
    assert response.status_code == 303 and "/applications/" in response.headers["location"]
    page = await client.get(response.headers["location"])
    assert "不能批准" in page.text and "已被使用" in page.text
    async with context.database.core_session() as session:
        assert (await session.get(TenantApplication, app_id)).status == "pending"
        assert await session.scalar(select(func.count()).where(Tenant.slug == slug)) == 1


async def test_bad_applications_come_back_with_errors(client):
    response = await apply(client, "X", contact_email="not-an-email")
    assert response.status_code == 422
    assert "电子邮箱" in response.text and "标识" in response.text


async def count_applications(context, slug: str) -> int:  # noqa: ANN001
    async with context.database.core_session() as session:
        return await session.scalar(
            select(func.count()).where(TenantApplication.wished_slug == slug)
        )


async def test_a_sent_application_redirects_so_a_reload_sends_nothing(
    context, make_tenant, client
):
    slug = unique_slug("prg")
    response = await apply(client, slug, parent_tenant_id=str((await new_province(make_tenant)).id))
    code = code_of(response)
    for _ in range(2):  # the page after the redirect, then a reload of it
        page = await client.get(response.headers["location"])
        assert page.status_code == 200
        assert "申请已提交" in page.text
        assert f'data-testid="application-code">{code}<' in page.text
        assert "待审核" in page.text
    assert await count_applications(context, slug) == 1
    # The plain status page is still the look-up form.
    plain = await client.get(f"/apply/status?code={code}")
    assert "申请已提交" not in plain.text and "查询开通申请" in plain.text


async def test_a_slug_and_domain_of_an_existing_mailbox_are_refused_at_once(
    context, make_tenant, client
):
    slug = unique_slug("own")
    await make_tenant(slug=slug, domains=[f"{slug}.example.gov.cn"])
    response = await apply(client, slug)
    assert response.status_code == 422
    page = response.text
    assert f'id="wished_slug-error">标识“{slug}”已被使用<' in page
    assert f'id="wished_domain-error">域名“{slug}.example.gov.cn”已被其他信箱使用<' in page
    assert f'name="wished_slug" type="text" value="{slug}"' in page  # the input is kept
    assert await count_applications(context, slug) == 0


async def test_a_slug_or_domain_another_application_waits_for_is_refused(
    context, make_tenant, client
):
    slug = unique_slug("wait")
    province = await new_province(make_tenant)
    parent = {"parent_tenant_id": str(province.id)}
    first = code_of(await apply(client, slug, **parent))
    again = await apply(client, slug, contact_email="other@apply.example.cn", **parent)
    assert again.status_code == 422
    assert f"标识“{slug}”已有单位申请、正在审核，请换一个" in again.text
    assert f"域名“{slug}.example.gov.cn”已有单位申请、正在审核，请换一个" in again.text
    assert await count_applications(context, slug) == 1

    # Once that application is rejected, the slug and domain are free again.
    await admin_of(context, province, client)
    app_id = await application_id(context, first)
    await client.post(
        f"/t/{province.slug}/console/province/applications/{app_id}/reject",
        data={"reason": "重复申请"},
    )
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    code_of(await apply(client, slug, **parent))
    assert await count_applications(context, slug) == 2


async def test_every_problem_is_reported_at_once(context, make_tenant, client):
    slug = unique_slug("all")
    await make_tenant(slug=slug)
    response = await apply(
        client, slug, contact_email="not-an-email", wished_domain="not a domain", reason=""
    )
    assert response.status_code == 422
    errors = dict(
        (name, response.text.split(f'id="{name}-error">')[1].split("<")[0])
        for name in ("contact_email", "wished_slug", "wished_domain")
    )
    assert errors == {
        "contact_email": "请填写正确的电子邮箱，管理员邀请将发送到此邮箱",
        "wished_slug": f"标识“{slug}”已被使用",
        "wished_domain": "域名“not a domain”格式不正确",
    }
    assert "请填写申请理由" in response.text


async def test_the_platform_home_leads_to_the_application_form(client):
    home = await client.get("/")
    assert home.status_code == 200
    assert '<a href="/apply">申请开通信箱</a>' in home.text
    assert '<a href="/apply/status">' in home.text


async def test_the_form_is_only_on_the_platform_site(make_tenant, client):
    tenant = await make_tenant()
    assert (await client.get(f"/t/{tenant.slug}/apply")).status_code == 404


async def test_an_approved_mailbox_whose_invitation_failed_sends_it_again(
    context, mail_context, make_tenant, client, smtp_sink
):
    slug = unique_slug("apv")
    province = await new_province(make_tenant)
    code = code_of(await apply(client, slug, parent_tenant_id=str(province.id)))
    await admin_of(context, province, client)
    app_id = await application_id(context, code)
    approved = await client.post(
        f"/t/{province.slug}/console/province/applications/{app_id}/approve", data={}
    )
    run_path = approved.headers["location"]
    run_id = int(run_path.rsplit("/", 1)[1])
    # The mail server refuses: the mailbox is made, the invitation is not sent.
    no_mail = replace(mail_context, settings=replace(mail_context.settings, smtp_port=1))
    assert await provision_tenant({"app": no_mail}, run_id=run_id) == "failed"
    page = (await client.get(run_path)).text
    assert "信箱本身已经建好" in page and "重新发送邀请邮件" in page

    retried = await client.post(f"/t/{province.slug}/console/province/runs/{run_id}/retry")
    assert retried.status_code == 303
    async with context.database.core_session() as session:
        assert (await session.get(ProvisioningRun, run_id)).status == "queued"
    assert await provision_tenant({"app": mail_context}, run_id=run_id) == "succeeded"
    assert [m["X-Rcpt-To"] for m in smtp_sink.messages] == [f"{slug}@apply.example.cn"]
