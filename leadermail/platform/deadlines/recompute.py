"""Loading a State Council holiday schedule, then recomputing provisional deadlines.

A province admin loads next year's schedule (console upload or CLI); in the
same transaction a :class:`RecomputeRun` row and the outbox job that works
through every tenant are written::

    run = await load_holiday_schedule(database, 2027, text, source="国办发明电〔2026〕7号",
                                      actor=actor)
    # the worker runs recompute_provisional_deadlines(run_id=run.id)
    await recompute_run(app_context, run.id)        # or inline (CLI --now)

Only open letters with ``deadline_provisional`` are touched (a partial index
finds them); each tenant commits on its own and the run row records progress.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select, update

from leadermail.platform.audit.writer import Actor, record_platform_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.db import Database
from leadermail.platform.deadlines.assignments import follow_letter_deadline
from leadermail.platform.deadlines.calendar import WorkCalendar
from leadermail.platform.deadlines.letters import apply_deadlines, letter_deadlines
from leadermail.platform.deadlines.runs import RecomputeRun
from leadermail.platform.deadlines.schedule import load_calendar, load_schedule, parse_schedule
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.workflow import OPEN_STATES
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

log = logging.getLogger(__name__)

RECOMPUTE_JOB = "recompute_provisional_deadlines"


async def load_holiday_schedule(
    database: Database, year: int, text: str, *, source: str, actor: Actor
) -> RecomputeRun:
    """Parse and store ``year``'s schedule and queue the recompute (one transaction).

    Raises :class:`~leadermail.platform.deadlines.schedule.ScheduleError`.
    """
    entries = parse_schedule(text, year)
    async with database.core_session() as session:
        count = await session.run_sync(
            lambda sync: load_schedule(sync.connection(), year, entries, source=source)
        )
        run = RecomputeRun(year=year, requested_by_user_id=actor.user_id)
        session.add(run)
        await session.flush()
        await record_platform_audit(
            session, actor=actor, action="holidays.load", object_type="holiday_schedule",
            object_id=year, data={"days": count, "source": source, "recompute_run_id": run.id},
        )
        enqueue(session, RECOMPUTE_JOB, run_id=run.id)
        await session.commit()
    return run


async def recompute_tenant(
    database: Database, tenant: TenantRef, calendar: WorkCalendar
) -> tuple[int, int]:
    """(letters checked, letters whose dates changed) in one tenant."""
    checked = changed = 0
    async with tenant_session(database, tenant) as session:
        letters = (
            await session.execute(
                select(Letter)
                .where(Letter.deadline_provisional.is_(True), Letter.state.in_(OPEN_STATES))
                .with_for_update(skip_locked=True)
            )
        ).scalars().all()
        for letter in letters:
            checked += 1
            previous = letter.reply_due_at
            if apply_deadlines(letter, letter_deadlines(letter, tenant.settings, calendar)):
                changed += 1
                await follow_letter_deadline(session, letter, previous)
        await session.commit()
    return checked, changed


async def recompute_run(
    app: AppContext, run_id: int, *, progress: Callable[[RecomputeRun], None] | None = None
) -> RecomputeRun | None:
    database = app.database
    async with database.core_session() as session:
        run = await session.get(RecomputeRun, run_id)
        if run is None or run.status == "done":
            return run
        tenants = [t for t in await app.tenants.all() if t.is_active]
        run.status, run.tenants_total, run.tenants_done = "running", len(tenants), 0
        run.letters_checked = run.letters_changed = 0
        await session.commit()
    calendar = await load_calendar(database)
    checked_total = changed_total = 0
    try:
        for index, tenant in enumerate(tenants, start=1):
            checked, changed = await recompute_tenant(database, tenant, calendar)
            checked_total += checked
            changed_total += changed
            # Progress every tenant is one tiny UPDATE; the console polls it.
            async with database.core_session() as session:
                await session.execute(
                    update(RecomputeRun).where(RecomputeRun.id == run_id).values(
                        tenants_done=index, letters_checked=checked_total,
                        letters_changed=changed_total,
                    )
                )
                await session.commit()
                if progress is not None:
                    current = await session.get(RecomputeRun, run_id)
                    assert current is not None
                    progress(current)
        status, error = "done", None
    except Exception as exc:
        log.exception("recompute run %s failed", run_id)
        status, error = "failed", f"{type(exc).__name__}: {exc}"
    async with database.core_session() as session:
        run = await session.get(RecomputeRun, run_id)
        assert run is not None
        run.status, run.error, run.finished_at = status, error, utcnow()
        await session.commit()
    return run


