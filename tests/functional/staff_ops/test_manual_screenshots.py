"""Screenshots for the staff manual, taken with Debian's chromium.

They land in ``test-artifacts/screenshots/`` (not committed); the manual shows
them when present (``/console/help/img/<name>.png``) and text only otherwise.
Regenerate with ``.venv/bin/pytest tests/functional/staff_ops/test_manual_screenshots.py``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import SHANGHAI, WorkCalendar
from leadermail.platform.duty.rota import RotaTeams, StaffRef, plan_rota
from leadermail.platform.duty.services import save_rota
from leadermail.platform.help.manual import SCREENSHOT_DIR
from leadermail.tenants.session import tenant_session
from tests.functional.staff_ops.helpers import make_letter, make_staff, session_cookie
from tests.functional.staff_ops.test_certificate_nginx import app_server  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]


async def test_screenshots_for_the_manual(app_server, context, make_tenant):  # noqa: ANN001, F811
    from playwright.async_api import async_playwright

    tenant = await make_tenant(name="示例市市长信箱")
    admin = await make_staff(context, tenant, "王值班", Role.TENANT_ADMIN)
    night = await make_staff(context, tenant, "李夜班", Role.REGISTRAR)
    today = utcnow().astimezone(SHANGHAI).date()
    entries = plan_rota(
        today - timedelta(days=1),
        today + timedelta(days=2),
        WorkCalendar(),
        RotaTeams(
            [StaffRef(admin.user_id, admin.name)],
            [StaffRef(night.user_id, night.name)],
            [StaffRef(admin.user_id, admin.name)],
        ),
    )
    async with tenant_session(context.database, tenant) as session:
        await save_rota(session, tenant_id=tenant.id, entries=entries, actor=Actor.system())
        await session.commit()
    await make_letter(
        context, tenant, title="小区门口路灯不亮", submitted_at=utcnow() - timedelta(hours=1)
    )

    base = f"http://127.0.0.1:{app_server}/t/{tenant.slug}/console"
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page_context = await browser.new_context(
            locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        await page_context.add_cookies(
            [
                {
                    "name": "leadermail_session",
                    "value": session_cookie(admin.user_id, "csrf-token"),
                    "url": f"http://127.0.0.1:{app_server}/",
                }
            ]
        )
        page = await page_context.new_page()
        for _ in range(30):  # the server's tenant cache reloads every 5 s
            response = await page.goto(f"{base}/duty")
            if response is not None and response.status == 200:
                break
            await asyncio.sleep(0.5)
        assert "当前值班" in await page.content()
        await page.screenshot(path=str(SCREENSHOT_DIR / "duty-panel.png"), full_page=True)
        await page.goto(f"{base}/channels/register")
        assert "登记其他渠道来信" in await page.content()
        await page.screenshot(path=str(SCREENSHOT_DIR / "channels-register.png"), full_page=True)
        await page.goto(f"{base}/help/duty")
        assert await page.locator("article img[alt='网上值班']").count() == 1
        await browser.close()
