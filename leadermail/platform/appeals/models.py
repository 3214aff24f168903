"""Appeals against a final reply (shared schema): 复查, then 复核.

《信访工作条例》 art. 35–36: a citizen unhappy with the written reply asks the
next level up for a review (复查) within 30 days; unhappy with that, the level
above for a re-review (复核) within 30 days of the review opinion; each
opinion is due within 30 days; after 复核 the matter is final and the same
request is not accepted again (不再受理).

Each appeal row gives the reviewing tenant a letter copy in its inbox
(``to_letter_id``) and points at the tracking code the citizen keeps.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import CoreBase


class AppealKind(enum.StrEnum):
    REVIEW = "review"  # 复查
    RE_REVIEW = "re_review"  # 复核


APPEAL_KIND_LABELS = {AppealKind.REVIEW: "复查", AppealKind.RE_REVIEW: "复核"}


class AppealStatus(enum.StrEnum):
    PENDING = "pending"  # 审查中
    ANSWERED = "answered"  # 已出具意见


class AppealOutcome(enum.StrEnum):
    UPHELD = "upheld"  # 维持原处理意见
    REVISED = "revised"  # 撤销或变更原处理意见


APPEAL_OUTCOME_LABELS = {
    AppealOutcome.UPHELD: "维持原处理意见",
    AppealOutcome.REVISED: "变更原处理意见",
}


class Appeal(CoreBase):
    __tablename__ = "appeals"
    __table_args__ = (
        Index("ix_appeals_tracking_code", "tracking_code"),
        Index("ix_appeals_to_tenant", "to_tenant_id", "created_at"),
        Index("ix_appeals_writer_phone_key", "writer_phone_key"),
        Index("ix_appeals_writer_id_key", "writer_id_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: One review and one re-review per tracking code; a double submit is one row.
    request_key: Mapped[str] = mapped_column(String(80), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id"))
    tracking_code: Mapped[str] = mapped_column(String(16))
    origin_tenant_id: Mapped[int] = mapped_column(BigInteger)
    origin_letter_id: Mapped[int] = mapped_column(BigInteger)
    #: The tenant whose reply (or review opinion) is appealed.
    decided_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    #: The tenant one level up that reviews it, and its copy of the letter.
    to_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    to_letter_id: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=AppealStatus.PENDING)
    answer_due_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answered_by_label: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(20))
    opinion: Mapped[str | None] = mapped_column(Text)
    #: True once a 复核 is answered: the matter is closed for good.
    is_final: Mapped[bool] = mapped_column(default=False)
    writer_phone_key: Mapped[str | None] = mapped_column(String(64))
    writer_id_key: Mapped[str | None] = mapped_column(String(64))
    #: Keyed bigram hashes of the letter text (``matters.fingerprint``).
    fingerprint: Mapped[list[str]] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def kind_label(self) -> str:
        return APPEAL_KIND_LABELS.get(self.kind, self.kind)

    @property
    def outcome_label(self) -> str:
        return APPEAL_OUTCOME_LABELS.get(self.outcome or "", "")
