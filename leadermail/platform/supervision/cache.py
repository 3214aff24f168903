"""A short-lived Redis cache for the province dashboard's figures.

Figures reach the aggregates through jobs anyway (seconds to minutes
behind the letters), so serving them up to ``TTL_SECONDS`` old costs
nothing in truth and spares the database one scan of every unit of every
tenant per page view::

    board, units = await province_figures(database, redis, period, tenant_ids=ids,
                                          minimum_letters=10, shown=20, shown_small=50)
    units.ranked, units.unranked

Stored as JSON (never pickle), rebuilt into the same dataclasses.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from redis.asyncio import Redis

from leadermail.platform.db import Database
from leadermail.platform.supervision.queries import (
    Dashboard,
    Figures,
    Period,
    RankedUnit,
    UnitFigures,
    UnitRanking,
    dashboard,
    unit_ranking,
)

log = logging.getLogger(__name__)

TTL_SECONDS = 60
_KEY = (
    "leadermail:supervision:province:{scope}:{first}:{last}:{minimum}:{shown}:{shown_small}"
)


def _scope_key(tenant_ids: Collection[int] | None) -> str:
    """Names the set of mailboxes counted: another tree, or a mailbox added
    to this one, is another entry."""
    if tenant_ids is None:
        return "all"
    joined = ",".join(str(t) for t in sorted(tenant_ids))
    return hashlib.sha256(joined.encode()).hexdigest()[:24]


def _dump(board: Dashboard, units: UnitRanking) -> str:
    return json.dumps(
        {
            "period": [board.period.first.isoformat(), board.period.last.isoformat()],
            "generated_at": board.generated_at.isoformat(),
            "totals": asdict(board.totals),
            "by_month": [[m.isoformat(), asdict(f)] for m, f in board.by_month],
            "by_tenant": [[t, asdict(f)] for t, f in board.by_tenant.items()],
            "units": asdict(units),
        },
        ensure_ascii=False,
    )


def _load(raw: bytes | str) -> tuple[Dashboard, UnitRanking]:
    data: dict[str, Any] = json.loads(raw)
    first, last = (date.fromisoformat(d) for d in data["period"])
    board = Dashboard(
        period=Period(first, last),
        totals=Figures(**data["totals"]),
        by_month=[(date.fromisoformat(m), Figures(**f)) for m, f in data["by_month"]],
        by_tenant={int(t): Figures(**f) for t, f in data["by_tenant"]},
        by_unit=[],
        generated_at=datetime.fromisoformat(data["generated_at"]),
    )
    units = data["units"]
    ranking = UnitRanking(
        ranked=[
            RankedUnit(**{**r, "figures": Figures(**r["figures"])}) for r in units["ranked"]
        ],
        unranked=[
            UnitFigures(**{**u, "figures": Figures(**u["figures"])}) for u in units["unranked"]
        ],
        ranked_count=units["ranked_count"],
        unranked_count=units["unranked_count"],
    )
    return board, ranking


async def province_figures(
    database: Database,
    redis: Redis | None,
    period: Period,
    *,
    minimum_letters: int,
    shown: int,
    shown_small: int,
    tenant_ids: Collection[int] | None = None,
) -> tuple[Dashboard, UnitRanking]:
    """The province dashboard's figures, from the cache when fresh enough.

    ``tenant_ids``: the mailboxes counted (the province's tree), None for all.
    ``redis=None`` always computes (the benchmark's cold mode, tests).
    """
    key = _KEY.format(
        scope=_scope_key(tenant_ids), first=period.first.isoformat(), last=period.last.isoformat(),
        minimum=minimum_letters, shown=shown, shown_small=shown_small,
    )
    if redis is not None:
        try:
            raw = await redis.get(key)
            if raw is not None:
                return _load(raw)
        except Exception:  # Redis away: compute, as without a cache
            log.warning("supervision cache unavailable", exc_info=True)
    board = await dashboard(database, period, with_units=False, tenant_ids=tenant_ids)
    units = await unit_ranking(
        database, period, minimum_letters=minimum_letters, shown=shown, shown_small=shown_small,
        tenant_ids=tenant_ids,
    )
    if redis is not None:
        try:
            await redis.set(key, _dump(board, units), ex=TTL_SECONDS)
        except Exception:
            log.warning("supervision cache unavailable", exc_info=True)
    return board, units
