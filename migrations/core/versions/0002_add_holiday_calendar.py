"""add_holiday_calendar: core.holiday_days, the loaded State Council holiday schedules

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "holiday_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('holiday', 'workday')", name=op.f("ck_holiday_days_kind")),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_holiday_days")),
        schema="core",
    )
    op.create_index(
        op.f("ix_holiday_days_year"), "holiday_days", ["year"], unique=False, schema="core"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_holiday_days_year"), table_name="holiday_days", schema="core")
    op.drop_table("holiday_days", schema="core")
