"""Letters and what hangs off them (one copy of these tables per tenant schema).

Plus :class:`LetterLocator` in the shared schema: a tracking code is unique
across the province and keeps pointing at the letter wherever it went.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import CoreBase, TenantBase, TenantScoped


class LetterType(enum.StrEnum):
    CONSULTATION = "consultation"  # 咨询
    COMPLAINT = "complaint"  # 投诉
    REPORT = "report"  # 举报
    SUGGESTION = "suggestion"  # 建议
    HELP = "help"  # 求助


#: Letter.priority as staff see it.
PRIORITY_LABELS: dict[str, str] = {"normal": "普通", "high": "紧急", "urgent": "特急"}

LETTER_TYPE_LABELS: dict[str, str] = {
    LetterType.CONSULTATION: "咨询",
    LetterType.COMPLAINT: "投诉",
    LetterType.REPORT: "举报",
    LetterType.SUGGESTION: "建议",
    LetterType.HELP: "求助",
}


class Channel(enum.StrEnum):
    WEB = "web"  # 网站
    PHONE = "phone"  # 固定电话
    EMAIL = "email"  # 电子信箱
    POST = "post"  # 信件
    VISIT = "visit"  # 来访
    FORWARDED = "forwarded"  # 上级转办


CHANNEL_LABELS: dict[str, str] = {
    Channel.WEB: "网站",
    Channel.PHONE: "电话",
    Channel.EMAIL: "电子邮件",
    Channel.POST: "来信",
    Channel.VISIT: "来访",
    Channel.FORWARDED: "上级转办",
}


class Category(TenantScoped, TenantBase):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(default=True)


class Unit(TenantScoped, TenantBase):
    """承办单位: a unit inside the tenant that handles letters."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    head_name: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


#: Partial-index predicate of the inbox indexes: letters still waiting.
_OPEN = text(
    "state IN ('submitted', 'registered', 'accepted', 'assigned', 'awaiting_material')"
)


