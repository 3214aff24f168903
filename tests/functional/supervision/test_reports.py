"""Monthly and annual reports: built by the job, downloadable from the console,
Chinese text rendered (checked on the rasterised PDF)."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from leadermail.platform.accounts.models import Role
from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import WorkCalendar, local_day
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.supervision.aggregates import reconcile_tenant
from leadermail.platform.supervision.models import SupervisionReport
from leadermail.platform.supervision.reports import generate_supervision_report
from leadermail.tenants.session import tenant_session
from tests.functional.staff_ops.helpers import make_staff, sign_in_client
from tests.functional.supervision.test_dashboards import _tenant_with_letters, get, host
from tests.unit.platform.documents.test_pdfs import pdf_text
from tests.unit.platform.supervision.factories import new_letter, unit_ids


async def _request_report(context, client, tenant, **form) -> SupervisionReport:
    """POST the form, then run the job the outbox received, as the worker would."""
    response = await client.post(
        "/console/supervision/reports",
        data=form,
        headers={"host": tenant.domains[0]},
    )
    assert response.status_code == 303, response.text
    async with context.database.core_session() as session:
        report = (
            await session.execute(
                select(SupervisionReport)
                .where(SupervisionReport.tenant_id == tenant.id)
                .order_by(SupervisionReport.id.desc())
            )
        ).scalars().first()
        job = (
            await session.execute(
                select(OutboxJob).where(
                    OutboxJob.job_name == "generate_supervision_report",
                    OutboxJob.tenant_id == tenant.id,
                )
            )
        ).scalars().one()
    assert report is not None and job.kwargs["report_id"] == report.id
    assert await generate_supervision_report({"app": context}, **job.kwargs) == "done"
    # Safe to run twice.
    assert await generate_supervision_report({"app": context}, **job.kwargs) == "done"
    return report


async def test_an_annual_xlsx_report_names_the_most_complained_units(
    context, make_tenant, client
):
    tenant, _ = await _tenant_with_letters(
        context, make_tenant, units=["市住建局", "市教育局", "市交通局"]
    )
    staff = await make_staff(context, tenant, "督办员", Role.SUPERVISOR)
    sign_in_client(client, staff)
    year = local_day(utcnow()).year
    report = await _request_report(
        context, client, tenant, period="year", year=str(year), file_format="xlsx"
    )
    response = await get(client, tenant, f"/console/supervision/reports/{report.id}/download")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert {"总体情况", "按月份", "按承办单位", "被投诉较多的单位"} <= set(workbook.sheetnames)
    units = {row[0] for row in workbook["按承办单位"].iter_rows(min_row=2, values_only=True)}
    assert units & {"市住建局", "市教育局", "市交通局"}
    headers = [c.value for c in workbook["按承办单位"][1]]
    assert {"转送", "交办", "督办催办", "解决率", "办结率"} <= set(headers)
    listing = await get(client, tenant, "/console/supervision/reports")
    assert "下载" in listing.text


async def test_a_monthly_pdf_report_renders_chinese(context, make_tenant, client, tmp_path):
    tenant, _ = await _tenant_with_letters(context, make_tenant, units=["市住建局"])
    staff = await make_staff(context, tenant, "督办员", Role.SUPERVISOR)
    sign_in_client(client, staff)
    month = local_day(utcnow()).strftime("%Y-%m")
    report = await _request_report(
        context, client, tenant, period="month", month=month, file_format="pdf"
    )
    response = await get(client, tenant, f"/console/supervision/reports/{report.id}/download")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert_chinese_renders(response.content, tmp_path)


async def test_a_monthly_pdf_report_has_a_bar_and_a_row_per_unit(
    context, make_tenant, client, tmp_path
):
    units = {"市住建局": 3, "市教育局": 1, "市交通局": 2}
    tenant = await make_tenant(domains=host(), units=list(units))
    async with tenant_session(context.database, tenant) as session:
        ids = dict(zip(units, await unit_ids(session), strict=True))
        for name, count in units.items():
            for _ in range(count):
                session.add(new_letter(tenant.id, unit_id=ids[name]))
        await session.commit()
    await reconcile_tenant(context.database, tenant, WorkCalendar())
    staff = await make_staff(context, tenant, "督办员", Role.SUPERVISOR)
    sign_in_client(client, staff)
    report = await _request_report(
        context, client, tenant, period="month",
        month=local_day(utcnow()).strftime("%Y-%m"), file_format="pdf",
    )
    response = await get(client, tenant, f"/console/supervision/reports/{report.id}/download")
    text = pdf_text(response.content, tmp_path)

    # The chart: one bar per unit, labelled with its name and its letters.
    # (It ends where the table's headings start: 平均办理时长 / （工作日） is on two lines.)
    chart = text.split("各承办单位来信量（件）", 1)[1].split("平均办理时长", 1)[0]
    bars = [line.split() for line in chart.splitlines() if line.strip()]
    assert sorted(bars) == sorted([name, str(count)] for name, count in units.items())
    # The table: one row per unit, its letters in the first figure column,
    # and every heading in one piece (a narrow column broke 来信 into 来 / 信).
    table = text.split("各承办单位来信量（件）", 1)[1]
    for name, count in units.items():
        assert re.search(rf"^{name}\s+{count}\s+", table, re.M), name
    header = next(line for line in table.splitlines() if line.lstrip().startswith("承办单位"))
    for heading in ("来信", "受理率", "按时答复率", "超期", "满意率", "督办催办"):
        assert heading in header.split(), header
    # A month's report has no chart of months (it was one bar).
    assert "每月来信量" not in text


def assert_chinese_renders(content: bytes, folder) -> None:  # noqa: ANN001
    """A CJK font is embedded and the Chinese title puts ink on the page
    (missing glyphs would leave the heading band nearly blank)."""
    pdf = folder / "report.pdf"
    pdf.write_bytes(content)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    assert "CJK" in fonts.stdout, fonts.stdout
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(folder / "p")],
        check=True,
    )
    (page,) = folder.glob("p*.png")
    image = Image.open(page).convert("L")
    width, height = image.size
    band = image.crop((0, int(height * 0.03), width, int(height * 0.12)))
    dark = sum(band.histogram()[:128])
    assert dark > 200


async def test_reports_stay_within_their_tenant(context, make_tenant, client):
    tenant, _ = await _tenant_with_letters(context, make_tenant)
    other = await make_tenant(domains=host())
    staff = await make_staff(context, tenant, "督办员", Role.SUPERVISOR)
    sign_in_client(client, staff)
    report = await _request_report(
        context, client, tenant, period="month",
        month=local_day(utcnow()).strftime("%Y-%m"), file_format="xlsx",
    )
    outsider = await make_staff(context, other, "督办员", Role.SUPERVISOR)
    sign_in_client(client, outsider)
    response = await get(client, other, f"/console/supervision/reports/{report.id}/download")
    assert response.status_code == 404


@pytest.mark.parametrize("form", [{"period": "year", "year": "x"}, {"period": "decade"}])
async def test_a_bad_period_is_refused_with_a_message(context, make_tenant, client, form):
    tenant = await make_tenant(domains=host())
    staff = await make_staff(context, tenant, "督办员", Role.SUPERVISOR)
    sign_in_client(client, staff)
    response = await client.post(
        "/console/supervision/reports",
        data={**form, "file_format": "xlsx"},
        headers={"host": tenant.domains[0]},
    )
    assert response.status_code == 303 and "error=period" in response.headers["location"]
    page = await get(client, tenant, response.headers["location"])
    assert "请选择有效的月份或年份" in page.text


def test_year_period_covers_the_year():
    from leadermail.platform.supervision.reports import report_period

    assert report_period("year", date(2026, 5, 1)).months()[0] == date(2026, 1, 1)
    assert len(report_period("year", date(2026, 5, 1)).months()) == 12
    assert report_period("month", date(2026, 5, 9)).months() == [date(2026, 5, 1)]
