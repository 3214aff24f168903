"""add_province_tables

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # --- 5b: supervision aggregates ---
    _upgrade_supervision()
    # --- end 5b ---


def downgrade() -> None:
    # --- 5b: supervision aggregates ---
    _downgrade_supervision()
    # --- end 5b ---


# --- 5b: supervision aggregates ---
def _upgrade_supervision() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "letter_facts",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("letter_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_name", sa.String(100), nullable=True),
        sa.Column("letter_type", sa.String(20), nullable=False),
        sa.Column("category_id", sa.BigInteger(), nullable=True),
        sa.Column("category_name", sa.String(50), nullable=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("started_at", tz, nullable=False),
        sa.Column("accepted_at", tz, nullable=True),
        sa.Column("replied_at", tz, nullable=True),
        sa.Column("closed_at", tz, nullable=True),
        sa.Column("reply_due_at", tz, nullable=True),
        sa.Column("effective_due_at", tz, nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("is_accepted", sa.Boolean(), nullable=False),
        sa.Column("is_not_accepted", sa.Boolean(), nullable=False),
        sa.Column("is_replied", sa.Boolean(), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("is_closed", sa.Boolean(), nullable=False),
        sa.Column("was_forwarded", sa.Boolean(), nullable=False),
        sa.Column("was_assigned", sa.Boolean(), nullable=False),
        sa.Column("urge_count", sa.Integer(), nullable=False),
        sa.Column("is_away", sa.Boolean(), nullable=False),
        sa.Column("away_seconds", sa.Integer(), nullable=False),
        sa.Column("handling_working_days", sa.SmallInteger(), nullable=True),
        sa.Column("satisfaction", sa.String(30), nullable=True),
        sa.Column("problem_solved", sa.Boolean(), nullable=True),
        sa.Column("rehandled", sa.Boolean(), nullable=False),
        sa.Column("source_updated_at", tz, nullable=True),
        sa.Column("refreshed_at", tz, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "letter_id", name=op.f("pk_letter_facts")),
        schema="core",
    )
    op.create_index(
        "ix_letter_facts_group", "letter_facts", ["tenant_id", "unit_id", "month"],
        schema="core",
    )
    op.create_index(
        "ix_letter_facts_open_due", "letter_facts", ["effective_due_at", "tenant_id", "unit_id"],
        schema="core", postgresql_where=sa.text("is_open"),
    )
    counts = [
        "received", "accepted", "not_accepted", "replied", "replied_on_time", "closed",
        "evaluated", "satisfied", "solved_answered", "solved", "rehandled", "complaints",
        "forwarded", "assigned", "urged", "away", "handling_count",
    ]
    op.create_table(
        "unit_monthly_stats",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("unit_name", sa.String(100), nullable=True),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in counts],
        sa.Column("handling_days_sum", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "unit_id", "month", name=op.f("pk_unit_monthly_stats")
        ),
        schema="core",
    )
    op.create_table(
        "letter_fact_sync",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("last_source_updated_at", tz, nullable=True),
        sa.Column("reconciled_at", tz, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_letter_fact_sync")),
        schema="core",
    )
    op.create_table(
        "supervision_reports",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("file_format", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("finished_at", tz, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_reports")),
        schema="core",
    )
    op.create_index(
        op.f("ix_supervision_reports_tenant_id"), "supervision_reports", ["tenant_id"],
        schema="core",
    )


def _downgrade_supervision() -> None:
    op.drop_index(
        op.f("ix_supervision_reports_tenant_id"), table_name="supervision_reports", schema="core"
    )
    op.drop_table("supervision_reports", schema="core")
    op.drop_table("letter_fact_sync", schema="core")
    op.drop_table("unit_monthly_stats", schema="core")
    op.drop_index("ix_letter_facts_open_due", table_name="letter_facts", schema="core")
    op.drop_index("ix_letter_facts_group", table_name="letter_facts", schema="core")
    op.drop_table("letter_facts", schema="core")
# --- end 5b ---
