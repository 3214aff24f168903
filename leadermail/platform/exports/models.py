"""Export requests (one per tenant schema): filters, progress and the file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import TenantBase, TenantScoped


class LetterExport(TenantScoped, TenantBase):
    __tablename__ = "letter_exports"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    requested_by_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    #: csv | xlsx
    format: Mapped[str] = mapped_column(String(10))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    #: Decided when requested, from the requester's role: phone and ID numbers
    #: are masked for roles that may not read them.
    masked: Mapped[bool] = mapped_column(default=True)
    #: queued | running | done | failed
    status: Mapped[str] = mapped_column(String(20), default="queued")
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    file_name: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
