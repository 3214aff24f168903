"""Monthly and annual supervision reports (XLSX or PDF), built by a job.

    report = SupervisionReport(tenant_id=t.id, scope="tenant", period="year",
                               period_start=date(2026, 1, 1), file_format="pdf")
    session.add(report); await session.flush()
    enqueue(session, "generate_supervision_report", tenant_id=t.id, report_id=report.id)

The annual report carries what 《信访工作条例》 art. 41 asks of the yearly
report: the figures, the units complained about most (被投诉较多的机关、单位),
and how many letters were forwarded (转送), assigned (交办) and urged (督办).
Files live under ``<var>/reports/``; the console serves them to the tenant
that asked.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.styles import Font

from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.supervision.charts import bar_chart, column_chart, days, percent
from leadermail.platform.supervision.models import SupervisionReport
from leadermail.platform.supervision.overdue import province_scope
from leadermail.platform.supervision.queries import (
    Dashboard,
    Figures,
    Period,
    dashboard,
    letters_received,
)

MOST_COMPLAINED = 10
#: Bars in the chart of mailboxes or units (the table below it lists all).
CHART_ROWS = 30
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}

COLUMNS: tuple[tuple[str, str], ...] = (
    ("来信", "received"),
    ("受理率", "acceptance_rate"),
    ("按时答复率", "on_time_rate"),
    ("超期", "overdue"),
    ("平均办理时长（工作日）", "average_handling_days"),
    ("满意率", "satisfaction_rate"),
    ("解决率", "solved_rate"),
    ("办结率", "closed_rate"),
    ("重办率", "rehandle_rate"),
    ("投诉", "complaints"),
    ("转送", "forwarded"),
    ("交办", "assigned"),
    ("督办催办", "urged"),
)
_PERCENT = {"acceptance_rate", "on_time_rate", "satisfaction_rate", "solved_rate",
            "closed_rate", "rehandle_rate"}


@dataclass
class ReportData:
    title: str
    subject: str
    period: Period
    annual: bool
    board: Dashboard
    tenant_names: dict[int, str]
    province: bool

    @property
    def mailboxes(self) -> list[tuple[str, Figures]]:
        """(name, figures) of each mailbox with letters, most letters first."""
        rows = [(self.tenant_names.get(t, str(t)), f) for t, f in self.board.by_tenant.items()]
        return sorted(rows, key=lambda row: (-row[1].received, row[0]))

    @property
    def units(self) -> list[tuple[str, Figures]]:
        """(label, figures) of each unit with letters (the mailbox's name
        first in a province report)."""
        return [
            (_unit_label(self, u.tenant_id, u.unit_name), u.figures) for u in self.board.by_unit
        ]

    @property
    def subjects(self) -> list[tuple[str, Figures]]:
        """The rows the report is about: mailboxes (province) or units."""
        return self.mailboxes if self.province else self.units


def report_period(period: str, start: date) -> Period:
    return Period.year(start.year) if period == "year" else Period.month(start)


def _value(figures: Figures, attribute: str, once: bool) -> Any:
    """``once``: a total across mailboxes (see :func:`letters_received`)."""
    if attribute == "received":
        return letters_received(figures, once=once)
    return getattr(figures, attribute)


def _cell(figures: Figures, attribute: str, once: bool = False) -> Any:
    value = _value(figures, attribute, once)
    if value is None:
        return None
    return round(value, 4) if isinstance(value, float) else value


def _display(figures: Figures, attribute: str, once: bool = False) -> str:
    value = _value(figures, attribute, once)
    if attribute in _PERCENT:
        return percent(value)
    if attribute == "average_handling_days":
        return days(value)
    return str(value)


def _header(label: str) -> Markup:
    """A column heading that breaks, if at all, before its unit (（工作日）)."""
    return Markup("<br>（").join(escape(part) for part in label.split("（"))


async def collect(app: AppContext, report: SupervisionReport) -> ReportData:
    period = report_period(report.period, report.period_start)
    tenant = await app.tenants.by_id(report.tenant_id)
    names = {t.id: t.name for t in await app.tenants.all()}
    province = report.scope == "province"
    if not province:
        board = await dashboard(app.database, period, tenant_id=report.tenant_id)
    else:
        # The province's own tree, as its dashboard counts.
        scope = await province_scope(app, tenant) if tenant else frozenset({report.tenant_id})
        board = await dashboard(app.database, period, tenant_ids=scope)
    subject = "全省" if province else (tenant.name if tenant else str(report.tenant_id))
    kind = "年度" if report.period == "year" else "月度"
    return ReportData(
        title=f"{subject}来信办理{kind}报告（{period.label}）",
        subject=subject,
        period=period,
        annual=report.period == "year",
        board=board,
        tenant_names=names,
        province=province,
    )


def _unit_label(data: ReportData, tenant_id: int, unit_name: str) -> str:
    if data.province:
        return f"{data.tenant_names.get(tenant_id, tenant_id)} {unit_name}"
    return unit_name


def build_xlsx(data: ReportData) -> bytes:
    workbook = Workbook()
    bold = Font(bold=True)
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "总体情况"
    sheet.append([data.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    for label, attribute in COLUMNS:
        sheet.append([_total_label(data, label, attribute),
                      _cell(data.board.totals, attribute, data.province)])
    if data.province:
        sheet.append([])
        sheet.append([ONCE_NOTE])
    sheet.column_dimensions["A"].width = 26

    def table(
        title: str, first: str, rows: list[tuple[str, Figures]], once: bool = False
    ) -> None:
        ws = workbook.create_sheet(title)
        ws.append([first, *(label for label, _ in COLUMNS)])
        for cell in ws[1]:
            cell.font = bold
        for name, figures in rows:
            ws.append([name, *(_cell(figures, attribute, once) for _, attribute in COLUMNS)])
        ws.column_dimensions["A"].width = 36
        for row in ws.iter_rows(min_row=2, min_col=2):
            for cell, (_, attribute) in zip(row, COLUMNS, strict=False):
                if attribute in _PERCENT:
                    cell.number_format = "0.0%"

    table(
        "按月份", "月份", [(f"{m.year}年{m.month}月", f) for m, f in data.board.by_month],
        once=data.province,
    )
    if data.province:
        table("按信箱", "信箱", data.mailboxes)
    table("按承办单位", "承办单位", data.units)
    if data.annual:
        table(
            "被投诉较多的单位",
            "承办单位",
            [
                (_unit_label(data, u.tenant_id, u.unit_name), u.figures)
                for u in data.board.most_complained(MOST_COMPLAINED)
            ],
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


#: The province's totals count a forwarded letter once (as its dashboard).
ONCE_NOTE = (
    "全省来信总量中，从一个信箱转到另一个信箱办理的来信只计一次；"
    "各信箱的来信数含转入本信箱的来信。"
)


def _total_label(data: ReportData, label: str, attribute: str) -> str:
    return "全省来信总量" if data.province and attribute == "received" else label


def render_html(data: ReportData) -> str:
    """The report as the HTML WeasyPrint prints (one template, A4)."""
    board = data.board
    subjects = data.subjects
    what = "信箱" if data.province else "承办单位"
    shown = subjects[:CHART_ROWS]
    chart_title = (
        f"来信最多的 {len(shown)} 个{what}（件）" if len(subjects) > len(shown)
        else f"各{what}来信量（件）"
    )
    return _templates.get_template("report.html").render(
        {
            "data": data,
            "columns": COLUMNS,
            "display": _display,
            "header": _header,
            "total_label": lambda label, attribute: _total_label(data, label, attribute),
            "once_note": ONCE_NOTE,
            "what": what,
            "subjects": subjects,
            "unit_label": lambda u: _unit_label(data, u.tenant_id, u.unit_name),
            "most_complained": board.most_complained(MOST_COMPLAINED),
            "subject_chart_title": chart_title,
            # One bar per mailbox or unit: a month report's monthly chart
            # would be a single bar.
            "subject_chart": bar_chart(
                chart_title, [(name, figures.received) for name, figures in shown]
            ),
            "received_chart": column_chart(
                "每月来信量",
                [(f"{m.month}月", letters_received(f, once=data.province))
                 for m, f in board.by_month],
            ),
            "complaint_chart": bar_chart(
                "被投诉较多的单位",
                [
                    (_unit_label(data, u.tenant_id, u.unit_name), u.figures.complaints)
                    for u in board.most_complained(MOST_COMPLAINED)
                ],
            ),
        },
    )


def build_pdf(data: ReportData) -> bytes:
    from weasyprint import HTML  # heavy import, only in the worker

    return HTML(string=render_html(data)).write_pdf()


def report_path(app: AppContext, report: SupervisionReport) -> Path:
    return app.settings.var_dir / "reports" / f"supervision-{report.id}.{report.file_format}"


def download_name(report: SupervisionReport) -> str:
    start = report.period_start
    when = f"{start.year}年" if report.period == "year" else f"{start.year}年{start.month}月"
    kind = "年度" if report.period == "year" else "月度"
    scope = "全省" if report.scope == "province" else ""
    return f"{scope}来信办理{kind}报告-{when}.{report.file_format}"


async def generate_supervision_report(
    ctx: dict[str, Any], *, tenant_id: int, report_id: int
) -> str:
    """Build the file of report ``report_id``; safe to run twice."""
    app: AppContext = ctx["app"]
    async with app.database.core_session() as session:
        report = await session.get(SupervisionReport, report_id)
        if report is None or report.tenant_id != tenant_id:
            return "missing"
        if report.status == "done" and report_path(app, report).is_file():
            return "done"
        try:
            data = await collect(app, report)
            content = build_pdf(data) if report.file_format == "pdf" else build_xlsx(data)
            path = report_path(app, report)
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".part")
            temporary.write_bytes(content)
            temporary.replace(path)
        except Exception as exc:
            report.status = "failed"
            report.error = f"{type(exc).__name__}: {exc}"[:500]
            report.finished_at = utcnow()
            await session.commit()
            raise
        report.status = "done"
        report.error = None
        report.file_name = download_name(report)
        report.finished_at = utcnow()
        await session.commit()
    return "done"
