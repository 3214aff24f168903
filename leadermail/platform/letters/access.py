"""The only way staff code fetches a letter (zulip's ``access_*_by_*`` pattern).

    letter = await access_letter_by_id(session, staff, letter_id)   # or LetterNotFound

The look-up runs inside the staff member's tenant session, and every rule is
one line below. A letter that does not exist and a letter the user may not see
raise the *same* :class:`LetterNotFound`, so a URL never tells an outsider
whether a letter id is in use. Reading a 举报 writes an audit record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadermail.platform.accounts.policy import Action, StaffUser, can
from leadermail.platform.audit.writer import Actor, record_audit
from leadermail.platform.letters.models import Attachment, Letter, LetterType


class LetterNotFound(LookupError):
    """No such letter for this user (missing and forbidden look the same)."""


def staff_actor(staff: StaffUser, ip_address: str | None = None) -> Actor:
    return Actor(user_id=staff.user_id, label=staff.display_name, ip_address=ip_address)


async def access_letter_by_id(
    session: AsyncSession,
    staff: StaffUser,
    letter_id: int,
    *,
    ip_address: str | None = None,
    for_update: bool = False,
) -> Letter:
    """The letter, if ``staff`` may see it; otherwise :class:`LetterNotFound`.

    ``session`` must be a tenant session of ``staff.tenant`` (checked).
    """
    if session.info.get("tenant_id") != staff.tenant.id:
        raise LetterNotFound(letter_id)
    statement = select(Letter).where(Letter.id == letter_id)
    statement = statement.where(Letter.tenant_id == staff.tenant.id)
    if for_update:
        statement = statement.with_for_update()
    letter = (await session.execute(statement)).scalar_one_or_none()
    if letter is None:
        raise LetterNotFound(letter_id)
    if not can(staff, Action.VIEW_LETTER, letter):
        raise LetterNotFound(letter_id)
    if letter.letter_type == LetterType.REPORT:
        await record_audit(
            session,
            tenant_id=letter.tenant_id,
            actor=staff_actor(staff, ip_address),
            action="letter.read_report",
            object_type="letter",
            object_id=letter.id,
            data={"accused_unit_id": letter.accused_unit_id},
        )
    return letter


@dataclass(frozen=True)
class LetterHeading:
    """What a list needs to name a letter and link to it."""

    id: int
    tracking_code: str
    title: str


async def access_letter_headings(
    session: AsyncSession, staff: StaffUser, letter_ids: Iterable[int]
) -> dict[int, LetterHeading]:
    """The headings of those of ``letter_ids`` that ``staff`` may see, in one query
    (for pages that mention many letters, such as the audit trail).

    Letters ``staff`` may not see are left out, as if missing. Only the code
    and title are read, as in the inbox, so reading a 举报 this way writes no
    ``letter.read_report`` record; opening it does.
    """
    wanted = set(letter_ids)
    if session.info.get("tenant_id") != staff.tenant.id or not wanted:
        return {}
    statement = select(
        Letter.id,
        Letter.tenant_id,
        Letter.unit_id,
        Letter.letter_type,
        Letter.tracking_code,
        Letter.title,
    )
    statement = statement.where(Letter.id.in_(wanted))
    statement = statement.where(Letter.tenant_id == staff.tenant.id)
    return {
        row.id: LetterHeading(row.id, row.tracking_code, row.title)
        for row in await session.execute(statement)
        if can(staff, Action.VIEW_LETTER, row)
    }


async def access_attachment_by_id(
    session: AsyncSession,
    staff: StaffUser,
    letter_id: int,
    attachment_id: int,
    *,
    ip_address: str | None = None,
) -> tuple[Letter, Attachment]:
    """An attachment of a letter ``staff`` may see (same rules, same error)."""
    letter = await access_letter_by_id(session, staff, letter_id, ip_address=ip_address)
    statement = select(Attachment).where(Attachment.id == attachment_id)
    statement = statement.where(Attachment.letter_id == letter.id)
    attachment = (await session.execute(statement)).scalar_one_or_none()
    if attachment is None:
        raise LetterNotFound(letter_id)
    return letter, attachment
