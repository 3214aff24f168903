"""Core revision 0009 seals the TOTP secrets stored in clear, with the key
``db upgrade`` hands it, and its downgrade opens them again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from leadermail.platform.accounts.models import User
from leadermail.platform.accounts.totp import new_secret
from leadermail.platform.accounts.totp_secrets import read_totp_secret
from leadermail.tenants.migrations import alembic_config

KEY = "revision-key-" + "z" * 40


@pytest.fixture
def scratch_engine(services: dict[str, str]) -> Iterator[Engine]:
    """A database of its own: this test walks the core schema down and up."""
    name = f"leadermail_r0009_{uuid.uuid4().hex[:8]}"
    url = make_url(services["database_url"])
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    admin = admin.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = create_engine(url.set(database=name))
    yield engine
    engine.dispose()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config("core")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["secret_key"] = KEY
        (command.downgrade if down else command.upgrade)(config, revision)


def test_clear_secrets_are_sealed_and_opened_again_on_downgrade(scratch_engine: Engine) -> None:
    migrate(scratch_engine, "0008")
    secret = new_secret()
    with scratch_engine.begin() as connection:
        user_id = connection.execute(
            text(
                "INSERT INTO core.users (email, display_name, totp_secret, totp_enabled, "
                "is_active, created_at, updated_at) VALUES ('wang@example.cn', '王', :secret, "
                "true, true, now(), now()) RETURNING id"
            ),
            {"secret": secret},
        ).scalar_one()
    migrate(scratch_engine, "0009")
    with scratch_engine.connect() as connection:
        stored = connection.execute(
            text("SELECT totp_secret FROM core.users WHERE id = :id"), {"id": user_id}
        ).scalar_one()
    assert stored.startswith("sealed-v1:") and secret not in stored
    assert read_totp_secret(User(id=user_id, totp_secret=stored), KEY) == secret
    migrate(scratch_engine, "0008", down=True)
    with scratch_engine.connect() as connection:
        stored = connection.execute(
            text("SELECT totp_secret FROM core.users WHERE id = :id"), {"id": user_id}
        ).scalar_one()
    assert stored == secret
