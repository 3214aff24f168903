"""What the dashboards, the exposure page and the reports read (core only).

::

    period = Period.last_months(12)
    board = await dashboard(database, period, tenant_id=tenant.id)   # one tenant
    board = await dashboard(database, period)                        # the province
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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.db import Database, utcnow
from leadermail.platform.deadlines.calendar import local_day

SUMMED = (
    "received", "accepted", "not_accepted", "replied", "replied_on_time", "closed",
    "evaluated", "satisfied", "solved_answered", "solved", "rehandled", "complaints",
    "forwarded", "assigned", "urged", "away", "handling_days_sum", "handling_count",
    "open_with_deadline",
)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Figures:
    """Summed counts of some letters, and the rates shown for them."""

    received: int = 0
    accepted: int = 0
    not_accepted: int = 0
    replied: int = 0
    replied_on_time: int = 0
    closed: int = 0
    evaluated: int = 0
    satisfied: int = 0
    solved_answered: int = 0
    solved: int = 0
    rehandled: int = 0
    complaints: int = 0
    forwarded: int = 0
    assigned: int = 0
    urged: int = 0
    away: int = 0
    handling_days_sum: int = 0
    handling_count: int = 0
    #: Open letters with a deadline (past or not): see :func:`overdue_counts`.
    open_with_deadline: int = 0
    #: Open letters past their (fairness-adjusted) deadline, now.
    overdue: int = 0

    @property
    def acceptance_rate(self) -> float | None:
        """受理率: accepted among the letters decided (accepted or refused)."""
        return _rate(self.accepted, self.accepted + self.not_accepted)

    @property
    def on_time_rate(self) -> float | None:
        """按时答复率: replies in time among replies plus letters overdue now."""
        return _rate(self.replied_on_time, self.replied + self.overdue)

    @property
    def closed_rate(self) -> float | None:
        """办结率 among accepted letters."""
        return _rate(self.closed, self.accepted)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: 满意 + 基本满意 among rated letters."""
        return _rate(self.satisfied, self.evaluated)

    @property
    def solved_rate(self) -> float | None:
        """解决率: "problem solved" among citizens who answered that question."""
        return _rate(self.solved, self.solved_answered)

    @property
    def rehandle_rate(self) -> float | None:
        """重办率 among rated letters."""
        return _rate(self.rehandled, self.evaluated)

    @property
    def average_handling_days(self) -> float | None:
        """Average working days from receipt to reply (time elsewhere left out)."""
        return self.handling_days_sum / self.handling_count if self.handling_count else None


