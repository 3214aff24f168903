"""Exports: requested over HTTP, built by the job with progress, downloaded;
personal data masked for roles that may not read it."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.exports.jobs import build_letter_export
from leadermail.platform.exports.models import LetterExport
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.notifications.console import StaffNotification
from leadermail.tenants.session import tenant_session
from tests.functional.console.staff_session import (
    console_url,
    make_letter,
    make_staff,
    run_job,
    sign_in_client,
)


async def export_job(context, tenant) -> dict:
    async with context.database.core_session() as session:
        job = (
            await session.execute(
                select(OutboxJob)
                .where(
                    OutboxJob.tenant_id == tenant.id, OutboxJob.job_name == "build_letter_export"
                )
                .order_by(OutboxJob.id.desc())
            )
        ).scalars().first()
    return job.kwargs


async def seed(context, tenant) -> None:
    await make_letter(context, tenant, title="路灯不亮", state="assigned",
                      writer_name="张三丰", writer_phone="13812345678",
                      writer_id_number="43010519900101123X")
    await make_letter(context, tenant, title="=HYPERLINK(1)", state="assigned")
    await make_letter(context, tenant, title="已办结的信", state="closed")


async def test_csv_export_with_progress_and_masking(context, make_tenant, client):
    tenant = await make_tenant()
    await seed(context, tenant)
    supervisor = await make_staff(context, tenant, "赵督办", Role.SUPERVISOR)
    sign_in_client(client, supervisor)
    response = await client.post(console_url(tenant, "/exports"),
                                 data={"format": "csv", "state": "assigned"})
    assert response.status_code == 303
    status_url = response.headers["location"]
    queued = await client.get(status_url, headers={"HX-Request": "true"})
    assert "排队中" in queued.text and 'hx-trigger="every 1s"' in queued.text
    assert (await client.get(status_url + "/download")).status_code == 404

    kwargs = await export_job(context, tenant)
    assert await run_job(context, build_letter_export, **kwargs) == "done"
    done = await client.get(status_url, headers={"HX-Request": "true"})
    assert "已完成" in done.text and "every 1s" not in done.text and "2 / 2" in done.text
    download = await client.get(status_url + "/download")
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["查询码", "标题"]
    assert len(rows) == 3
    by_title = {row[1]: row for row in rows[1:]}
    assert "'=HYPERLINK(1)" in by_title  # no formula injection
    assert by_title["路灯不亮"][10:13] == ["张**", "138****5678", "430***********123X"]
    # Job run again: nothing rebuilt; the requester was notified once.
    assert await run_job(context, build_letter_export, **kwargs) == "done"
    async with tenant_session(context.database, tenant) as session:
        notes = (await session.execute(select(StaffNotification.kind))).scalars().all()
    assert notes == ["export_ready"]


async def test_xlsx_export_unmasked_for_registrars(context, make_tenant, client):
    tenant = await make_tenant()
    await seed(context, tenant)
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    response = await client.post(
        console_url(tenant, "/exports"), data={"format": "xlsx", "text": "坏了"}
    )
    await run_job(context, build_letter_export, **await export_job(context, tenant))
    download = await client.get(response.headers["location"] + "/download")
    sheet = load_workbook(io.BytesIO(download.content)).active
    rows = {row[1]: row for row in sheet.iter_rows(values_only=True)}
    assert len(rows) == 4  # header + the three letters whose body mentions 坏了
    assert rows["路灯不亮"][10:12] == ("张三丰", "13812345678")


async def test_exports_belong_to_their_requester(context, make_tenant, client):
    tenant = await make_tenant()
    sign_in_client(client, await make_staff(context, tenant, "王登记", Role.REGISTRAR))
    response = await client.post(console_url(tenant, "/exports"), data={"format": "csv"})
    url = response.headers["location"]
    sign_in_client(client, await make_staff(context, tenant, "赵督办", Role.SUPERVISOR))
    assert (await client.get(url)).status_code == 404
    sign_in_client(client, await make_staff(context, tenant, "李承办", Role.HANDLER))
    assert (await client.get(console_url(tenant, "/exports"))).status_code == 403
    bad = await client.post(console_url(tenant, "/exports"), data={"format": "pdf"})
    assert bad.status_code == 403
    async with tenant_session(context.database, tenant) as session:
        assert len((await session.execute(select(LetterExport))).scalars().all()) == 1
