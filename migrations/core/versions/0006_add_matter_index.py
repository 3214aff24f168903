"""add_matter_index: matters under handling, for the art. 19 check

One row per letter a citizen wrote to a tenant directly, while it is open
(``core.open_matters``): keyed hashes of the writer's phone / ID number and a
keyed bigram fingerprint of the text, so an upper tenant's intake finds the
same matter in hand below with one indexed query. Maintained by the
``refresh_open_matter`` job. Letters submitted before this revision are added
by ``leadermail matters reindex`` (once; a fresh site needs nothing): the keys need the server secret, which a migration lacks.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "open_matters",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("letter_id", sa.BigInteger(), nullable=False),
        sa.Column("tracking_code", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("writer_phone_key", sa.String(length=64), nullable=True),
        sa.Column("writer_id_key", sa.String(length=64), nullable=True),
        sa.Column("fingerprint", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core.tenants.id"],
            name=op.f("fk_open_matters_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "letter_id", name=op.f("pk_open_matters")),
        schema="core",
    )
    op.create_index(
        "ix_open_matters_writer_id_key",
        "open_matters",
        ["writer_id_key"],
        unique=False,
        schema="core",
    )
    op.create_index(
        "ix_open_matters_writer_phone_key",
        "open_matters",
        ["writer_phone_key"],
        unique=False,
        schema="core",
    )


def downgrade() -> None:
    op.drop_index("ix_open_matters_writer_phone_key", table_name="open_matters", schema="core")
    op.drop_index("ix_open_matters_writer_id_key", table_name="open_matters", schema="core")
    op.drop_table("open_matters", schema="core")
