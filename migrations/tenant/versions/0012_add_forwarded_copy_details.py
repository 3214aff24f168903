"""add_forwarded_copy_details: what a forwarded copy keeps of its original

A letter forwarded to this mailbox arrives as a copy with a code of its own
(F0…); the writer knows the code of the mailbox they wrote to, and staff
are phoned with it. ``forwarded_copies`` keeps, per copy, that code (indexed:
the inbox search finds the copy by it with one equality,
``leadermail.console.inbox_identifiers``) and the sender's category name
(the copy takes this mailbox's category of the same name, or shows the
sender's as information for 登记分类). See
``leadermail.platform.forwarding.copies``.

Copies delivered before this revision get their row from the shared ledger
(``core.forwardings``, the legs delivered to this tenant); their sender's
category name is not known here (another tenant's schema is never read) and
stays empty.

Cost for existing tenants: a new, empty table and its index (no lock on any
existing table), then one INSERT … SELECT driven by the ledger's index of
legs delivered to this tenant (``ix_forwardings_to``) and the letters' primary
key: milliseconds for a tenant with a few thousand forwarded copies.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The copies already here, from the ledger's legs delivered to this tenant
#: (search_path is this tenant's schema; the shared schema is named).
BACKFILL = """
INSERT INTO forwarded_copies
    (letter_id, forwarding_id, writer_tracking_code, created_at, tenant_id)
SELECT l.id, f.id, f.tracking_code, COALESCE(f.delivered_at, f.created_at), l.tenant_id
FROM core.forwardings f
JOIN letters l ON l.id = f.to_letter_id AND l.tenant_id = f.to_tenant_id
WHERE f.to_tenant_id = (SELECT id FROM core.tenants WHERE schema_name = current_schema())
ON CONFLICT DO NOTHING
"""


def upgrade() -> None:
    op.create_table(
        "forwarded_copies",
        sa.Column("letter_id", sa.BigInteger(), nullable=False),
        sa.Column("forwarding_id", sa.BigInteger(), nullable=False),
        sa.Column("writer_tracking_code", sa.String(length=16), nullable=False),
        sa.Column("origin_category_name", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            name=op.f("fk_forwarded_copies_letter_id_letters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("letter_id", name=op.f("pk_forwarded_copies")),
        sa.UniqueConstraint("forwarding_id", name=op.f("uq_forwarded_copies_forwarding_id")),
    )
    op.create_index(
        "ix_forwarded_copies_writer_tracking_code", "forwarded_copies", ["writer_tracking_code"]
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_index("ix_forwarded_copies_writer_tracking_code", table_name="forwarded_copies")
    op.drop_table("forwarded_copies")
