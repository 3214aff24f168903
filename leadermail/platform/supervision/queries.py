"""What the dashboards, the exposure page and the reports read (core only).

::

    period = Period.last_months(12)
    board = await dashboard(database, period, tenant_id=tenant.id)   # one tenant
    board = await dashboard(database, period)                        # every mailbox
    board = await dashboard(database, period, tenant_ids=ids)        # a province's tree
    board.totals.on_time_rate, board.by_month, board.by_unit, board.ranking

A few statements per dashboard whatever the number of tenants: one pass
over the rollups with GROUPING SETS (totals, months, tenants, units) —
``tenant_monthly_stats`` when no unit is shown (the province page), else
``unit_monthly_stats`` — and one count of open letters around "now", since
"overdue" changes with the clock and cannot be rolled up. That count reads
whichever side of "now" holds fewer open letters (:func:`overdue_counts`):
the past-due ones directly, or those still in time, subtracted from the
rollups' ``open_with_deadline``. All statements of one page read one
snapshot, so the subtraction is exact.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.clock import utcnow
from leadermail.platform.db import Database
from leadermail.platform.supervision.figures import (
    SUMMED,
    Dashboard,
    Figures,
    Period,
    RankedUnit,
    UnitFigures,
    UnitRanking,
    add,
    letters_received,
)

# The values live in figures.py; callers import them from here too.
__all__ = [
    "SUMMED", "Dashboard", "Figures", "Period", "RankedUnit", "UnitFigures", "UnitRanking",
    "add", "dashboard", "letters_received", "overdue_counts", "ranked_units", "unit_ranking",
]

_SUMS = ", ".join(f"sum({name})::bigint AS {name}" for name in SUMMED)

# The sums come first in every row: _figures reads them by position.
_ROLLUP = f"""
    SELECT {_SUMS}, GROUPING(month) AS g_month, GROUPING(tenant_id) AS g_tenant,
        {{unit_columns}}, month, tenant_id, {{unit_name}} AS unit_name
    FROM core.{{table}}
    WHERE month BETWEEN :first AND :last {{tenant_filter}}
    GROUP BY GROUPING SETS ({{sets}})
"""
_ALL_SETS = "(), (month), (tenant_id), (tenant_id, unit_id)"
#: The province page ranks units in SQL (ranked_units) instead of loading
#: every unit of every tenant, and reads the per-tenant rollups.
_NO_UNIT_SETS = "(), (month), (tenant_id)"

#: Open letters on one side of "now" (``{side}``: ``<`` past due, ``>=`` in
#: time), counted from the partial index alone (core 0007).
_OPEN_SIDE = """
    SELECT GROUPING(month) AS g_month, GROUPING(tenant_id) AS g_tenant,
        {unit_columns}, month, tenant_id, count(*) AS letters
    FROM core.letter_facts
    WHERE is_open AND effective_due_at {side} :now AND month BETWEEN :first AND :last
        {tenant_filter}
    GROUP BY GROUPING SETS ({sets})
"""
#: How many open letters are still in time, counting no further than :cap.
_IN_TIME_UP_TO = """
    SELECT count(*) FROM (
        SELECT 1 FROM core.letter_facts
        WHERE is_open AND effective_due_at >= :now AND month BETWEEN :first AND :last
            {tenant_filter}
        LIMIT :cap
    ) AS in_time
