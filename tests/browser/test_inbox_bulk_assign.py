"""批量分办 with a 办理时限 in Debian chromium: a date one ticked letter cannot
take comes back next to the field with every tick kept; a good one assigns
both, and the unit's inbox shows the date and filters by it."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import expect
from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import end_of_day, local_day
from leadermail.platform.letters.models import Unit
from leadermail.platform.web.templating import format_datetime
from leadermail.tenants.session import tenant_session
from tests.browser.conftest import check_axe, screenshot
from tests.browser.test_console_lifecycle import console_sign_in, staff_member
from tests.functional.console.staff_session import make_letter


async def test_bulk_assign_with_a_deadline(live_server, browser, make_tenant, context):
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        unit = (await session.execute(select(Unit).order_by(Unit.id).limit(1))).scalar_one()
    today = local_day(utcnow())
    letters = [
        await make_letter(
            context, tenant, title=title, state="accepted",
            reply_due_at=end_of_day(today + timedelta(days=days)),
        )
        for title, days in (("井盖缺失", 3), ("路灯不亮", 10))
    ]
    desk = await console_sign_in(
        browser, live_server, tenant, *await staff_member(context, tenant, "王登记", Role.REGISTRAR)
    )
    for letter in letters:
        await desk.locator(f"#letter-row-{letter.id} input[type=checkbox]").check()
    await desk.get_by_label("将勾选的来信分办给").select_option(label=unit.name)
    due_field = desk.get_by_label("办理时限", exact=True)
    await due_field.fill((today + timedelta(days=5)).isoformat())
    await desk.get_by_role("button", name="批量分办").click()

    # The first letter is due in three days: the date is refused, all kept.
    error = desk.locator("#bulk-due-error")
    await expect(error).to_contain_text("办理时限不能晚于来信的答复期限")
    await expect(due_field).to_have_value((today + timedelta(days=5)).isoformat())
    await expect(due_field).to_have_attribute("aria-invalid", "true")
    await expect(desk.get_by_label("将勾选的来信分办给")).to_have_value(str(unit.id))
    for letter in letters:
        await expect(desk.locator(f"#letter-row-{letter.id} input[type=checkbox]")).to_be_checked()
    await check_axe(desk)
    await screenshot(desk, "console-inbox-bulk-assign-refused")

    day = today + timedelta(days=2)
    await due_field.fill(day.isoformat())
    await desk.get_by_role("button", name="批量分办").click()
    await expect(desk.get_by_role("status")).to_contain_text(
        f"已分办 2 件给{unit.name}，办理时限 {day.isoformat()}"
    )
    # The later letter's row now shows the earlier 办理时限 under its deadline.
    shown = format_datetime(end_of_day(day))
    await expect(desk.locator(f"#letter-row-{letters[1].id}")).to_contain_text(f"办理时限 {shown}")

    handler = await console_sign_in(
        browser, live_server, tenant,
        *await staff_member(context, tenant, "李承办", Role.HANDLER, unit_id=unit.id),
    )
    await handler.get_by_label("期限").select_option(label="正常")
    await expect(handler.locator("#level-note")).to_contain_text("本单位的办理时限")
    await expect(handler.locator(f"#letter-row-{letters[1].id}")).to_be_visible()
    await screenshot(handler, "console-inbox-unit-deadline-filter")
