"""count_forwarded_letters_once: copies that came in from another mailbox

A letter forwarded from one mailbox to another (转办, or an appeal's copy)
has two tenant rows, the original and the receiver's copy (channel
"forwarded"), and so two letter facts. Each mailbox's figures rightly count
its own row, but the province total counted the letter twice.
``forwarded_in`` (in both rollups) counts the copies, and the province page
shows ``received - forwarded_in`` (``Figures.received_once``).

Cost on an existing province (5,000,000 facts): the column is metadata only
(a constant default); the backfill reads the facts once (no index on
``channel``: one sequential scan, seconds) and rewrites only the rollup rows
that have copies; the tenant rollups follow from their units. In one
transaction: a fact refresh job waits for it, pages keep reading.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("unit_monthly_stats", "tenant_monthly_stats"):
        op.add_column(
            table,
            sa.Column("forwarded_in", sa.Integer(), nullable=False, server_default="0"),
            schema="core",
        )
    op.execute(
        """
        UPDATE core.unit_monthly_stats AS s SET forwarded_in = f.letters
        FROM (
            SELECT tenant_id, unit_id, month, count(*) AS letters
            FROM core.letter_facts
            WHERE channel = 'forwarded'
            GROUP BY tenant_id, unit_id, month
        ) AS f
        WHERE s.tenant_id = f.tenant_id AND s.unit_id = f.unit_id AND s.month = f.month
        """
    )
    op.execute(
        """
        UPDATE core.tenant_monthly_stats AS s SET forwarded_in = u.letters
        FROM (
            SELECT tenant_id, month, sum(forwarded_in) AS letters
            FROM core.unit_monthly_stats
            WHERE forwarded_in > 0
            GROUP BY tenant_id, month
        ) AS u
        WHERE s.tenant_id = u.tenant_id AND s.month = u.month
        """
    )


def downgrade() -> None:
    for table in ("tenant_monthly_stats", "unit_monthly_stats"):
        op.drop_column(table, "forwarded_in", schema="core")
