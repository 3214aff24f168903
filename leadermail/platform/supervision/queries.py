"""What the dashboards, the exposure page and the reports read (core only).

::

    period = Period.last_months(12)
    board = await dashboard(database, period, tenant_id=tenant.id)   # one tenant
    board = await dashboard(database, period)                        # the province
    board.totals.on_time_rate, board.by_month, board.by_unit, board.ranking

Two statements per dashboard whatever the number of tenants: one pass over
``unit_monthly_stats`` with GROUPING SETS (totals, months, tenants, units)
and one over the *open* letters past their deadline (a partial index), since
"overdue" changes with the clock and cannot be rolled up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime

from sqlalchemy import text

from leadermail.platform.db import Database, utcnow
from leadermail.platform.deadlines.calendar import local_day

SUMMED = (
    "received", "accepted", "not_accepted", "replied", "replied_on_time", "closed",
    "evaluated", "satisfied", "solved_answered", "solved", "rehandled", "complaints",
    "forwarded", "assigned", "urged", "away", "handling_days_sum", "handling_count",
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

_ROLLUP = f"""
    SELECT GROUPING(month) AS g_month, GROUPING(tenant_id) AS g_tenant,
        {{unit_columns}}, month, tenant_id, max(unit_name) AS unit_name, {_SUMS}
    FROM core.unit_monthly_stats
    WHERE month BETWEEN :first AND :last {{tenant_filter}}
    GROUP BY GROUPING SETS ({{sets}})
"""

_OVERDUE = """
    SELECT GROUPING(month) AS g_month, GROUPING(tenant_id) AS g_tenant,
        {unit_columns}, month, tenant_id, count(*) AS overdue
    FROM core.letter_facts
    WHERE is_open AND effective_due_at < :now AND month BETWEEN :first AND :last
        {tenant_filter}
    GROUP BY GROUPING SETS ({sets})
"""
_ALL_SETS = "(), (month), (tenant_id), (tenant_id, unit_id)"
#: The province page ranks units in SQL (ranked_units) instead of loading
#: every unit of every tenant.
_NO_UNIT_SETS = "(), (month), (tenant_id)"

_RANKING = f"""
    WITH units AS (
        SELECT tenant_id, unit_id, max(unit_name) AS unit_name, {_SUMS}
        FROM core.unit_monthly_stats
        WHERE month BETWEEN :first AND :last AND unit_id <> 0 {{tenant_filter}}
        GROUP BY tenant_id, unit_id
        HAVING sum(received) >= :minimum
    ), late AS (
        SELECT tenant_id, unit_id, count(*) AS overdue
        FROM core.letter_facts
        WHERE is_open AND effective_due_at < :now AND month BETWEEN :first AND :last
            AND unit_id <> 0 {{tenant_filter}}
        GROUP BY tenant_id, unit_id
    ), rated AS (
        SELECT units.*, coalesce(late.overdue, 0) AS overdue,
            units.replied_on_time::float
                / nullif(units.replied + coalesce(late.overdue, 0), 0) AS on_time_rate,
            units.satisfied::float / nullif(units.evaluated, 0) AS satisfaction_rate
        FROM units LEFT JOIN late USING (tenant_id, unit_id)
    ), ranked AS (
        SELECT rated.*, row_number() OVER (
                ORDER BY coalesce(on_time_rate, 0) DESC, coalesce(satisfaction_rate, 0) DESC,
                    unit_name, tenant_id, unit_id) AS position,
            count(*) OVER () AS ranked_count
        FROM rated
    )
    SELECT * FROM ranked WHERE position <= :shown OR position > ranked_count - :shown
    ORDER BY position
"""


def _figures(row: object) -> Figures:
    return Figures(**{name: int(getattr(row, name) or 0) for name in SUMMED})


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
    sets = _ALL_SETS if with_units else _NO_UNIT_SETS
    unit_columns = (
        "GROUPING(unit_id) AS g_unit, unit_id" if with_units
        else "1 AS g_unit, NULL::bigint AS unit_id"
    )
    params: dict[str, object] = {"first": period.first, "last": period.last, "now": now or utcnow()}
    tenant_filter = ""
    if tenant_id is not None:
        tenant_filter = "AND tenant_id = :tenant_id"
        params["tenant_id"] = tenant_id
    totals = Figures()
    months: dict[date, Figures] = {}
    tenants: dict[int, Figures] = {}
    units: dict[tuple[int, int], UnitFigures] = {}
    async with database.core_session() as session:
        rollup = _ROLLUP.format(
            tenant_filter=tenant_filter, sets=sets, unit_columns=unit_columns
        )
        rows = await session.execute(text(rollup), params)
        for row in rows:
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
        late = _OVERDUE.format(
            tenant_filter=tenant_filter, sets=sets, unit_columns=unit_columns
        )
        overdue = await session.execute(text(late), params)
        for row in overdue:
            if row.g_month and row.g_tenant:
                target = totals
            elif not row.g_month:
                target = months.setdefault(row.month, Figures())
            elif row.g_unit:
                target = tenants.setdefault(row.tenant_id, Figures())
            else:
                key = (row.tenant_id, row.unit_id)
                if key not in units:
                    units[key] = UnitFigures(row.tenant_id, row.unit_id, "未分办", Figures())
                target = units[key].figures
            target.overdue = int(row.overdue)
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
        rows = await session.execute(text(_RANKING.format(tenant_filter=tenant_filter)), params)
        result = []
        for row in rows:
            figures = _figures(row)
            figures.overdue = int(row.overdue)
            result.append(
                RankedUnit(
                    row.tenant_id, row.unit_id, row.unit_name or "", figures,
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
