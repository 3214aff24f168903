"""Jobs run when a letter arrives: routing, then the duplicate check.

The submission service adds both in its transaction::

    enqueue_arrival_jobs(session, tenant.id, letter.id)

(or calls :func:`leadermail.platform.routing.apply.apply_routing` inline and
enqueues only ``flag_duplicate_letters``). Both jobs are safe to run twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.audit.writer import Actor
from leadermail.platform.context import AppContext
from leadermail.platform.jobs.outbox import enqueue
from leadermail.platform.letters.duplicates import flag_duplicates
from leadermail.platform.letters.models import Letter
from leadermail.platform.routing.apply import apply_routing
from leadermail.tenants.session import tenant_session

ROUTING_ACTOR = Actor.system("分办规则")


def enqueue_arrival_jobs(session: AsyncSession, tenant_id: int, letter_id: int) -> None:
    enqueue(session, "route_new_letter", tenant_id=tenant_id, letter_id=letter_id)
    enqueue(session, "flag_duplicate_letters", tenant_id=tenant_id, letter_id=letter_id)
    enqueue(session, "flag_matter_in_progress", tenant_id=tenant_id, letter_id=letter_id)


async def route_new_letter(
    ctx: dict[str, Any], *, tenant_id: int, letter_id: int
) -> dict[str, Any]:
    app: AppContext = ctx["app"]
    tenant = await app.tenants.by_id(tenant_id)
    if tenant is None:
        return {"skipped": "no such tenant"}
    async with tenant_session(app.database, tenant) as session:
        letter = await session.get(Letter, letter_id, with_for_update=True)
        if letter is None:
            return {"skipped": "no such letter"}
        outcome = await apply_routing(session, tenant, letter, ROUTING_ACTOR)
        await session.commit()
    return {**outcome.as_dict(), "already_routed": outcome.already_routed}


async def flag_duplicate_letters(ctx: dict[str, Any], *, tenant_id: int, letter_id: int) -> int:
    app: AppContext = ctx["app"]
    tenant = await app.tenants.by_id(tenant_id)
    if tenant is None:
        return 0
    async with tenant_session(app.database, tenant) as session:
        letter = await session.get(Letter, letter_id)
        if letter is None:
            return 0
        created = await flag_duplicates(session, letter)
        await session.commit()
    return len(created)


JOBS = [route_new_letter, flag_duplicate_letters]
CRON_JOBS: list[Any] = []
