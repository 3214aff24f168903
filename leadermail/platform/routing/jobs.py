"""Jobs run when a letter arrives: routing, then the duplicate and art. 19
checks. The submission service writes them in the statement that writes the
letter::

    jobs = [LetterJob(name) for name in ARRIVAL_JOBS]

All are safe to run twice.
"""

from __future__ import annotations

from typing import Any

from leadermail.platform.audit.writer import Actor
from leadermail.platform.context import AppContext
from leadermail.platform.letters.duplicates import flag_duplicates
from leadermail.platform.letters.models import Letter
from leadermail.platform.routing.apply import apply_routing
from leadermail.tenants.session import tenant_session

ROUTING_ACTOR = Actor.system("分办规则")


#: In this order: routing first, then the duplicate and art. 19 checks.
ARRIVAL_JOBS = ("route_new_letter", "flag_duplicate_letters", "flag_matter_in_progress")


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
