"""忘记查询码或密码 in chromium: locked out after wrong passwords, the lock
message leads to 找回 with the code filled in, the same answer without
JavaScript; the new password (lower case, dash optional) opens the letter."""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy import select

from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.letters.citizen_access import MAX_WRONG_PASSWORDS
from leadermail.platform.letters.models import Category
from leadermail.platform.letters.submission import submit_letter
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.platform.letters.validation import validate_letter
from leadermail.platform.notifications.recovery_jobs import send_tracking_recovery
from leadermail.platform.notifications.sms import set_sms_gateway
from leadermail.tenants.session import tenant_session
from tests.browser.conftest import check_axe, open_tenant, screenshot
from tests.conftest import TEST_SECRET

PHONE = "13700001111"


async def write(context, tenant) -> tuple[str, str]:  # noqa: ANN001
    async with tenant_session(context.database, tenant) as session:
        category = await session.scalar(select(Category.id).limit(1))
        clean, errors = validate_letter(
            {
                "letter_type": "complaint", "category": str(category),
                "title": "小区门口路灯不亮", "body": "小区门口的路灯坏了一个月，晚上出行很不方便。",
                "region": "岳麓区", "name": "张三", "phone": PHONE, "agree_terms": "1",
            },
            categories={category},
        )  # fmt: skip
        assert clean is not None, errors
        result = await submit_letter(session, tenant, clean, secret_key=TEST_SECRET)
        await session.commit()
    return format_tracking_code(result.tracking_code), str(result.password)


async def test_locked_out_then_a_new_password_by_sms_without_javascript(
    live_server, nojs_page, make_tenant, context
):
    page = nojs_page
    tenant = await make_tenant()
    code, _ = await write(context, tenant)
    await open_tenant(page, live_server, tenant, "/track")
    for _ in range(MAX_WRONG_PASSWORDS + 1):
        await page.get_by_label("查询码").fill(code)
        await page.get_by_label("查询密码").fill("wrong-pass")
        await page.get_by_role("button", name="查询").click()
    await expect(page.locator("#error-summary")).to_contain_text("已暂时锁定")
    await page.get_by_role("link", name="忘记查询码或密码？用手机号找回").click()
    await expect(page.get_by_role("heading", name="找回查询码或密码")).to_be_visible()
    await expect(page.get_by_role("textbox", name="查询码（选填）")).to_have_value(code)
    await page.get_by_label("手机号码").fill("137 0000 11")
    await page.get_by_role("button", name="发送到我的手机").click()
    await expect(page.locator("#phone-error")).to_contain_text("请填写有效的手机号码")
    await page.get_by_label("手机号码").fill("137 0000 1111")
    await page.get_by_role("button", name="发送到我的手机").click()
    await expect(page.get_by_role("heading", name="申请已收到")).to_be_visible()
    await expect(page.get_by_text("137****1111")).to_be_visible()
    await screenshot(page, "recovery-sent-nojs")

    async with context.database.core_session() as session:
        job = await session.scalar(
            select(OutboxJob).where(
                OutboxJob.tenant_id == tenant.id, OutboxJob.job_name == "send_tracking_recovery"
            )
        )
    sent: list[str] = []

    class Recorder:
        """What the SMS says, the new password included (the log blanks it)."""

        async def send(self, phone: str, text: str, *, secrets: object = ()) -> None:
            sent.append(text)

    set_sms_gateway(context.settings, Recorder())
    await send_tracking_recovery({"app": context}, **job.kwargs)
    new_password = sent[0].split("新查询密码 ")[1].split("\n")[0]
    await page.get_by_role("link", name="去查询").click()
    await expect(page.get_by_label("查询码")).to_have_value(code)
    await page.get_by_label("查询密码").fill(new_password.upper().replace("-", " "))
    await page.get_by_role("button", name="查询").click()
    await expect(page.get_by_text("来信已提交")).to_be_visible()


async def test_the_recovery_form_is_accessible(live_server, page, make_tenant):
    tenant = await make_tenant()
    await open_tenant(page, live_server, tenant, "/track")
    await page.get_by_role("link", name="忘记查询码或密码？").click()
    await expect(page.get_by_role("heading", name="找回查询码或密码")).to_be_visible()
    await check_axe(page)
    await page.get_by_role("button", name="发送到我的手机").click()
    await expect(page.locator("#error-summary")).to_contain_text("请填写写信时留的手机号码")
    await check_axe(page)
    await screenshot(page, "recovery-form-errors")
