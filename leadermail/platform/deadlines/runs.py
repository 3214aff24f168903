"""Recompute runs after a holiday schedule is loaded (shared schema).

A province admin loads next year's schedule; every tenant's provisional
deadlines are then recomputed by one arq job that reports its progress here
(the console polls the row).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Identity, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import CoreBase


class RecomputeRun(CoreBase):
    __tablename__ = "deadline_recompute_runs"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    #: queued | running | done | failed
    status: Mapped[str] = mapped_column(String(20), default="queued")
    tenants_total: Mapped[int] = mapped_column(Integer, default=0)
    tenants_done: Mapped[int] = mapped_column(Integer, default=0)
    letters_checked: Mapped[int] = mapped_column(Integer, default=0)
    letters_changed: Mapped[int] = mapped_column(Integer, default=0)
    requested_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        if not self.tenants_total:
            return 0
        return min(99, self.tenants_done * 100 // self.tenants_total)