"""

#: Ranks every unit with ≥ :minimum letters on the keys of
#: :meth:`Dashboard.ranking` only (a few sums, not all), and returns the
#: ``shown`` best and worst; of the units below the minimum, the
#: ``shown_small`` with the most overdue letters (position 0). One pass over
#: the unit rollups serves both.
_RANKING = """
    WITH units AS (
        SELECT tenant_id, unit_id, max(unit_name) AS unit_name,
            sum(received)::bigint AS received,
            sum(replied)::bigint AS replied, sum(replied_on_time)::bigint AS replied_on_time,
            sum(evaluated)::bigint AS evaluated, sum(satisfied)::bigint AS satisfied,
            sum(open_with_deadline)::bigint AS open_with_deadline
        FROM core.unit_monthly_stats
        WHERE month BETWEEN :first AND :last AND unit_id <> 0 {tenant_filter}
        GROUP BY tenant_id, unit_id
    ), side AS (
        SELECT tenant_id, unit_id, count(*) AS letters
        FROM core.letter_facts
        WHERE is_open AND effective_due_at {side} :now AND month BETWEEN :first AND :last
            AND unit_id <> 0 {tenant_filter}
        GROUP BY tenant_id, unit_id
    ), rated AS (
        SELECT units.tenant_id, units.unit_id, units.unit_name, {overdue} AS overdue,
            units.replied_on_time::float / nullif(units.replied + {overdue}, 0) AS on_time_rate,
            units.satisfied::float / nullif(units.evaluated, 0) AS satisfaction_rate,
            units.received < :minimum AS small, units.received
        FROM units LEFT JOIN side USING (tenant_id, unit_id)
    ), eligible AS (
        SELECT * FROM rated WHERE NOT small
    ), best AS (
        SELECT * FROM eligible ORDER BY {order} LIMIT :shown
    ), worst AS (
        SELECT * FROM eligible ORDER BY {reverse} LIMIT :shown
    ), few AS (
        SELECT * FROM rated WHERE small
        ORDER BY overdue DESC, received DESC, unit_name, tenant_id, unit_id LIMIT :shown_small
    ), counted AS (
        SELECT count(*) FILTER (WHERE NOT small) AS ranked_count,
            count(*) FILTER (WHERE small) AS small_count
        FROM rated
    )
    -- Two top-N sorts instead of sorting every unit of the province.
    SELECT ranked.*, counted.ranked_count, counted.small_count FROM (
        SELECT best.*, row_number() OVER (ORDER BY {order}) AS position FROM best
        UNION
        SELECT worst.*, (SELECT ranked_count FROM counted) + 1
            - row_number() OVER (ORDER BY {reverse}) AS position
        FROM worst
        UNION ALL
        SELECT few.*, 0 AS position FROM few
    ) AS ranked CROSS JOIN counted
    ORDER BY position = 0, position, overdue DESC, received DESC, unit_name, tenant_id, unit_id
"""
_RANK_ORDER = (
    "coalesce(on_time_rate, 0) DESC, coalesce(satisfaction_rate, 0) DESC, "
    "unit_name, tenant_id, unit_id"
)
_RANK_REVERSE = (
    "coalesce(on_time_rate, 0), coalesce(satisfaction_rate, 0), "
    "unit_name DESC, tenant_id DESC, unit_id DESC"
)
#: All the figures of the units ranked_units shows.
_UNIT_FIGURES = f"""
    SELECT {_SUMS}, tenant_id, unit_id
    FROM core.unit_monthly_stats
    JOIN unnest(CAST(:tenants AS bigint[]), CAST(:units AS bigint[])) AS g(tenant_id, unit_id)
        USING (tenant_id, unit_id)
    WHERE month BETWEEN :first AND :last
    GROUP BY tenant_id, unit_id
