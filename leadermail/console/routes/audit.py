"""The audit trail, for supervisors and admins.

GET  /console/audit?action=letter.read_report&object=42&before=1234
POST /console/audit/verify      walk the chain now (what ``leadermail audit verify`` does)
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadermail.console.auth import require_staff
from leadermail.console.rendering import renderer_for
from leadermail.platform.accounts.policy import Action
from leadermail.platform.audit.models import AuditRecord
from leadermail.platform.audit.writer import record_audit, verify_chain
from leadermail.platform.letters.access import staff_actor
from leadermail.platform.web.requests import app_context, client_ip
from leadermail.tenants.session import tenant_session

PAGE_SIZE = 100


async def audit_list(request: Request) -> Response:
    staff = await require_staff(request, Action.VIEW_AUDIT)
    action = (request.query_params.get("action") or "").strip()[:60]
    object_id = (request.query_params.get("object") or "").strip()[:64]
    before = request.query_params.get("before") or ""
    statement = select(AuditRecord).where(AuditRecord.tenant_id == staff.tenant.id)
    if action:
        statement = statement.where(AuditRecord.action == action)
    if object_id:
        statement = statement.where(AuditRecord.object_id == object_id)
    if before.isdigit():
        statement = statement.where(AuditRecord.id < int(before))
    statement = statement.order_by(AuditRecord.id.desc()).limit(PAGE_SIZE)
    context = app_context(request)
    async with tenant_session(context.database, staff.tenant) as session:
        records = list((await session.execute(statement)).scalars())
    ctx = {
        "records": records,
        "action": action,
        "object_id": object_id,
        "next_before": records[-1].id if len(records) == PAGE_SIZE else None,
        "check": None,
    }
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
        records = list(
            (
                await session.execute(
                    select(AuditRecord).order_by(AuditRecord.id.desc()).limit(PAGE_SIZE)
                )
            ).scalars()
        )
    ctx = {"records": records, "action": "", "object_id": "", "next_before": None, "check": check}
    return renderer_for(context).render(request, "audit/list.html", ctx)


routes = [
    Route("/audit", audit_list),
    Route("/audit/verify", audit_verify, methods=["POST"]),
]
