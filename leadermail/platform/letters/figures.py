"""Headline figures and statistics of a tenant's mailbox, cached briefly.

    figures = await headline_figures(context.database, tenant)
    figures.letters_this_year, figures.on_time_rate, figures.satisfaction_rate

The home page shows them on every visit and must stay fast, so each worker
process keeps the result for ``CACHE_SECONDS`` (an in-process cache: no
network round trip at all; figures a minute old are fine on a public page).

Definitions (calendar year in Asia/Shanghai):

* letters this year: letters submitted since 1 January;
* on-time reply rate: of the letters replied this year, the share replied no
  later than their reply deadline;
* satisfaction rate: of this year's evaluations, the share 满意 or 基本满意.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import and_, extract, func, select

from leadermail.platform.clock import utcnow
from leadermail.platform.db import Database
from leadermail.platform.letters.models import (
    LETTER_TYPE_LABELS,
    Category,
    Evaluation,
    Letter,
    Satisfaction,
)
from leadermail.platform.web.templating import SHANGHAI
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

CACHE_SECONDS = 60.0
T = TypeVar("T")
_cache: dict[tuple[Any, ...], tuple[float, Any]] = {}
_generation = 0  # bumped by clear_cache()


async def cached(
    key: tuple[Any, ...], loader: Callable[[], Awaitable[T]], ttl: float = CACHE_SECONDS
) -> T:
    """``loader()``'s result, kept in this process for ``ttl`` seconds."""
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]  # type: ignore[no-any-return]
    generation = _generation
    value = await loader()
    if generation != _generation:
        # Cleared while loading (public_changes): this may predate the change.
        return value
    if len(_cache) > 10_000:  # many distinct searches: start again rather than grow
        _cache.clear()
    _cache[key] = (now + ttl, value)
    return value


def clear_cache() -> None:
    """Forget everything, including what is being loaded right now."""
    global _generation
    _generation += 1
    _cache.clear()


def year_start(moment: datetime | None = None) -> datetime:
    local = (moment or utcnow()).astimezone(SHANGHAI)
    return datetime(local.year, 1, 1, tzinfo=SHANGHAI).astimezone(UTC)


@dataclass(frozen=True)
class Figures:
    year: int
    letters_this_year: int
    replied_this_year: int
    replied_on_time: int
    evaluations: int
    satisfied: int

    @property
    def on_time_rate(self) -> float | None:
        return self.replied_on_time / self.replied_this_year if self.replied_this_year else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.evaluations if self.evaluations else None


async def _load_figures(database: Database, tenant: TenantRef) -> Figures:
    start = year_start()
    async with tenant_session(database, tenant) as session:
        letters = (
            await session.execute(
                select(
                    func.count().filter(Letter.submitted_at >= start),
                    func.count().filter(Letter.replied_at >= start),
                    func.count().filter(
                        and_(Letter.replied_at >= start, Letter.replied_at <= Letter.reply_due_at)
                    ),
                )
            )
        ).one()
        evaluations = (
            await session.execute(
                select(
                    func.count(),
                    func.count().filter(
                        Evaluation.satisfaction.in_(
                            [Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED]
                        )
                    ),
                ).where(Evaluation.created_at >= start)
            )
        ).one()
    return Figures(
        year=start.astimezone(SHANGHAI).year,
        letters_this_year=letters[0],
        replied_this_year=letters[1],
        replied_on_time=letters[2],
        evaluations=evaluations[0],
        satisfied=evaluations[1],
    )


async def headline_figures(database: Database, tenant: TenantRef) -> Figures:
    return await cached(("figures", tenant.id), lambda: _load_figures(database, tenant))


@dataclass(frozen=True)
class Statistics:
    figures: Figures
    by_type: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    by_month: list[tuple[int, int]]


async def _load_statistics(database: Database, tenant: TenantRef) -> Statistics:
    figures = await headline_figures(database, tenant)
    start = year_start()
    month = extract("month", func.timezone("Asia/Shanghai", Letter.submitted_at))
    async with tenant_session(database, tenant) as session:
        by_type = (
            await session.execute(
                select(Letter.letter_type, func.count())
                .where(Letter.submitted_at >= start)
                .group_by(Letter.letter_type)
            )
        ).all()
        by_category = (
            await session.execute(
                select(Category.name, func.count(Letter.id))
                .join(Letter, Letter.category_id == Category.id)
                .where(Letter.submitted_at >= start)
                .group_by(Category.name)
                .order_by(func.count(Letter.id).desc())
            )
        ).all()
        by_month = (
            await session.execute(
                select(month, func.count())
                .where(Letter.submitted_at >= start)
                .group_by(month)
                .order_by(month)
            )
        ).all()
    counts = dict(by_type)
    return Statistics(
        figures=figures,
        by_type=[(label, counts.get(key, 0)) for key, label in LETTER_TYPE_LABELS.items()],
        by_category=[(name, count) for name, count in by_category],
        by_month=[(int(m), count) for m, count in by_month],
    )


async def statistics(database: Database, tenant: TenantRef) -> Statistics:
    return await cached(("statistics", tenant.id), lambda: _load_statistics(database, tenant))