"""


def _tenant_filter(
    params: dict[str, object], tenant_id: int | None, tenant_ids: Collection[int] | None
) -> str:
    """The ``AND …`` that keeps the statements to one mailbox (``tenant_id``)
    or to a set of them (``tenant_ids``: a province's tree); "" for all."""
    if tenant_id is not None:
        params["tenant_id"] = tenant_id
        return "AND tenant_id = :tenant_id"
    if tenant_ids is not None:
        # A semi-join rather than ``= ANY(:ids)``: a prepared statement's
        # array parameter is searched element by element for every row.
        params["tenant_ids"] = sorted(tenant_ids)
        return "AND tenant_id IN (SELECT unnest(CAST(:tenant_ids AS bigint[])))"
    return ""


async def _one_snapshot(session: AsyncSession) -> None:
    """Every later statement of this transaction reads the same snapshot
    (the overdue subtraction needs rollups and facts of one moment)."""
    await session.connection(
        execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    )


async def _count_past_due(
    session: AsyncSession, params: dict[str, object], tenant_filter: str, open_with_deadline: int
) -> bool:
    """Whether fewer open letters are past due than in time (then count those
    directly), looking at no more than half of them to find out."""
    if open_with_deadline == 0:
        return True
    cap = open_with_deadline // 2 + 1
    in_time = await session.execute(
        text(_IN_TIME_UP_TO.format(tenant_filter=tenant_filter)), {**params, "cap": cap}
    )
    return in_time.scalar_one() >= cap


async def overdue_counts(
    session: AsyncSession,
    params: dict[str, object],
    *,
    tenant_filter: str,
    sets: str,
    unit_columns: str,
    open_with_deadline: int,
) -> tuple[bool, list[Any]]:
    """Open letters on the cheaper side of ``:now``, grouped by ``sets``.

    Returns ``(past_due, rows)``: with ``past_due`` the rows count overdue
    letters; without, letters still in time, and overdue is a group's
    ``open_with_deadline`` less that. Either way the work is bounded by the
    smaller side, not by every open letter of the province.
    """
    past_due = await _count_past_due(session, params, tenant_filter, open_with_deadline)
    statement = _OPEN_SIDE.format(
        side="<" if past_due else ">=", tenant_filter=tenant_filter, sets=sets,
        unit_columns=unit_columns,
    )
    return past_due, list(await session.execute(text(statement), params))


def _figures(row: Sequence[Any]) -> Figures:
    """The figures of a row that starts with the ``SUMMED`` columns, in order
    (by position: a thousand rows by name cost ~35 ms per page). The total
    of no rows at all has NULL sums."""
    return Figures(*(value or 0 for value in row[: len(SUMMED)]))


async def dashboard(
    database: Database,
    period: Period,
    *,
    tenant_id: int | None = None,
    now: datetime | None = None,
    with_units: bool = True,
    tenant_ids: Collection[int] | None = None,
) -> Dashboard:
    """Figures of one tenant (``tenant_id``), of the tenants ``tenant_ids``
    (a province and the mailboxes below it), or of every tenant (neither).

    ``with_units=False`` leaves ``by_unit`` empty (the province page, which
    ranks units with :func:`ranked_units` instead).
    """
    if with_units:
        sets, table, unit_name = _ALL_SETS, "unit_monthly_stats", "max(unit_name)"
        unit_columns = "GROUPING(unit_id) AS g_unit, unit_id"
    else:
        sets, table, unit_name = _NO_UNIT_SETS, "tenant_monthly_stats", "NULL"
        unit_columns = "1 AS g_unit, NULL::bigint AS unit_id"
    params: dict[str, object] = {"first": period.first, "last": period.last, "now": now or utcnow()}
    tenant_filter = _tenant_filter(params, tenant_id, tenant_ids)
    totals = Figures()
    months: dict[date, Figures] = {}
    tenants: dict[int, Figures] = {}
    units: dict[tuple[int, int], UnitFigures] = {}

    def target(row: Any) -> Figures:
        if row.g_month and row.g_tenant:
            return totals
        if not row.g_month:
            return months.setdefault(row.month, Figures())
        if row.g_unit:
            return tenants.setdefault(row.tenant_id, Figures())
        key = (row.tenant_id, row.unit_id)
        if key not in units:
            units[key] = UnitFigures(row.tenant_id, row.unit_id, "未分办", Figures())
        return units[key].figures

    async with database.core_session() as session:
        await _one_snapshot(session)
        rollup = _ROLLUP.format(
            tenant_filter=tenant_filter, sets=sets, unit_columns=unit_columns, table=table,
            unit_name=unit_name,
        )
        for row in await session.execute(text(rollup), params):
            figures = _figures(row)
            if row.g_month and row.g_tenant:
                totals = figures
            elif not row.g_month:
                months[row.month] = figures
            elif row.g_unit:
                tenants[row.tenant_id] = figures
            else:
                units[(row.tenant_id, row.unit_id)] = UnitFigures(
                    row.tenant_id, row.unit_id, row.unit_name or "未分办", figures
                )
        past_due, side = await overdue_counts(
            session, params, tenant_filter=tenant_filter, sets=sets,
            unit_columns=unit_columns, open_with_deadline=totals.open_with_deadline,
        )
    if not past_due:
        for figures in (totals, *months.values(), *tenants.values()):
            figures.overdue = figures.open_with_deadline
        for unit in units.values():
            unit.figures.overdue = unit.figures.open_with_deadline
    for row in side:
        figures = target(row)
        figures.overdue = int(row.letters) if past_due else figures.overdue - int(row.letters)
    by_month = [(month, months.get(month, Figures())) for month in period.months()]
    by_unit = sorted(units.values(), key=lambda u: (u.tenant_id, -u.figures.received, u.unit_id))
    return Dashboard(period, totals, by_month, tenants, by_unit)


async def ranked_units(
    database: Database,
    period: Period,
    *,
    minimum_letters: int,
    shown: int,
    tenant_id: int | None = None,
    now: datetime | None = None,
    tenant_ids: Collection[int] | None = None,
) -> list[RankedUnit]:
    """The ``shown`` best and ``shown`` worst units with ≥ ``minimum_letters``
    letters (same order as :meth:`Dashboard.ranking`), ranked in SQL."""
    ranking = await unit_ranking(
        database, period, minimum_letters=minimum_letters, shown=shown, shown_small=0,
        tenant_id=tenant_id, now=now, tenant_ids=tenant_ids,
    )
    return ranking.ranked


async def unit_ranking(
    database: Database,
    period: Period,
    *,
    minimum_letters: int,
    shown: int,
    shown_small: int,
    tenant_id: int | None = None,
    now: datetime | None = None,
    tenant_ids: Collection[int] | None = None,
) -> UnitRanking:
    """:func:`ranked_units`, and the ``shown_small`` units with fewer than
    ``minimum_letters`` letters that have the most overdue letters
    (``tenant_id`` / ``tenant_ids`` as for :func:`dashboard`)."""
    params: dict[str, object] = {
        "first": period.first, "last": period.last, "now": now or utcnow(),
        "minimum": minimum_letters, "shown": shown, "shown_small": shown_small,
    }
    tenant_filter = _tenant_filter(params, tenant_id, tenant_ids)
    async with database.core_session() as session:
        await _one_snapshot(session)
        # Only for choosing the cheaper side (either is exact): the tenant
        # rollups, a twelfth of the rows, do (letters without a unit too).
        open_with_deadline = (
            await session.execute(
                text(
                    "SELECT coalesce(sum(open_with_deadline), 0) FROM core.tenant_monthly_stats "
                    f"WHERE month BETWEEN :first AND :last {tenant_filter}"
                ),
                params,
            )
        ).scalar_one()
        past_due = await _count_past_due(
            session, params, tenant_filter, int(open_with_deadline)
        )
        overdue = (
            "coalesce(side.letters, 0)" if past_due
            else "units.open_with_deadline - coalesce(side.letters, 0)"
        )
        ranking = _RANKING.format(
            tenant_filter=tenant_filter, side="<" if past_due else ">=", overdue=overdue,
            order=_RANK_ORDER, reverse=_RANK_REVERSE,
        )
        rows = list(await session.execute(text(ranking), params))
        figures: dict[tuple[int, int], Figures] = {}
        if rows:
            found = await session.execute(
                text(_UNIT_FIGURES),
                {
                    **params,
                    "tenants": [row.tenant_id for row in rows],
                    "units": [row.unit_id for row in rows],
                },
            )
            figures = {(row.tenant_id, row.unit_id): _figures(row) for row in found}
    result = UnitRanking()
    for row in rows:
        unit_figures = figures[(row.tenant_id, row.unit_id)]
        unit_figures.overdue = int(row.overdue)
        result.ranked_count, result.unranked_count = int(row.ranked_count), int(row.small_count)
        if row.small:
            result.unranked.append(
                UnitFigures(row.tenant_id, row.unit_id, row.unit_name or "", unit_figures)
            )
            continue
        result.ranked.append(
            RankedUnit(
                row.tenant_id, row.unit_id, row.unit_name or "", unit_figures,
                position=int(row.position), ranked_count=int(row.ranked_count),
            )
        )
    return result
