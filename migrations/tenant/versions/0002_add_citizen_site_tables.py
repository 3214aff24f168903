"""add_citizen_site_tables: the index behind the published-letters list

The public list shows letters that are published *and* consented to, newest
first with the id as tie-break; this partial index serves it (and its pages,
page 200 included) by an index scan instead of sorting 20,000 rows per request.
The citizen site needs no new tables: material and evaluations use the
existing letter_events, attachments and evaluations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_letters_public_list",
        "letters",
        [sa.text("published_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text("is_published AND publish_consent"),
    )


def downgrade() -> None:
    op.drop_index("ix_letters_public_list", table_name="letters")
