"""Art. 19 and art. 36 at intake: flag a new letter on a matter already handled.

Run on every new letter (job ``flag_matter_in_progress``, enqueued on arrival
by whoever creates the letter)::

    match = await find_matter_in_progress(context, tenant, letter)
    if match: ...   # match.kind is "in_progress" (art. 19) or "final" (art. 36)

"The same matter" is the same writer (same phone or ID number, compared as
keyed hashes) with similar text (the duplicate detector's measure). A matter
is "in progress" when

* this tenant (or the chain it heads) forwarded such a letter down and the
  leg is still open (``source="forwarded"``, from the ledger), or
* a tenant below this one (any descendant) has such a letter the citizen
  wrote to it directly and still has it in hand (``source="below"``, from
  ``core.open_matters``, see :mod:`matter_index`).

It is "final" when the same writer's matter went through 复核. The new letter
is not opened as a second case: it gets a flag in ``extra`` and a timeline
event; staff link it to the matter in hand (:mod:`matter_links`) or answer it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from leadermail.platform.appeals.models import Appeal
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding.matter_index import key_filter, open_matters_below
from leadermail.platform.forwarding.matters import (
    SIMILARITY_THRESHOLD,
    fingerprint,
    letter_text,
    similarity,
    writer_keys,
)
from leadermail.platform.forwarding.models import OPEN_STATUSES, Forwarding
from leadermail.platform.letters.models import Letter
from leadermail.platform.letters.workflow import STATE_LABELS, add_timeline_event
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session


@dataclass(frozen=True)
class MatterMatch:
    kind: str  # "in_progress" | "final"
    similarity: float
    handled_by_tenant_id: int
    forwarding_id: int | None = None
    appeal_id: int | None = None
    tracking_code: str | None = None
    #: "forwarded" (a leg this tenant's chain sent down), "below" (a letter
    #: written to a descendant directly) or "appeal".
    source: str = "forwarded"
    #: For "below": the letter in ``handled_by_tenant_id`` and its state.
    matter_letter_id: int | None = None
    state: str | None = None


async def find_matter_in_progress(
    context: AppContext, tenant: TenantRef, letter: Letter
) -> MatterMatch | None:
    """The matter ``letter`` repeats, if one is handled below or final; else None."""
    secret = context.settings.secret_key
    keys = writer_keys(secret, letter.writer_phone, letter.writer_id_number)
    if not keys.any():
        return None
    mark = fingerprint(secret, letter_text(letter.title, letter.body))
    async with context.database.core_session() as session:
        appeals = (
            (
                await session.execute(
                    select(Appeal).where(Appeal.is_final, key_filter(Appeal, keys))
                )
            )
            .scalars()
            .all()
        )
        legs = (
            (
                await session.execute(
                    select(Forwarding).where(
                        Forwarding.status.in_(OPEN_STATUSES),
                        or_(
                            Forwarding.from_tenant_id == tenant.id,
                            Forwarding.root_tenant_id == tenant.id,
                        ),
                        key_filter(Forwarding, keys),
                    )
                )
            )
            .scalars()
            .all()
        )
    best: MatterMatch | None = None
    for appeal in appeals:
        score = similarity(mark, appeal.fingerprint)
        if score >= SIMILARITY_THRESHOLD and (best is None or score > best.similarity):
            best = MatterMatch(
                "final",
                score,
                appeal.to_tenant_id,
                appeal_id=appeal.id,
                tracking_code=appeal.tracking_code,
                source="appeal",
            )
    if best is not None:
        return best
    for leg in legs:
        if leg.from_tenant_id == tenant.id and leg.from_letter_id == letter.id:
            continue  # the letter's own forwarding
        score = similarity(mark, leg.fingerprint)
        if score >= SIMILARITY_THRESHOLD and (best is None or score > best.similarity):
            best = MatterMatch(
                "in_progress",
                score,
                leg.to_tenant_id,
                forwarding_id=leg.id,
                tracking_code=leg.tracking_code,
            )
    for matter in await open_matters_below(context, tenant, keys):
        score = similarity(mark, matter.fingerprint)
        if score >= SIMILARITY_THRESHOLD and (best is None or score > best.similarity):
            best = MatterMatch(
                "in_progress",
                score,
                matter.tenant_id,
                tracking_code=matter.tracking_code,
                source="below",
                matter_letter_id=matter.letter_id,
                state=matter.state,
            )
    return best


async def flag_matter_in_progress(ctx: dict[str, Any], *, tenant_id: int, letter_id: int) -> str:
    """Job: flag ``letter_id`` if it repeats a matter handled below or closed for good."""
    context: AppContext = ctx["app"]
    tenant = await context.tenants.by_id(tenant_id)
    if tenant is None:
        return "no tenant"
    async with tenant_session(context.database, tenant) as session, session.begin():
        letter = await session.get(Letter, letter_id, with_for_update=True)
        if letter is None or "matter_flag" in (letter.extra or {}):
            return "nothing to do"
        match = await find_matter_in_progress(context, tenant, letter)
        if match is None:
            return "no match"
        holder = await context.tenants.by_id(match.handled_by_tenant_id)
        holder_name = holder.name if holder else "下级机关"
        if match.kind == "final":
            message = (
                f"该来信反映的事项已经复核终结（复核机关：{holder_name}），"
                "依《信访工作条例》第三十六条不再受理"
            )
        elif match.source == "below":
            state = STATE_LABELS.get(match.state or "", match.state or "")
            message = (
                f"该来信反映的事项来信人已向{holder_name}反映，正在办理（当前状态：{state}），"
                "依《信访工作条例》第十九条不另行立案，请关联至该事项"
            )
        else:
            message = (
                f"该来信反映的事项正由{holder_name}办理（转办编号 {match.forwarding_id}），"
                "依《信访工作条例》第十九条不另行立案，请并入原件跟踪"
            )
        extra = dict(letter.extra or {})
        extra["matter_flag"] = {
            "kind": match.kind,
            "source": match.source,
            "forwarding_id": match.forwarding_id,
            "appeal_id": match.appeal_id,
            "handled_by_tenant_id": match.handled_by_tenant_id,
            "matter_letter_id": match.matter_letter_id,
            "similarity": round(match.similarity, 3),
            "label": "不再受理" if match.kind == "final" else "同一事项正在办理",
        }
        letter.extra = extra
        actor = Actor.system()
        await add_timeline_event(
            session, letter, "matter_flagged", actor, message=message, data=extra["matter_flag"]
        )
        await record_audit(
            session,
            tenant_id=tenant.id,
            actor=actor,
            action="letter.matter_flagged",
            object_type="letter",
            object_id=letter.id,
            data=extra["matter_flag"],
        )
    return match.kind
