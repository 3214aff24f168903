"""Tenant revision 0013 seals the intake mailbox's IMAP password saved in
clear, with the key ``db upgrade`` runs with, and its downgrade opens it again;
without the app's key it leaves the value for the poll to seal."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.runtime.environment import EnvironmentContext
from sqlalchemy import text
from sqlalchemy.engine import Engine

from leadermail.platform.channels.mailbox_passwords import read_mailbox_password
from leadermail.platform.channels.models import ChannelMailbox
from leadermail.tenants.migrations import (
    MIGRATIONS_DIR,
    alembic_config,
    migrate_tenant_schema,
    tenant_script,
)
from leadermail.tenants.provisioning import drop_tenant_schema

KEY = "revision-key-" + "i" * 40
REVISION = "0013"
#: No such tenant in core.tenants: the schema is made by hand and dropped after.
TENANT_ID = 900_000 + os.getpid() % 10_000


def _before_revision(tmp_path: Path) -> tuple[Path, str]:
    """The tenant migrations without this revision and the later ones, and the
    revision it follows."""
    location = tmp_path / "tenant"
    shutil.copytree(MIGRATIONS_DIR / "tenant", location)
    for path in (location / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"):
        if path.name[:4] >= REVISION:
            path.unlink()
    return location, tenant_script().get_revision(REVISION).down_revision


@pytest.fixture
def schema(context) -> Iterator[str]:  # noqa: ANN001
    name = f"t_{TENANT_ID}"
    yield name
    with context.database.sync_engine.begin() as connection:
        drop_tenant_schema(connection, name)


def _clear_mailbox(engine: Engine, location: Path, schema: str, password: str) -> int:
    with engine.begin() as connection:
        migrate_tenant_schema(connection, schema, tenant_id=TENANT_ID, script_location=location)
    with engine.begin() as connection:
        return connection.execute(
            text(
                f"INSERT INTO {schema}.channel_mailboxes (tenant_id, address, host, port, "
                "use_ssl, username, password, folder, is_active, last_uid, created_at) "
                "VALUES (:tenant, 'x@example.cn', 'imap.example.cn', 993, true, 'x', :password, "
                "'INBOX', true, 0, now()) RETURNING id"
            ),
            {"tenant": TENANT_ID, "password": password},
        ).scalar_one()


def _stored(engine: Engine, schema: str, mailbox_id: int) -> str:
    with engine.connect() as connection:
        return connection.execute(
            text(f"SELECT password FROM {schema}.channel_mailboxes WHERE id = :id"),
            {"id": mailbox_id},
        ).scalar_one()


def _downgrade(engine: Engine, schema: str, target: str) -> None:
    script = tenant_script()

    def downgrade(revision: object, context: object) -> object:
        return script._downgrade_revs(target, revision)

    with engine.begin() as connection:
        connection.exec_driver_sql(f"SET LOCAL search_path TO {schema}")
        with EnvironmentContext(
            alembic_config("tenant"), script, fn=downgrade, destination_rev=target
        ) as environment:
            environment.configure(
                connection=connection, version_table_schema=schema, transactional_ddl=True
            )
            environment.run_migrations()


def test_a_clear_password_is_sealed_and_opened_again_on_downgrade(
    context,
    schema,
    tmp_path,
    monkeypatch,  # noqa: ANN001
) -> None:
    monkeypatch.setenv("SECRET_KEY", KEY)
    engine = context.database.sync_engine
    location, previous = _before_revision(tmp_path)
    mailbox_id = _clear_mailbox(engine, location, schema, "intake secret 1")

    with engine.begin() as connection:  # as `leadermail db upgrade` does, to head
        migrate_tenant_schema(connection, schema, tenant_id=TENANT_ID)
    stored = _stored(engine, schema, mailbox_id)
    assert stored.startswith("sealed-v1:") and "intake" not in stored
    row = ChannelMailbox(id=mailbox_id, tenant_id=TENANT_ID, password=stored)
    assert read_mailbox_password(row, KEY) == "intake secret 1"

    _downgrade(engine, schema, previous)
    assert _stored(engine, schema, mailbox_id) == "intake secret 1"


def test_without_the_apps_key_the_value_is_left_for_the_poll(
    context,
    schema,
    tmp_path,
    monkeypatch,  # noqa: ANN001
) -> None:
    # alembic run by an operator without the app's environment on a server.
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("LEADERMAIL_ENV", "staging")
    engine = context.database.sync_engine
    location, _ = _before_revision(tmp_path)
    mailbox_id = _clear_mailbox(engine, location, schema, "intake secret 2")
    with engine.begin() as connection:
        migrate_tenant_schema(connection, schema, tenant_id=TENANT_ID)
    assert _stored(engine, schema, mailbox_id) == "intake secret 2"
