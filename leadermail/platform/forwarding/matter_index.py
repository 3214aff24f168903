"""The shared index of open matters (``core.open_matters``) and its queries.

Kept in step by one job, enqueued when a letter is submitted and whenever a
transition moves it into or out of ``workflow.MATTER_OPEN_STATES``
(:mod:`leadermail.platform.forwarding.matter_events`)::

    await refresh_open_matter({"app": context}, tenant_id=county.id, letter_id=letter.id)

and read by the art. 19 intake check of an upper tenant, which looks at its
descendants only (province → city → county, and departments under their
parent) and never opens their schemas::

    rows = await open_matters_below(context, province, keys)

A tenant's own letters are not looked up here: inside one mailbox the
duplicate detector (``letters.duplicates``) does that job.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert

from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding.matters import (
    WriterKeys,
    fingerprint,
    letter_text,
    writer_keys,
)
from leadermail.platform.forwarding.models import OpenMatter
from leadermail.platform.letters.models import Channel, Letter
from leadermail.platform.letters.workflow import MATTER_OPEN_STATES
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session


def is_open_matter(letter: Letter) -> bool:
    """A letter the citizen wrote to this tenant, still in someone's hands.

    Copies made by forwarding or appeals are left out: the ledger row of their
    leg already stands for them (and they carry no ID number to key on).
    """
    return letter.channel != Channel.FORWARDED and letter.state in MATTER_OPEN_STATES


async def refresh_open_matter(ctx: dict[str, Any], *, tenant_id: int, letter_id: int) -> str:
    """Job: make the letter's index row agree with the letter. Returns what it did."""
    context: AppContext = ctx["app"]
    tenant = await context.tenants.by_id(tenant_id)
    if tenant is None:
        return "no tenant"
    secret = context.settings.secret_key
    async with tenant_session(context.database, tenant) as session, session.begin():
        # The letter's row lock orders this job after the transaction that
        # changed the letter, and two runs of it one after the other.
        letter = await session.get(Letter, letter_id, with_for_update=True)
        keys = (
            writer_keys(secret, letter.writer_phone, letter.writer_id_number)
            if letter is not None
            else WriterKeys(None, None)
        )
        if letter is None or not keys.any() or not is_open_matter(letter):
            row = await session.get(OpenMatter, (tenant_id, letter_id))
            if row is None:
                return "not indexed"
            await session.delete(row)
            return "removed"
        values = {
            "tracking_code": letter.tracking_code,
            "state": letter.state,
            "writer_phone_key": keys.phone,
            "writer_id_key": keys.id_number,
            "fingerprint": fingerprint(secret, letter_text(letter.title, letter.body)),
            "submitted_at": letter.submitted_at or letter.created_at,
            "updated_at": utcnow(),
        }
        await session.execute(
            insert(OpenMatter)
            .values(tenant_id=tenant_id, letter_id=letter_id, **values)
            .on_conflict_do_update(index_elements=["tenant_id", "letter_id"], set_=values)
        )
    return "indexed"


@dataclass(frozen=True)
class ReindexResult:
    """What one tenant's rebuild did (``leadermail matters reindex`` prints it)."""

    #: Letters looked at: the open ones, and those with a row left in the index.
    letters: int = 0
    indexed: int = 0
    removed: int = 0

    @property
    def skipped(self) -> int:
        """Open letters without a phone or ID number to key on: not indexed."""
        return self.letters - self.indexed - self.removed


async def reindex_tenant(context: AppContext, tenant: TenantRef) -> ReindexResult:
    """Rebuild ``tenant``'s part of the index from its letters (a backfill, or a
    repair after lost jobs; the job keeps it in step otherwise)::

        result = await reindex_tenant(context, tenant)   # ReindexResult(letters=12, ...)

    Every open letter is indexed, and every row whose letter is no longer open
    (or gone) is removed; each through the job itself, so a rebuild running
    next to the worker agrees with it.
    """
    async with tenant_session(context.database, tenant) as session:
        open_ids = set(
            await session.scalars(
                select(Letter.id).where(
                    Letter.state.in_(MATTER_OPEN_STATES), Letter.channel != Channel.FORWARDED
                )
            )
        )
    async with context.database.core_session() as session:
        indexed_ids = set(
            await session.scalars(
                select(OpenMatter.letter_id).where(OpenMatter.tenant_id == tenant.id)
            )
        )
    outcomes: Counter[str] = Counter()
    for letter_id in sorted(open_ids | indexed_ids):
        outcome = await refresh_open_matter(
            {"app": context}, tenant_id=tenant.id, letter_id=letter_id
        )
        outcomes[outcome] += 1
    return ReindexResult(
        letters=sum(outcomes.values()), indexed=outcomes["indexed"], removed=outcomes["removed"]
    )


async def descendant_ids(context: AppContext, tenant: TenantRef) -> set[int]:
    """Every tenant below ``tenant`` in the tree (from the in-memory directory)."""
    children: dict[int, list[int]] = defaultdict(list)
    for other in await context.tenants.all():
        if other.parent_id is not None:
            children[other.parent_id].append(other.id)
    found: set[int] = set()
    todo = list(children.get(tenant.id, ()))
    while todo:
        current = todo.pop()
        if current in found or current == tenant.id:
            continue  # a cycle in bad data must not loop forever
        found.add(current)
        todo.extend(children.get(current, ()))
    return found


def key_filter(model: Any, keys: WriterKeys) -> Any:
    """Rows of the same writer: same phone key or same ID-number key."""
    conditions = []
    if keys.phone:
        conditions.append(model.writer_phone_key == keys.phone)
    if keys.id_number:
        conditions.append(model.writer_id_key == keys.id_number)
    return or_(*conditions)


async def open_matters_below(
    context: AppContext, tenant: TenantRef, keys: WriterKeys
) -> list[OpenMatter]:
    """The same writer's open matters in ``tenant``'s descendants."""
    if not keys.any():
        return []
    below = await descendant_ids(context, tenant)
    if not below:
        return []
    async with context.database.core_session() as session:
        return list(
            (
                await session.execute(
                    select(OpenMatter).where(
                        key_filter(OpenMatter, keys), OpenMatter.tenant_id.in_(below)
                    )
                )
            ).scalars()
        )


async def open_matter(context: AppContext, tenant_id: int, letter_id: int) -> OpenMatter | None:
    async with context.database.core_session() as session:
        return await session.get(OpenMatter, (tenant_id, letter_id))
