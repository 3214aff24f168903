"""add_console_workflow_tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # --- 4a: console workflow (instructions, notes, replies, signing, inbox) ---
    _upgrade_console_workflow()
    # --- 4b: routing, deadlines, notices, exports ---
    _upgrade_routing_deadlines_notices()


def downgrade() -> None:
    # --- 4b: routing, deadlines, notices, exports (drop first: may reference 4a's) ---
    _downgrade_routing_deadlines_notices()
    # --- 4a: console workflow ---
    _downgrade_console_workflow()


# --- 4a helpers ------------------------------------------------------------------

_OPEN_STATES = "('submitted', 'registered', 'accepted', 'assigned', 'awaiting_material')"


def _upgrade_console_workflow() -> None:
    op.create_table(
        "leader_instructions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("letter_id", sa.BigInteger(), nullable=False),
        sa.Column("author_user_id", sa.BigInteger(), nullable=True),
        sa.Column("author_label", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letters.id"], name=op.f("fk_leader_instructions_letter_id_letters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leader_instructions")),
    )
    op.create_index("ix_leader_instructions_letter_id", "leader_instructions", ["letter_id"])
    op.create_table(
        "internal_notes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("letter_id", sa.BigInteger(), nullable=False),
        sa.Column("author_user_id", sa.BigInteger(), nullable=True),
        sa.Column("author_label", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letters.id"], name=op.f("fk_internal_notes_letter_id_letters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_internal_notes")),
    )
    op.create_index("ix_internal_notes_letter_id", "internal_notes", ["letter_id"])
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_replies")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_keys")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_signing_keys_fingerprint")),
    )
    op.create_table(
        "reply_signatures",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("reply_id", sa.BigInteger(), nullable=False),
        sa.Column("signing_key_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("signer_name", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reply_id"], ["replies.id"], name=op.f("fk_reply_signatures_reply_id_replies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signing_key_id"], ["signing_keys.id"],
            name=op.f("fk_reply_signatures_signing_key_id_signing_keys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_signatures")),
    )
    op.create_index("ix_reply_signatures_reply_id", "reply_signatures", ["reply_id"])
    # Inbox: every filter the inbox offers has an index whose order is the
    # inbox's order (deadline, then id), so the first page is a short index
    # walk with LIMIT, never a sort of the matching rows.
    op.create_index(
        "ix_letters_open_due", "letters", ["reply_due_at", "id"],
        postgresql_where=sa.text(f"state IN {_OPEN_STATES}"),
    )
    op.create_index("ix_letters_state_due", "letters", ["state", "reply_due_at", "id"])
    op.create_index(
        "ix_letters_unit_open_due", "letters", ["unit_id", "reply_due_at", "id"],
        postgresql_where=sa.text(f"state IN {_OPEN_STATES}"),
    )
    op.create_index(
        "ix_letters_unit_state_due", "letters", ["unit_id", "state", "reply_due_at", "id"]
    )
    op.create_index(
        "ix_letters_type_open_due", "letters", ["letter_type", "reply_due_at", "id"],
        postgresql_where=sa.text(f"state IN {_OPEN_STATES}"),
    )
    op.create_index(
        "ix_letters_category_open_due", "letters", ["category_id", "reply_due_at", "id"],
        postgresql_where=sa.text(f"state IN {_OPEN_STATES}"),
    )
    # The letter page lists merged duplicates (letters.duplicate_of_id).
    op.create_index(
        "ix_letters_duplicate_of_id", "letters", ["duplicate_of_id"],
        postgresql_where=sa.text("duplicate_of_id IS NOT NULL"),
    )
    # Counts per state: kept by a trigger instead of count(*) over a million
    # rows on every inbox load. Names are unqualified: the runner and every
    # tenant session set search_path to the tenant schema.
    op.create_table(
        "letter_counts",
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("letters", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "state", name=op.f("pk_letter_counts")),
    )
    op.execute(
        """
        CREATE FUNCTION letters_count_trigger() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                UPDATE letter_counts SET letters = letters - 1
                 WHERE unit_id = coalesce(OLD.unit_id, 0) AND state = OLD.state;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                INSERT INTO letter_counts (unit_id, state, letters)
                VALUES (coalesce(NEW.unit_id, 0), NEW.state, 1)
                ON CONFLICT (unit_id, state)
                DO UPDATE SET letters = letter_counts.letters + 1;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER letters_count_insert_delete AFTER INSERT OR DELETE ON letters "
        "FOR EACH ROW EXECUTE FUNCTION letters_count_trigger()"
    )
    op.execute(
        "CREATE TRIGGER letters_count_update AFTER UPDATE OF state, unit_id ON letters "
        "FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state "
        "OR OLD.unit_id IS DISTINCT FROM NEW.unit_id) "
        "EXECUTE FUNCTION letters_count_trigger()"
    )
    op.execute(
        "INSERT INTO letter_counts (unit_id, state, letters) "
        "SELECT coalesce(unit_id, 0), state, count(*) FROM letters GROUP BY 1, 2"
    )


