"""Staff directory and contact table, the manual and help, letter documents over HTTP."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.certificates.services import register_certificate
from leadermail.platform.clock import utcnow
from leadermail.platform.letters.models import Assignment, Letter, LetterEvent, Unit
from leadermail.platform.letters.staff_models import LeaderInstruction
from leadermail.tenants.session import tenant_session
from tests.functional.staff_ops.certs import issue, make_ca
from tests.functional.staff_ops.helpers import make_letter, make_staff, sign_in_client


def url(tenant, path: str) -> str:  # noqa: ANN001
    return f"/t/{tenant.slug}/console{path}"


async def test_directory_lists_units_staff_and_certificates_and_exports_xlsx(
    staff_client, context, make_tenant
):
    tenant = await make_tenant(units=["市住房和城乡建设局", "市生态环境局"])
    async with tenant_session(context.database, tenant) as session:
        unit_id = (
            await session.execute(select(Unit.id).where(Unit.name == "市生态环境局"))
        ).scalar_one()
    admin = await make_staff(context, tenant, "系统管理员甲", Role.TENANT_ADMIN)
    handler = await make_staff(
        context,
        tenant,
        "环境局承办人",
        Role.HANDLER,
        unit_id=unit_id,
        phone="0731-88886666",
        office="302室",
    )
    async with context.database.core_session() as session:
        await register_certificate(
            session, user_id=handler.user_id, pem=issue(make_ca(), "环境局承办人").pem
        )
        await session.commit()
    sign_in_client(staff_client, admin)
    page = await staff_client.get(url(tenant, "/directory"))
    assert page.status_code == 200
    for text in (
        "市生态环境局",
        "环境局承办人",
        "承办人",
        "0731-88886666",
        "302室",
        "系统管理员甲",
    ):
        assert text in page.text
    added = await staff_client.post(url(tenant, "/directory/units"), data={"name": "市水利局"})
    assert added.status_code == 303
    duplicate = await staff_client.post(url(tenant, "/directory/units"), data={"name": "市水利局"})
    assert duplicate.status_code == 400 and "已存在" in duplicate.text

    export = await staff_client.get(url(tenant, "/directory/contacts.xlsx"))
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = [[cell for cell in row] for row in sheet.iter_rows(min_row=3, values_only=True)]
    by_name = {row[3]: row for row in rows}
    assert by_name["环境局承办人"][2] == "市生态环境局"
    assert by_name["环境局承办人"][5] == "0731-88886666"
    assert by_name["环境局承办人"][8]  # certificate serial
    assert sheet["A1"].value == "领导信箱管理系统人员联系表"


async def test_province_directory_is_for_province_admins_only(staff_client, context, make_tenant):
    province = await make_tenant(kind="province", name="湖南省省长信箱")
    city = await make_tenant(name="长沙市市长信箱")
    await make_staff(context, city, "长沙登记员", Role.REGISTRAR)
    admin = await make_staff(context, province, "省管理员", Role.PROVINCE_ADMIN)
    registrar = await make_staff(context, province, "省登记员", Role.REGISTRAR)
    sign_in_client(staff_client, registrar)
    assert (await staff_client.get(url(province, "/directory/province"))).status_code == 403
    sign_in_client(staff_client, admin)
    page = await staff_client.get(url(province, "/directory/province"))
    assert page.status_code == 200 and "长沙市市长信箱" in page.text and "长沙登记员" in page.text
    export = await staff_client.get(url(province, "/directory/province.xlsx"))
    names = [
        row[3]
        for row in load_workbook(io.BytesIO(export.content)).active.iter_rows(
            min_row=3, values_only=True
        )
    ]
    assert "长沙登记员" in names


async def test_manual_help_partial_and_citizen_help(staff_client, context, make_tenant):
    tenant = await make_tenant()
    staff = await make_staff(context, tenant, "登记员")
    sign_in_client(staff_client, staff)
    index = await staff_client.get(url(tenant, "/help"))
    assert index.status_code == 200 and "操作手册" in index.text and "网上值班" in index.text
    chapter = await staff_client.get(url(tenant, "/help/duty"))
    assert "17:30" in chapter.text and "<h2>排班</h2>" in chapter.text
    assert (await staff_client.get(url(tenant, "/help/rota"))).status_code == 200  # topic → chapter
    assert (await staff_client.get(url(tenant, "/help/..%2Fetc"))).status_code == 404
    assert (await staff_client.get(url(tenant, "/help/nope"))).status_code == 404
    staff_client.cookies.clear()
    assert (await staff_client.get(url(tenant, "/help"))).status_code == 303
    citizen = await staff_client.get(f"/t/{tenant.slug}/help")
    assert citizen.status_code == 200 and "写信帮助" in citizen.text and "查询码" in citizen.text


async def test_letter_documents_as_pdf(staff_client, context, make_tenant):
    tenant = await make_tenant(units=["市城市管理局"])
    registrar = await make_staff(context, tenant, "登记员", Role.REGISTRAR)
    letter = await make_letter(context, tenant, title="占道经营堵路", state="assigned")
    async with tenant_session(context.database, tenant) as session:
        unit_id = (await session.execute(select(Unit.id))).scalar_one()
        session.add(
            Assignment(
                tenant_id=tenant.id,
                letter_id=letter.id,
                unit_id=unit_id,
                note="请三日内核查",
                due_at=utcnow() + timedelta(days=5),
            )
        )
        session.add(
            LeaderInstruction(
                tenant_id=tenant.id,
                letter_id=letter.id,
                author_label="王市长",
                body="请城管局依法处理",
            )
        )
        session.add(
            LetterEvent(
                tenant_id=tenant.id, letter_id=letter.id, kind="accept", message="来信已受理"
            )
        )
        row = await session.get(Letter, letter.id)
        row.unit_id = unit_id
        await session.commit()
    sign_in_client(staff_client, registrar)
    page = await staff_client.get(url(tenant, f"/letters/{letter.id}/documents"))
    assert (
        page.status_code == 200
        and "交办单（PDF）" in page.text
        and "受理告知书（PDF）" in page.text
    )
    for path in ("assignment-slip.pdf", "acceptance-notice.pdf"):
        pdf = await staff_client.get(url(tenant, f"/letters/{letter.id}/documents/{path}"))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-"), path
    reply = await staff_client.post(
        url(tenant, f"/letters/{letter.id}/documents/reply-document.pdf"),
        data={
            "request": "请求清理占道经营",
            "facts": "经核查属实",
            "opinion": "已责令整改",
            "basis": "《城市市容和环境卫生管理条例》第十四条",
        },
    )
    assert reply.status_code == 200 and reply.content.startswith(b"%PDF-")
    missing = await staff_client.post(
        url(tenant, f"/letters/{letter.id}/documents/reply-document.pdf"), data={"request": "x"}
    )
    assert missing.status_code == 400
    other = await make_tenant()
    outsider = await make_staff(context, other, "外人", Role.TENANT_ADMIN)
    sign_in_client(staff_client, outsider)
    assert (
        await staff_client.get(url(other, f"/letters/{letter.id}/documents"))
    ).status_code == 404
