"""What the supervision pages show: summed counts, their rates, periods.

::

    period = Period.last_months(12)   # or Period.year(2026), Period.parse("2026-01", "2026-06")
    figures.on_time_rate, figures.satisfaction_rate, figures.average_handling_days
    letters_received(figures, once=True)   # a province total: a forwarded letter once
    board.by_month, board.by_tenant, board.ranking(minimum_letters=10)
    board.mailbox_ranking(minimum_letters=10)

Plain values, filled by :mod:`leadermail.platform.supervision.queries` and
cached as JSON by :mod:`leadermail.platform.supervision.cache`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime

from leadermail.platform.clock import utcnow
from leadermail.platform.deadlines.calendar import local_day

SUMMED = (
    "received", "accepted", "not_accepted", "replied", "replied_on_time", "closed",
    "evaluated", "satisfied", "solved_answered", "solved", "rehandled", "complaints",
    "forwarded", "assigned", "urged", "away", "handling_days_sum", "handling_count",
    "open_with_deadline", "forwarded_in",
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
    #: Of ``received``: copies that came in from another mailbox (转办, appeals).
    forwarded_in: int = 0
    #: Open letters past their (fairness-adjusted) deadline, now.
    overdue: int = 0

    @property
    def received_once(self) -> int:
        """Letters counted once across mailboxes (全省来信总量): a copy forwarded
        from one mailbox to another is the letter its original already counts."""
        return self.received - self.forwarded_in

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


def letters_received(figures: Figures, *, once: bool) -> int:
    """来信 as a page or report shows it. ``once``: a total across mailboxes
    (a province's, or its months), where a copy forwarded from one mailbox to
    another is the letter its original already counts
    (:attr:`Figures.received_once`); without, a mailbox's or a unit's own
    count, every letter it received. The dashboards and the reports both
    call this, so their totals agree."""
    return figures.received_once if once else figures.received


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

    def mailbox_ranking(self, minimum_letters: int) -> list[int]:
        """Ids of the mailboxes with at least ``minimum_letters`` letters, best
        first: on-time rate, then fewer letters overdue now, then satisfaction
        rate (ties by id, so the order is stable). Position = index + 1.

        Ids rather than objects: a province page that keeps 1,000 more
        objects alive per request triggers full garbage collections (~100 ms
        each at 5M letters) twice as often (measured with the benchmark).
        """
        by_tenant = self.by_tenant

        def key(tenant_id: int) -> tuple[float, int, float, int]:
            figures = by_tenant[tenant_id]
            return (
                -(figures.on_time_rate or 0.0),
                figures.overdue,
                -(figures.satisfaction_rate or 0.0),
                tenant_id,
            )

        eligible = [t for t, f in by_tenant.items() if f.received >= minimum_letters]
        return sorted(eligible, key=key)

    def most_complained(self, count: int = 10) -> list[UnitFigures]:
        """被投诉较多的机关、单位 (《信访工作条例》 art. 41)."""
        units = [u for u in self.by_unit if u.unit_id and u.figures.complaints]
        return sorted(units, key=lambda u: (-u.figures.complaints, u.unit_name))[:count]


@dataclass
class RankedUnit(UnitFigures):
    position: int = 0
    ranked_count: int = 0


@dataclass
class UnitRanking:
    """The ranked units (best and worst ``shown``) and those with too few
    letters to rank, which are listed with their figures instead."""

    ranked: list[RankedUnit] = field(default_factory=list)
    #: Units below the minimum, most overdue letters first (``shown_small`` of them).
    unranked: list[UnitFigures] = field(default_factory=list)
    ranked_count: int = 0
    unranked_count: int = 0


def add(figures: Iterable[Figures]) -> Figures:
    total = Figures()
    for item in figures:
        for f in fields(Figures):
            setattr(total, f.name, getattr(total, f.name) + getattr(item, f.name))
    return total
