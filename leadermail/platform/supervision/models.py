"""Supervision aggregates in the shared schema (``core``).

Pages that look across tenants read only these tables; nothing here is read
per request from a tenant schema. Facts are rebuilt from the tenant's own
rows by :mod:`leadermail.platform.supervision.aggregates`, so they can always
be thrown away and recomputed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import CoreBase


class LetterFact(CoreBase):
    """One letter as supervision sees it: no personal data, no letter text.

    ``started_at`` is when the clock started *in this tenant* (a forwarded
    copy starts when it arrived); ``away_seconds`` is the time the letter
    spent with another tenant (forwarded and later returned), which is added
    to the deadline (``effective_due_at``) so it never counts against this
    tenant. ``month`` is the Shanghai month of ``started_at``: rollups are
    cohorts of letters received that month.
    """

    __tablename__ = "letter_facts"
    __table_args__ = (
        Index("ix_letter_facts_group", "tenant_id", "unit_id", "month"),
        # Overdue is a function of "now", so it is counted at read time from
        # the open letters only, on whichever side of "now" holds fewer of
        # them (queries.overdue_counts); the columns a count groups by are
        # in the index, so the count never reads the table (core 0007).
        Index(
            "ix_letter_facts_open_due",
            "effective_due_at",
            postgresql_include=["month", "tenant_id", "unit_id"],
            postgresql_where="is_open",
        ),
        Index(
            "ix_letter_facts_tenant_open_due",
            "tenant_id",
            "effective_due_at",
            postgresql_include=["month", "unit_id"],
            postgresql_where="is_open",
        ),
    )

    tenant_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    letter_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    #: 0 when no unit handles the letter yet (keeps the rollup key non-null).
    unit_id: Mapped[int] = mapped_column(BigInteger, default=0)
    unit_name: Mapped[str | None] = mapped_column(String(100))
    letter_type: Mapped[str] = mapped_column(String(20))
    category_id: Mapped[int | None] = mapped_column(BigInteger)
    category_name: Mapped[str | None] = mapped_column(String(50))
    channel: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(30))
    month: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reply_due_at: Mapped[datetime | None]
    effective_due_at: Mapped[datetime | None]
    is_open: Mapped[bool] = mapped_column(Boolean)
    is_accepted: Mapped[bool] = mapped_column(Boolean)
    is_not_accepted: Mapped[bool] = mapped_column(Boolean)
    is_replied: Mapped[bool] = mapped_column(Boolean)
    #: None until the letter is replied; then replied by ``effective_due_at``.
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    is_closed: Mapped[bool] = mapped_column(Boolean)
    #: Forwarded to another tenant at least once (转送).
    was_forwarded: Mapped[bool] = mapped_column(Boolean)
    #: Handed to a unit at least once (交办).
    was_assigned: Mapped[bool] = mapped_column(Boolean)
    #: Number of 催办/督办 events.
    urge_count: Mapped[int] = mapped_column(Integer, default=0)
    #: The letter currently sits with another tenant: it is not this tenant's.
    is_away: Mapped[bool] = mapped_column(Boolean)
    away_seconds: Mapped[int] = mapped_column(Integer, default=0)
    #: Working days from ``started_at`` to the reply, less working days away.
    handling_working_days: Mapped[int | None] = mapped_column(SmallInteger)
    satisfaction: Mapped[str | None] = mapped_column(String(30))
    problem_solved: Mapped[bool | None] = mapped_column(Boolean)
    rehandled: Mapped[bool] = mapped_column(Boolean)
    source_updated_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)


class _MonthlyCounts:
    """The counts both rollups carry (one cohort: letters received that month)."""

    received: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    not_accepted: Mapped[int] = mapped_column(Integer, default=0)
    replied: Mapped[int] = mapped_column(Integer, default=0)
    replied_on_time: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    evaluated: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    solved_answered: Mapped[int] = mapped_column(Integer, default=0)
    solved: Mapped[int] = mapped_column(Integer, default=0)
    rehandled: Mapped[int] = mapped_column(Integer, default=0)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    forwarded: Mapped[int] = mapped_column(Integer, default=0)
    #: Copies that came in from another mailbox (转办 or an appeal; channel
    #: "forwarded"): the same letters as their originals, so the province
    #: total leaves them out (``Figures.received_once``), core 0008.
    forwarded_in: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    assigned: Mapped[int] = mapped_column(Integer, default=0)
    urged: Mapped[int] = mapped_column(Integer, default=0)
    away: Mapped[int] = mapped_column(Integer, default=0)
    handling_days_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    handling_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Open letters with a deadline: "overdue now" is this less the ones
    #: whose deadline is still ahead (queries.overdue_counts), core 0007.
    open_with_deadline: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class UnitMonthlyStats(_MonthlyCounts, CoreBase):
    """Counts per (tenant, unit, month), recomputed from ``letter_facts``.

    Dashboards sum these; ``overdue`` is not here because it changes with
    the clock (see :func:`leadermail.platform.supervision.queries.overdue_counts`).
    """

    __tablename__ = "unit_monthly_stats"

    tenant_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    unit_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_name: Mapped[str | None] = mapped_column(String(100))


class TenantMonthlyStats(_MonthlyCounts, CoreBase):
    """The same counts per (tenant, month): the sum of the tenant's units,
    recomputed with them. The province page reads 12,000 of these for a year
    of 1,000 tenants instead of summing 120,000 unit rows (core 0007)."""

    __tablename__ = "tenant_monthly_stats"

    tenant_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)


class LetterFactSync(CoreBase):
    """How far the reconcile job got per tenant (``letters.updated_at``)."""

    __tablename__ = "letter_fact_sync"

    tenant_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    last_source_updated_at: Mapped[datetime | None]
    reconciled_at: Mapped[datetime | None]


class SupervisionReport(CoreBase):
    """A monthly or annual report asked for in the console, built by a job."""

    __tablename__ = "supervision_reports"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(BigInteger, index=True)
    #: tenant | province (all tenants; asked for in the province tenant)
    scope: Mapped[str] = mapped_column(String(20))
    #: month | year
    period: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    #: xlsx | pdf
    file_format: Mapped[str] = mapped_column(String(10))
    #: pending | done | failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    file_name: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
