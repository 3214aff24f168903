"""Duty roster verbs: save a rota, who is on duty, inbox visits, handover, the log.

    await save_rota(session, tenant_id=tenant.id, entries=entries, actor=actor)
    now_shift = await shift_at(session, utcnow())
    await note_inbox_opened(session, staff)          # the inbox page calls this
    order = await duty_inbox_filter(session, staff)  # new letters first when on duty
    stmt = order.apply(select(Letter))

All functions take a tenant session and run in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, case, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from leadermail.platform.accounts.policy import StaffUser
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.clock import utcnow
from leadermail.platform.duty.models import DutyShift, InboxVisit
from leadermail.platform.duty.rota import RotaEntry, RotaError, check_rota, show
from leadermail.platform.letters.models import Letter

#: Letters in these states have not been looked at by anyone yet.
NEW_LETTER_STATES = ("submitted",)


def arrival(letter_table: type[Letter] = Letter) -> ColumnElement[datetime]:
    """When a letter reached the tenant (a registered paper letter: when received)."""
    return func.coalesce(letter_table.received_at, letter_table.submitted_at)


async def save_rota(
    session: AsyncSession, *, tenant_id: int, entries: Sequence[RotaEntry], actor: Actor
) -> list[DutyShift]:
    """Replace the shifts inside the rota's span with ``entries``.

    Refused (:class:`RotaError`) when the entries leave a gap or overlap, when
    a shift already saved sticks into the span from outside, or when a shift
    inside it has been handed over already (the log of worked shifts stays).
    """
    problems = check_rota(entries)
    if problems:
        raise RotaError(problems)
    span_start = min(e.starts_at for e in entries)
    span_end = max(e.ends_at for e in entries)
    existing = (
        (
            await session.execute(
                select(DutyShift).where(
                    DutyShift.starts_at < span_end, DutyShift.ends_at > span_start
                )
            )
        )
        .scalars()
        .all()
    )
    for shift in existing:
        if shift.starts_at < span_start or shift.ends_at > span_end:
            problems.append(
                f"已有 {shift.staff_name} 的班次 {show(shift.starts_at)} 至 {show(shift.ends_at)} "
                "与新值班表重叠"
            )
        elif shift.handed_over_at is not None:
            problems.append(
                f"{shift.staff_name} 的班次 {show(shift.starts_at)} 至 {show(shift.ends_at)} "
                "已交接，不能被替换"
            )
    if problems:
        raise RotaError(problems)
    await session.execute(
        delete(DutyShift).where(DutyShift.starts_at >= span_start, DutyShift.ends_at <= span_end)
    )
    shifts = [
        DutyShift(
            tenant_id=tenant_id,
            user_id=e.user_id,
            staff_name=e.staff_name,
            kind=e.kind,
            rota=e.rota,
            holiday_name=e.holiday_name,
            starts_at=e.starts_at,
            ends_at=e.ends_at,
        )
        for e in sorted(entries, key=lambda e: e.starts_at)
    ]
    session.add_all(shifts)
    await session.flush()
    await record_audit(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="duty.rota_saved",
        object_type="duty_rota",
        data={"from": span_start.isoformat(), "to": span_end.isoformat(), "shifts": len(shifts)},
    )
    return shifts


async def shift_at(session: AsyncSession, moment: datetime) -> DutyShift | None:
    """The shift running at ``moment`` (starts inclusive, ends exclusive)."""
    return (
        await session.execute(
            select(DutyShift)
            .where(DutyShift.starts_at <= moment, DutyShift.ends_at > moment)
            .order_by(DutyShift.starts_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def next_shift(session: AsyncSession, moment: datetime) -> DutyShift | None:
    return (
        await session.execute(
            select(DutyShift)
            .where(DutyShift.starts_at > moment)
            .order_by(DutyShift.starts_at)
            .limit(1)
        )
    ).scalar_one_or_none()


async def shifts_between(session: AsyncSession, start: datetime, end: datetime) -> list[DutyShift]:
    return list(
        (
            await session.execute(
                select(DutyShift)
                .where(DutyShift.starts_at < end, DutyShift.ends_at > start)
                .order_by(DutyShift.starts_at)
            )
        ).scalars()
    )


async def note_inbox_opened(
    session: AsyncSession, staff: StaffUser, *, at: datetime | None = None
) -> InboxVisit:
    """Record that ``staff`` looked at the inbox (the inbox page calls this).

    Cheap (one insert); the alert job counts only visits by whoever was on duty.
    """
    visit = InboxVisit(tenant_id=staff.tenant.id, user_id=staff.user_id, opened_at=at or utcnow())
    session.add(visit)
    await session.flush()
    return visit


@dataclass(frozen=True)
class DutyInboxFilter:
    """How the inbox should list letters for this staff member right now.

    ``on_duty``: the member holds the current shift. ``new_letters`` is the
    condition "not looked at yet"; ``order_by`` puts those first, oldest
    first (the one waiting longest on top), then everything else newest first.
    """

    on_duty: bool
    shift: DutyShift | None
    new_letters: ColumnElement[bool]
    order_by: tuple[ColumnElement[object], ...] = field(default=())

    def apply(self, statement: Select) -> Select:  # type: ignore[type-arg]
        """Order a ``select(Letter)`` for the duty person; others get it unchanged."""
        if not self.on_duty:
            return statement
        return statement.order_by(None).order_by(*self.order_by)

    def only_new(self, statement: Select) -> Select:  # type: ignore[type-arg]
        return statement.where(self.new_letters)


async def duty_inbox_filter(
    session: AsyncSession, staff: StaffUser, *, now: datetime | None = None
) -> DutyInboxFilter:
    """What the inbox (another module) applies so the duty person sees new letters first::

    duty = await duty_inbox_filter(session, staff)
    letters = (await session.execute(duty.apply(select(Letter)).limit(50))).scalars()
    """
    shift = await shift_at(session, now or utcnow())
    new = Letter.state.in_(NEW_LETTER_STATES)
    order = (
        case((new, 0), else_=1),
        case((new, arrival()), else_=None).asc(),
        Letter.submitted_at.desc(),
    )
    on_duty = shift is not None and shift.user_id == staff.user_id
    return DutyInboxFilter(on_duty=on_duty, shift=shift, new_letters=new, order_by=order)


class HandoverError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def hand_over(
    session: AsyncSession, shift: DutyShift, *, note: str, actor: Actor, may_manage: bool = False
) -> DutyShift:
    """Close ``shift`` with its handover note (交接班记录); only its own person
    (or a duty manager) may, once, and the note may not be empty."""
    note = (note or "").strip()
    if not note:
        raise HandoverError("请填写交接班记录")
    if len(note) > 5000:
        raise HandoverError("交接班记录不能超过 5000 字")
    if shift.user_id != actor.user_id and not may_manage:
        raise HandoverError("只有本班值班人员可以填写交接班记录")
    if shift.handed_over_at is not None:
        raise HandoverError("本班次已交接")
    if shift.starts_at > utcnow():
        raise HandoverError("班次尚未开始，不能交接")
    shift.handover_note = note
    shift.handed_over_at = utcnow()
    shift.handed_over_by_user_id = actor.user_id
    await record_audit(
        session,
        tenant_id=shift.tenant_id,
        actor=actor,
        action="duty.handover",
        object_type="duty_shift",
        object_id=shift.id,
    )
    return shift


@dataclass
class LogEntry:
    """One shift of the duty log with the letters that arrived during it."""

    shift: DutyShift
    letters: list[Letter]
    visits: int


async def duty_log(
    session: AsyncSession, start: datetime, end: datetime, *, query: str | None = None
) -> list[LogEntry]:
    """Shifts overlapping [start, end) with their letters; ``query`` searches the
    person, the handover note and the letters' titles."""
    shifts = await shifts_between(session, start, end)
    if not shifts:
        return []
    first, last = shifts[0].starts_at, max(s.ends_at for s in shifts)
    letters = (
        (
            await session.execute(
                select(Letter).where(arrival() >= first, arrival() < last).order_by(arrival())
            )
        )
        .scalars()
        .all()
    )
    visits = (
        await session.execute(
            select(InboxVisit.user_id, InboxVisit.opened_at).where(
                InboxVisit.opened_at >= first, InboxVisit.opened_at < last
            )
        )
    ).all()
    entries = []
    needle = (query or "").strip()
    for shift in shifts:
        received = [
            letter
            for letter in letters
            if shift.starts_at <= (letter.received_at or letter.submitted_at) < shift.ends_at
        ]
        seen = sum(
            1
            for user_id, opened_at in visits
            if user_id == shift.user_id and shift.starts_at <= opened_at < shift.ends_at
        )
        if needle and not (
            needle in shift.staff_name
            or needle in (shift.handover_note or "")
            or any(needle in letter.title or needle == letter.tracking_code for letter in received)
        ):
            continue
        entries.append(LogEntry(shift, received, seen))
    return entries


