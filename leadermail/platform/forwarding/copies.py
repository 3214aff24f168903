"""What a receiving mailbox keeps of a forwarded letter's origin, next to its copy.

The copy (channel "forwarded") has a code of its own (F0…), but the writer
knows the code of the mailbox they wrote to, and staff are phoned with it: a
:class:`ForwardedCopy` row keeps that code in the receiver's schema, indexed,
so the inbox finds the copy by it (``console.inbox_identifiers``) without
asking the shared ledger. It also keeps the sender's category name: category
lists are each mailbox's own, so the copy takes the receiver's category of the
same name when there is one (:func:`matching_category`) and otherwise shows
the sender's as information for the registrar's 登记分类.

    origin = await origin_category(sender_session, original)        # sender's side
    copy.category_id = await matching_category(receiver_session, origin)
    session.add(ForwardedCopy(tenant_id=..., letter_id=copy.id, forwarding_id=leg.id,
                              writer_tracking_code=leg.tracking_code,
                              origin_category_name=origin.name if origin else None))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import TenantBase, TenantScoped
from leadermail.platform.letters.models import Category, Letter


class ForwardedCopy(TenantScoped, TenantBase):
    """One per forwarded copy, in the receiver's schema (tenant 0012)."""

    __tablename__ = "forwarded_copies"
    __table_args__ = (
        Index("ix_forwarded_copies_writer_tracking_code", "writer_tracking_code"),
    )

    letter_id: Mapped[int] = mapped_column(
        ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True
    )
    #: The ledger leg that delivered the copy (``core.forwardings``, no foreign key).
    forwarding_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    #: The 查询码 the writer holds: the code of the letter they wrote.
    writer_tracking_code: Mapped[str] = mapped_column(String(16))
    #: The sender's category of its letter when it was forwarded (None: it had
    #: none, or the copy was delivered before this was kept).
    origin_category_name: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class OriginCategory:
    name: str
    parent_name: str | None


async def origin_category(session: AsyncSession, letter: Letter) -> OriginCategory | None:
    """The category of ``letter`` by name (``session``: the letter's own tenant)."""
    if letter.category_id is None:
        return None
    parent = aliased(Category)
    row = (
        await session.execute(
            select(Category.name, parent.name)
            .outerjoin(parent, parent.id == Category.parent_id)
            .where(Category.id == letter.category_id)
        )
    ).first()
    return OriginCategory(row[0], row[1]) if row is not None else None


async def matching_category(session: AsyncSession, origin: OriginCategory | None) -> int | None:
    """The receiver's active category of the same name (``session``: the
    receiver's tenant). A name found twice is settled by the parent's name;
    still ambiguous, or not found, is None: the registrar classifies."""
    if origin is None:
        return None
    parent = aliased(Category)
    rows = (
        await session.execute(
            select(Category.id, parent.name)
            .outerjoin(parent, parent.id == Category.parent_id)
            .where(Category.name == origin.name, Category.is_active.is_(True))
        )
    ).all()
    if len(rows) > 1:
        rows = [row for row in rows if row[1] == origin.parent_name]
    return rows[0][0] if len(rows) == 1 else None


async def copy_details(session: AsyncSession, letter: Letter) -> ForwardedCopy | None:
    """What the receiver kept of ``letter``'s origin (None: not a forwarded copy)."""
    return await session.get(ForwardedCopy, letter.id)
