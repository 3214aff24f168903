"""add_console_tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Progress of "recompute provisional deadlines" after a holiday schedule load.
    op.create_table(
        "deadline_recompute_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("tenants_total", sa.Integer(), nullable=False),
        sa.Column("tenants_done", sa.Integer(), nullable=False),
        sa.Column("letters_checked", sa.Integer(), nullable=False),
        sa.Column("letters_changed", sa.Integer(), nullable=False),
        sa.Column("requested_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_recompute_runs")),
        schema="core",
    )


def downgrade() -> None:
    op.drop_table("deadline_recompute_runs", schema="core")
