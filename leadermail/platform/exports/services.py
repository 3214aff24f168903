"""Requesting an export and where its file lives.

    filters = LetterFilters(state="assigned")
    export = await request_export(session, staff, fmt="xlsx", filters=filters)
    await session.commit()          # the job is in the outbox with the row
    path = export_path(settings, tenant, export)   # once export.status == "done"

Whether phone and ID numbers are masked is decided here, from the
requester's role, and stored with the request.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import Action, StaffUser, can, sees_personal_data
from leadermail.platform.config import Settings
from leadermail.platform.deadlines.calendar import SHANGHAI
from leadermail.platform.exports.models import LetterExport
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.models import Letter
from leadermail.tenants.registry import TenantRef

FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)}
EXPORT_JOB = "build_letter_export"


class ExportError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LetterFilters:
    state: str = ""
    letter_type: str = ""
    category_id: int | None = None
    unit_id: int | None = None
    submitted_from: str = ""  # YYYY-MM-DD, Shanghai
    submitted_to: str = ""
    text: str = ""

    @classmethod
    def from_mapping(cls, data: Any) -> LetterFilters:
        def number(key: str) -> int | None:
            value = data.get(key)
            value = value.strip() if isinstance(value, str) else value
            try:
                return int(value) if value not in (None, "") else None
            except (TypeError, ValueError):
                raise ExportError(f"筛选条件“{key}”无效") from None

        def day(key: str) -> str:
            value = str(data.get(key) or "").strip()
            if value:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    raise ExportError(f"日期“{value}”无效，应为 YYYY-MM-DD") from None
            return value

        return cls(
            state=str(data.get("state") or "").strip(),
            letter_type=str(data.get("letter_type") or "").strip(),
            category_id=number("category_id"),
            unit_id=number("unit_id"),
            submitted_from=day("submitted_from"),
            submitted_to=day("submitted_to"),
            text=str(data.get("text") or "").strip()[:100],
        )

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.state:
            query = query.where(Letter.state == self.state)
        if self.letter_type:
            query = query.where(Letter.letter_type == self.letter_type)
        if self.category_id is not None:
            query = query.where(Letter.category_id == self.category_id)
        if self.unit_id is not None:
            query = query.where(Letter.unit_id == self.unit_id)
        if self.submitted_from:
            start = datetime.combine(date.fromisoformat(self.submitted_from), time(), SHANGHAI)
            query = query.where(Letter.submitted_at >= start)
        if self.submitted_to:
            end = datetime.combine(date.fromisoformat(self.submitted_to), time.max, SHANGHAI)
            query = query.where(Letter.submitted_at <= end)
        if self.text:
            escaped = self.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            query = query.where(Letter.title.ilike(pattern) | Letter.body.ilike(pattern))
        return query


def filtered_letters(filters: LetterFilters) -> Select[Any]:
    return filters.apply(select(Letter)).order_by(Letter.submitted_at, Letter.id)


async def request_export(
    session: AsyncSession, staff: StaffUser, *, fmt: str, filters: LetterFilters
) -> LetterExport:
    if not can(staff, Action.EXPORT):
        raise ExportError("您没有导出来信的权限")
    if fmt not in FORMATS:
        raise ExportError("导出格式只能是 CSV 或 Excel（XLSX）")
    export = LetterExport(
        tenant_id=staff.tenant.id,
        requested_by_user_id=staff.user_id,
        format=fmt,
        filters=filters.as_dict(),
        masked=not sees_personal_data(staff),
    )
    session.add(export)
    await session.flush()
    enqueue(session, EXPORT_JOB, tenant_id=staff.tenant.id, export_id=export.id)
    return export


async def access_export(session: AsyncSession, staff: StaffUser, export_id: int) -> LetterExport:
    """The requester's own export (anyone else's is "not found")."""
    export = await session.get(LetterExport, export_id)
    if export is None or export.requested_by_user_id != staff.user_id:
        raise ExportError("没有找到这个导出任务")
    return export


def export_path(settings: Settings, tenant: TenantRef, export: LetterExport) -> Path:
    return settings.var_dir / "exports" / tenant.schema_name / f"{export.id}.{export.format}"
