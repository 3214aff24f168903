"""The audit trail, for supervisors and admins (read-only).

GET  /console/audit?action=letter.read_report&object=42&before=1234
GET  /console/audit?log=platform&action=tenant.disabled   the platform trail
     (``core.platform_audit_log``: every tenant's, so province admins only,
     in the province tenant's console)
POST /console/audit/verify      walk the chain now (what ``leadermail audit verify`` does)

Actions are shown by their Chinese names (``platform.audit.labels``) with the
code beside them; the filter offers the names and still takes the code in
``action``, so old links keep working.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action, StaffUser, role_allows
from leadermail.platform.audit.labels import (
    PLATFORM_GROUPS,
    TENANT_GROUPS,
    ActionGroup,
    action_label,
    object_label,
)
from leadermail.platform.audit.models import AuditRecord, PlatformAuditRecord
from leadermail.platform.audit.writer import record_audit, verify_chain
from leadermail.platform.letters.access import (
    LetterHeading,
    access_letter_headings,
    staff_actor,
)
from leadermail.platform.web.requests import app_context, client_ip
from leadermail.tenants.models import TenantKind
from leadermail.tenants.session import tenant_session

PAGE_SIZE = 100
TENANT_LOG, PLATFORM_LOG = "tenant", "platform"
#: Platform objects with a console page of their own (in the province console).
_PLATFORM_PAGES = {
    "tenant_application": "/province/applications/{}",
    "provisioning_run": "/province/runs/{}",
}


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    object_id: str = ""
    before: int | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> AuditFilters:
        before = params.get("before") or ""
        return cls(
            action=(params.get("action") or "").strip()[:60],
            object_id=(params.get("object") or "").strip()[:64],
            before=int(before) if before.isdigit() else None,
        )

    def apply(
        self, statement: Select[Any], model: type[AuditRecord] | type[PlatformAuditRecord]
    ) -> Select[Any]:
        if self.action:
            statement = statement.where(model.action == self.action)
        if self.object_id:
            statement = statement.where(model.object_id == self.object_id)
        if self.before is not None:
            statement = statement.where(model.id < self.before)
        return statement.order_by(model.id.desc()).limit(PAGE_SIZE)


@dataclass(frozen=True)
class AuditRow:
    """One record as the page shows it."""

    record: AuditRecord | PlatformAuditRecord
    #: The action's name (the code itself when it has none).
    action: str
    #: "答复 #12", "信箱 某某市", or just "来信" when ``letter`` names it.
    object: str = ""
    #: A console path (after ``/console``) for the object, if it has a page.
    object_path: str | None = None
    #: The record's letter (object or ``data["letter_id"]``), if staff may see it.
    letter: LetterHeading | None = None
    #: Platform records: the tenant concerned.
    tenant: str = ""

    @property
    def named(self) -> bool:
        return self.action != self.record.action


def may_read_platform_log(staff: StaffUser) -> bool:
    """The platform trail spans every tenant: province admins only, and only
    in the province tenant's console (where that role belongs)."""
    return staff.tenant.kind == TenantKind.PROVINCE and role_allows(
        staff.roles, Action.PROVINCE_ADMIN
    )


def _letter_id(record: AuditRecord) -> int | None:
    if record.object_type == "letter":
        return int(record.object_id) if (record.object_id or "").isdigit() else None
    value = (record.data or {}).get("letter_id")
    return value if isinstance(value, int) else None


def _object(record: AuditRecord | PlatformAuditRecord, named: str | None = None) -> str:
    label = object_label(record.object_type)
    if named is not None:
        return f"{label} {named}".strip()
    if record.object_id is None:
        return label
    return f"{label} #{record.object_id}".strip()