def _downgrade_console_workflow() -> None:
    op.execute("DROP TRIGGER letters_count_update ON letters")
    op.execute("DROP TRIGGER letters_count_insert_delete ON letters")
    op.execute("DROP FUNCTION letters_count_trigger()")
    op.drop_table("letter_counts")
    for name in (
        "ix_letters_duplicate_of_id", "ix_letters_category_open_due", "ix_letters_type_open_due",
        "ix_letters_unit_state_due",
        "ix_letters_unit_open_due", "ix_letters_state_due", "ix_letters_open_due",
    ):
        op.drop_index(name, table_name="letters")
    op.drop_table("reply_signatures")
    op.drop_table("signing_keys")
    op.drop_table("canned_replies")
    op.drop_table("internal_notes")
    op.drop_table("leader_instructions")


# --- 4b helpers ------------------------------------------------------------------


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _upgrade_routing_deadlines_notices() -> None:
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("conditions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("assign_unit_id", sa.BigInteger(), nullable=True),
        sa.Column("set_priority", sa.String(length=10), nullable=True),
        sa.Column("deadline_rule", sa.String(length=10), nullable=True),
        sa.Column("forward_tenant_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _fk("routing_rules", "assign_unit_id", "units", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
    )
    op.create_index(op.f("ix_routing_rules_position"), "routing_rules", ["position"])
    op.create_table(
        "deadline_alerts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("letter_id", sa.BigInteger(), nullable=False),
        sa.Column("deadline", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _fk("deadline_alerts", "letter_id", "letters", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_alerts")),
        sa.UniqueConstraint(
            "letter_id", "deadline", "due_at", "level",
            name=op.f("uq_deadline_alerts_letter_id_deadline_due_at_level"),
        ),
    )
    # The deadline scan: letters waiting for acceptance, by due time.
    op.create_index("ix_letters_state_acceptance_due", "letters", ["state", "acceptance_due_at"])
    op.create_index(
        "ix_letters_provisional", "letters", ["id"],
        postgresql_where=sa.text("deadline_provisional"),
    )
    op.create_index("ix_letters_writer_id_number", "letters", ["writer_id_number"])
    op.create_table(
        "letter_notices",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("letter_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("issued_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _fk("letter_notices", "letter_id", "letters", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_notices")),
    )
    op.create_index(op.f("ix_letter_notices_letter_id"), "letter_notices", ["letter_id"])
    op.create_table(
        "letter_extensions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("letter_id", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("previous_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("new_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _fk("letter_extensions", "letter_id", "letters", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_extensions")),
    )
    op.create_index(op.f("ix_letter_extensions_letter_id"), "letter_extensions", ["letter_id"])
    op.create_table(
        "duplicate_candidates",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("letter_id", sa.BigInteger(), nullable=False),
        sa.Column("duplicate_of_id", sa.BigInteger(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("matched_on", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _fk("duplicate_candidates", "duplicate_of_id", "letters", "CASCADE"),
        _fk("duplicate_candidates", "letter_id", "letters", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_candidates")),
        sa.UniqueConstraint(
            "letter_id", "duplicate_of_id",
            name=op.f("uq_duplicate_candidates_letter_id_duplicate_of_id"),
        ),
    )
    op.create_index(
        op.f("ix_duplicate_candidates_duplicate_of_id"), "duplicate_candidates", ["duplicate_of_id"]
    )
    op.create_index(op.f("ix_duplicate_candidates_status"), "duplicate_candidates", ["status"])
    op.create_table(
        "staff_notifications",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("letter_id", sa.BigInteger(), nullable=True),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _fk("staff_notifications", "letter_id", "letters", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_notifications")),
    )
    op.create_index(
        "ix_staff_notifications_unread", "staff_notifications", ["user_id"],
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_index(
        "ix_staff_notifications_user_id_created_at", "staff_notifications",
        ["user_id", "created_at"],
    )
    op.create_index(
        "uq_staff_notifications_user_id_dedupe_key", "staff_notifications",
        ["user_id", "dedupe_key"], unique=True,
    )
    op.create_table(
        "letter_exports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("requested_by_user_id", sa.BigInteger(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("filters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("masked", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_exports")),
    )
    op.create_index(
        op.f("ix_letter_exports_requested_by_user_id"), "letter_exports", ["requested_by_user_id"]
    )


def _downgrade_routing_deadlines_notices() -> None:
    op.drop_table("letter_exports")
    op.drop_table("staff_notifications")
    op.drop_table("duplicate_candidates")
    op.drop_table("letter_extensions")
    op.drop_table("letter_notices")
    for name in (
        "ix_letters_writer_id_number", "ix_letters_provisional", "ix_letters_state_acceptance_due",
    ):
        op.drop_index(name, table_name="letters")
    op.drop_table("deadline_alerts")
    op.drop_table("routing_rules")
