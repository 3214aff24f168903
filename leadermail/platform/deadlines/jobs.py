"""Deadline jobs (listed in the worker's JOB_MODULES).

* ``scan_deadlines``: cron, every 5 minutes: urges and escalations
  (:mod:`leadermail.platform.deadlines.scan`);
* ``recompute_provisional_deadlines(run_id=...)``: after a holiday schedule
  is loaded (:mod:`leadermail.platform.deadlines.recompute`).
"""

from __future__ import annotations

import logging
from typing import Any

from arq import cron

from leadermail.platform.context import AppContext
from leadermail.platform.deadlines.recompute import recompute_run
from leadermail.platform.deadlines.scan import scan_all_tenants

log = logging.getLogger(__name__)


async def scan_deadlines(ctx: dict[str, Any]) -> dict[str, Any]:
    app: AppContext = ctx["app"]
    report = await scan_all_tenants(app.database, await app.tenants.all())
    log.info(
        "deadline scan: %d tenants, %d candidates, %d urged, %d escalated in %.1fs",
        report.tenants, report.candidates, report.due_soon, report.overdue, report.seconds,
    )
    return {
        "tenants": report.tenants, "due_soon": report.due_soon, "overdue": report.overdue,
        "failed": len(report.failed), "seconds": round(report.seconds, 2),
    }


async def recompute_provisional_deadlines(ctx: dict[str, Any], *, run_id: int) -> str:
    app: AppContext = ctx["app"]
    run = await recompute_run(app, run_id)
    return "missing" if run is None else run.status


JOBS = [scan_deadlines, recompute_provisional_deadlines]
CRON_JOBS = [
    cron(scan_deadlines, minute=set(range(0, 60, 5)), unique=True, run_at_startup=False),
]
