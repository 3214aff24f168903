"""stripe_letter_counts: spread the per-state counters over 16 rows

Every new letter used to add 1 to the single row (no unit, "submitted"), so
concurrent submissions queued on that row's lock until each commit: writing
letters was serialised per tenant. Each (unit, state) now has 16 stripes
chosen by the letter id; readers already sum.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STRIPES = 16


def _trigger_function(stripe_new: str, stripe_old: str, conflict: str) -> str:
    columns = "unit_id, state, stripe" if stripe_new else "unit_id, state"
    return f"""
        CREATE OR REPLACE FUNCTION letters_count_trigger() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                UPDATE letter_counts SET letters = letters - 1
                 WHERE unit_id = coalesce(OLD.unit_id, 0) AND state = OLD.state{stripe_old};
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                INSERT INTO letter_counts ({columns}, letters)
                VALUES (coalesce(NEW.unit_id, 0), NEW.state{stripe_new}, 1)
                ON CONFLICT ({conflict})
                DO UPDATE SET letters = letter_counts.letters + 1;
            END IF;
            RETURN NULL;
        END $$
    """


def upgrade() -> None:
    op.add_column(
        "letter_counts", sa.Column("stripe", sa.SmallInteger(), nullable=False, server_default="0")
    )
    op.drop_constraint("pk_letter_counts", "letter_counts", type_="primary")
    op.create_primary_key("pk_letter_counts", "letter_counts", ["unit_id", "state", "stripe"])
    op.alter_column("letter_counts", "stripe", server_default=None)
    op.execute(
        _trigger_function(
            f", NEW.id % {STRIPES}",
            f" AND stripe = OLD.id % {STRIPES}",
            "unit_id, state, stripe",
        )
    )


def downgrade() -> None:
    op.execute(
        "CREATE TEMP TABLE letter_counts_sum ON COMMIT DROP AS "
        "SELECT unit_id, state, sum(letters) AS letters FROM letter_counts GROUP BY 1, 2"
    )
    op.execute("DELETE FROM letter_counts")
    op.drop_constraint("pk_letter_counts", "letter_counts", type_="primary")
    op.drop_column("letter_counts", "stripe")
    op.create_primary_key("pk_letter_counts", "letter_counts", ["unit_id", "state"])
    op.execute("INSERT INTO letter_counts SELECT unit_id, state, letters FROM letter_counts_sum")
    op.execute(_trigger_function("", "", "unit_id, state"))
