"""drop_redundant_letter_indexes: two indexes on letters that longer ones already cover

* ``ix_letters_state_reply_due`` (state, reply_due_at) is the start of
  ``ix_letters_state_due`` (state, reply_due_at, id);
* ``ix_letters_unit_state`` (unit_id, state) is the start of
  ``ix_letters_unit_state_due`` (unit_id, state, reply_due_at, id).

Every letter written updated all 24 indexes of ``letters``; these two served
no query the longer ones do not (EXPLAIN on the public-site benchmark tenant,
100,000 letters: the inbox's state and unit look-ups use the longer indexes
with the same plans, 0.01-0.03 ms; counting one unit's letters over all
states reads the wider index, 0.37 → 0.58 ms).

Cost for existing tenants: two DROP INDEX (an ACCESS EXCLUSIVE lock held for
milliseconds; no table rewrite). The downgrade builds them again.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_letters_state_reply_due", table_name="letters", if_exists=True)
    op.drop_index("ix_letters_unit_state", table_name="letters", if_exists=True)


def downgrade() -> None:
    op.create_index("ix_letters_unit_state", "letters", ["unit_id", "state"], if_not_exists=True)
    op.create_index(
        "ix_letters_state_reply_due", "letters", ["state", "reply_due_at"], if_not_exists=True
    )
