"""Building an export file (arq job, listed in the worker's JOB_MODULES).

    enqueue(session, "build_letter_export", tenant_id=..., export_id=...)

Rows are streamed from PostgreSQL and written as they come (CSV, or XLSX
through openpyxl's write-only mode), so memory stays flat for large lists;
progress is committed every ``PROGRESS_EVERY`` rows for the console to poll.
A finished export is not rebuilt when the job runs again.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select, update

from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.exports.models import LetterExport
from leadermail.platform.exports.services import LetterFilters, export_path, filtered_letters
from leadermail.platform.letters.models import (
    CHANNEL_LABELS,
    LETTER_TYPE_LABELS,
    Category,
    Letter,
    Unit,
)
from leadermail.platform.letters.workflow import STATE_LABELS
from leadermail.platform.notifications.console import notify
from leadermail.platform.privacy import mask_email, mask_id_number, mask_name, mask_phone
from leadermail.platform.web.templating import format_datetime
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

log = logging.getLogger(__name__)

PROGRESS_EVERY = 500
HEADER = [
    "查询码", "标题", "类型", "分类", "渠道", "状态", "承办单位", "地区", "提交时间", "答复期限",
    "来信人", "电话", "身份证号", "电子邮箱",
]


def _row(
    letter: Letter, masked: bool, categories: dict[int, str], units: dict[int, str]
) -> list[str]:
    name, phone = letter.writer_name or "", letter.writer_phone or ""
    id_number, email = letter.writer_id_number or "", letter.writer_email or ""
    if masked:
        name = mask_name(name) if name else ""
        phone = mask_phone(phone) if phone else ""
        id_number = mask_id_number(id_number) if id_number else ""
        email = mask_email(email) if email else ""
    return [
        letter.tracking_code,
        letter.title,
        LETTER_TYPE_LABELS.get(letter.letter_type, letter.letter_type),
        categories.get(letter.category_id or 0, ""),
        CHANNEL_LABELS.get(letter.channel, letter.channel),
        STATE_LABELS.get(letter.state, letter.state),
        units.get(letter.unit_id or 0, ""),
        letter.region or "",
        format_datetime(letter.submitted_at),
        format_datetime(letter.reply_due_at),
        name, phone, id_number, email,
    ]


class _Writer:
    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.fmt = path, fmt
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            # utf-8-sig: Excel opens a CSV with a BOM as UTF-8 (Chinese intact).
            self._file = path.open("w", encoding="utf-8-sig", newline="")
            self._csv = csv.writer(self._file)
        else:
            self._book = Workbook(write_only=True)
            self._sheet = self._book.create_sheet("来信")

    def write(self, row: list[str]) -> None:
        if self.fmt == "csv":
            # A cell starting with = + - @ is a formula to spreadsheet programs.
            self._csv.writerow(["'" + c if c[:1] in "=+-@" else c for c in row])
        else:
            self._sheet.append(row)

    def close(self) -> None:
        if self.fmt == "csv":
            self._file.close()
        else:
            self._book.save(self.path)


async def _progress(app: AppContext, tenant: TenantRef, export_id: int, **values: Any) -> None:
    async with tenant_session(app.database, tenant) as session:
        statement = update(LetterExport).where(LetterExport.id == export_id).values(**values)
        await session.execute(statement)
        await session.commit()


async def build_letter_export(ctx: dict[str, Any], *, tenant_id: int, export_id: int) -> str:
    app: AppContext = ctx["app"]
    tenant = await app.tenants.by_id(tenant_id)
    if tenant is None:
        return "no such tenant"
    async with tenant_session(app.database, tenant) as session:
        export = await session.get(LetterExport, export_id)
        if export is None:
            return "no such export"
        if export.status == "done":
            return "done"
        filters = LetterFilters(**export.filters)
        query = filtered_letters(filters)
        total = (
            await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))
        ).scalar_one()
        categories = dict((await session.execute(select(Category.id, Category.name))).all())
        units = dict((await session.execute(select(Unit.id, Unit.name))).all())
        masked, fmt = export.masked, export.format
    await _progress(app, tenant, export_id, status="running", rows_total=total, rows_done=0)
    path = export_path(app.settings, tenant, export)
    writer = _Writer(path, fmt)
    done = 0
    try:
        writer.write(HEADER)
        async with tenant_session(app.database, tenant) as session:
            result = await session.stream(query.execution_options(yield_per=PROGRESS_EVERY))
            async for letter in result.scalars():
                writer.write(_row(letter, masked, categories, units))
                done += 1
                if done % PROGRESS_EVERY == 0:
                    await _progress(app, tenant, export_id, rows_done=done)
        writer.close()
    except Exception as exc:
        log.exception("export %s of tenant %s failed", export_id, tenant_id)
        await _progress(app, tenant, export_id, status="failed", error=f"{type(exc).__name__}")
        raise
    stamp = utcnow().astimezone().strftime("%Y%m%d-%H%M")
    async with tenant_session(app.database, tenant) as session:
        export = await session.get(LetterExport, export_id)
        assert export is not None
        export.status, export.rows_done, export.finished_at = "done", done, utcnow()
        export.file_name = f"来信导出-{stamp}.{fmt}"
        await notify(
            session, tenant.id, [export.requested_by_user_id], kind="export_ready",
            title=f"来信导出已完成（{done}封）", link=f"/exports/{export.id}",
            dedupe_key=f"export:{export.id}",
        )
        await session.commit()
    return "done"


JOBS = [build_letter_export]
CRON_JOBS: list[Any] = []
