"""add_staff_operations_tables: staff certificates and the certificate revocation list

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificate_revocations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_revocations")),
        sa.UniqueConstraint(
            "issuer", "serial", name=op.f("uq_certificate_revocations_issuer_serial")
        ),
        schema="core",
    )
    op.create_table(
        "staff_certificates",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("fingerprint_sha256", sa.String(length=64), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core.users.id"],
            name=op.f("fk_staff_certificates_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_certificates")),
        sa.UniqueConstraint(
            "fingerprint_sha256", name=op.f("uq_staff_certificates_fingerprint_sha256")
        ),
        sa.UniqueConstraint("issuer", "serial", name=op.f("uq_staff_certificates_issuer_serial")),
        schema="core",
    )
    op.create_index(
        op.f("ix_staff_certificates_user_id"),
        "staff_certificates",
        ["user_id"],
        unique=False,
        schema="core",
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(
        op.f("ix_staff_certificates_user_id"), table_name="staff_certificates", schema="core"
    )
    op.drop_table("staff_certificates", schema="core")
    op.drop_table("certificate_revocations", schema="core")
