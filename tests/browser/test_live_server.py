"""The browser fixtures themselves: the live server answers and axe runs."""

from __future__ import annotations

from tests.browser.conftest import check_axe, screenshot


async def test_platform_home_renders_in_chromium(live_server, page):
    response = await page.goto(live_server + "/")
    assert response is not None and response.status == 200
    assert "领导信箱平台" in await page.title()
    await screenshot(page, "platform-home")
    await check_axe(page)
