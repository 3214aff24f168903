"""The duty roster pages over HTTP."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import SHANGHAI
from leadermail.platform.duty.models import DutyShift, InboxVisit
from leadermail.tenants.session import tenant_session
from tests.functional.staff_ops.helpers import make_letter, make_staff, sign_in_client


def url(tenant, path: str) -> str:  # noqa: ANN001
    return f"/t/{tenant.slug}/console{path}"


async def _plan_and_save(client, tenant, zhang, li):  # noqa: ANN001, ANN201
    today = utcnow().astimezone(SHANGHAI).date()
    first, last = today - timedelta(days=1), today + timedelta(days=1)
    planned = await client.post(
        url(tenant, "/duty/rota/plan"),
        data={
            "from": str(first),
            "to": str(last),
            "workday": [str(zhang.user_id)],
            "night": [str(li.user_id)],
            "weekend": [str(li.user_id)],
        },
    )
    assert planned.status_code == 200, planned.text
    text = planned.text.split('name="rota"')[1].split(">", 1)[1].split("</textarea>")[0]
    assert zhang.name in text and li.name in text
    saved = await client.post(
        url(tenant, "/duty/rota"), data={"from": str(first), "to": str(last), "rota": text}
    )
    assert saved.status_code == 303, saved.text
    return text


async def test_plan_save_and_see_who_is_on_duty(staff_client, context, make_tenant):
    tenant = await make_tenant()
    admin = await make_staff(context, tenant, "管理员", Role.TENANT_ADMIN)
    zhang = await make_staff(context, tenant, "张三")
    li = await make_staff(context, tenant, "李四")
    sign_in_client(staff_client, admin)
    await _plan_and_save(staff_client, tenant, zhang, li)
    page = await staff_client.get(url(tenant, "/duty"))
    assert page.status_code == 200
    assert "当前值班" in page.text
    assert ("张三" in page.text) and ("李四" in page.text)  # now and next
    assert "_partials/help" not in page.text and "帮助：网上值班" in page.text


async def test_a_rota_with_a_gap_is_refused_with_the_gap_shown(staff_client, context, make_tenant):
    tenant = await make_tenant()
    admin = await make_staff(context, tenant, "管理员", Role.TENANT_ADMIN)
    await make_staff(context, tenant, "张三")
    sign_in_client(staff_client, admin)
    rota = "2026-03-09 08:00 - 2026-03-09 17:30 张三\n2026-03-09 18:00 - 2026-03-10 08:00 张三\n"
    refused = await staff_client.post(
        url(tenant, "/duty/rota"), data={"from": "2026-03-09", "to": "2026-03-09", "rota": rota}
    )
    assert refused.status_code == 400
    assert "2026-03-09 17:30 至 2026-03-09 18:00 无人值班" in refused.text
    overlap = rota.replace("18:00", "17:00")
    refused = await staff_client.post(
        url(tenant, "/duty/rota"), data={"from": "2026-03-09", "to": "2026-03-09", "rota": overlap}
    )
    assert "2026-03-09 17:00 至 2026-03-09 17:30 重叠" in refused.text
    async with tenant_session(context.database, tenant) as session:
        assert (await session.execute(select(DutyShift))).scalars().all() == []


async def test_only_duty_managers_edit_the_rota(staff_client, context, make_tenant):
    tenant = await make_tenant()
    handler = await make_staff(context, tenant, "承办人", Role.HANDLER)
    sign_in_client(staff_client, handler)
    assert (await staff_client.get(url(tenant, "/duty/rota"))).status_code == 403
    staff_client.cookies.clear()
    assert (await staff_client.get(url(tenant, "/duty"))).status_code == 303  # to sign-in


async def test_duty_person_opens_the_page_hands_over_and_the_log_finds_it(
    staff_client, context, make_tenant
):
    tenant = await make_tenant()
    admin = await make_staff(context, tenant, "管理员", Role.TENANT_ADMIN)
    zhang = await make_staff(context, tenant, "张三")
    sign_in_client(staff_client, admin)
    await _plan_and_save(staff_client, tenant, zhang, zhang)
    letter = await make_letter(context, tenant, title="楼道堆放杂物", submitted_at=utcnow())

    sign_in_client(staff_client, zhang)
    page = await staff_client.get(url(tenant, "/duty"))
    assert "您正在值班" in page.text and "楼道堆放杂物" in page.text
    async with tenant_session(context.database, tenant) as session:
        visits = (await session.execute(select(InboxVisit.user_id))).scalars().all()
        shift_id = (
            await session.execute(
                select(DutyShift.id).where(
                    DutyShift.starts_at <= utcnow(), DutyShift.ends_at > utcnow()
                )
            )
        ).scalar_one()
    assert visits == [zhang.user_id]

    empty = await staff_client.post(
        url(tenant, f"/duty/shifts/{shift_id}/handover"), data={"note": ""}
    )
    assert empty.status_code == 400 and "请填写交接班记录" in empty.text
    done = await staff_client.post(
        url(tenant, f"/duty/shifts/{shift_id}/handover"),
        data={"note": "本班收到楼道堆放杂物来信一件，已提醒登记。"},
    )
    assert done.status_code == 303

    log = await staff_client.get(url(tenant, "/duty/log"), params={"q": "杂物"})
    assert log.status_code == 200
    assert letter.tracking_code in log.text and "已提醒登记" in log.text
    nothing = await staff_client.get(url(tenant, "/duty/log"), params={"q": "不存在的词"})
    assert "该时段没有值班记录" in nothing.text
    pdf = await staff_client.get(url(tenant, "/duty/log.pdf"), params={"q": "杂物"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
