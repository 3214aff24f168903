"""What a province admin reaches from the province console: the mailboxes of
their own province's tree, the provisioning runs that open them or invite
their admins, and the applications (开通申请) for a mailbox under them. A
deployment may host more than one province; nothing of another province's
tree is listed, opened or acted on from here::

    tenants = await province_tenants(context, staff)          # the table, the form's choices
    scope = await province_scope(context, staff.tenant)       # None: every mailbox
    select(ProvisioningRun).where(runs_within(scope, staff))
    select(TenantApplication).where(applications_within(scope))
    row = await access_province_tenant(context, staff, tenant_id)   # core Tenant, or 404
    run = await access_province_run(context, staff, run_id)         # or 404
    application = await access_province_application(context, staff, session, id)  # or 404
    problem = await parent_problem(context, staff, parent_id)  # None: may open a mailbox under it

The tree is the one supervision uses (``supervision.overdue``:
``supervised_mailbox_ids``, the province's own mailbox and every one below
it; ``province_scope``, the same, or None when that is every mailbox).
Another province's mailbox and one that does not exist answer alike, 404,
so ids cannot be probed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, true
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException

from leadermail.platform.accounts.policy import StaffUser
from leadermail.platform.context import AppContext
from leadermail.platform.supervision.overdue import province_scope, supervised_mailbox_ids
from leadermail.tenants.applications import PARENT_REQUIRED, TenantApplication
from leadermail.tenants.models import Tenant
from leadermail.tenants.provisioning_runs import ProvisioningRun
from leadermail.tenants.registry import TenantRef

__all__ = [
    "access_province_application",
    "access_province_run",
    "access_province_tenant",
    "application_within",
    "applications_within",
    "parent_problem",
    "province_tenants",
    "run_within",
    "runs_within",
    "tree_ids",
]


async def tree_ids(context: AppContext, staff: StaffUser, tenant_id: int | None = None) -> set[int]:
    """Ids of the mailboxes in ``staff``'s province tree.

    ``tenant_id``: the mailbox about to be reached. One this process's
    directory does not know yet (the provisioning job opened it in another
    process a moment ago) gets the directory reloaded once, rather than a
    404 until the next background refresh.
    """
    ids = await supervised_mailbox_ids(context, staff.tenant)
    if tenant_id is not None and tenant_id not in ids:
        if await context.tenants.by_id(tenant_id) is None:
            context.tenants.invalidate()
            ids = await supervised_mailbox_ids(context, staff.tenant)
    return ids


async def province_tenants(context: AppContext, staff: StaffUser) -> list[TenantRef]:
    """The mailboxes of ``staff``'s province tree, every status."""
    ids = await tree_ids(context, staff)
    return [tenant for tenant in await context.tenants.all() if tenant.id in ids]


async def access_province_tenant(context: AppContext, staff: StaffUser, tenant_id: int) -> Tenant:
    """The core row of mailbox ``tenant_id`` if it is in ``staff``'s tree, else 404."""
    if tenant_id not in await tree_ids(context, staff, tenant_id):
        raise HTTPException(404)
    async with context.database.core_session() as session:
        row = await session.get(Tenant, tenant_id)
    if row is None:
        raise HTTPException(404)
    return row


def run_within(run: ProvisioningRun, ids: set[int] | frozenset[int], staff: StaffUser) -> bool:
    """A run belongs to the tree of its mailbox once that exists, before that
    (queued, or failed before the mailbox was made) to the tree of the parent
    it was asked for. Whoever asked for it follows it anyway: an approved
    application may name no parent, and its approver is sent to its page."""
    if run.requested_by_user_id == staff.user_id:
        return True
    if run.tenant_id is not None:
        return run.tenant_id in ids
    return _parent_of(run.spec) in ids


def runs_within(scope: frozenset[int] | None, staff: StaffUser) -> Any:
    """:func:`run_within` as a WHERE condition (``scope`` None: every run)."""
    if scope is None:
        return true()
    parent = ProvisioningRun.spec["parent_id"].as_integer()
    return or_(
        ProvisioningRun.requested_by_user_id == staff.user_id,
        ProvisioningRun.tenant_id.in_(scope),
        and_(ProvisioningRun.tenant_id.is_(None), parent.in_(scope)),
    )


async def access_province_run(
    context: AppContext, staff: StaffUser, run_id: int
) -> ProvisioningRun:
    """Provisioning run ``run_id`` if it is for ``staff``'s tree, else 404."""
    async with context.database.core_session() as session:
        run = await session.get(ProvisioningRun, run_id)
    if run is None:
        raise HTTPException(404)
    target = run.tenant_id if run.tenant_id is not None else _parent_of(run.spec)
    if not run_within(run, await tree_ids(context, staff, target), staff):
        raise HTTPException(404)
    return run


def _parent_of(spec: dict[str, Any]) -> int | None:
    parent = spec.get("parent_id")
    return parent if isinstance(parent, int) else None


async def parent_problem(
    context: AppContext, staff: StaffUser, parent_id: int | None
) -> str | None:
    """Why ``staff`` may not open a mailbox under ``parent_id`` (None: they may).
    A new mailbox goes under a mailbox of the tree, never at the top."""
    if parent_id is None:
        return PARENT_REQUIRED
    if parent_id not in await tree_ids(context, staff, parent_id):
        return "上级信箱须是本省的信箱"
    return None


def application_within(application: TenantApplication, scope: frozenset[int] | None) -> bool:
    """An application belongs to the tree of the mailbox it opened once that
    exists, before that to the tree of the parent it names. One naming no
    parent belongs to a province only where that province's tree is the
    whole deployment (``scope`` None); elsewhere applicants must name one."""
    if scope is None:
        return True
    if application.tenant_id is not None:
        return application.tenant_id in scope
    return application.parent_tenant_id in scope


def applications_within(scope: frozenset[int] | None) -> Any:
    """:func:`application_within` as a WHERE condition."""
    if scope is None:
        return true()
    return or_(
        TenantApplication.tenant_id.in_(scope),
        and_(
            TenantApplication.tenant_id.is_(None),
            TenantApplication.parent_tenant_id.in_(scope),
        ),
    )


async def access_province_application(
    context: AppContext,
    staff: StaffUser,
    session: AsyncSession,
    application_id: int,
    *,
    for_update: bool = False,
) -> TenantApplication:
    """Application ``application_id`` if it belongs to ``staff``'s tree, else 404
    (``for_update``: locked in ``session`` until its transaction ends)."""
    application = await session.get(
        TenantApplication, application_id, with_for_update=for_update
    )
    if application is None:
        raise HTTPException(404)
    # A mailbox opened a moment ago in another process: reload the directory first.
    await tree_ids(context, staff, application.tenant_id or application.parent_tenant_id)
    if not application_within(application, await province_scope(context, staff.tenant)):
        raise HTTPException(404)
    return application
