"""speed_up_province_dashboard: aggregates for the province dashboard

What the province page read per request, at 1,000 tenants and 5,000,000
letters (benchmark, 12-month period): 120,000 unit rollup rows summed three
ways (~170 ms) and twice every open letter past its deadline (~250,000 rows
through a bitmap heap scan, ~1.3 s each). Now:

* ``tenant_monthly_stats``: the unit rollups summed per (tenant, month),
  recomputed with them (aggregates.recompute_rollups); the page's totals,
  months and tenants come from 12,000 rows;
* ``open_with_deadline`` in both rollups: open letters that have a deadline,
  so "overdue now" can be counted on whichever side of "now" has fewer
  letters (open with deadline − not yet due, or past due directly);
* both ways are index-only scans: ``ix_letter_facts_open_due`` now carries
  the grouping columns (INCLUDE), and ``ix_letter_facts_tenant_open_due``
  serves one tenant's dashboard without reading other tenants' letters.

Cost on an existing province (5,000,000 facts, 5% open): the new column is
metadata only (a constant default); its backfill reads only the open facts
(partial index) and rewrites each unit rollup row once (~250,000 rows,
seconds); the tenant rollup is one GROUP BY over the unit rollups; the two
partial indexes cover the open facts only (~250,000 entries, ~1 s each).
All in one transaction: a fact refresh job waits for it (the rollup rows
are locked), pages keep reading. Measured on the benchmark data: ~10 s
(2 cores, load average 2.6).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = (
    "received", "accepted", "not_accepted", "replied", "replied_on_time", "closed",
    "evaluated", "satisfied", "solved_answered", "solved", "rehandled", "complaints",
    "forwarded", "assigned", "urged", "away", "handling_count", "open_with_deadline",
)


def upgrade() -> None:
    op.add_column(
        "unit_monthly_stats",
        sa.Column("open_with_deadline", sa.Integer(), nullable=False, server_default="0"),
        schema="core",
    )
    op.execute(
        """
        UPDATE core.unit_monthly_stats AS s SET open_with_deadline = f.letters
        FROM (
            SELECT tenant_id, unit_id, month, count(*) AS letters
            FROM core.letter_facts
            WHERE is_open AND effective_due_at IS NOT NULL
            GROUP BY tenant_id, unit_id, month
        ) AS f
        WHERE s.tenant_id = f.tenant_id AND s.unit_id = f.unit_id AND s.month = f.month
        """
    )
    op.create_table(
        "tenant_monthly_stats",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *[
            sa.Column(name, sa.Integer(), nullable=False)
            for name in COUNTS
            if name != "open_with_deadline"
        ],
        sa.Column("handling_days_sum", sa.BigInteger(), nullable=False),
        sa.Column("open_with_deadline", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("tenant_id", "month", name=op.f("pk_tenant_monthly_stats")),
        schema="core",
    )
    columns = ", ".join((*COUNTS, "handling_days_sum"))
    sums = ", ".join(f"sum({name})" for name in (*COUNTS, "handling_days_sum"))
    op.execute(
        f"INSERT INTO core.tenant_monthly_stats (tenant_id, month, {columns}) "  # noqa: S608
        f"SELECT tenant_id, month, {sums} FROM core.unit_monthly_stats GROUP BY tenant_id, month"
    )
    op.drop_index("ix_letter_facts_open_due", table_name="letter_facts", schema="core")
    op.create_index(
        "ix_letter_facts_open_due", "letter_facts", ["effective_due_at"],
        schema="core", postgresql_include=["month", "tenant_id", "unit_id"],
        postgresql_where=sa.text("is_open"),
    )
    op.create_index(
        "ix_letter_facts_tenant_open_due", "letter_facts", ["tenant_id", "effective_due_at"],
        schema="core", postgresql_include=["month", "unit_id"],
        postgresql_where=sa.text("is_open"),
    )


def downgrade() -> None:
    op.drop_index("ix_letter_facts_tenant_open_due", table_name="letter_facts", schema="core")
    op.drop_index("ix_letter_facts_open_due", table_name="letter_facts", schema="core")
    op.create_index(
        "ix_letter_facts_open_due", "letter_facts", ["effective_due_at", "tenant_id", "unit_id"],
        schema="core", postgresql_where=sa.text("is_open"),
    )
    op.drop_table("tenant_monthly_stats", schema="core")
    op.drop_column("unit_monthly_stats", "open_with_deadline", schema="core")
