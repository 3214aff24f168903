"""Provisioning a tenant as a background job: the worker's side of a run.

    await provision_tenant({"app": context}, run_id=run.id)   # queued by request_provisioning

The job moves a run (:mod:`leadermail.tenants.provisioning_runs`) through its
steps. Tenant creation is one transaction (``create_tenant``), so a failure
leaves no half tenant and the row says why. The job is safe to run twice: a
run that already made its tenant only re-does the (idempotent) invitation step.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import select, update

from leadermail.platform.audit.writer import Actor, record_platform_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.letters.models import Category, Unit
from leadermail.tenants.invitations import invitation_link, invite_staff, send_invitation_email
from leadermail.tenants.provisioning import TenantError, create_tenant
from leadermail.tenants.provisioning_runs import (
    SYSTEM_ERROR,
    ProvisioningRun,
    RunStatus,
    spec_from_json,
)
from leadermail.tenants.session import tenant_session

log = logging.getLogger(__name__)


async def _template_names(context: AppContext, tenant_id: int) -> tuple[list[str], list[str]]:
    template = await context.tenants.by_id(tenant_id)
    if template is None:
        raise TenantError("template", "作为模板的信箱不存在")
    async with tenant_session(context.database, template) as session:
        categories = (
            (
                await session.execute(
                    select(Category.name)
                    .where(Category.is_active, Category.parent_id.is_(None))
                    .order_by(Category.position, Category.id)
                )
            )
            .scalars()
            .all()
        )
        units = (
            (
                await session.execute(
                    select(Unit.name)
                    .where(Unit.is_active, Unit.parent_id.is_(None))
                    .order_by(Unit.id)
                )
            )
            .scalars()
            .all()
        )
    return list(categories), list(units)


def _set_step(context: AppContext, run_id: int, step: str) -> None:
    """Progress on its own short transaction, so the page sees it at once."""
    with context.database.sync_engine.begin() as connection:
        connection.execute(
            update(ProvisioningRun).where(ProvisioningRun.id == run_id).values(step=step)
        )


async def _finish(context: AppContext, run_id: int, **values: Any) -> None:
    async with context.database.core_session() as session, session.begin():
        await session.execute(
            update(ProvisioningRun).where(ProvisioningRun.id == run_id).values(**values)
        )


async def provision_tenant(ctx: dict[str, Any], *, run_id: int) -> str:
    """Create the tenant of run ``run_id`` and invite its admin. Safe to run twice."""
    context: AppContext = ctx["app"]
    async with context.database.core_session() as session, session.begin():
        run = await session.get(ProvisioningRun, run_id, with_for_update=True)
        if run is None or run.status == RunStatus.SUCCEEDED:
            return "nothing to do"
        run.status = RunStatus.RUNNING
        run.started_at = run.started_at or utcnow()
        run.error = None
        spec = spec_from_json(run.spec)
        tenant_id = run.tenant_id
        template_id = run.template_tenant_id
        admin_email, admin_name = run.admin_email, run.admin_name
        application_id = run.application_id
        invitation_only = run.invitation_only
    try:
        if tenant_id is None:
            if template_id is not None:
                spec.categories, spec.units = await _template_names(context, template_id)
            tenant_id = await asyncio.to_thread(
                create_tenant,
                context.database.sync_engine,
                spec,
                lock_timeout_ms=context.settings.lock_timeout_ms,
                on_step=lambda step, _id: _set_step(context, run_id, step),
            )
            await _finish(context, run_id, tenant_id=tenant_id, step="seeded")
            context.tenants.invalidate()
        if admin_email:
            await _invite_admin(context, tenant_id, admin_email, admin_name or admin_email)
        await _finish(
            context,
            run_id,
            step="admin_invited" if admin_email else "seeded",
            status=RunStatus.SUCCEEDED,
            finished_at=utcnow(),
        )
    except TenantError as exc:
        await _fail(context, run_id, application_id, exc.message)
        return "failed"
    except Exception as exc:  # the run must say why, whatever broke
        log.exception("provisioning run %s failed", run_id)
        detail = f"{SYSTEM_ERROR}{type(exc).__name__}: {exc}"[:500]
        await _fail(context, run_id, application_id, detail)
        return "failed"
    if application_id is not None:
        from leadermail.tenants.applications import mark_provisioned

        await mark_provisioned(context, application_id, tenant_id)
    if invitation_only:
        return "succeeded"  # the mailbox was not provisioned now: nothing more to record
    async with context.database.core_session() as session, session.begin():
        await record_platform_audit(
            session,
            actor=Actor.system(),
            action="tenant.provisioned",
            tenant_id=tenant_id,
            object_type="provisioning_run",
            object_id=run_id,
            data={"slug": spec.slug},
        )
    return "succeeded"


async def _fail(context: AppContext, run_id: int, application_id: int | None, message: str) -> None:
    await _finish(context, run_id, status=RunStatus.FAILED, error=message, finished_at=utcnow())
    if application_id is not None:
        from leadermail.tenants.applications import mark_failed

        await mark_failed(context, application_id, message)


async def _invite_admin(context: AppContext, tenant_id: int, email: str, name: str) -> None:
    context.tenants.invalidate()
    tenant = await context.tenants.by_id(tenant_id)
    assert tenant is not None
    async with context.database.core_session() as session, session.begin():
        _, token = await invite_staff(session, tenant_id=tenant_id, email=email, display_name=name)
    # Sent after the commit: a crash in between leaves an unused invitation
    # and a re-run sends a fresh one, never a mail pointing at nothing.
    await send_invitation_email(
        context.settings,
        to=email,
        tenant_name=tenant.name,
        link=invitation_link(context.settings, tenant, token),
    )


JOBS = [provision_tenant]
CRON_JOBS: list[Any] = []
