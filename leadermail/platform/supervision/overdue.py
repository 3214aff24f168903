"""Which letters of one mailbox are overdue or nearly due (the province page's drill-down).

::

    mailbox = await access_supervised_mailbox(context, staff, tenant_id)  # or MailboxNotFound
    late = await overdue_letters(context.database, mailbox, period, actor=staff_actor(staff))
    late.overdue_count, late.due_soon_count, late.rows

The province page counts from the shared-schema facts, which hold no letter
text. The list behind one mailbox's "当前超期" needs titles and tracking
codes, which only the mailbox's own schema has: it is read through the one
tenant-bound session (:func:`~leadermail.tenants.session.tenant_session`),
joined to the same facts the count came from, so the deadline is the one
supervision uses (time spent with another mailbox added, see
:mod:`.facts`). What a row carries is chosen here and nothing else leaves
the mailbox: no writer's name, phone or address, no letter body, and no
title of a 举报 (it may name the person reported). Each look is written to
the mailbox's own audit chain, so its staff can see who looked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from leadermail.platform.accounts.policy import Action, StaffUser, role_allows
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.context import AppContext
from leadermail.platform.db import Database
from leadermail.platform.deadlines.calendar import local_day
from leadermail.platform.deadlines.levels import WarningLevel, due_soon_threshold
from leadermail.platform.deadlines.policies import DeadlinePolicyError, policy_for
from leadermail.platform.forwarding.matter_index import descendant_ids
from leadermail.platform.letters.models import LETTER_TYPE_LABELS, Letter, LetterType
from leadermail.platform.letters.workflow import OPEN_STATES
from leadermail.platform.supervision.figures import Period
from leadermail.platform.supervision.models import LetterFact
from leadermail.tenants.models import TenantKind
from leadermail.tenants.registry import TenantRef
from leadermail.tenants.session import tenant_session

#: Rows listed at most (the earliest deadlines first); the counts are exact.
LIST_LIMIT = 500
#: Warning span when a tenant's deadline setting cannot be read.
_FALLBACK_THRESHOLD = timedelta(days=1)


class MailboxNotFound(LookupError):
    """No such mailbox for this user (missing and not supervised look the same)."""


async def access_supervised_mailbox(
    context: AppContext, staff: StaffUser, tenant_id: int
) -> TenantRef:
    """The mailbox ``tenant_id`` if ``staff`` supervises it, else :class:`MailboxNotFound`.

    Only a province admin signed in to a province mailbox, and only for that
    province's own mailbox or one below it (city, county, department).
    """
    if not role_allows(staff.roles, Action.PROVINCE_ADMIN):
        raise MailboxNotFound(tenant_id)
    if staff.tenant.kind != TenantKind.PROVINCE:
        raise MailboxNotFound(tenant_id)
    mailbox = await context.tenants.by_id(tenant_id)
    if mailbox is None:
        raise MailboxNotFound(tenant_id)
    if mailbox.id != staff.tenant.id and mailbox.id not in await descendant_ids(
        context, staff.tenant
    ):
        raise MailboxNotFound(tenant_id)
    return mailbox


async def supervised_mailbox_ids(context: AppContext, province: TenantRef) -> set[int]:
    """Every mailbox :func:`access_supervised_mailbox` lets ``province``'s admins open
    (for linking the page's rows; the access check itself is made per request)."""
    return {province.id} | await descendant_ids(context, province)


async def province_scope(context: AppContext, province: TenantRef) -> frozenset[int] | None:
    """The mailboxes whose figures ``province``'s dashboard and reports count:
    the same as :func:`supervised_mailbox_ids` (another province's tree, or
    a mailbox entered without a parent, is not this province's), or None
    when that is every mailbox of the deployment — the usual case, where the
    queries need no filter (``dashboard(..., tenant_ids=None)``)."""
    ids = await supervised_mailbox_ids(context, province)
    if len(ids) == len(await context.tenants.all()):
        return None
    return frozenset(ids)


@dataclass(frozen=True)
class LateLetter:
    """One row of the list: what the province may see of a letter, no more."""

    letter_id: int
    tracking_code: str
    #: None for a 举报 (its title is not shown outside the mailbox).
    title: str | None
    letter_type: str
    state: str
    unit_name: str | None
    #: The deadline supervision counts against (time spent elsewhere added).
    due_at: datetime
    #: overdue | due_soon
    level: str
    #: Calendar days past the deadline (Shanghai days; at least 1), or 0.
    days_over: int

    @property
    def letter_type_label(self) -> str:
        return LETTER_TYPE_LABELS.get(self.letter_type, self.letter_type)


@dataclass
class LateLetters:
    mailbox: TenantRef
    period: Period
    rows: list[LateLetter] = field(default_factory=list)
    overdue_count: int = 0
    due_soon_count: int = 0
    #: More letters than ``LIST_LIMIT`` were late: only the earliest are listed.
    truncated: bool = False


def _reply_threshold(settings: Mapping[str, Any], letter_type: str) -> timedelta:
    try:
        return due_soon_threshold(policy_for(settings, letter_type).reply)
    except DeadlinePolicyError:
        return _FALLBACK_THRESHOLD


def _days_over(now: datetime, due_at: datetime) -> int:
    return max((local_day(now) - local_day(due_at)).days, 1)


async def overdue_letters(
    database: Database,
    mailbox: TenantRef,
    period: Period,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> LateLetters:
    """The open letters of ``mailbox`` received in ``period`` that are past their
    deadline or nearly so (即将到期, the deadline engine's rule), earliest first.

    ``mailbox`` must come from :func:`access_supervised_mailbox`.
    """
    now = now or utcnow()
    thresholds = {str(t): _reply_threshold(mailbox.settings, t) for t in LETTER_TYPE_LABELS}
    horizon = now + max(thresholds.values())
    late = (
        LetterFact.tenant_id == mailbox.id,
        LetterFact.is_open,
        LetterFact.month.between(period.first, period.last),
        # The fact may trail the letter by a job's run: a letter answered a
        # moment ago is not listed as late.
        Letter.state.in_(OPEN_STATES),
    )
    # Facts are in ``core`` and letters in the mailbox's schema: one statement
    # in the mailbox's session reaches both (core tables are schema-qualified).
    statement = (
        select(
            Letter.id, Letter.tracking_code, Letter.title, Letter.letter_type, Letter.state,
            LetterFact.unit_name, LetterFact.effective_due_at,
        )
        .join_from(LetterFact, Letter, Letter.id == LetterFact.letter_id)
        .where(*late, LetterFact.effective_due_at < horizon)
        .order_by(LetterFact.effective_due_at, Letter.id)
        .limit(LIST_LIMIT + 1)
    )
    result = LateLetters(mailbox, period)
    async with tenant_session(database, mailbox) as session:
        rows = (await session.execute(statement)).all()
        result.truncated = len(rows) > LIST_LIMIT
        for row in rows[:LIST_LIMIT]:
            threshold = thresholds.get(row.letter_type, _FALLBACK_THRESHOLD)
            if row.effective_due_at < now:
                level = WarningLevel.OVERDUE
            elif row.effective_due_at - now <= threshold:
                level = WarningLevel.DUE_SOON
            else:
                continue
            result.rows.append(
                LateLetter(
                    letter_id=row.id,
                    tracking_code=row.tracking_code,
                    title=None if row.letter_type == LetterType.REPORT else row.title,
                    letter_type=row.letter_type,
                    state=row.state,
                    unit_name=row.unit_name,
                    due_at=row.effective_due_at,
                    level=level.value,
                    days_over=(
                        _days_over(now, row.effective_due_at)
                        if level == WarningLevel.OVERDUE else 0
                    ),
                )
            )
        result.overdue_count = sum(1 for r in result.rows if r.level == WarningLevel.OVERDUE)
        result.due_soon_count = len(result.rows) - result.overdue_count
        if result.truncated:
            result.overdue_count = (
                await session.execute(
                    select(func.count())
                    .select_from(LetterFact)
                    .join(Letter, Letter.id == LetterFact.letter_id)
                    .where(*late, LetterFact.effective_due_at < now)
                )
            ).scalar_one()
        await record_audit(
            session,
            tenant_id=mailbox.id,
            actor=actor,
            action="supervision.view_overdue_letters",
            object_type="tenant",
            object_id=mailbox.id,
            data={
                "period": [period.first.isoformat(), period.last.isoformat()],
                "letters": len(result.rows),
            },
        )
        await session.commit()
    return result
