"""seal_channel_secrets: the intake mailbox's IMAP password sealed at rest

``channel_mailboxes.password`` held the IMAP password in clear. It is now
sealed (AES-256-GCM under a key derived from ``SECRET_KEY``, purpose
``imap-password``, bound to the tenant and the row:
``leadermail.platform.channels.mailbox_passwords``); the sealed form fits the
existing ``varchar(255)`` (the console takes passwords of at most 150 bytes),
so the schema does not change, only the values.

``leadermail db upgrade`` runs tenant revisions in worker processes with the
command's environment, so the key is read from ``SECRET_KEY`` there (as core
revision 0009 does when it is not handed one). If the key is only the
development default while ``LEADERMAIL_ENV`` is not development (alembic run
without the app's environment), nothing is sealed here: the clear values
stay readable and each is sealed at its mailbox's next poll (at most five
minutes after the worker starts) or save, rather than sealed under a key
the app does not have. A new tenant's schema, built from the rendered DDL,
has no mailbox to seal.

Cost for existing tenants: one read of ``channel_mailboxes`` (one row at
most per tenant) and one UPDATE where a password is in clear; no lock
beyond that row.

Downgrade opens the sealed passwords again (same key needed; it stops with
a message rather than leave passwords the old code cannot use).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from leadermail.platform.sealing import PREFIX, SealBroken, Sealer
from leadermail.tenants.migrations import sealing_key

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Fixed here (not imported) so that this revision keeps doing what it did.
PURPOSE = "imap-password"
#: The longest password whose sealed form fits varchar(255).
MAX_PASSWORD_BYTES = 150


def _bound_to(tenant_id: int, mailbox_id: int) -> str:
    return f"channel-mailbox:{tenant_id}:{mailbox_id}"


def _passwords(connection: sa.Connection, *, sealed: bool) -> list[tuple[int, int, str]]:
    condition = "LIKE" if sealed else "NOT LIKE"
    rows = connection.execute(
        sa.text(
            "SELECT id, tenant_id, password FROM channel_mailboxes "
            f"WHERE password <> '' AND password {condition} :prefix"
        ),
        {"prefix": PREFIX + "%"},
    )
    return [(mailbox_id, tenant_id, value) for mailbox_id, tenant_id, value in rows]


def _store(connection: sa.Connection, mailbox_id: int, value: str) -> None:
    connection.execute(
        sa.text("UPDATE channel_mailboxes SET password = :value WHERE id = :id"),
        {"value": value, "id": mailbox_id},
    )


def upgrade() -> None:
    if context.is_offline_mode():
        return  # rendering a new tenant's DDL: no rows to seal
    connection = op.get_bind()
    clear = _passwords(connection, sealed=False)
    if not clear:
        return
    secret_key = sealing_key(context.config.attributes)
    if secret_key is None:
        return  # sealed at each mailbox's next poll or save (see the docstring)
    sealer = Sealer(secret_key, PURPOSE)
    for mailbox_id, tenant_id, password in clear:
        if len(password.encode()) > MAX_PASSWORD_BYTES:
            continue  # would not fit the column sealed; still read in clear
        sealed = sealer.seal(password, bound_to=_bound_to(tenant_id, mailbox_id))
        _store(connection, mailbox_id, sealed)


def downgrade() -> None:
    if context.is_offline_mode():
        return
    connection = op.get_bind()
    sealed = _passwords(connection, sealed=True)
    if not sealed:
        return
    secret_key = sealing_key(context.config.attributes)
    if secret_key is None:
        raise RuntimeError("downgrading 0013 opens the sealed IMAP passwords: set SECRET_KEY")
    sealer = Sealer(secret_key, PURPOSE)
    for mailbox_id, tenant_id, value in sealed:
        try:
            password = sealer.open(value, bound_to=_bound_to(tenant_id, mailbox_id))
        except SealBroken as exc:
            raise RuntimeError(
                f"intake mailbox {mailbox_id}'s password does not open with this SECRET_KEY"
            ) from exc
        _store(connection, mailbox_id, password)
