"""The whole life of a letter in Debian chromium: the citizen writes on the
public site → the tenant's routing rule routes it → the registrar accepts
and hands it to the unit with a 办理时限 → the handler sees that deadline and
drafts → the leader finds the draft under 待审批 and approves → the registrar
signs and sends, reviews the 公示文本 and publishes it → the citizen
evaluates on the public site (satisfaction and whether solved)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pyotp
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.accounts.services import create_user, grant_role
from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import end_of_day, local_day
from leadermail.platform.letters.models import Evaluation, Unit
from leadermail.platform.replies.models import CannedReply
from leadermail.platform.routing.jobs import route_new_letter
from leadermail.platform.routing.rules import RuleDraft
from leadermail.platform.routing.services import create_rule
from leadermail.platform.web.templating import format_datetime
from leadermail.tenants.session import tenant_session
from tests.browser.conftest import new_context, open_tenant, screenshot, tenant_base
from tests.browser.test_citizen_flows import fill_letter, read_receipt
from tests.functional.console.test_reply_attachments import png_bytes
from tests.functional.public_site.domain import load_letter

PASSWORD = "correct horse 9"
REPLY = "您好，经核查，工地已承诺每晚22时后停止施工，城管部门将持续巡查。"


async def staff_member(context, tenant, name: str, role: Role, unit_id: int | None = None):
    secret = pyotp.random_base32()
    email = f"{uuid.uuid4().hex[:8]}@staff.example.cn"
    async with context.database.core_session() as session:
        user = await create_user(session, email=email, display_name=name, password=PASSWORD)
        user.totp_secret, user.totp_enabled = secret, True
        await grant_role(session, user_id=user.id, tenant_id=tenant.id, role=role, unit_id=unit_id)
        await session.commit()
    return email, secret


async def console_sign_in(
    browser: Browser, live_server: str, tenant, email: str, secret: str
) -> Page:
    context = await new_context(browser)
    page = await context.new_page()
    await open_tenant(page, live_server, tenant, "/console/inbox")
    await expect(page.get_by_role("heading", name="工作台登录")).to_be_visible()
    await page.get_by_label("邮箱").fill(email)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="下一步").click()
    await page.get_by_label("6 位验证码").fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("heading", name="收件箱")).to_be_visible()
    return page


async def test_letter_lifecycle_through_the_console(
    live_server, page, browser, make_tenant, context
):
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        unit = (await session.execute(select(Unit).order_by(Unit.id).limit(1))).scalar_one()
        await create_rule(
            session,
            tenant,
            RuleDraft(name="施工噪音交城管", keywords="施工 噪音", assign_unit_id=str(unit.id)),
            Actor.system("测试"),
            tenant_ids=[tenant.id],
        )
        session.add(
            CannedReply(
                tenant_id=tenant.id, title="致谢", body_html="<p>感谢您对我们工作的监督。</p>"
            )
        )
        await session.commit()
    registrar = await staff_member(context, tenant, "王登记", Role.REGISTRAR)
    handler = await staff_member(context, tenant, "李承办", Role.HANDLER, unit_id=unit.id)
    leader = await staff_member(context, tenant, "刘局长", Role.LEADER)

    # 1. The citizen writes on the public site.
    await open_tenant(page, live_server, tenant, "/write")
    await fill_letter(page)
    await expect(page.locator("altcha-widget input[type=checkbox]")).to_be_checked(timeout=20000)
    await page.get_by_role("button", name="提交来信").click()
    code, password = await read_receipt(page)
    letter = await load_letter(context, tenant, code)

    # 2. The routing rule routes it (the worker's job, run here in-process).
    outcome = await route_new_letter({"app": context}, tenant_id=tenant.id, letter_id=letter.id)
    assert outcome["unit_id"] == unit.id

    # 3. The registrar accepts it from the inbox.
    desk = await console_sign_in(browser, live_server, tenant, *registrar)
    row = desk.locator(f"#letter-row-{letter.id}")
    await expect(row).to_contain_text(unit.name)
    await row.get_by_role("button", name="受理").click()  # htmx: only the row is swapped
    await expect(row).to_contain_text("已受理")
    await screenshot(desk, "console-inbox")

    # 3b. The registrar hands it to the unit with a 办理时限 two days ahead,
    # earlier than the letter's own reply deadline (the form offers that one).
    await row.get_by_role("link", name="夜间施工噪音扰民").click()
    due_field = desk.get_by_label("办理时限", exact=True)
    letter = await load_letter(context, tenant, code)
    await expect(due_field).to_have_value(local_day(letter.reply_due_at).isoformat())
    due_day = local_day(utcnow()) + timedelta(days=2)
    await desk.get_by_label("分办给").select_option(label=unit.name)
    await due_field.fill(due_day.isoformat())
    await desk.get_by_label("分办意见").fill("请两日内核实并报送办理结果")
    await desk.get_by_role("button", name="分办", exact=True).click()
    await expect(desk.get_by_test_id("letter-state")).to_have_text("办理中")
    shown = format_datetime(end_of_day(due_day))
    await expect(desk.get_by_test_id("assignment-due").last).to_have_text(shown)
    await screenshot(desk, "console-letter-assigned")

    # 4. The handler sees the unit's 办理时限 in the inbox and drafts the reply.
    office = await console_sign_in(browser, live_server, tenant, *handler)
    await expect(office.locator(f"#letter-row-{letter.id}")).to_contain_text(f"办理时限 {shown}")
    await office.get_by_role("link", name="夜间施工噪音扰民").click()
    editor = office.get_by_label("答复内容（空一行即另起一段）")
    await editor.fill(REPLY)
    # A 常用语 goes in at the cursor by script (no round trip), a photo rides along.
    await office.get_by_label("选择常用语").select_option(label="致谢")
    await office.get_by_role("button", name="插入到答复").click()
    await expect(editor).to_have_value(REPLY + "\n\n感谢您对我们工作的监督。")
    await office.locator("#reply-attachments").set_input_files(
        {"name": "现场照片.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    await office.get_by_role("button", name="保存草稿").click()
    await expect(office.get_by_test_id("reply-status")).to_have_text("草稿")
    await expect(office.get_by_test_id("reply-files")).to_contain_text("现场照片.png")
    await screenshot(office, "console-letter-draft")

    # 5. The leader finds it under 待审批 and approves it.
    boss = await console_sign_in(browser, live_server, tenant, *leader)
    await boss.get_by_role("link", name="待审批").click()
    await expect(boss.locator(f"#letter-row-{letter.id}")).to_be_visible()
    await expect(boss.locator('[data-state="awaiting_approval"]')).to_have_text("1")
    await screenshot(boss, "console-inbox-awaiting-approval")
    await boss.goto(tenant_base(live_server, tenant) + f"/console/letters/{letter.id}")
    # A refused action says why on the page (htmx swaps the 422 answer).
    await boss.get_by_label("批示内容").fill("   ")
    await boss.get_by_role("button", name="批示", exact=True).click()
    await expect(boss.get_by_role("alert")).to_contain_text("请填写批示内容")
    await boss.get_by_role("button", name="审核通过").click()
    await expect(boss.get_by_test_id("reply-status")).to_have_text("已审核")

    # 6. The registrar signs and sends it.
    await desk.goto(tenant_base(live_server, tenant) + f"/console/letters/{letter.id}")
    await desk.get_by_role("button", name="签名并发送答复").click()
    await expect(desk.get_by_test_id("letter-state")).to_have_text("已答复")
    await expect(desk.get_by_test_id("reply-status")).to_have_text("已发送")
    await screenshot(desk, "console-letter-sent")

    # 6b. The registrar reviews the 公示文本 before publishing: a phone number
    # typed back in is refused next to its field with the text kept; the
    # corrected text is published, and the public page shows it.
    await desk.get_by_test_id("public-text-link").click()
    title = desk.locator("#public-title")
    await expect(title).to_have_value("夜间施工噪音扰民")
    await expect(desk.locator("#public-body")).not_to_contain_text("13812345678")
    await title.fill("工地夜间施工噪音扰民（联系电话13812345678）")
    await desk.get_by_role("button", name="保存并公示").click()
    await expect(desk.locator("#public-title-error")).to_contain_text("手机号码（138****5678）")
    await expect(title).to_have_value("工地夜间施工噪音扰民（联系电话13812345678）")
    await title.fill("工地夜间施工噪音扰民")
    await desk.get_by_role("button", name="保存并公示").click()
    await expect(desk.get_by_test_id("publication-state")).to_contain_text("已公示")
    saved = desk.locator(".flash[role=status]")
    await expect(saved).to_contain_text("公示文本已保存（标题）并已公示")
    await screenshot(desk, "console-public-text")
    await open_tenant(page, live_server, tenant, f"/letters/{letter.id}")
    await expect(page.get_by_role("heading", name="工地夜间施工噪音扰民")).to_be_visible()
    await expect(page.get_by_text("工地已承诺每晚22时后停止施工")).to_be_visible()

    # 7. The citizen reads the reply and evaluates it.
    await open_tenant(page, live_server, tenant, "/track")
    await page.get_by_label("查询码").fill(code)
    await page.get_by_label("查询密码").fill(password)
    await page.get_by_role("button", name="查询").click()
    await expect(page.get_by_text("工地已承诺每晚22时后停止施工")).to_be_visible()
    await expect(page.get_by_role("link", name="现场照片.png")).to_be_visible()
    # Asking for re-handling while 满意 is refused, with the reason shown.
    await page.get_by_role("radio", name="满意", exact=True).check()
    await page.get_by_label("已解决").check()
    await page.get_by_label("我不满意，申请重新办理").check()
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.locator("#evaluation-errors")).to_contain_text("不满意")
    await page.get_by_label("我不满意，申请重新办理").uncheck()
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.get_by_text("您的评价：")).to_contain_text("满意")

    letter = await load_letter(context, tenant, code)
    assert letter.state == "evaluated"
    async with tenant_session(context.database, tenant) as session:
        evaluation = (await session.execute(select(Evaluation))).scalar_one()
    assert evaluation.satisfaction == "satisfied" and evaluation.problem_solved is True
    for other in (desk, office, boss):
        await other.context.close()
