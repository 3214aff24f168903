"""What happened to a forwarded letter before it reached the receiver, for the copy's page.

    entries = await sender_history(context, leg)    # oldest first
    for entry in entries: entry.at, entry.mailbox, entry.what, entry.detail

A receiving registrar wants to know when the letter was first received and
by which channel, whether the sender had accepted it, who forwarded it with
what instruction, and, along a chain (province → city → county), the same for
each mailbox on the way. That is:

* from the shared ledger (each leg from the citizen's letter down to ``leg``):
  who forwarded, when, the note and the deadline; when a middle mailbox
  received and signed for it;
* from each sender's letter, read through ``tenant_session`` of that sender:
  when it was received and by which channel (the letter the citizen wrote
  only), and the timeline events the citizen sees on the tracking page
  (``is_public``: 受理, 告知, an earlier 转办 that came back, ...) up to the
  forwarding. Internal notes, leader instructions, unit assignments' details,
  staff names other than the forwarder's and the writer's data stay with the
  sender: the citizen-facing timeline is already written for outside eyes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from leadermail.platform.context import AppContext
from leadermail.platform.forwarding.models import Forwarding
from leadermail.platform.letters.models import CHANNEL_LABELS, Letter, LetterEvent
from leadermail.tenants.session import tenant_session

#: Legs followed up a chain at most (the forwarding code refuses loops).
MAX_CHAIN = 20
#: Public events shown otherwise: "submitted" by the letter's own row
#: (with its channel), the leg's "forward" by the ledger (with the note).
_SHOWN_OTHERWISE = frozenset({"submitted"})


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    #: The mailbox it happened at.
    mailbox: str
    what: str
    detail: str | None = None


async def chain_down_to(context: AppContext, leg: Forwarding) -> list[Forwarding]:
    """The legs from the citizen's letter down to ``leg``, in order."""
    chain = [leg]
    async with context.database.core_session() as session:
        while chain[0].parent_id is not None and len(chain) < MAX_CHAIN:
            parent = await session.get(Forwarding, chain[0].parent_id)
            if parent is None:
                break
            chain.insert(0, parent)
    return chain


async def sender_history(context: AppContext, leg: Forwarding) -> list[HistoryEntry]:
    """The handling of the letter at every mailbox before ``leg``'s receiver, oldest first."""
    names = {t.id: t.name for t in await context.tenants.all()}
    entries: list[HistoryEntry] = []
    chain = await chain_down_to(context, leg)
    for position, step in enumerate(chain):
        sender_name = names.get(step.from_tenant_id, "转出机关")
        if position == 0:
            entries += await _letter_history(context, step, sender_name, with_receipt=True)
        else:
            brought = chain[position - 1]
            if brought.delivered_at is not None:
                entries.append(
                    HistoryEntry(
                        brought.delivered_at,
                        sender_name,
                        f"收到{names.get(brought.from_tenant_id, '上级机关')}转办",
                    )
                )
            if brought.accepted_at is not None and brought.accepted_at <= step.created_at:
                entries.append(HistoryEntry(brought.accepted_at, sender_name, "签收转办来信"))
            entries += await _letter_history(context, step, sender_name, with_receipt=False)
        details = [f"转办人：{step.forwarded_by_label}"]
        if step.note:
            details.append(f"转办意见：{step.note}")
        entries.append(
            HistoryEntry(
                step.created_at,
                sender_name,
                f"转办至{names.get(step.to_tenant_id, '其他机关')}",
                "；".join(details),
            )
        )
    entries.sort(key=lambda entry: entry.at)
    return entries


async def _letter_history(
    context: AppContext, step: Forwarding, sender_name: str, *, with_receipt: bool
) -> list[HistoryEntry]:
    """The sender's letter of ``step``: its receipt (the citizen's letter only)
    and its public events before the forwarding."""
    sender = await context.tenants.by_id(step.from_tenant_id)
    if sender is None:
        return []
    entries: list[HistoryEntry] = []
    async with tenant_session(context.database, sender, transaction=False) as session:
        if with_receipt:
            row = (
                await session.execute(
                    select(Letter.channel, Letter.submitted_at, Letter.received_at).where(
                        Letter.id == step.from_letter_id
                    )
                )
            ).first()
            if row is not None:
                channel, submitted_at, received_at = row
                entries.append(
                    HistoryEntry(
                        received_at or submitted_at,
                        sender_name,
                        f"收到来信（{CHANNEL_LABELS.get(channel, channel)}）",
                    )
                )
        events = (
            await session.execute(
                select(LetterEvent.kind, LetterEvent.message, LetterEvent.data,
                       LetterEvent.created_at)
                .where(
                    LetterEvent.letter_id == step.from_letter_id,
                    LetterEvent.is_public.is_(True),
                    LetterEvent.created_at <= step.created_at,
                )
                .order_by(LetterEvent.created_at, LetterEvent.id)
            )
        ).all()
    for kind, message, data, created_at in events:
        if kind in _SHOWN_OTHERWISE or (data or {}).get("forwarding_id") == step.id:
            continue
        entries.append(HistoryEntry(created_at, sender_name, message or kind))
    return entries
