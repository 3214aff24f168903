"""修改密码 and 忘记密码 in Debian chromium: from the user area, a refused
password says why next to the field, the accepted one keeps the session; the
login page's 忘记密码 answers the same for any address."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from leadermail.platform.accounts.models import Role
from tests.browser.conftest import check_axe, new_context, open_tenant, screenshot
from tests.browser.test_console_lifecycle import PASSWORD, console_sign_in, staff_member

NEW_PASSWORD = "窗含西岭千秋雪 2026"


async def test_change_password_from_the_user_area(
    live_server, browser: Browser, make_tenant, context
):
    tenant = await make_tenant()
    email, secret = await staff_member(context, tenant, "王登记", Role.REGISTRAR)
    page = await console_sign_in(browser, live_server, tenant, email, secret)

    await page.get_by_role("link", name="修改密码").click()
    await expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
    await page.get_by_label("当前密码").fill(PASSWORD)
    await page.get_by_label("新密码", exact=True).fill("abcabcabcabc")
    await page.get_by_label("再次输入新密码").fill("abcabcabcabc")
    await page.get_by_role("button", name="修改密码").click()
    error = page.locator("#e-password")
    await expect(error).to_contain_text("重复的字符太多")
    await expect(page.get_by_label("新密码", exact=True)).to_have_attribute("aria-invalid", "true")
    await check_axe(page)
    await screenshot(page, "console-change-password-refused")

    await page.get_by_label("当前密码").fill(PASSWORD)
    await page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    await page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="修改密码").click()
    await expect(page.get_by_role("status")).to_contain_text("密码已修改")
    await screenshot(page, "console-change-password-done")
    # Still signed in: the inbox opens.
    await page.get_by_role("link", name="收件箱").click()
    await expect(page.get_by_role("heading", name="收件箱")).to_be_visible()


async def test_forgot_password_from_the_login_page(live_server, browser: Browser, make_tenant):
    tenant = await make_tenant()
    page = await (await new_context(browser)).new_page()
    await open_tenant(page, live_server, tenant, "/console/login")
    await page.get_by_role("link", name="忘记密码？").click()
    await expect(page.get_by_role("heading", name="忘记密码")).to_be_visible()
    await page.get_by_label("邮箱").fill("nobody@staff.example.cn")
    await page.get_by_role("button", name="发送重置链接").click()
    sent = page.get_by_test_id("reset-sent")
    await expect(sent).to_contain_text("如果该邮箱是本信箱工作台的有效账号")
    await check_axe(page)
    await screenshot(page, "console-forgot-password-sent")
