"""The province console in Debian chromium: the tenant list's row actions are
visible (axe-core's contrast check) and disabling takes an opened form and a
reason (native <details> and a required field: nothing needs JavaScript); a
new mailbox's progress page follows the job and ends with its addresses."""

from __future__ import annotations

import re
import secrets

from playwright.async_api import Page, expect
from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.tenants.jobs import provision_tenant
from leadermail.tenants.provisioning import set_tenant_status
from leadermail.tenants.provisioning_runs import ProvisioningRun
from tests.browser.conftest import check_axe, new_context, open_tenant, screenshot
from tests.conftest import unique_slug
from tests.functional.staff_ops.helpers import make_staff, session_cookie


async def signed_in_page(browser, live_server: str, staff) -> Page:  # noqa: ANN001
    """A page carrying the session cookie of ``staff`` (JavaScript on: axe-core needs it)."""
    context = await new_context(browser)
    await context.add_cookies(
        [
            {
                "name": "leadermail_session",
                "value": session_cookie(staff.user_id, secrets.token_urlsafe(16)),
                "url": live_server,
            }
        ]
    )
    return await context.new_page()


async def test_tenant_row_actions_are_visible_and_disabling_is_confirmed(
    live_server, browser, make_tenant, context
):
    province = await make_tenant(slug=unique_slug("prov"), name="测试省省长信箱", kind="province")
    # The list shows every tenant of the test database: names made unique.
    city_name, closed_name = f"甲市市长信箱{unique_slug('')}", f"乙市市长信箱{unique_slug('')}"
    city = await make_tenant(name=city_name, kind="city", parent_id=province.id)
    closed = await make_tenant(name=closed_name, kind="city", parent_id=province.id)
    set_tenant_status(context.database.sync_engine, closed.slug, "disabled", "机构调整")
    staff = await make_staff(context, province, "省管理员", Role.PROVINCE_ADMIN)
    page = await signed_in_page(browser, live_server, staff)
    try:
        await open_tenant(page, live_server, province, "/console/province/tenants")
        await expect(page.get_by_test_id(f"disabled-reason-{closed.id}")).to_have_text(
            "原因：机构调整"
        )
        enable = page.get_by_role("button", name=re.compile(f"重新启用.*{closed_name}"))
        await expect(enable).to_be_visible()

        row = page.get_by_role("row").filter(has_text=city_name)
        confirm = row.get_by_role("button", name="停用此信箱")
        await expect(confirm).to_be_hidden()
        await row.locator("summary").click()
        await expect(confirm).to_be_visible()
        await screenshot(page, "province-tenants")
        await check_axe(page)  # white-on-white buttons fail its color-contrast rule

        await confirm.click()  # no reason yet: the browser keeps the form open
        await expect(confirm).to_be_visible()
        await row.get_by_label("原因").fill("测试停用")
        await confirm.click()
        await expect(page.get_by_text(f"已停用“{city_name}”")).to_be_visible()
    finally:
        await page.context.close()
    context.tenants.invalidate()
    assert not (await context.tenants.by_id(city.id)).is_active


async def test_a_new_mailbox_is_opened_and_its_addresses_shown_when_ready(
    live_server, browser, make_tenant, context
):
    province = await make_tenant(slug=unique_slug("prov"), name="测试省省长信箱", kind="province")
    staff = await make_staff(context, province, "省管理员", Role.PROVINCE_ADMIN)
    name, slug = f"新开通县县长信箱{unique_slug('')}", unique_slug("new")
    page = await signed_in_page(browser, live_server, staff)
    try:
        await open_tenant(page, live_server, province, "/console/province/tenants/new")
        await page.get_by_label("信箱名称").fill(name)
        await page.get_by_label("类型").select_option("county")
        await page.get_by_label("上级信箱").select_option(str(province.id))
        await page.get_by_label("标识（网址 /t/标识/）").fill(slug)
        await page.get_by_role("button", name="开通").click()
        await expect(page.get_by_test_id("run-status")).to_have_text("状态：等待开始")
        await expect(page.get_by_text("正在等待后台处理")).to_be_visible()

        # The worker's job, run here; the page (polling every second) follows.
        async with context.database.core_session() as session:
            run_id = await session.scalar(
                select(ProvisioningRun.id).where(ProvisioningRun.spec["slug"].astext == slug)
            )
        assert await provision_tenant({"app": context}, run_id=run_id) == "succeeded"
        await expect(page.get_by_test_id("run-status")).to_have_text("状态：开通完成")
        links = page.get_by_test_id("new-mailbox-links")
        console_link = links.get_by_role("link", name=f"{live_server}/t/{slug}/console/")
        await expect(console_link).to_be_visible()
        await screenshot(page, "province-run-done")
        await check_axe(page)

        await links.get_by_role("link", name=f"{live_server}/t/{slug}/", exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    finally:
        await page.context.close()


async def test_a_mailbox_without_an_admin_is_given_one_from_its_page(
    live_server, browser, make_tenant, context
):
    province = await make_tenant(slug=unique_slug("prov"), name="测试省省长信箱", kind="province")
    county_name = f"丙县县长信箱{unique_slug('')}"
    county = await make_tenant(name=county_name, kind="county", parent_id=province.id)
    staff = await make_staff(context, province, "省管理员", Role.PROVINCE_ADMIN)
    page = await signed_in_page(browser, live_server, staff)
    try:
        await open_tenant(page, live_server, province, "/console/province/tenants")
        row = page.get_by_role("row").filter(has_text=county_name)
        await row.get_by_role("link", name=re.compile("管理员")).click()
        await expect(page.get_by_test_id("no-admins")).to_be_visible()
        await page.get_by_label("邮箱").fill("not an address")
        await page.get_by_role("button", name="发送邀请").click()
        # The browser's own check of type=email and required stops it first.
        await expect(page.get_by_test_id("no-admins")).to_be_visible()
        await page.get_by_label("姓名").fill("吴管理")
        await page.get_by_label("邮箱").fill("wu@county.example.cn")
        await check_axe(page)
        await screenshot(page, "province-mailbox-admins")
        await page.get_by_role("button", name="发送邀请").click()
        await expect(page.get_by_test_id("run-status")).to_have_text("状态：等待发送")

        async with context.database.core_session() as session:
            run_id = await session.scalar(
                select(ProvisioningRun.id).where(ProvisioningRun.tenant_id == county.id)
            )
        assert await provision_tenant({"app": context}, run_id=run_id) == "succeeded"
        await expect(page.get_by_test_id("run-status")).to_have_text("状态：邀请邮件已发出")
        await check_axe(page)
    finally:
        await page.context.close()
