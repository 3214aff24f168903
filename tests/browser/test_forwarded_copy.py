"""The receiving registrar's side of a 转办 in Debian chromium: the citizen
phones and reads out their 查询码, the inbox search finds the copy, its page
shows where it came from and what was done there, 签收 says so, a refused
objection keeps the reason typed; each page checked with axe-core."""

from __future__ import annotations

import re

from playwright.async_api import expect

from leadermail.platform.accounts.models import Role
from leadermail.platform.letters.tracking import format_tracking_code
from tests.browser.conftest import check_axe, open_tenant, screenshot
from tests.browser.test_province_console import signed_in_page
from tests.conftest import unique_slug
from tests.functional.province.forwarded import INTERNAL, forward, handled_letter
from tests.functional.staff_ops.helpers import make_staff


async def test_the_receiving_registrar_finds_reads_and_signs_for_the_copy(
    live_server, browser, make_tenant, context
):
    province = await make_tenant(slug=unique_slug("prov"), name="测试省省长信箱", kind="province")
    city = await make_tenant(name="甲市市长信箱", kind="city", parent_id=province.id)
    letter = await handled_letter(context, province)
    leg = await forward(context, province, letter.id, city)
    staff = await make_staff(context, city, "市登记员", Role.REGISTRAR)
    page = await signed_in_page(browser, live_server, staff)
    try:
        await open_tenant(page, live_server, city, "/console/inbox")
        await page.get_by_label("关键词").fill(format_tracking_code(letter.tracking_code).lower())
        await page.get_by_role("button", name="筛选").click()
        await page.get_by_role("link", name="人民路积水多年未修").click()

        origin = page.get_by_test_id("forwarded-from")
        await expect(origin).to_contain_text(f"转办件：{province.name}")
        await expect(page.get_by_test_id("origin-category")).to_have_text(
            "转出机关的分类：城乡建设（已按同名分类登记）。"
        )
        history = page.get_by_test_id("sender-history").get_by_role("listitem")
        await expect(history).to_have_count(3)
        await expect(history.nth(1)).to_contain_text("来信已受理")
        await expect(history.nth(2)).to_contain_text("转办人：省转办员赵六")
        for internal in INTERNAL:
            await expect(page.locator("main")).not_to_contain_text(internal)
        await screenshot(page, "forwarded-copy")
        await check_axe(page)

        await origin.get_by_role("link", name=re.compile("转办详情")).click()
        await page.get_by_role("button", name="提出异议").click()  # empty: the browser stops it
        await expect(page).to_have_url(re.compile(f"/forwarding/{leg.id}$"))
        await page.get_by_role("button", name="签收", exact=True).click()
        await expect(page.locator('.flash[role="status"]')).to_have_text(
            "已签收。请在办理期限内办理，答复来信人后报送办结报告"
        )
        await expect(page.get_by_test_id("leg-status")).to_contain_text("办理中")
        await check_axe(page)
    finally:
        await page.context.close()