async def new_letters(session: AsyncSession, *, limit: int = 100) -> list[Letter]:
    """Letters nobody has registered yet, the one waiting longest first."""
    return list(
        (
            await session.execute(
                select(Letter)
                .where(Letter.state.in_(NEW_LETTER_STATES))
                .order_by(arrival())
                .limit(limit)
            )
        ).scalars()
    )


async def unseen_new_letters(
    session: AsyncSession, *, now: datetime, waited: timedelta
) -> list[Letter]:
    """New letters that arrived at least ``waited`` ago and that nobody on duty
    has seen since: no inbox visit after their arrival by the person whose
    shift covered that visit."""
    duty_visit = (
        select(InboxVisit.id)
        .join(
            DutyShift,
            (DutyShift.user_id == InboxVisit.user_id)
            & (DutyShift.starts_at <= InboxVisit.opened_at)
            & (DutyShift.ends_at > InboxVisit.opened_at),
        )
        .where(InboxVisit.opened_at >= arrival())
        .exists()
    )
    return list(
        (
            await session.execute(
                select(Letter)
                .where(
                    Letter.state.in_(NEW_LETTER_STATES),
                    arrival() <= now - waited,
                    or_(~duty_visit),
                )
                .order_by(arrival())
            )
        ).scalars()
    )
