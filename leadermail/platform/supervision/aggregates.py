"""Writing letter facts and the monthly rollups they feed.

::

    async with tenant_session(database, tenant) as session:
        await refresh_letters(session, tenant, [letter_id], calendar)
        await session.commit()

    await reconcile_tenant(database, tenant, calendar)   # repairs drift

A tenant-bound session also reaches ``core`` (core tables are schema
qualified), so one transaction reads the letters and writes their facts.
Refreshes of one tenant are serialised by a transaction-level advisory lock
taken *before* anything is read; each later statement then sees every
committed change, so the last refresh to commit always wrote current
figures. The rollup rows of every (unit, month) a letter left or joined are
recomputed from ``letter_facts`` by one ``INSERT … SELECT``, and the
tenant's rows of those months from its unit rows: rollups are never patched
by deltas, so they cannot drift from the facts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.clock import utcnow
from leadermail.platform.db import Database
from leadermail.platform.deadlines.calendar import WorkCalendar
from leadermail.platform.letters.models import Category, Evaluation, Letter, LetterEvent, Unit
from leadermail.platform.supervision.facts import FactSource, TimelineEntry, build_fact
from leadermail.platform.supervision.models import (
    LetterFact,
    LetterFactSync,
    TenantMonthlyStats,
    UnitMonthlyStats,
)
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

log = logging.getLogger(__name__)

#: advisory lock namespace for supervision refreshes (arbitrary, fixed)
_LOCK_NAMESPACE = 7_211_005
BATCH_SIZE = 500
#: The reconcile job looks this far behind its mark: a transaction that
#: began before the last run but committed after it is still picked up.
RECONCILE_OVERLAP = timedelta(minutes=15)

_LETTER_COLUMNS = (
    Letter.id, Letter.letter_type, Letter.category_id, Letter.channel, Letter.state,
    Letter.unit_id, Letter.submitted_at, Letter.received_at, Letter.accepted_at,
    Letter.replied_at, Letter.closed_at, Letter.reply_due_at, Letter.rehandle_count,
    Letter.origin_tenant_id, Letter.updated_at,
)

#: The counts of both rollups, in the order ``_ROLLUP_SELECT`` computes them.
_COUNT_COLUMNS = (
    "received", "accepted", "not_accepted", "replied", "replied_on_time", "closed",
    "evaluated", "satisfied", "solved_answered", "solved", "rehandled", "complaints",
    "forwarded", "assigned", "urged", "away", "handling_days_sum", "handling_count",
    "open_with_deadline", "forwarded_in",
)
_ROLLUP_COLUMNS = ", ".join(("tenant_id", "unit_id", "month", "unit_name", *_COUNT_COLUMNS))
_TENANT_COLUMNS = ", ".join(("tenant_id", "month", *_COUNT_COLUMNS))
_TENANT_SUMS = ", ".join(f"sum({name})" for name in _COUNT_COLUMNS)
_ROLLUP_SELECT = """
    SELECT f.tenant_id, f.unit_id, f.month, max(f.unit_name), count(*),
        count(*) FILTER (WHERE f.is_accepted),
        count(*) FILTER (WHERE f.is_not_accepted),
        count(*) FILTER (WHERE f.is_replied),
        count(*) FILTER (WHERE f.is_replied AND f.on_time),
        count(*) FILTER (WHERE f.is_closed),
        count(*) FILTER (WHERE f.satisfaction IS NOT NULL),
        count(*) FILTER (WHERE f.satisfaction IN ('satisfied', 'basically_satisfied')),
        count(*) FILTER (WHERE f.problem_solved IS NOT NULL),
        count(*) FILTER (WHERE f.problem_solved),
        count(*) FILTER (WHERE f.rehandled),
        count(*) FILTER (WHERE f.letter_type = 'complaint'),
        count(*) FILTER (WHERE f.was_forwarded),
        count(*) FILTER (WHERE f.was_assigned),
        coalesce(sum(f.urge_count), 0),
        count(*) FILTER (WHERE f.is_away),
        coalesce(sum(f.handling_working_days), 0),
        count(f.handling_working_days),
        count(*) FILTER (WHERE f.is_open AND f.effective_due_at IS NOT NULL),
        count(*) FILTER (WHERE f.channel = 'forwarded')
    FROM core.letter_facts f