async def tenant_rows(
    session: AsyncSession, staff: StaffUser, records: Sequence[AuditRecord]
) -> list[AuditRow]:
    """Rows of the tenant trail; the letters they mention in one query."""
    letter_ids = {letter_id for r in records if (letter_id := _letter_id(r)) is not None}
    letters = await access_letter_headings(session, staff, letter_ids)
    rows = []
    for record in records:
        letter_id = _letter_id(record)
        letter = letters.get(letter_id) if letter_id is not None else None
        if letter is not None and record.object_type == "letter":
            shown = object_label("letter")
        elif letter is not None:
            shown = f"{_object(record)}，{object_label('letter')}"
        else:
            shown = _object(record)
        rows.append(AuditRow(record, action_label(record.action), shown, letter=letter))
    return rows


def platform_rows(
    records: Sequence[PlatformAuditRecord], tenant_names: Mapping[int, str]
) -> list[AuditRow]:
    rows = []
    for record in records:
        named = None
        if record.object_type == "tenant" and (record.object_id or "").isdigit():
            named = tenant_names.get(int(record.object_id or 0))
        page = _PLATFORM_PAGES.get(record.object_type or "")
        rows.append(
            AuditRow(
                record,
                action_label(record.action),
                _object(record, named),
                object_path=page.format(record.object_id) if page and record.object_id else None,
                tenant=tenant_names.get(record.tenant_id, "") if record.tenant_id else "",
            )
        )
    return rows


def _page_context(
    log: str,
    staff: StaffUser,
    filters: AuditFilters,
    rows: list[AuditRow],
    check: object = None,
) -> dict[str, Any]:
    groups: tuple[ActionGroup, ...] = PLATFORM_GROUPS if log == PLATFORM_LOG else TENANT_GROUPS
    known = {code for group in groups for code in group.actions}
    return {
        "log": log,
        "may_read_platform": may_read_platform_log(staff),
        "rows": rows,
        "action": filters.action,
        "action_groups": groups,
        "action_known": filters.action in known,
        "object_id": filters.object_id,
        "next_before": rows[-1].record.id if len(rows) == PAGE_SIZE else None,
        "check": check,
    }


async def audit_list(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_AUDIT)
    filters = AuditFilters.from_query(request.query_params)
    context = app_context(request)
    if request.query_params.get("log") == PLATFORM_LOG:
        if not may_read_platform_log(staff):
            raise HTTPException(status_code=403, detail="平台审计日志只有省级管理员可以查看")
        statement = filters.apply(select(PlatformAuditRecord), PlatformAuditRecord)
        async with context.database.core_session() as session:
            records = list((await session.execute(statement)).scalars())
        names = {tenant.id: tenant.name for tenant in await context.tenants.all()}
        ctx = _page_context(PLATFORM_LOG, staff, filters, platform_rows(records, names))
    else:
        statement = filters.apply(
            select(AuditRecord).where(AuditRecord.tenant_id == staff.tenant.id), AuditRecord
        )
        async with tenant_session(context.database, staff.tenant) as session:
            records = list((await session.execute(statement)).scalars())
            rows = await tenant_rows(session, staff, records)
        ctx = _page_context(TENANT_LOG, staff, filters, rows)
    return renderer_for(context).render(request, "audit/list.html", ctx, fragment="audit_rows")


async def audit_verify(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_AUDIT)
    context = app_context(request)
    async with tenant_session(context.database, staff.tenant) as session:
        check = await verify_chain(session)
        await record_audit(
            session,
            tenant_id=staff.tenant.id,
            actor=staff_actor(staff, client_ip(request)),
            action="audit.verify",
            data={"records": check.records, "ok": check.ok},
        )
        await session.commit()
        filters = AuditFilters()
        statement = filters.apply(select(AuditRecord), AuditRecord)
        records = list((await session.execute(statement)).scalars())
        rows = await tenant_rows(session, staff, records)
    ctx = _page_context(TENANT_LOG, staff, filters, rows, check)
    return renderer_for(context).render(request, "audit/list.html", ctx)


routes = [
    Route("/audit", audit_list),
    Route("/audit/verify", audit_verify, methods=["POST"]),
]
