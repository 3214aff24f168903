"""A published letter handled again, in Debian chromium: the new reply, sent,
is not on the public page; the registrar sees it waiting on the letter page,
reviews its 公示文本 (a phone number typed in is refused next to the field,
the text kept) and publishes it; the public page then shows it."""

from __future__ import annotations

from playwright.async_api import expect

from leadermail.platform.accounts.models import Role
from tests.browser.conftest import check_axe, open_tenant, screenshot, tenant_base
from tests.browser.test_console_lifecycle import console_sign_in, staff_member
from tests.functional.console.test_publish_held_reply import SECOND_PUBLIC_START, held_desk
from tests.functional.console.test_rehandling import replies_of


async def test_the_registrar_reviews_and_publishes_the_new_reply(
    live_server, page, browser, make_tenant, context, client
):
    desk = await held_desk(context, make_tenant, client)
    _, second = await replies_of(context, desk)
    letter_path = f"/letters/{desk.letter.id}"

    await open_tenant(page, live_server, desk.tenant, letter_path)
    await expect(page.get_by_test_id("rehandling-notice")).to_contain_text("经审核后将在此公开")
    await expect(page.get_by_text(SECOND_PUBLIC_START)).to_have_count(0)
    await check_axe(page)

    registrar = await staff_member(context, desk.tenant, "赵公示", Role.REGISTRAR)
    staff = await console_sign_in(browser, live_server, desk.tenant, *registrar)
    await staff.goto(tenant_base(live_server, desk.tenant) + f"/console{letter_path}")
    await expect(staff.get_by_test_id("held-notice")).to_contain_text("第 2 次答复")
    await expect(staff.get_by_role("button", name="公示新的答复")).to_be_visible()
    await screenshot(staff, "console-held-reply")
    await check_axe(staff)

    await staff.get_by_test_id("public-text-link").click()
    await expect(staff.get_by_test_id("held-reply")).to_have_text("待公示")
    reply = staff.locator(f"#public-reply-{second.id}")
    await reply.fill("您好：灯具已更换。如有疑问请拨打13812345678。")
    await staff.get_by_role("button", name="保存并公示新的答复").click()
    await expect(staff.locator(f"#public-reply-{second.id}-error")).to_contain_text(
        "手机号码（138****5678）"
    )
    await expect(reply).to_have_value("您好：灯具已更换。如有疑问请拨打13812345678。")
    await reply.fill("您好：灯具已更换，经回访已恢复照明。")
    await staff.get_by_role("button", name="保存并公示新的答复").click()
    await expect(staff.locator(".flash[role=status]")).to_contain_text("新的答复已公示")
    await expect(staff.get_by_test_id("held-notice")).to_have_count(0)

    await open_tenant(page, live_server, desk.tenant, letter_path)
    await expect(page.get_by_test_id("current-reply")).to_contain_text(
        "灯具已更换，经回访已恢复照明"
    )
    await expect(page.get_by_test_id("rehandling-notice")).to_have_count(0)
    await screenshot(page, "published-held-reply")
    await staff.context.close()