class Letter(TenantScoped, TenantBase):
    __tablename__ = "letters"
    __table_args__ = (
        # (state, reply_due_at) and (unit_id, state) look-ups use the longer
        # ix_letters_state_due and ix_letters_unit_state_due (tenant 0014).
        Index("ix_letters_submitted_at", "submitted_at"),
        Index("ix_letters_writer_phone", "writer_phone"),
        # The inbox finds letters by their writer's exact name, in its
        # deadline order (tenant 0010).
        Index("ix_letters_writer_name", "writer_name", "reply_due_at", "id"),
        Index(
            "ix_letters_published",
            "published_at",
            postgresql_where="is_published",
        ),
        Index("ix_letters_search", "search_vector", postgresql_using="gin"),
        # The public list: published and consented, newest first (tenant 0002).
        Index(
            "ix_letters_public_list",
            text("published_at DESC"),
            text("id DESC"),
            postgresql_where=text("is_published AND publish_consent"),
        ),
        # The supervision reconcile job reads "changed since" per tenant (0006).
        Index("ix_letters_updated_at", "updated_at"),
        # The console inbox walks these in deadline order (tenant 0003, 0008).
        Index("ix_letters_due", "reply_due_at", "id"),
        Index("ix_letters_open_due", "reply_due_at", "id", postgresql_where=_OPEN),
        Index("ix_letters_state_due", "state", "reply_due_at", "id"),
        Index("ix_letters_unit_open_due", "unit_id", "reply_due_at", "id", postgresql_where=_OPEN),
        Index("ix_letters_unit_state_due", "unit_id", "state", "reply_due_at", "id"),
        Index(
            "ix_letters_type_open_due", "letter_type", "reply_due_at", "id", postgresql_where=_OPEN
        ),
        Index(
            "ix_letters_category_open_due",
            "category_id",
            "reply_due_at",
            "id",
            postgresql_where=_OPEN,
        ),
        Index(
            "ix_letters_duplicate_of_id",
            "duplicate_of_id",
            postgresql_where=text("duplicate_of_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    #: 查询码, unique across the province (see LetterLocator).
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    #: HMAC-SHA256 of the query password keyed with the server secret.
    query_password_hash: Mapped[str] = mapped_column(String(128))
    letter_type: Mapped[str] = mapped_column(String(20))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(String(100))
    writer_name: Mapped[str] = mapped_column(String(50))
    writer_phone: Mapped[str | None] = mapped_column(String(20))
    writer_email: Mapped[str | None] = mapped_column(String(254))
    writer_id_number: Mapped[str | None] = mapped_column(String(18))
    #: The citizen agreed to publication; "do not publish" stores False and
    #: then nothing may ever publish the letter.
    publish_consent: Mapped[bool] = mapped_column(Boolean, default=True)
    channel: Mapped[str] = mapped_column(String(20), default=Channel.WEB)
    state: Mapped[str] = mapped_column(String(30), default="submitted")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    #: 举报: the accused unit or person, so routing never sends it to them.
    accused_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    accused_person: Mapped[str | None] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_at: Mapped[datetime | None]
    registered_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    acceptance_due_at: Mapped[datetime | None]
    reply_due_at: Mapped[datetime | None]
    #: The deadline crosses a year with no official holiday data yet.
    deadline_provisional: Mapped[bool] = mapped_column(default=False)
    replied_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    is_published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None]
    rehandle_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"))
    #: Idempotency key of the web form: a double submit creates one letter.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Set on a copy received through cross-tenant forwarding.
    origin_tenant_id: Mapped[int | None] = mapped_column(BigInteger)
    origin_letter_id: Mapped[int | None] = mapped_column(BigInteger)
    #: CJK unigrams + bigrams (see leadermail.platform.search). Deferred: it
    #: is only ever searched in SQL, and loading it with every letter moved
    #: several KB of text per row for nothing (a tracking look-up spent more
    #: time decoding it than finding the letter).
    search_vector: Mapped[Any] = mapped_column(TSVECTOR, nullable=True, deferred=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LetterEvent(TenantScoped, TenantBase):
    """One entry of a letter's timeline; ``is_public`` ones show to the citizen."""

    __tablename__ = "letter_events"
    __table_args__ = (
        Index("ix_letter_events_letter_id_created_at", "letter_id", "created_at"),
        Index("ix_letter_events_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    is_public: Mapped[bool] = mapped_column(default=False)
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_label: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(TenantScoped, TenantBase):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        ForeignKey("letters.id", ondelete="CASCADE"), index=True
    )
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    #: citizen | staff
    uploaded_by: Mapped[str] = mapped_column(String(20), default="citizen")
    #: A staff attachment of a reply goes on the published page only once a
    #: staff member marked it public: files cannot be redacted automatically.
    is_public: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


#: Assignment.status as staff see it.
ASSIGNMENT_STATUS_LABELS = {"active": "办理中", "returned": "已退回", "completed": "已办结"}


class Assignment(TenantScoped, TenantBase):
    """分办: a letter handed to a unit, with its own deadline."""

    __tablename__ = "assignments"
    __table_args__ = (
        # The deadline scan's 办理时限 part: active assignments by due date.
        Index(
            "ix_assignments_active_due", "due_at", "letter_id",
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        ForeignKey("letters.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    assigned_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    #: active | returned | completed
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class Reply(TenantScoped, TenantBase):
    __tablename__ = "replies"
    __table_args__ = (
        # The approval queue (待审批 / 退回修改): just the queued drafts.
        Index(
            "ix_replies_review_state", "review_state", "letter_id",
            postgresql_where=text("review_state IS NOT NULL AND status = 'draft'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        ForeignKey("letters.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    #: Sanitised HTML (nh3) of the reply.
    body_html: Mapped[str] = mapped_column(Text)
    #: draft | approved | sent
    status: Mapped[str] = mapped_column(String(20), default="draft")
    drafted_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    approved_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    approved_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    signer_name: Mapped[str | None] = mapped_column(String(100))
    signature: Mapped[str | None] = mapped_column(Text)
    #: The approval queue (replies/review.py): pending (待审批, put forward by
    #: its drafter) | returned (退回修改) | None (not put forward, or approved).
    review_state: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Satisfaction(enum.StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意


SATISFACTION_LABELS: dict[str, str] = {
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY_SATISFIED: "基本满意",
    Satisfaction.UNSATISFIED: "不满意",
}


class Evaluation(TenantScoped, TenantBase):
    """The citizen's rating; bound to the unit that handled the letter."""

    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        ForeignKey("letters.id", ondelete="CASCADE"), index=True
    )
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    satisfaction: Mapped[str] = mapped_column(String(30))
    #: Was the problem actually solved? Reported apart (解决率 vs 办结率).
    problem_solved: Mapped[bool | None]
    comment: Mapped[str | None] = mapped_column(Text)
    wants_rehandling: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LetterLocator(CoreBase):
    """Where a tracking code's letter lives (shared schema).

    Written when a letter is submitted; ``current_tenant_id`` follows the
    letter through cross-tenant forwarding while the citizen keeps querying
    on the site where they wrote.
    """

    __tablename__ = "letter_locators"

    tracking_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    origin_tenant_id: Mapped[int] = mapped_column(BigInteger, index=True)
    origin_letter_id: Mapped[int] = mapped_column(BigInteger)
    current_tenant_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
