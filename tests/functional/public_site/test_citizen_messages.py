"""What the writer receives besides the receipt: notices and confirmations
link to the tracking page with the code filled in (never the password), the
答复告知 after 重新办理 says so, and 重新办理 and material are confirmed."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from leadermail.platform.audit.writer import Actor
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.notices import issue_notice
from leadermail.platform.letters.tracking import normalize_tracking_code
from leadermail.platform.notifications.confirmations import send_writer_confirmation
from leadermail.platform.notifications.jobs import send_letter_receipt
from leadermail.platform.notifications.sms import LoggingSmsGateway, set_sms_gateway
from leadermail.platform.notifications.staff_jobs import send_citizen_notice
from leadermail.tenants.session import tenant_session
from tests.functional.public_site.conftest import Citizen, hidden, png_bytes
from tests.functional.public_site.domain import reply_to_letter, request_material
from tests.functional.public_site.test_tracking import UNSATISFIED_ASK_AGAIN

STAFF = Actor(user_id=None, label="测试工作人员")


@pytest.fixture
def sms(context):  # noqa: ANN001, ANN201
    gateway = LoggingSmsGateway()
    set_sms_gateway(context.settings, gateway)
    return gateway


@pytest.fixture
async def citizen(client, make_tenant) -> Citizen:  # noqa: ANN001
    # A mailbox with a custom domain, like the demo's: nothing resolves it here.
    tenant = await make_tenant(domains=[f"szxx-{id(client)}.example.gov.cn"])
    return Citizen(client, tenant)


async def jobs(context, tenant, name: str) -> list[OutboxJob]:  # noqa: ANN001
    async with context.database.core_session() as session:
        return list(
            (
                await session.scalars(
                    select(OutboxJob)
                    .where(OutboxJob.tenant_id == tenant.id, OutboxJob.job_name == name)
                    .order_by(OutboxJob.id)
                )
            ).all()
        )


def tracking_link(citizen: Citizen, code: str) -> str:
    return f"http://testserver/t/{citizen.tenant.slug}/track?code={code}"


async def test_the_receipt_links_where_the_site_answers(citizen, context, sms):
    code, password = await citizen.write_letter()
    (job,) = await jobs(context, citizen.tenant, "send_letter_receipt")
    await send_letter_receipt({"app": context}, **job.kwargs)
    ((_, shown),) = sms.sent
    assert tracking_link(citizen, code) in shown and "example.gov.cn" not in shown
    # The link works: the form comes with the code filled in.
    page = await citizen.client.get(tracking_link(citizen, code))
    assert page.status_code == 200 and f'value="{code}"' in page.text


async def test_notices_link_to_the_tracking_page_without_the_password(citizen, context, sms):
    code, password = await citizen.write_letter()
    await request_material(context, citizen.tenant, code, "请提供施工现场照片")
    async with tenant_session(context.database, citizen.tenant) as session:
        letter = await session.scalar(
            select(Letter).where(Letter.tracking_code == normalize_tracking_code(code))
        )
        notice = await issue_notice(
            session, citizen.tenant, letter, "material_request", STAFF, reason="请提供现场照片"
        )
        await session.commit()
    await send_citizen_notice({"app": context}, tenant_id=citizen.tenant.id, notice_id=notice.id)
    ((_, shown),) = sms.sent
    assert "补充材料" in shown and tracking_link(citizen, code) in shown
    assert password not in shown


async def test_the_reply_notice_after_handling_again_says_so(citizen, context):
    code, password = await citizen.write_letter()
    await reply_to_letter(context, citizen.tenant, code)

    async def reply_notice() -> str:
        async with tenant_session(context.database, citizen.tenant) as session:
            letter = await session.scalar(
                select(Letter).where(Letter.tracking_code == normalize_tracking_code(code))
            )
            notice = await issue_notice(session, citizen.tenant, letter, "replied", STAFF)
            await session.commit()
            return notice.text

    first = await reply_notice()
    assert "已于" in first and "重新办理" not in first
    location = (await citizen.track(code, password)).headers["location"]
    csrf = hidden((await citizen.client.get(location)).text, "csrf_token")
    raw = code.replace("-", "")
    asked = await citizen.post(
        f"/track/{raw}/evaluate", data={"csrf_token": csrf, **UNSATISFIED_ASK_AGAIN}
    )
    assert asked.status_code == 303
    await reply_to_letter(context, citizen.tenant, code, "<p>第二次答复</p>")
    second = await reply_notice()
    assert second != first and "经您申请重新办理" in second and "重新办理后的答复" in second


async def test_handling_again_and_material_are_confirmed_to_the_writer(
    citizen, context, sms
):
    settings = context.settings
    code, password = await citizen.write_letter(email="zhang@example.com")
    await reply_to_letter(context, citizen.tenant, code)
    location = (await citizen.track(code, password)).headers["location"]
    page = (await citizen.client.get(location)).text
    raw = code.replace("-", "")
    await citizen.post(
        f"/track/{raw}/evaluate",
        data={"csrf_token": hidden(page, "csrf_token"), **UNSATISFIED_ASK_AGAIN},
    )
    (job,) = await jobs(context, citizen.tenant, "send_writer_confirmation")
    app = replace(context, settings=replace(settings, smtp_host=None))
    set_sms_gateway(app.settings, sms)
    assert await send_writer_confirmation({"app": app}, **job.kwargs) == "sent via sms,email"
    assert await send_writer_confirmation({"app": app}, **job.kwargs) == "already sent"
    ((_, shown),) = sms.sent
    assert "重新办理申请已收到" in shown and "答复期限至" in shown
    assert tracking_link(citizen, code) in shown and password not in shown

    code, password = await citizen.write_letter(title="工地扬尘太大请处理")
    await request_material(context, citizen.tenant, code, "请提供施工现场照片")
    location = (await citizen.track(code, password)).headers["location"]
    page = (await citizen.client.get(location)).text
    raw = code.replace("-", "")
    response = await citizen.post(
        f"/track/{raw}/material",
        data={
            "csrf_token": hidden(page, "csrf_token"),
            "submission_key": hidden(page, "submission_key"),
            "material_text": "照片见附件",
        },
        files=[("material_files", ("现场.png", png_bytes(), "image/png"))],
    )
    assert response.status_code == 303
    job = (await jobs(context, citizen.tenant, "send_writer_confirmation"))[-1]
    assert job.kwargs["kind"] == "material"
    await send_writer_confirmation({"app": app}, **job.kwargs)
    assert "补充的材料已收到" in sms.sent[-1][1]
