"""Provisioning from the province console: form → run → job → tenant + invitation."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import func, select, text

from leadermail.platform.accounts.models import Role, User
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.letters.models import Category
from leadermail.tenants.invitations import invite_staff
from leadermail.tenants.jobs import provision_tenant
from leadermail.tenants.models import Tenant
from leadermail.tenants.provisioning_runs import SYSTEM_ERROR, ProvisioningRun
from leadermail.tenants.session import tenant_session
from tests.conftest import unique_slug
from tests.functional.staff_ops.helpers import make_staff, sign_in_client


async def province_admin(context, make_tenant, client):  # noqa: ANN001, ANN201
    province = await make_tenant(slug=unique_slug("prov"), name="测试省", kind="province")
    staff = await make_staff(context, province, "省管理员", Role.PROVINCE_ADMIN)
    sign_in_client(client, staff)
    return province


def url(province, path: str) -> str:  # noqa: ANN001
    return f"/t/{province.slug}/console{path}"


async def post_new(client, province, slug, **extra):  # noqa: ANN001, ANN201
    data = {
        "name": "新开通县县长信箱",
        "kind": "county",
        "parent_id": str(province.id),
        "slug": slug,
        "domains": "",
        "theme": "base",
        "leader_name": "赵县长",
        "admin_name": "钱管理",
        "admin_email": "admin@county.example.cn",
        "request_key": extra.pop("request_key", slug),
        **extra,
    }
    return await client.post(url(province, "/province/tenants"), data=data)


async def test_provisioning_end_to_end_with_invitation(
    context, mail_context, make_tenant, client, smtp_sink
):
    province = await province_admin(context, make_tenant, client)
    slug = unique_slug("cty")
    response = await post_new(client, province, slug)
    assert response.status_code == 303
    run_path = response.headers["location"]
    run_id = int(run_path.rsplit("/", 1)[1])

    page = await client.get(run_path)
    assert "等待开始" in page.text and 'hx-trigger="every 1s"' in page.text
    assert "正在等待后台处理" in page.text
    assert "new-mailbox-links" not in page.text  # nothing to link to yet

    assert await provision_tenant({"app": mail_context}, run_id=run_id) == "succeeded"
    page = await client.get(run_path, headers={"HX-Request": "true"})
    assert "开通完成" in page.text and "hx-trigger" not in page.text
    assert re.search(r"向管理员发送设置密码的邀请邮件：<strong>已完成", page.text)
    # Done: links to the new mailbox's public site and its console, and what comes next.
    links = re.search(r'data-testid="new-mailbox-links".*?</dl>', page.text, re.S)
    assert links is not None
    assert f'href="http://testserver/t/{slug}/"' in links.group(0)
    assert f'href="http://testserver/t/{slug}/console/"' in links.group(0)
    assert "admin@county.example.cn" in page.text and "7 天内" in page.text
    assert (await client.get(f"/t/{slug}/console/")).status_code in (302, 303)

    context.tenants.invalidate()
    tenant = await context.tenants.by_slug(slug)
    assert tenant is not None and tenant.is_active and tenant.parent_id == province.id
    async with tenant_session(context.database, tenant) as session:
        assert await session.scalar(select(func.count()).select_from(Category)) > 0
    assert (await client.get(f"/t/{slug}/")).status_code == 200

    # The invitation: one mail, a one-time link that sets the password.
    assert len(smtp_sink.messages) == 1
    body = smtp_sink.messages[0].get_payload(decode=True).decode()
    link = re.search(r"http://testserver(/t/\S+/console/invitation/\S+)", body).group(1)
    assert (await client.get(link)).status_code == 200
    done = await client.post(
        link, data={"password": "a-long-secret-1", "password_again": "a-long-secret-1"}
    )
    assert done.status_code == 303
    assert (await client.get(link)).status_code == 404  # used once
    async with context.database.core_session() as session:
        user = await session.scalar(select(User).where(User.email == "admin@county.example.cn"))
    assert user.password_hash

    # Running the job again changes nothing.
    assert await provision_tenant({"app": mail_context}, run_id=run_id) == "nothing to do"
    assert len(smtp_sink.messages) == 1


async def test_the_same_form_posted_twice_is_one_run(context, make_tenant, client):
    province = await province_admin(context, make_tenant, client)
    slug = unique_slug("dup")
    first = await post_new(client, province, slug, admin_email="")
    second = await post_new(client, province, slug, admin_email="")
    assert first.headers["location"] == second.headers["location"]


async def test_a_failure_leaves_no_half_tenant_and_says_why(context, make_tenant, client):
    province = await province_admin(context, make_tenant, client)
    slug = unique_slug("race")
    response = await post_new(client, province, slug, admin_email="")
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    await make_tenant(slug=slug)  # someone takes the slug before the job runs
    schemas_before = await _schema_count(context)

    assert await provision_tenant({"app": context}, run_id=run_id) == "failed"
    async with context.database.core_session() as session:
        run = await session.get(ProvisioningRun, run_id)
        tenants = await session.scalar(select(func.count()).where(Tenant.slug == slug))
    assert run.status == "failed" and "已被使用" in run.error
    assert tenants == 1
    assert await _schema_count(context) == schemas_before
    page = (await client.get(response.headers["location"])).text
    # What failed, why, and what to do: the form again with what was sent.
    assert "开通失败：在“建立信箱的数据库”这一步出错" in page
    assert f"标识“{slug}”已被使用" in page
    assert "没有创建任何内容" in page and "new-mailbox-links" not in page
    assert "按原内容重试" not in page  # the same input would fail the same way
    again = re.search(r'href="([^"]*/province/tenants/new\?from_run=\d+)"', page)
    assert again is not None
    form = (await client.get(again.group(1))).text
    assert 'value="新开通县县长信箱"' in form and f'value="{slug}"' in form
    assert 'value="赵县长"' in form


async def test_a_failed_invitation_keeps_the_mailbox_and_is_sent_again(
    context, mail_context, make_tenant, client, smtp_sink
):
    province = await province_admin(context, make_tenant, client)
    slug = unique_slug("inv")
    response = await post_new(client, province, slug)
    run_path = response.headers["location"]
    run_id = int(run_path.rsplit("/", 1)[1])
    # The mail server refuses: the mailbox is made, the invitation is not sent.
    no_mail = replace(mail_context, settings=replace(mail_context.settings, smtp_port=1))
    assert await provision_tenant({"app": no_mail}, run_id=run_id) == "failed"

    page = (await client.get(run_path)).text
    assert "开通失败：在“向管理员发送设置密码的邀请邮件”这一步出错" in page
    assert "信箱本身已经建好" in page
    assert f'href="http://testserver/t/{slug}/"' in page
    assert f'href="http://testserver/t/{slug}/console/"' in page
    assert (await client.get(f"/t/{slug}/")).status_code == 200

    retried = await client.post(url(province, f"/province/runs/{run_id}/retry"))
    assert retried.status_code == 303 and retried.headers["location"].endswith(run_path)
    async with context.database.core_session() as session:
        run = await session.get(ProvisioningRun, run_id)
    assert run.status == "queued" and run.error is None
    assert await _jobs_of(context, run_id) == 2
    # A second click queues nothing more.
    await client.post(url(province, f"/province/runs/{run_id}/retry"))
    assert await _jobs_of(context, run_id) == 2

    assert await provision_tenant({"app": mail_context}, run_id=run_id) == "succeeded"
    assert len(smtp_sink.messages) == 1
    assert "开通完成" in (await client.get(run_path)).text


async def _jobs_of(context, run_id: int) -> int:  # noqa: ANN001
    """provision_tenant jobs queued for run ``run_id``."""
    async with context.database.core_session() as session:
        return await session.scalar(
            select(func.count()).where(
                OutboxJob.job_name == "provision_tenant",
                OutboxJob.kwargs["run_id"].as_integer() == run_id,
            )
        )


async def _schema_count(context) -> int:  # noqa: ANN001
    async with context.database.core_session() as session:
        return await session.scalar(
            text("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 't\\_%'")
        )


async def test_form_errors_come_back_on_the_form(context, make_tenant, client):
    province = await province_admin(context, make_tenant, client)
    response = await post_new(client, province, "Bad Slug!")
    assert response.status_code == 422 and "标识只能使用" in response.text


async def test_only_province_admins_reach_the_province_pages(context, make_tenant, client):
    province = await make_tenant(slug=unique_slug("prov"), kind="province")
    staff = await make_staff(context, province, "登记员", Role.REGISTRAR)
    sign_in_client(client, staff)
    assert (await client.get(url(province, "/province/tenants"))).status_code == 403
    assert (await post_new(client, province, unique_slug("x"))).status_code == 403


async def test_template_tenant_categories_are_copied(context, make_tenant, client):
    province = await province_admin(context, make_tenant, client)
    template = await make_tenant(
        categories=["模板分类甲", "模板分类乙"], units=["模板单位"], parent_id=province.id
    )
    slug = unique_slug("tpl")
    response = await post_new(
        client, province, slug, admin_email="", template_tenant_id=str(template.id)
    )
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert await provision_tenant({"app": context}, run_id=run_id) == "succeeded"
    context.tenants.invalidate()
    tenant = await context.tenants.by_slug(slug)
    async with tenant_session(context.database, tenant) as session:
        names = (await session.execute(select(Category.name).order_by(Category.id))).scalars().all()
    assert names == ["模板分类甲", "模板分类乙"]


async def test_disable_and_enable_a_tenant(context, make_tenant, client):
    province = await province_admin(context, make_tenant, client)
    city = await make_tenant(kind="city", parent_id=province.id)
    page = await client.get(url(province, "/province/tenants"))
    assert city.name in page.text
    response = await client.post(
        url(province, f"/province/tenants/{city.id}/disable"), data={"reason": "机构调整"}
    )
    assert response.status_code == 303
    context.tenants.invalidate()
    assert (await client.get(f"/t/{city.slug}/")).status_code == 503
    await client.post(url(province, f"/province/tenants/{city.id}/enable"), data={})
    context.tenants.invalidate()
    assert (await client.get(f"/t/{city.slug}/")).status_code == 200


async def test_edit_renames_and_moves_a_tenant(context, make_tenant, client):
    province = await province_admin(context, make_tenant, client)
    city = await make_tenant(kind="city", parent_id=province.id)
    new_slug = unique_slug("ren")
    response = await client.post(
        url(province, f"/province/tenants/{city.id}"),
        data={
            "name": "改名后的市长信箱",
            "kind": "city",
            "parent_id": str(province.id),
            "slug": new_slug,
            "domains": f"{new_slug}.example.cn",
            "theme": "base",
        },
    )
    assert response.status_code == 303
    context.tenants.invalidate()
    renamed = await context.tenants.by_id(city.id)
    assert renamed.slug == new_slug and renamed.name == "改名后的市长信箱"
    assert renamed.domains == (f"{new_slug}.example.cn",)
    loop = await client.post(
        url(province, f"/province/tenants/{province.id}"),
        data={
            "name": province.name,
            "kind": "province",
            "parent_id": str(city.id),
            "slug": province.slug,
            "theme": "base",
        },
    )
    assert loop.status_code == 422 and "下级" in loop.text


async def test_disabling_needs_a_reason_and_the_list_shows_it(context, make_tenant, client):
    province = await province_admin(context, make_tenant, client)
    city = await make_tenant(kind="city", parent_id=province.id)
    page = (await client.get(url(province, "/province/tenants"))).text
    form = re.search(
        rf'action="[^"]*/province/tenants/{city.id}/disable">(.*?)</form>', page, re.S
    ).group(1)
    # The confirmation is the form itself: a required reason and a plain label.
    assert re.search(r'<input id="reason-\d+" name="reason" required', form)
    assert '<button type="submit" class="danger">停用此信箱</button>' in form

    disable = url(province, f"/province/tenants/{city.id}/disable")
    assert (await client.post(disable, data={"reason": "  "})).status_code == 303
    context.tenants.invalidate()
    assert (await context.tenants.by_id(city.id)).is_active

    await client.post(disable, data={"reason": "机构调整，并入丙市"})
    page = (await client.get(url(province, "/province/tenants"))).text
    assert f'data-testid="disabled-reason-{city.id}">原因：机构调整，并入丙市<' in page
    assert '<button type="submit" class="secondary">重新启用' in page


async def test_the_invitation_refuses_a_guessable_password_next_to_the_field(
    context, make_tenant, client
):
    tenant = await make_tenant()
    async with context.database.core_session() as session:
        _, token = await invite_staff(
            session, tenant_id=tenant.id, email="zhaoliu@county.example.cn", display_name="赵六"
        )
        await session.commit()
    link = f"/t/{tenant.slug}/console/invitation/{token}"
    form = await client.get(link)
    assert "不必混用大小写或符号" in form.text
    csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    for weak, why in [
        ("aaaaaaaaaaaa", "重复的字符太多"),
        ("1qaz2wsx3edc", "按顺序排列"),
        ("woaini1314520", "最常见的密码"),
        ("Zhaoliu-at-work", "邮箱用户名“zhaoliu”"),
        (f"{tenant.slug}-office", f"信箱标识“{tenant.slug}”"),
    ]:
        response = await client.post(
            link, data={"password": weak, "password_again": weak, "csrf_token": csrf}
        )
        assert response.status_code == 422, weak
        assert why in response.text.split('id="p1-error">')[1].split("<")[0], weak
    good = "lushan road no 17"
    response = await client.post(
        link, data={"password": good, "password_again": good, "csrf_token": csrf}
    )
    assert response.status_code == 303


async def test_the_new_mailbox_form_starts_as_a_city(context, make_tenant, client):
    province = await province_admin(context, make_tenant, client)
    page = (await client.get(url(province, "/province/tenants/new"))).text
    assert '<option value="city" selected>市级</option>' in page
    assert '<option value="province" selected>' not in page


def field_error(page: str, name: str) -> str:
    return page.split(f'id="e-{name}">')[1].split("<")[0]


async def test_every_problem_comes_back_at_once_with_all_input_kept(
    context, make_tenant, client
):
    province = await province_admin(context, make_tenant, client)
    taken = await make_tenant(kind="city", parent_id=province.id, domains=[f"{unique_slug()}.cn"])
    template = await make_tenant(name="模板县县长信箱", kind="county", parent_id=province.id)
    response = await post_new(
        client,
        province,
        taken.slug,
        name="",
        domains=taken.domains[0],
        admin_email="not-an-email",
        template_tenant_id=str(template.id),
        intro="听取群众意见",
    )
    assert response.status_code == 422
    page = response.text
    assert field_error(page, "name") == "请填写信箱名称（不超过 100 个字符）"
    assert field_error(page, "slug") == f"标识“{taken.slug}”已被使用"
    assert field_error(page, "domains") == f"域名“{taken.domains[0]}”已被其他信箱使用"
    assert field_error(page, "admin_email") == "管理员邮箱格式不正确"
    assert f'<option value="{template.id}" selected>复制自：模板县县长信箱</option>' in page
    assert '<option value="county" selected>县级</option>' in page
    assert f'<option value="{province.id}" selected>' in page
    assert f'value="{taken.slug}"' in page and ">听取群众意见</textarea>" in page
    assert 'value="钱管理"' in page and 'value="not-an-email"' in page


async def test_the_edit_form_reports_every_problem_at_once(context, make_tenant, client):
    province = await province_admin(context, make_tenant, client)
    city = await make_tenant(kind="city", parent_id=province.id, domains=[f"{unique_slug()}.cn"])
    other = await make_tenant(kind="city", parent_id=province.id, domains=[f"{unique_slug()}.cn"])
    response = await client.post(
        url(province, f"/province/tenants/{province.id}"),
        data={
            "name": province.name,
            "kind": "province",
            "parent_id": str(city.id),
            "slug": other.slug,
            "domains": city.domains[0],
            "theme": "base",
        },
    )
    assert response.status_code == 422
    page = response.text
    assert field_error(page, "parent_id") == "上级信箱不能是本信箱或其下级"
    assert field_error(page, "slug") == f"标识“{other.slug}”已被使用"
    assert field_error(page, "domains") == f"域名“{city.domains[0]}”已被其他信箱使用"
    # Its own slug and domain are no clash.
    kept = await client.post(
        url(province, f"/province/tenants/{city.id}"),
        data={
            "name": city.name,
            "kind": "city",
            "parent_id": str(province.id),
            "slug": city.slug,
            "domains": city.domains[0],
            "theme": "base",
        },
    )
    assert kept.status_code == 303


async def test_a_run_broken_by_a_fault_can_be_tried_again_as_is(context, make_tenant, client):
    province = await province_admin(context, make_tenant, client)
    slug = unique_slug("flt")
    response = await post_new(client, province, slug, admin_email="")
    run_path = response.headers["location"]
    run_id = int(run_path.rsplit("/", 1)[1])
    # As the job leaves a run whose transaction broke after two steps.
    async with context.database.core_session() as session:
        run = await session.get(ProvisioningRun, run_id)
        run.status, run.step = "failed", "migrated"
        run.error = f"{SYSTEM_ERROR}OperationalError: lock timeout"
        await session.commit()

    page = (await client.get(run_path)).text
    assert "开通失败：在“写入默认的来信分类和承办单位”这一步出错" in page
    assert "原因：系统错误：OperationalError: lock timeout" in page
    # Rolled back with the transaction; the invitation step is not listed (no e-mail).
    assert re.search(r"建立数据表：<strong>已撤销", page)
    assert "邀请邮件：" not in page
    assert "按原内容重试" in page and "from_run=" in page

    retried = await client.post(url(province, f"/province/runs/{run_id}/retry"))
    assert retried.status_code == 303
    assert await provision_tenant({"app": context}, run_id=run_id) == "succeeded"
    page = (await client.get(run_path)).text
    assert "开通完成" in page and f'href="http://testserver/t/{slug}/"' in page
    assert "没有填写首位管理员邮箱" in page
