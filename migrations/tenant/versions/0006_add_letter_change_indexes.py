"""add_letter_change_indexes: "changed since" look-ups of the supervision reconcile job

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_letters_updated_at", "letters", ["updated_at"])
    op.create_index("ix_letter_events_created_at", "letter_events", ["created_at"])
    op.create_index("ix_evaluations_created_at", "evaluations", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_evaluations_created_at", table_name="evaluations")
    op.drop_index("ix_letter_events_created_at", table_name="letter_events")
    op.drop_index("ix_letters_updated_at", table_name="letters")
