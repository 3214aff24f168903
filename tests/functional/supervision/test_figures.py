"""The dashboards' figures equal a direct count over the letter facts, whichever
way they are read: tenant rollups against their units, and "overdue now"
counted on either side of "now" (queries.overdue_counts)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import WorkCalendar
from leadermail.platform.supervision import queries
from leadermail.platform.supervision.aggregates import reconcile_tenant
from leadermail.platform.supervision.models import (
    LetterFact,
    TenantMonthlyStats,
    UnitMonthlyStats,
)
from leadermail.platform.supervision.queries import Period, dashboard, ranked_units
from leadermail.tenants.session import tenant_session
from tests.unit.platform.supervision.factories import new_letter, random_letters, unit_ids

COUNTS = [
    c.name for c in TenantMonthlyStats.__table__.columns if c.name not in {"tenant_id", "month"}
]


async def _tenant(context, make_tenant, seed: int):
    rng = random.Random(seed)
    tenant = await make_tenant()
    now = utcnow()
    async with tenant_session(context.database, tenant) as session:
        await random_letters(session, tenant.id, rng, 25)
        units = await unit_ids(session)
        # Open letters on both sides of "now", in several units and months.
        for index in range(30):
            submitted = now - timedelta(days=rng.randrange(0, 300))
            session.add(
                new_letter(
                    tenant.id,
                    unit_id=rng.choice(units) if index % 5 else None,
                    state="assigned" if index % 5 else "accepted",
                    submitted_at=submitted,
                    reply_due_at=now + timedelta(days=rng.randrange(-40, 40)),
                )
            )
        await session.commit()
    await reconcile_tenant(context.database, tenant, WorkCalendar())
    return tenant


async def test_tenant_rollups_are_the_sums_of_their_units(context, make_tenant):
    tenant = await _tenant(context, make_tenant, 1)
    async with context.database.core_session() as session:
        summed = {
            row[0]: tuple(row[1:])
            for row in await session.execute(
                select(
                    UnitMonthlyStats.month,
                    *[func.sum(getattr(UnitMonthlyStats, c)) for c in COUNTS],
                )
                .where(UnitMonthlyStats.tenant_id == tenant.id)
                .group_by(UnitMonthlyStats.month)
            )
        }
        stored = {
            row[0]: tuple(row[1:])
            for row in await session.execute(
                select(
                    TenantMonthlyStats.month, *[getattr(TenantMonthlyStats, c) for c in COUNTS]
                ).where(TenantMonthlyStats.tenant_id == tenant.id)
            )
        }
        open_with_deadline = await session.scalar(
            select(func.count()).where(
                LetterFact.tenant_id == tenant.id,
                LetterFact.is_open,
                LetterFact.effective_due_at.is_not(None),
            )
        )
    assert summed and stored == summed
    assert sum(row[COUNTS.index("open_with_deadline")] for row in stored.values()) == (
        open_with_deadline
    )


async def _direct_overdue(context, tenant_ids: list[int], now) -> dict:  # noqa: ANN001
    """Overdue letters per (tenant, unit) and per month, counted from the facts."""
    period = Period.last_months(12)
    late = (
        LetterFact.tenant_id.in_(tenant_ids),
        LetterFact.is_open,
        LetterFact.effective_due_at < now,
        LetterFact.month.between(period.first, period.last),
    )
    async with context.database.core_session() as session:
        units = dict(
            ((t, u), n)
            for t, u, n in await session.execute(
                select(LetterFact.tenant_id, LetterFact.unit_id, func.count())
                .where(*late)
                .group_by(LetterFact.tenant_id, LetterFact.unit_id)
            )
        )
        months = dict(
            (m, n)
            for m, n in await session.execute(
                select(LetterFact.month, func.count()).where(*late).group_by(LetterFact.month)
            )
        )
    return {"units": units, "months": months, "total": sum(units.values())}


@pytest.mark.parametrize("past_due", [True, False])
@pytest.mark.parametrize("days_ahead", [0, 25])
async def test_overdue_is_the_same_counted_from_either_side(
    context, make_tenant, monkeypatch, past_due, days_ahead
):
    tenant = await _tenant(context, make_tenant, 2)
    other = await _tenant(context, make_tenant, 3)

    async def side(*_args) -> bool:  # noqa: ANN002
        return past_due

    monkeypatch.setattr(queries, "_count_past_due", side)
    now = utcnow() + timedelta(days=days_ahead)
    period = Period.last_months(12)
    expected = await _direct_overdue(context, [tenant.id], now)
    assert expected["total"] > 0

    board = await dashboard(context.database, period, tenant_id=tenant.id, now=now)
    assert board.totals.overdue == expected["total"]
    assert {m: f.overdue for m, f in board.by_month if f.overdue} == expected["months"]
    assert {
        (u.tenant_id, u.unit_id): u.figures.overdue for u in board.by_unit if u.figures.overdue
    } == expected["units"]

    province = await dashboard(context.database, period, now=now, with_units=False)
    both = await _direct_overdue(context, [tenant.id, other.id], now)
    for tenant_id in (tenant.id, other.id):
        assert province.by_tenant[tenant_id].overdue == sum(
            n for (t, _), n in both["units"].items() if t == tenant_id
        )

    ranked = await ranked_units(
        context.database, period, minimum_letters=1, shown=1000, tenant_id=tenant.id, now=now
    )
    assert [(u.unit_id, u.figures) for u in ranked] == [
        (u.unit_id, u.figures) for u in board.ranking(1)
    ]
    # The province page shows the best and the worst few, with their places.
    every = board.ranking(1)
    ends = await ranked_units(
        context.database, period, minimum_letters=1, shown=2, tenant_id=tenant.id, now=now
    )
    assert len(every) > 4
    assert [(u.position, u.unit_id, u.ranked_count) for u in ends] == [
        (1, every[0].unit_id, len(every)),
        (2, every[1].unit_id, len(every)),
        (len(every) - 1, every[-2].unit_id, len(every)),
        (len(every), every[-1].unit_id, len(every)),
    ]
