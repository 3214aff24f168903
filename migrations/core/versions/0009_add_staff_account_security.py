"""add_staff_account_security: password resets, sessions ended on password change, sealed TOTP secrets

- ``core.password_resets``: the 忘记密码 links (only a SHA-256 of each token).
- ``core.users.password_changed_at``: sessions signed in before it stop
  working (``accounts.sessions.session_marker``); NULL for everyone now, so
  no session ends at deploy.
- ``core.users.totp_secret`` widened to 200 characters and every secret in
  clear sealed (AES-256-GCM, ``accounts.totp_secrets``) with the key derived
  from ``SECRET_KEY``. ``leadermail db upgrade`` hands this revision the
  running settings' key; the ``alembic`` command line reads it from the
  environment as ``migrations/core/env.py`` does. If the key is only the
  development default while ``LEADERMAIL_ENV`` is not development (an
  operator running alembic without the app's environment), nothing is
  sealed here: the values stay readable and each is sealed at its user's
  next sign-in, rather than sealed under a key the app does not have.

Cost on an existing province: the new column and the wider varchar are
catalogue changes only (no rewrite of ``users``); the new table is empty;
sealing rewrites one row per enrolled staff member (thousands: well under a
second of AES plus one UPDATE each), in the same transaction. Sessions go on:
the session marker is a digest of the secret itself, not of its stored form.

Downgrade opens the sealed secrets again (it needs the same key; it stops
with a message rather than leave secrets the old code cannot read), drops
the table and the column. Every reset link is lost.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from leadermail.platform.sealing import PREFIX, SealBroken, Sealer
from leadermail.tenants.migrations import sealing_key

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Fixed here (not imported) so that this revision keeps doing what it did.
TOTP_PURPOSE = "totp-secret"


def _secrets(connection: sa.Connection, *, sealed: bool) -> list[tuple[int, str]]:
    condition = "LIKE" if sealed else "NOT LIKE"
    rows = connection.execute(
        sa.text(
            "SELECT id, totp_secret FROM core.users WHERE totp_secret IS NOT NULL "
            f"AND totp_secret {condition} :prefix"
        ),
        {"prefix": PREFIX + "%"},
    )
    return [(user_id, value) for user_id, value in rows]


def _store(connection: sa.Connection, user_id: int, value: str) -> None:
    connection.execute(
        sa.text("UPDATE core.users SET totp_secret = :value WHERE id = :id"),
        {"value": value, "id": user_id},
    )


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        schema="core",
    )
    op.alter_column(
        "users",
        "totp_secret",
        existing_type=sa.String(length=64),
        type_=sa.String(length=200),
        existing_nullable=True,
        schema="core",
    )
    op.create_table(
        "password_resets",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core.tenants.id"],
            name=op.f("fk_password_resets_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core.users.id"],
            name=op.f("fk_password_resets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
        schema="core",
    )
    op.create_index(
        op.f("ix_password_resets_user_id"),
        "password_resets",
        ["user_id"],
        unique=False,
        schema="core",
    )
    secret_key = sealing_key(context.config.attributes)
    if secret_key is None:
        return  # sealed lazily at each user's next sign-in (see the docstring)
    connection = op.get_bind()
    sealer = Sealer(secret_key, TOTP_PURPOSE)
    for user_id, secret in _secrets(connection, sealed=False):
        _store(connection, user_id, sealer.seal(secret, bound_to=f"user:{user_id}"))


def downgrade() -> None:
    connection = op.get_bind()
    sealed = _secrets(connection, sealed=True)
    if sealed:
        secret_key = sealing_key(context.config.attributes)
        if secret_key is None:
            raise RuntimeError("downgrading 0009 opens the sealed TOTP secrets: set SECRET_KEY")
        sealer = Sealer(secret_key, TOTP_PURPOSE)
        for user_id, value in sealed:
            try:
                _store(connection, user_id, sealer.open(value, bound_to=f"user:{user_id}"))
            except SealBroken as exc:
                raise RuntimeError(
                    f"user {user_id}'s TOTP secret does not open with this SECRET_KEY"
                ) from exc
    op.alter_column(
        "users",
        "totp_secret",
        existing_type=sa.String(length=200),
        type_=sa.String(length=64),
        existing_nullable=True,
        schema="core",
    )
    op.drop_index(op.f("ix_password_resets_user_id"), table_name="password_resets", schema="core")
    op.drop_table("password_resets", schema="core")
    op.drop_column("users", "password_changed_at", schema="core")
