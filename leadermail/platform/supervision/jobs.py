"""Supervision jobs: keep facts current, repair drift, build reports.

Any code that changes a letter can ask for its fact to be rebuilt, in the
same transaction as the change (``apply_transition`` already does)::

    enqueue_fact_refresh(session, letter.tenant_id, letter.id)
    await session.commit()

Every ten minutes ``reconcile_letter_facts`` walks the tenants and refreshes
letters changed since its last run, so a missed event only delays figures.
"""

from __future__ import annotations

import logging
from typing import Any

from arq import cron

from leadermail.platform.context import AppContext
from leadermail.platform.deadlines.schedule import load_calendar
from leadermail.platform.supervision.aggregates import reconcile_tenant, refresh_letters
from leadermail.platform.supervision.events import enqueue_fact_refresh
from leadermail.platform.supervision.reports import generate_supervision_report
from leadermail.tenants.session import tenant_session

log = logging.getLogger(__name__)


async def refresh_letter_facts(ctx: dict[str, Any], *, tenant_id: int, letter_id: int) -> int:
    app: AppContext = ctx["app"]
    tenant = await app.tenants.by_id(tenant_id)
    if tenant is None:
        return 0
    calendar = await load_calendar(app.database)
    async with tenant_session(app.database, tenant) as session:
        written = await refresh_letters(session, tenant, [letter_id], calendar)
        await session.commit()
    return written


async def reconcile_letter_facts(ctx: dict[str, Any]) -> int:
    """Refresh, tenant by tenant, every letter changed since the last run."""
    app: AppContext = ctx["app"]
    calendar = await load_calendar(app.database)
    written = 0
    for tenant in await app.tenants.all():
        if tenant.status == "provisioning":
            continue
        try:
            written += await reconcile_tenant(app.database, tenant, calendar)
        except Exception:  # one broken tenant must not stop the others
            log.exception("reconciling letter facts of tenant %s failed", tenant.slug)
    return written


JOBS = [refresh_letter_facts, reconcile_letter_facts, generate_supervision_report]
CRON_JOBS = [
    cron(
        reconcile_letter_facts,
        minute=set(range(0, 60, 10)),
        run_at_startup=False,
        unique=True,
        timeout=1800,
    )
]

__all__ = ["CRON_JOBS", "JOBS", "enqueue_fact_refresh"]
