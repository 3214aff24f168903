"""add_reply_attachments: staff attachments on replies

Staff attachments reuse the ``attachments`` table (``reply_id`` set,
``uploaded_by`` "staff"); what is new is the explicit "may be published"
mark, false for every existing and new file.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "attachments",
        sa.Column("is_public", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("attachments", "is_public")