@dataclass(frozen=True)
class Period:
    """Months ``first`` to ``last`` inclusive (first days of months)."""

    first: date
    last: date

    @classmethod
    def last_months(cls, count: int, *, today: date | None = None) -> Period:
        today = today or local_day(utcnow())
        last = today.replace(day=1)
        index = last.year * 12 + last.month - 1 - (count - 1)
        return cls(date(index // 12, index % 12 + 1, 1), last)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 1))

    @classmethod
    def month(cls, month: date) -> Period:
        return cls(month.replace(day=1), month.replace(day=1))

    @classmethod
    def parse(cls, first: str | None, last: str | None, *, default_months: int = 12) -> Period:
        """From ``YYYY-MM`` strings (query parameters); bad input → the default."""
        default = cls.last_months(default_months)
        try:
            start = date.fromisoformat(f"{first}-01") if first else default.first
            end = date.fromisoformat(f"{last}-01") if last else default.last
        except ValueError:
            return default
        if end < start or (end.year - start.year) > 10:
            return default
        return cls(start, end)

    def months(self) -> list[date]:
        result, current = [], self.first
        while current <= self.last:
            result.append(current)
            index = current.year * 12 + current.month
            current = date(index // 12, index % 12 + 1, 1)
        return result

    @property
    def label(self) -> str:
        if self.first == self.last:
            return f"{self.first.year}年{self.first.month}月"
        return (
            f"{self.first.year}年{self.first.month}月至{self.last.year}年{self.last.month}月"
        )


@dataclass
class UnitFigures:
    tenant_id: int
    unit_id: int
    unit_name: str
    figures: Figures


@dataclass
class Dashboard:
    period: Period
    totals: Figures
    by_month: list[tuple[date, Figures]]
    by_tenant: dict[int, Figures]
    by_unit: list[UnitFigures]
    generated_at: datetime = field(default_factory=utcnow)

    def ranking(self, minimum_letters: int) -> list[UnitFigures]:
        """Units with at least ``minimum_letters`` letters, best on-time rate first."""
        ranked = [u for u in self.by_unit if u.unit_id and u.figures.received >= minimum_letters]
        return sorted(
            ranked,
            key=lambda u: (
                -(u.figures.on_time_rate or 0.0),
                -(u.figures.satisfaction_rate or 0.0),
                u.unit_name,
            ),
        )

    def most_complained(self, count: int = 10) -> list[UnitFigures]:
        """被投诉较多的机关、单位 (《信访工作条例》 art. 41)."""
        units = [u for u in self.by_unit if u.unit_id and u.figures.complaints]
        return sorted(units, key=lambda u: (-u.figures.complaints, u.unit_name))[:count]


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

#: Ranks every unit on the keys of :meth:`Dashboard.ranking` only (six sums,
#: not all), and returns the ``shown`` best and worst.
_RANKING = """
    WITH units AS (
        SELECT tenant_id, unit_id, max(unit_name) AS unit_name,
            sum(replied)::bigint AS replied, sum(replied_on_time)::bigint AS replied_on_time,
            sum(evaluated)::bigint AS evaluated, sum(satisfied)::bigint AS satisfied,
            sum(open_with_deadline)::bigint AS open_with_deadline
        FROM core.unit_monthly_stats
        WHERE month BETWEEN :first AND :last AND unit_id <> 0 {tenant_filter}
        GROUP BY tenant_id, unit_id
        HAVING sum(received) >= :minimum
    ), side AS (
        SELECT tenant_id, unit_id, count(*) AS letters
        FROM core.letter_facts
        WHERE is_open AND effective_due_at {side} :now AND month BETWEEN :first AND :last
            AND unit_id <> 0 {tenant_filter}
        GROUP BY tenant_id, unit_id
    ), rated AS (
        SELECT units.tenant_id, units.unit_id, units.unit_name, {overdue} AS overdue,
            units.replied_on_time::float / nullif(units.replied + {overdue}, 0) AS on_time_rate,
            units.satisfied::float / nullif(units.evaluated, 0) AS satisfaction_rate
        FROM units LEFT JOIN side USING (tenant_id, unit_id)
    ), best AS (
        SELECT * FROM rated ORDER BY {order} LIMIT :shown
    ), worst AS (
        SELECT * FROM rated ORDER BY {reverse} LIMIT :shown
    ), counted AS (
        SELECT count(*) AS ranked_count FROM rated
    )
    -- Two top-N sorts instead of sorting every unit of the province.
    SELECT ranked.*, counted.ranked_count FROM (
        SELECT best.*, row_number() OVER (ORDER BY {order}) AS position FROM best
        UNION
        SELECT worst.*, (SELECT ranked_count FROM counted) + 1
            - row_number() OVER (ORDER BY {reverse}) AS position
        FROM worst
    ) AS ranked CROSS JOIN counted
    ORDER BY position
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
) -> Dashboard:
    """Figures of one tenant (``tenant_id``) or of every tenant (None).

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
    tenant_filter = ""
    if tenant_id is not None:
        tenant_filter = "AND tenant_id = :tenant_id"
        params["tenant_id"] = tenant_id
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


@dataclass
class RankedUnit(UnitFigures):
    position: int = 0
    ranked_count: int = 0


async def ranked_units(
    database: Database,
    period: Period,
    *,
    minimum_letters: int,
    shown: int,
    tenant_id: int | None = None,
    now: datetime | None = None,
) -> list[RankedUnit]:
    """The ``shown`` best and ``shown`` worst units with ≥ ``minimum_letters``
    letters (same order as :meth:`Dashboard.ranking`), ranked in SQL."""
    params: dict[str, object] = {
        "first": period.first, "last": period.last, "now": now or utcnow(),
        "minimum": minimum_letters, "shown": shown,
    }
    tenant_filter = ""
    if tenant_id is not None:
        tenant_filter = "AND tenant_id = :tenant_id"
        params["tenant_id"] = tenant_id
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
        ranked = list(await session.execute(text(ranking), params))
        figures: dict[tuple[int, int], Figures] = {}
        if ranked:
            rows = await session.execute(
                text(_UNIT_FIGURES),
                {
                    **params,
                    "tenants": [row.tenant_id for row in ranked],
                    "units": [row.unit_id for row in ranked],
                },
            )
            figures = {(row.tenant_id, row.unit_id): _figures(row) for row in rows}
    result = []
    for row in ranked:
        unit_figures = figures[(row.tenant_id, row.unit_id)]
        unit_figures.overdue = int(row.overdue)
        result.append(
            RankedUnit(
                row.tenant_id, row.unit_id, row.unit_name or "", unit_figures,
                position=int(row.position), ranked_count=int(row.ranked_count),
            )
        )
    return result


def add(figures: Iterable[Figures]) -> Figures:
    total = Figures()
    for item in figures:
        for f in fields(Figures):
            setattr(total, f.name, getattr(total, f.name) + getattr(item, f.name))
    return total
