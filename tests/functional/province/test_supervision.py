"""The province supervision page across the tree: a mailbox's overdue letters
for the province admin (and nobody else), a forwarded letter counted once in
the province total, and the province's report counting as its page does."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.audit.writer import Actor
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import WorkCalendar, local_day
from leadermail.platform.forwarding import services
from leadermail.platform.letters.models import Letter, Unit
from leadermail.platform.letters.tracking import format_tracking_code
from leadermail.platform.supervision.aggregates import reconcile_tenant
from leadermail.platform.supervision.models import SupervisionReport
from leadermail.platform.supervision.queries import Period, dashboard
from leadermail.platform.supervision.reports import generate_supervision_report
from leadermail.tenants.session import tenant_session
from tests.functional.province.citizens import audit_actions
from tests.functional.province.conftest import write_letter
from tests.functional.staff_ops.helpers import make_staff, sign_in_client
from tests.unit.platform.documents.test_pdfs import pdf_text

ACTOR = Actor(user_id=None, label="测试员")
WRITER_NAME = "欧阳秀英"
WRITER_PHONE = "13912345678"
BODY = "来信正文：我家住在幸福路十八号，联系电话见上。"


def console(tenant, path: str) -> str:  # noqa: ANN001
    return f"/t/{tenant.slug}/console{path}"


def drilldown(province, mailbox) -> str:  # noqa: ANN001
    return console(province, f"/supervision/province/mailboxes/{mailbox.id}")


async def _late_letters(context, tenant) -> dict[str, Letter]:  # noqa: ANN001
    """Open letters around their deadlines, a closed late one and a late 举报."""
    now = utcnow()
    specs = {
        "overdue": ("路灯不亮三个月无人修理", "complaint", "assigned", now - timedelta(days=3)),
        "soon": ("小区垃圾清运不及时", "complaint", "assigned", now + timedelta(hours=3)),
        "later": ("建议增设公交站台", "suggestion", "accepted", now + timedelta(days=20)),
        "answered": ("噪音扰民问题已答复", "complaint", "closed", now - timedelta(days=5)),
        "report": ("举报某局长收受红包", "report", "assigned", now - timedelta(days=1)),
    }
    letters = {}
    async with tenant_session(context.database, tenant) as session:
        unit = await session.scalar(select(Unit.id).order_by(Unit.id).limit(1))
        for key, (title, letter_type, state, due) in specs.items():
            letter = Letter(
                tenant_id=tenant.id, tracking_code=f"T{key[:4].upper()}{tenant.id:06d}",
                query_password_hash="x", letter_type=letter_type, title=title, body=BODY,
                writer_name=WRITER_NAME, writer_phone=WRITER_PHONE, state=state,
                unit_id=unit, submitted_at=now - timedelta(days=12),
                received_at=now - timedelta(days=12), reply_due_at=due,
            )
            session.add(letter)
            letters[key] = letter
        await session.commit()
    await reconcile_tenant(context.database, tenant, WorkCalendar())
    return letters


async def test_the_province_admin_opens_a_mailboxs_overdue_letters(context, tree, client):
    letters = await _late_letters(context, tree.city)
    await _late_letters(context, tree.county)
    admin = await make_staff(context, tree.province, "省管理员", Role.PROVINCE_ADMIN)
    sign_in_client(client, admin)

    board = await client.get(console(tree.province, "/supervision/province?fresh=1"))
    assert board.status_code == 200, board.text
    # The mailbox's name and its overdue count lead to the list.
    link = f"/supervision/province/mailboxes/{tree.city.id}?from="
    assert board.text.count(link) >= 2

    page = await client.get(drilldown(tree.province, tree.city))
    assert page.status_code == 200, page.text
    text = page.text
    assert tree.city.name in text
    assert "路灯不亮三个月无人修理" in text and "小区垃圾清运不及时" in text
    assert format_tracking_code(letters["overdue"].tracking_code) in text
    assert "即将到期" in text
    assert re.search(r'id="overdue-count">2<', text)  # the overdue complaint and the 举报
    assert re.search(r'id="due-soon-count">1<', text)
    # Not late, or not open any more: not listed.
    assert "建议增设公交站台" not in text and "噪音扰民问题已答复" not in text
    # A 举报 is listed by its code, without its title.
    assert format_tracking_code(letters["report"].tracking_code) in text
    assert "举报某局长收受红包" not in text
    # No personal data, no letter text.
    assert WRITER_NAME not in text and WRITER_PHONE not in text and "幸福路十八号" not in text
    # Days over: three calendar days past the deadline (at least 2 across a midnight).
    row = re.search(r"路灯不亮三个月无人修理.*?</tr>", text, re.S)
    assert row is not None and re.search(r"<td>[34]</td>\s*</tr>", row.group(0))

    # The look is on the mailbox's own audit trail.
    assert "supervision.view_overdue_letters" in await audit_actions(context, tree.city)
    # A county below the city is the province's too.
    county = await client.get(drilldown(tree.province, tree.county))
    assert county.status_code == 200 and "路灯不亮三个月无人修理" in county.text


async def test_the_overdue_list_is_refused_to_everyone_else(context, tree, client, make_tenant):
    await _late_letters(context, tree.city)
    # The city's own staff: not a province admin.
    city_admin = await make_staff(context, tree.city, "市管理员", Role.TENANT_ADMIN)
    sign_in_client(client, city_admin)
    refused = await client.get(drilldown(tree.city, tree.city))
    assert refused.status_code == 403
    assert "路灯不亮三个月无人修理" not in refused.text

    # A province_admin role held in a city mailbox reaches nothing.
    odd = await make_staff(context, tree.city, "市里的省级角色", Role.PROVINCE_ADMIN)
    sign_in_client(client, odd)
    assert (await client.get(drilldown(tree.city, tree.city))).status_code == 404

    # The admin of another province: the same answer as for a missing mailbox.
    other = await make_tenant(kind="province", name="另一省省长信箱")
    other_admin = await make_staff(context, other, "外省管理员", Role.PROVINCE_ADMIN)
    sign_in_client(client, other_admin)
    response = await client.get(drilldown(other, tree.city))
    assert response.status_code == 404
    assert "路灯不亮三个月无人修理" not in response.text
    board = await client.get(console(other, "/supervision/province?fresh=1"))
    assert f"/supervision/province/mailboxes/{tree.city.id}?" not in board.text

    # This province's admin: not another province, not a mailbox that is not there.
    admin = await make_staff(context, tree.province, "省管理员", Role.PROVINCE_ADMIN)
    sign_in_client(client, admin)
    assert (await client.get(drilldown(tree.province, other))).status_code == 404
    missing = console(tree.province, "/supervision/province/mailboxes/987654321")
    assert (await client.get(missing)).status_code == 404


async def _province_total(client, province) -> int:  # noqa: ANN001
    page = await client.get(console(province, "/supervision/province?fresh=1"))
    assert page.status_code == 200, page.text
    found = re.search(r"<dt>(?:全省)?来信总量</dt><dd>(\d+)</dd>", page.text)
    assert found is not None
    return int(found.group(1))


async def test_a_forwarded_letter_is_one_letter_in_the_province_total(context, tree, client):
    admin = await make_staff(context, tree.province, "省管理员", Role.PROVINCE_ADMIN)
    sign_in_client(client, admin)
    everyone = (tree.province, tree.city, tree.county)
    for tenant in everyone:
        await reconcile_tenant(context.database, tenant, WorkCalendar())
    before = await _province_total(client, tree.province)

    # Province → city → county: three rows, one letter the citizen wrote.
    letter = await write_letter(context, tree.province)
    leg = await services.forward_letter_by_id(
        context, tenant=tree.province, letter_id=letter.id, to_tenant_id=tree.city.id,
        actor=ACTOR, note="请依法处理",
    )
    await services.accept_forwarding(context, tenant=tree.city, forwarding_id=leg.id, actor=ACTOR)
    assert leg.to_letter_id is not None
    await services.forward_letter_by_id(
        context, tenant=tree.city, letter_id=leg.to_letter_id, to_tenant_id=tree.county.id,
        actor=ACTOR, note="请依法处理",
    )
    for tenant in everyone:
        await reconcile_tenant(context.database, tenant, WorkCalendar())

    assert await _province_total(client, tree.province) == before + 1
    # Each mailbox still counts the letter it received.
    period = Period.last_months(12)
    for tenant in everyone:
        board = await dashboard(context.database, period, tenant_id=tenant.id)
        assert board.totals.received == 1


async def _province_report_text(context, client, province, month: str, tmp_path) -> str:  # noqa: ANN001
    """Ask for the province's monthly PDF report, run its job as the worker
    would, and return the downloaded PDF's text."""
    response = await client.post(
        console(province, "/supervision/reports"),
        data={"period": "month", "month": month, "file_format": "pdf", "scope": "province"},
    )
    assert response.status_code == 303, response.text
    async with context.database.core_session() as session:
        report = (
            await session.execute(
                select(SupervisionReport)
                .where(SupervisionReport.tenant_id == province.id)
                .order_by(SupervisionReport.id.desc())
            )
        ).scalars().first()
    assert report is not None and report.scope == "province"
    done = await generate_supervision_report(
        {"app": context}, tenant_id=province.id, report_id=report.id
    )
    assert done == "done"
    pdf = await client.get(console(province, f"/supervision/reports/{report.id}/download"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    return pdf_text(pdf.content, tmp_path)


async def test_the_province_report_counts_as_the_dashboard_does(
    context, tree, client, make_tenant, tmp_path
):
    admin = await make_staff(context, tree.province, "省管理员", Role.PROVINCE_ADMIN)
    sign_in_client(client, admin)
    # A letter forwarded province → city (two rows, one letter), one the city
    # got itself, and one in a mailbox outside the province's tree.
    letter = await write_letter(context, tree.province)
    leg = await services.forward_letter_by_id(
        context, tenant=tree.province, letter_id=letter.id, to_tenant_id=tree.city.id,
        actor=ACTOR, note="请依法处理",
    )
    await services.accept_forwarding(context, tenant=tree.city, forwarding_id=leg.id, actor=ACTOR)
    await write_letter(context, tree.city)
    outsider = await make_tenant(name="树外测试市市长信箱")
    await write_letter(context, outsider)
    for tenant in (tree.province, tree.city, tree.county, tree.other_city, outsider):
        await reconcile_tenant(context.database, tenant, WorkCalendar())

    month = local_day(utcnow()).strftime("%Y-%m")
    page = await client.get(
        console(tree.province, f"/supervision/province?fresh=1&from={month}&to={month}")
    )
    found = re.search(r"<dt>全省来信总量</dt><dd>(\d+)</dd>", page.text)
    assert found is not None
    assert int(found.group(1)) == 2  # the forwarded letter once, the city's own

    text = await _province_report_text(context, client, tree.province, month, tmp_path)
    total = re.search(r"^\s*全省来信总量\s+(\d+)\s*$", text, re.M)
    assert total is not None, text
    assert int(total.group(1)) == int(found.group(1))
    # One bar and one row per mailbox with letters, each its own count.
    chart = text.split("各信箱来信量（件）", 1)[1].split("平均办理时长", 1)[0]
    bars = sorted(line.split() for line in chart.splitlines() if line.strip())
    assert bars == sorted([[tree.province.name, "1"], [tree.city.name, "2"]])
    table = text.split("各信箱来信量（件）", 1)[1]
    assert re.search(rf"^{tree.city.name}\s+2\s+", table, re.M)
    assert "树外测试市市长信箱" not in text