"""
# Recomputes the rollups of the given (unit, month) groups from the facts.
_ROLLUP_SQL = text(
    f"INSERT INTO core.unit_monthly_stats ({_ROLLUP_COLUMNS}) {_ROLLUP_SELECT}"  # noqa: S608
    """
    JOIN unnest(CAST(:units AS bigint[]), CAST(:months AS date[])) AS g(unit_id, month)
      ON g.unit_id = f.unit_id AND g.month = f.month
    WHERE f.tenant_id = :tenant_id
    GROUP BY f.tenant_id, f.unit_id, f.month
    """
)
# The tenant rollups of the given months: sums of the unit rollups.
_TENANT_ROLLUP_SQL = text(
    f"INSERT INTO core.tenant_monthly_stats ({_TENANT_COLUMNS}) "  # noqa: S608
    f"SELECT tenant_id, month, {_TENANT_SUMS} FROM core.unit_monthly_stats "
    "WHERE tenant_id = :tenant_id AND month = ANY(CAST(:months AS date[])) "
    "GROUP BY tenant_id, month"
)
#: Every rollup from facts, into empty tables (after a bulk load; the
#: benchmark uses it). Run in this order.
BUILD_ALL_ROLLUPS = (
    text(
        f"INSERT INTO core.unit_monthly_stats ({_ROLLUP_COLUMNS}) {_ROLLUP_SELECT}"  # noqa: S608
        " GROUP BY f.tenant_id, f.unit_id, f.month"
    ),
    text(
        f"INSERT INTO core.tenant_monthly_stats ({_TENANT_COLUMNS}) "  # noqa: S608
        f"SELECT tenant_id, month, {_TENANT_SUMS} FROM core.unit_monthly_stats "
        "GROUP BY tenant_id, month"
    ),
)


async def _lock_tenant(session: AsyncSession, tenant_id: int) -> None:
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:ns, :key)"),
        {"ns": _LOCK_NAMESPACE, "key": tenant_id % 2_147_483_647},
    )


async def _ledger_legs(
    session: AsyncSession, tenant_id: int, letter_ids: Sequence[int]
) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """Legs of the forwarding ledger (5a's ``core.forwardings``) that took
    these letters away, when that table exists."""
    exists = (
        await session.execute(text("SELECT to_regclass('core.forwardings') IS NOT NULL"))
    ).scalar_one()
    if not exists:
        return {}
    rows = await session.execute(
        text(
            "SELECT from_letter_id, created_at, coalesce(decided_at, completed_at) "
            "FROM core.forwardings WHERE from_tenant_id = :t AND from_letter_id = ANY(:ids)"
        ),
        {"t": tenant_id, "ids": list(letter_ids)},
    )
    legs: dict[int, list[tuple[datetime, datetime | None]]] = {}
    for letter_id, left, back in rows:
        legs.setdefault(letter_id, []).append((left, back))
    return legs


async def load_sources(
    session: AsyncSession, tenant: TenantRef, letter_ids: Sequence[int]
) -> list[FactSource]:
    """Read what the facts of ``letter_ids`` need, in a handful of queries."""
    letters = (
        await session.execute(select(*_LETTER_COLUMNS).where(Letter.id.in_(letter_ids)))
    ).mappings().all()
    if not letters:
        return []
    ids = [row["id"] for row in letters]
    events: dict[int, list[TimelineEntry]] = {}
    for letter_id, kind, created_at, data in await session.execute(
        select(LetterEvent.letter_id, LetterEvent.kind, LetterEvent.created_at, LetterEvent.data)
        .where(LetterEvent.letter_id.in_(ids))
        .order_by(LetterEvent.created_at, LetterEvent.id)
    ):
        data = data or {}
        events.setdefault(letter_id, []).append(
            TimelineEntry(kind, created_at, data.get("from"), data.get("to"))
        )
    evaluations = {
        row.letter_id: row
        for row in await session.execute(
            select(Evaluation.letter_id, Evaluation.satisfaction, Evaluation.problem_solved)
            .where(Evaluation.letter_id.in_(ids))
            .ext(distinct_on(Evaluation.letter_id))
            .order_by(Evaluation.letter_id, Evaluation.created_at.desc(), Evaluation.id.desc())
        )
    }
    unit_ids = {row["unit_id"] for row in letters if row["unit_id"]}
    units = dict(
        (await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)))).all()
    ) if unit_ids else {}
    category_ids = {row["category_id"] for row in letters if row["category_id"]}
    categories = dict(
        (
            await session.execute(
                select(Category.id, Category.name).where(Category.id.in_(category_ids))
            )
        ).all()
    ) if category_ids else {}
    legs = await _ledger_legs(session, tenant.id, ids)
    sources = []
    for row in letters:
        evaluation = evaluations.get(row["id"])
        sources.append(
            FactSource(
                tenant_id=tenant.id,
                letter=dict(row),
                events=events.get(row["id"], []),
                satisfaction=evaluation.satisfaction if evaluation else None,
                problem_solved=evaluation.problem_solved if evaluation else None,
                unit_name=units.get(row["unit_id"]),
                category_name=categories.get(row["category_id"]),
                ledger_legs=legs.get(row["id"], []),
            )
        )
    return sources


async def recompute_rollups(
    session: AsyncSession, tenant_id: int, groups: set[tuple[int, date]]
) -> None:
    if not groups:
        return
    ordered = sorted(groups)
    await session.execute(
        delete(UnitMonthlyStats).where(
            UnitMonthlyStats.tenant_id == tenant_id,
            tuple_(UnitMonthlyStats.unit_id, UnitMonthlyStats.month).in_(ordered),
        )
    )
    await session.execute(
        _ROLLUP_SQL,
        {
            "tenant_id": tenant_id,
            "units": [unit_id for unit_id, _ in ordered],
            "months": [month for _, month in ordered],
        },
    )
    # The tenant's rows of those months follow their units (a few rows each).
    months = sorted({month for _, month in ordered})
    await session.execute(
        delete(TenantMonthlyStats).where(
            TenantMonthlyStats.tenant_id == tenant_id, TenantMonthlyStats.month.in_(months)
        )
    )
    await session.execute(_TENANT_ROLLUP_SQL, {"tenant_id": tenant_id, "months": months})


async def refresh_letters(
    session: AsyncSession,
    tenant: TenantRef,
    letter_ids: Sequence[int],
    calendar: WorkCalendar,
    *,
    now: datetime | None = None,
) -> int:
    """Rebuild the facts of ``letter_ids`` and their rollups, in the caller's
    transaction (the caller commits). Returns how many facts were written."""
    if not letter_ids:
        return 0
    now = now or utcnow()
    await _lock_tenant(session, tenant.id)
    ids = sorted(set(letter_ids))
    old_groups = {
        (unit_id, month)
        for unit_id, month in await session.execute(
            select(LetterFact.unit_id, LetterFact.month).where(
                LetterFact.tenant_id == tenant.id, LetterFact.letter_id.in_(ids)
            )
        )
    }
    sources = await load_sources(session, tenant, ids)
    rows: list[dict[str, Any]] = [build_fact(s, calendar, now=now) for s in sources]
    missing = set(ids) - {row["letter_id"] for row in rows}
    if missing:
        await session.execute(
            delete(LetterFact).where(
                LetterFact.tenant_id == tenant.id, LetterFact.letter_id.in_(missing)
            )
        )
    if rows:
        statement = insert(LetterFact).values(rows)
        columns = {c: statement.excluded[c] for c in rows[0] if c not in ("tenant_id", "letter_id")}
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[LetterFact.tenant_id, LetterFact.letter_id], set_=columns
            )
        )
    new_groups = {(row["unit_id"], row["month"]) for row in rows}
    await recompute_rollups(session, tenant.id, old_groups | new_groups)
    return len(rows)


async def _changed_letter_ids(session: AsyncSession, since: datetime | None) -> list[int]:
    """Letters changed since ``since``: their row, a rating or a timeline event.

    Evaluations and events (催办) do not always touch ``letters.updated_at``.
    """
    if since is None:
        return list((await session.execute(select(Letter.id))).scalars())
    letter_ids = select(Letter.id).where(Letter.updated_at > since)
    rated = select(Evaluation.letter_id).where(Evaluation.created_at > since)
    events = select(LetterEvent.letter_id).where(LetterEvent.created_at > since)
    query = letter_ids.union(rated, events)
    return list((await session.execute(query)).scalars())


async def _rename_units(session: AsyncSession, tenant_id: int) -> None:
    """Unit renames touch no letter; copy current names into facts and rollups."""
    for table in ("letter_facts", "unit_monthly_stats"):
        await session.execute(
            text(
                f"UPDATE core.{table} AS f SET unit_name = u.name FROM units AS u "  # noqa: S608
                "WHERE f.tenant_id = :t AND f.unit_id = u.id "
                "AND f.unit_name IS DISTINCT FROM u.name"
            ),
            {"t": tenant_id},
        )


async def reconcile_tenant(
    database: Database, tenant: TenantRef, calendar: WorkCalendar, *, now: datetime | None = None
) -> int:
    """Refresh every letter of ``tenant`` changed since the last run.

    The first run (no sync row) covers all letters, in batches. Returns the
    number of facts written.
    """
    now = now or utcnow()
    async with database.core_session() as core:
        sync = await core.get(LetterFactSync, tenant.id)
        mark = sync.last_source_updated_at if sync else None
    since = mark - RECONCILE_OVERLAP if mark is not None else None
    written = 0
    async with tenant_session(database, tenant) as session:
        ids = await _changed_letter_ids(session, since)
        await session.commit()
        for start in range(0, len(ids), BATCH_SIZE):
            written += await refresh_letters(
                session, tenant, ids[start : start + BATCH_SIZE], calendar, now=now
            )
            await session.commit()
        await _lock_tenant(session, tenant.id)
        await _rename_units(session, tenant.id)
        statement = insert(LetterFactSync).values(
            tenant_id=tenant.id, last_source_updated_at=now, reconciled_at=now
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[LetterFactSync.tenant_id],
                set_={"last_source_updated_at": now, "reconciled_at": now},
            )
        )
        await session.commit()
    return written
