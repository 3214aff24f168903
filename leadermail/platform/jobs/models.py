"""The transactional outbox (shared schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import CoreBase


class OutboxJob(CoreBase):
    """A job written in the same transaction as the change that caused it.

    The relay moves unsent rows to Redis (arq) and stamps ``sent_at``; the
    arq job id is ``outbox:<id>`` so a row relayed twice still runs once.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unsent", "id", postgresql_where="sent_at IS NULL"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    job_name: Mapped[str] = mapped_column(String(100))
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    queue: Mapped[str] = mapped_column(String(40), default="default")
    tenant_id: Mapped[int | None] = mapped_column(BigInteger)
    defer_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
