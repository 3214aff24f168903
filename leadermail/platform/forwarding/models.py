"""The cross-tenant forwarding ledger (shared schema).

One row per leg: a letter of ``from_tenant`` handed to ``to_tenant`` (转办).
The receiver gets its own copy of the letter (a tenant row with channel
"forwarded", ``origin_tenant_id``/``origin_letter_id`` set); this row links
the two and carries everything both sides must see: who, when, why, the
deadline, the status, the objection and the completion report. A chain
province → city → county is a parent link from each leg to the leg that
brought the letter to its sender; ``root_*`` names the letter the citizen
wrote (and whose tracking code they keep).

No personal data lives here: the writer's phone and ID number are kept as
keyed hashes only, for the art. 19 "same matter in progress" check.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import CoreBase


class ForwardingStatus(enum.StrEnum):
    PENDING = "pending"  # 待签收
    ACCEPTED = "accepted"  # 已签收，办理中
    OBJECTED = "objected"  # 已提出异议，待转出机关审核
    RETURNED = "returned"  # 异议成立，已退回
    REASSIGNED = "reassigned"  # 异议成立，已改派他处
    COMPLETED = "completed"  # 已报送办结报告


FORWARDING_STATUS_LABELS: dict[str, str] = {
    ForwardingStatus.PENDING: "待签收",
    ForwardingStatus.ACCEPTED: "办理中",
    ForwardingStatus.OBJECTED: "异议待审核",
    ForwardingStatus.RETURNED: "已退回",
    ForwardingStatus.REASSIGNED: "已改派",
    ForwardingStatus.COMPLETED: "已办结",
}

#: Legs still in someone's hands: they block loops and flag repeat letters.
OPEN_STATUSES = frozenset(
    {ForwardingStatus.PENDING, ForwardingStatus.ACCEPTED, ForwardingStatus.OBJECTED}
)


class Forwarding(CoreBase):
    __tablename__ = "forwardings"
    __table_args__ = (
        Index("ix_forwardings_from", "from_tenant_id", "created_at"),
        Index("ix_forwardings_to", "to_tenant_id", "created_at"),
        Index("ix_forwardings_root", "root_tenant_id", "root_letter_id"),
        Index("ix_forwardings_from_letter", "from_tenant_id", "from_letter_id"),
        Index("ix_forwardings_writer_phone_key", "writer_phone_key"),
        Index("ix_forwardings_writer_id_key", "writer_id_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    #: The caller's idempotency key: the same form posted twice is one leg.
    request_key: Mapped[str] = mapped_column(String(80), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("forwardings.id"))
    root_tenant_id: Mapped[int] = mapped_column(BigInteger)
    root_letter_id: Mapped[int] = mapped_column(BigInteger)
    #: The citizen's tracking code (of the root letter).
    tracking_code: Mapped[str] = mapped_column(String(16), index=True)
    from_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    from_letter_id: Mapped[int] = mapped_column(BigInteger)
    to_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    #: Set when the receiver's copy exists (delivery is a separate step).
    to_letter_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default=ForwardingStatus.PENDING)
    note: Mapped[str | None] = mapped_column(Text)
    #: "manual" (staff chose the tenant) or "rule:<id>" (a routing rule did).
    chosen_by: Mapped[str] = mapped_column(String(40), default="manual")
    due_at: Mapped[datetime | None]
    forwarded_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    forwarded_by_label: Mapped[str] = mapped_column(String(100))
    delivered_at: Mapped[datetime | None]
    #: 《信访工作条例》 art. 23: the receiver may object within 5 working days.
    objection_due_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    objected_at: Mapped[datetime | None]
    objection_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by_label: Mapped[str | None] = mapped_column(String(100))
    decision_note: Mapped[str | None] = mapped_column(Text)
    #: The leg that replaced this one after a 改派.
    replaced_by_id: Mapped[int | None] = mapped_column(BigInteger)
    urge_count: Mapped[int] = mapped_column(Integer, default=0)
    last_urged_at: Mapped[datetime | None]
    #: The receiver's letter state, refreshed on every crossing and by a sweep.
    receiver_state: Mapped[str | None] = mapped_column(String(30))
    completed_at: Mapped[datetime | None]
    completion_report: Mapped[str | None] = mapped_column(Text)
    #: Keyed hashes (see ``matters.writer_key``), for the art. 19 check.
    writer_phone_key: Mapped[str | None] = mapped_column(String(64))
    writer_id_key: Mapped[str | None] = mapped_column(String(64))
    #: Keyed bigram hashes of the letter text (``matters.fingerprint``).
    fingerprint: Mapped[list[str]] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def status_label(self) -> str:
        return FORWARDING_STATUS_LABELS.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class OpenMatter(CoreBase):
    """A letter a citizen wrote to a tenant directly, while that tenant has it in hand.

    The art. 19 index: an upper tenant's intake asks it whether a descendant
    already handles the same writer's matter, with one indexed query instead
    of a look into every tenant schema. A row exists only while the letter is
    open (see ``workflow.MATTER_OPEN_STATES``); ``matter_index.refresh_open_matter``
    keeps it in step, run by an outbox job whenever a letter is submitted or
    its openness changes. Forwarded copies are not indexed: their leg in
    :class:`Forwarding` stands for them. Like the ledger it holds keyed hashes
    only, no phone number, ID number or letter text.
    """

    __tablename__ = "open_matters"
    __table_args__ = (
        Index("ix_open_matters_writer_phone_key", "writer_phone_key"),
        Index("ix_open_matters_writer_id_key", "writer_id_key"),
    )

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    letter_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    #: The citizen's tracking code at that tenant (already in ``letter_locators``).
    tracking_code: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(30))
    writer_phone_key: Mapped[str | None] = mapped_column(String(64))
    writer_id_key: Mapped[str | None] = mapped_column(String(64))
    fingerprint: Mapped[list[str]] = mapped_column(JSONB, default=list)
    submitted_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
