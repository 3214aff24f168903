"""Aggregates equal a direct recount over the tenant schemas.

Random letters go through random workflow transitions; the facts are built
by the refresh jobs the workflow enqueued (as the worker would run them) and
again by the reconcile job from scratch; both must match a recount written
independently in SQL over each tenant schema.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import delete, select, text

from leadermail.platform.deadlines.calendar import WorkCalendar
from leadermail.platform.jobs.models import OutboxJob
from leadermail.platform.supervision.aggregates import reconcile_tenant
from leadermail.platform.supervision.jobs import refresh_letter_facts
from leadermail.platform.supervision.models import LetterFact, LetterFactSync, UnitMonthlyStats
from leadermail.tenants.session import tenant_session
from tests.unit.platform.supervision.factories import random_letters

COUNTS = (
    "received", "accepted", "not_accepted", "replied", "replied_on_time", "closed",
    "evaluated", "satisfied", "solved_answered", "solved", "rehandled", "complaints",
    "forwarded", "away",
)

# Written from the letter tables alone, without the fact code: the latest
# evaluation per letter, Shanghai months, forwarded = ever reached "forwarded".
RECOUNT = text(
    """
    WITH latest AS (
        SELECT DISTINCT ON (letter_id) letter_id, satisfaction, problem_solved
        FROM evaluations ORDER BY letter_id, created_at DESC, id DESC
    ), forwarded AS (
        SELECT DISTINCT letter_id FROM letter_events WHERE data->>'to' = 'forwarded'
    ), refused AS (
        SELECT DISTINCT letter_id FROM letter_events WHERE data->>'to' = 'not_accepted'
    )
    SELECT coalesce(l.unit_id, 0) AS unit_id,
        date_trunc('month', l.submitted_at AT TIME ZONE 'Asia/Shanghai')::date AS month,
        count(*) AS received,
        count(l.accepted_at) AS accepted,
        count(*) FILTER (WHERE l.accepted_at IS NULL AND r.letter_id IS NOT NULL) AS not_accepted,
        count(l.replied_at) AS replied,
        count(*) FILTER (WHERE l.replied_at IS NOT NULL
                         AND (l.reply_due_at IS NULL OR l.replied_at <= l.reply_due_at))
            AS replied_on_time,
        count(l.closed_at) AS closed,
        count(e.letter_id) AS evaluated,
        count(*) FILTER (WHERE e.satisfaction <> 'unsatisfied') AS satisfied,
        count(e.problem_solved) AS solved_answered,
        count(*) FILTER (WHERE e.problem_solved) AS solved,
        count(*) FILTER (WHERE l.rehandle_count > 0) AS rehandled,
        count(*) FILTER (WHERE l.letter_type = 'complaint') AS complaints,
        count(f.letter_id) AS forwarded,
        count(*) FILTER (WHERE l.state = 'forwarded') AS away
    FROM letters l
    LEFT JOIN latest e ON e.letter_id = l.id
    LEFT JOIN forwarded f ON f.letter_id = l.id
    LEFT JOIN refused r ON r.letter_id = l.id
    GROUP BY 1, 2
    """
)


async def recount(context, tenant) -> dict:
    async with tenant_session(context.database, tenant) as session:
        rows = (await session.execute(RECOUNT)).mappings().all()
    return {(r["unit_id"], r["month"]): {c: r[c] for c in COUNTS} for r in rows}


async def rollups(context, tenant) -> dict:
    async with context.database.core_session() as session:
        rows = (
            await session.execute(
                select(UnitMonthlyStats).where(UnitMonthlyStats.tenant_id == tenant.id)
            )
        ).scalars().all()
    return {(r.unit_id, r.month): {c: getattr(r, c) for c in COUNTS} for r in rows}


async def run_enqueued_refreshes(context, tenant_ids: set[int]) -> int:
    """What the worker does with the outbox rows the workflow wrote."""
    async with context.database.core_session() as session:
        jobs = (
            await session.execute(
                select(OutboxJob).where(
                    OutboxJob.job_name == "refresh_letter_facts",
                    OutboxJob.tenant_id.in_(tenant_ids),
                    OutboxJob.sent_at.is_(None),
                )
            )
        ).scalars().all()
        await session.execute(delete(OutboxJob).where(OutboxJob.id.in_([j.id for j in jobs])))
        await session.commit()
    for job in jobs:
        await refresh_letter_facts({"app": context}, **job.kwargs)
    return len(jobs)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_rollups_equal_a_direct_recount(context, make_tenant, seed):
    rng = random.Random(seed)
    tenants = [await make_tenant(), await make_tenant(kind="county")]
    for tenant in tenants:
        async with tenant_session(context.database, tenant) as session:
            await random_letters(session, tenant.id, rng, rng.randint(15, 30))
            await session.commit()
    assert await run_enqueued_refreshes(context, {t.id for t in tenants}) > 0
    for tenant in tenants:
        expected = await recount(context, tenant)
        # Letters that never moved had no event; the reconcile picks them up.
        await reconcile_tenant(context.database, tenant, WorkCalendar())
        assert await rollups(context, tenant) == expected
        # From nothing, the reconcile alone rebuilds the same figures.
        async with context.database.core_session() as session:
            for model in (LetterFact, UnitMonthlyStats, LetterFactSync):
                await session.execute(delete(model).where(model.tenant_id == tenant.id))
            await session.commit()
        await reconcile_tenant(context.database, tenant, WorkCalendar())
        assert await rollups(context, tenant) == expected


async def test_a_transition_enqueues_a_refresh_that_updates_the_rollup(context, make_tenant):
    rng = random.Random(7)
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        (letter,) = await random_letters(session, tenant.id, rng, 1)
        await session.commit()
    await reconcile_tenant(context.database, tenant, WorkCalendar())
    async with tenant_session(context.database, tenant) as session:
        letter = await session.merge(letter)
        if letter.state in {"submitted", "registered"}:
            from tests.unit.platform.supervision.factories import move

            await move(session, letter, "accept", rng)
            await session.commit()
    await run_enqueued_refreshes(context, {tenant.id})
    assert await rollups(context, tenant) == await recount(context, tenant)


async def test_reconcile_only_reads_letters_changed_since_its_last_run(context, make_tenant):
    rng = random.Random(11)
    tenant = await make_tenant()
    async with tenant_session(context.database, tenant) as session:
        await random_letters(session, tenant.id, rng, 5)
        await session.commit()
    assert await reconcile_tenant(context.database, tenant, WorkCalendar()) == 5
    assert await reconcile_tenant(context.database, tenant, WorkCalendar()) <= 5
    # Move the mark past the overlap window: nothing changed since, nothing read.
    async with context.database.core_session() as session:
        await session.execute(
            text(
                "UPDATE core.letter_fact_sync "
                "SET last_source_updated_at = now() + interval '1 day' WHERE tenant_id = :t"
            ),
            {"t": tenant.id},
        )
        await session.commit()
    assert await reconcile_tenant(context.database, tenant, WorkCalendar()) == 0


async def test_a_renamed_unit_is_renamed_in_the_figures(context, make_tenant):
    tenant = await make_tenant(units=["旧名称局"])
    from leadermail.platform.letters.models import Unit
    from tests.unit.platform.supervision.factories import new_letter

    async with tenant_session(context.database, tenant) as session:
        unit = (await session.execute(select(Unit))).scalar_one()
        session.add(new_letter(tenant.id, unit_id=unit.id))
        await session.commit()
    await reconcile_tenant(context.database, tenant, WorkCalendar())
    async with tenant_session(context.database, tenant) as session:
        unit = (await session.execute(select(Unit))).scalar_one()
        unit.name = "新名称局"
        await session.commit()
    await reconcile_tenant(context.database, tenant, WorkCalendar())
    async with context.database.core_session() as session:
        names = set(
            (
                await session.execute(
                    select(UnitMonthlyStats.unit_name).where(
                        UnitMonthlyStats.tenant_id == tenant.id
                    )
                )
            ).scalars()
        )
    assert names == {"新名称局"}
