"""Where a 转办件 came from, for the receiving mailbox's letter page.

    origin = await forwarded_from(request, session, letter)   # None: not a forwarded copy
    origin.leg, origin.sender_name, origin.origin_category, origin.history

The copy carries a code of its own (F0…); the writer knows the code of the
mailbox they wrote to, and the leg holds it, with the sender's note, the
deadline and the way to 签收 or 提出异议. The sender's category name comes
from what this mailbox kept of the copy (``forwarding.copies``), the
handling before the letter came here from the ledger and the senders'
citizen-facing timelines (``forwarding.history``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from leadermail.platform.forwarding.copies import copy_details
from leadermail.platform.forwarding.history import HistoryEntry, sender_history
from leadermail.platform.forwarding.models import Forwarding
from leadermail.platform.letters.models import Letter
from leadermail.platform.web.requests import app_context


@dataclass(frozen=True)
class ForwardedFrom:
    leg: Forwarding
    sender_name: str
    #: The sender's category of the letter (information: category lists are
    #: each mailbox's own; the copy took this mailbox's one of the same name).
    origin_category: str | None
    #: What happened at the senders before the letter came here, oldest first.
    history: list[HistoryEntry]


async def forwarded_from(
    request: Request, session: AsyncSession, letter: Letter
) -> ForwardedFrom | None:
    """The ledger row that brought ``letter`` here, if it is a forwarded copy
    (``session``: this tenant's)."""
    leg_id = (letter.extra or {}).get("forwarding_id")
    if letter.origin_tenant_id is None or not isinstance(leg_id, int):
        return None
    context = app_context(request)
    async with context.database.core_session() as core:
        leg = await core.get(Forwarding, leg_id)
    if leg is None or leg.to_tenant_id != letter.tenant_id or leg.to_letter_id != letter.id:
        return None
    sender = await context.tenants.by_id(leg.from_tenant_id)
    details = await copy_details(session, letter)
    return ForwardedFrom(
        leg,
        sender.name if sender is not None else "其他信箱",
        details.origin_category_name if details is not None else None,
        await sender_history(context, leg),
    )
