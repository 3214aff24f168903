"""Migrating the shared schema and every tenant schema.

Per-schema framework overhead is what makes schema-per-tenant migrations take
hours elsewhere; here the tenant revisions are loaded once and run against each
schema through one ``EnvironmentContext`` call, with no env.py re-import and no
interpreter per tenant::

    report = upgrade_all(database, progress=True)
    report.failed  # [(tenant, error), ...]: the others were still upgraded

Each tenant upgrades in its own transaction, which also stamps
``core.tenants.schema_version``; an interrupted run therefore leaves every
tenant either fully upgraded or untouched, and re-running finishes the job.

Concurrency uses *processes*, not threads: Alembic's ``op`` and ``context``
are module-level proxies, so two threads migrating at once would send one
tenant's DDL down the other tenant's connection. Inside one process a lock
serialises migrations for the same reason.
"""

from __future__ import annotations

import io
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine

from leadermail.platform.config import DEVELOPMENT_SECRET, PROJECT_ROOT, Settings
from leadermail.tenants.session import check_schema_name

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"

#: Alembic's global proxies allow one migration at a time per process.
_ALEMBIC_LOCK = threading.Lock()
#: Stands for the schema name in the cached head DDL (see ``head_ddl``).
_SCHEMA_PLACEHOLDER = "leadermail_schema_placeholder"


def alembic_config(environment: str, script_location: Path | None = None) -> Config:
    """The Alembic config of ``core`` or ``tenant``."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"), ini_section=environment)
    config.set_main_option("script_location", str(script_location or MIGRATIONS_DIR / environment))
    return config


@cache
def _tenant_script(script_location: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("tenant", Path(script_location)))


def tenant_script(script_location: Path | None = None) -> ScriptDirectory:
    return _tenant_script(str(script_location or MIGRATIONS_DIR / "tenant"))


def tenant_head(script_location: Path | None = None) -> str:
    head = tenant_script(script_location).get_current_head()
    assert head is not None, "the tenant migrations have no head"
    return head


def sealing_key(attributes: Mapping[str, Any]) -> str | None:
    """The key a revision that seals data at rest uses (core 0009, tenant 0013):
    the one :func:`upgrade_core` was handed, else ``SECRET_KEY`` from the
    environment, as the ``alembic`` CLI has it. None when that is only the
    development secret outside development: the app then seals the values
    itself, under its real key, the next time it writes them."""
    given = attributes.get("secret_key")
    if given:
        return str(given)
    settings = Settings.from_env()
    if settings.secret_key == DEVELOPMENT_SECRET and settings.environment != "development":
        return None
    return settings.secret_key


def upgrade_core(engine: Engine, *, secret_key: str | None = None) -> None:
    """Bring the shared schema ``core`` to head (one transaction).

    ``secret_key`` is for revisions that seal data at rest (0009); without it
    they read ``SECRET_KEY`` from the environment, as the ``alembic`` CLI does.
    """
    config = alembic_config("core")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["secret_key"] = secret_key
        command.upgrade(config, "head")


def migrate_tenant_schema(
    connection: Connection,
    schema_name: str,
    *,
    tenant_id: int,
    lock_timeout_ms: int = 5000,
    script_location: Path | None = None,
) -> str:
    """Create ``schema_name`` if needed and upgrade it to head.

    Runs inside the caller's transaction (the caller commits), sets the tenant
    search_path and a lock timeout for this transaction only, and records the
    new version in ``core.tenants``. Returns the version reached.
    """
    with _ALEMBIC_LOCK:
        return _migrate_locked(connection, schema_name, tenant_id, lock_timeout_ms, script_location)


@cache
def _head_ddl(script_location: str) -> str:
    """The DDL of every tenant revision up to head, rendered once per process.

    Alembic's offline ("--sql") mode renders the very same revision scripts
    to SQL, so a new tenant is created at head by one round trip instead of
    replaying each revision through the migration framework; the revisions
    remain the single source of truth.
    """
    location = Path(script_location)
    script = tenant_script(location)
    head = tenant_head(location)
    buffer = io.StringIO()

    def upgrade(revision: object, context: object) -> object:
        return script._upgrade_revs(head, revision)

    with EnvironmentContext(
        alembic_config("tenant", location), script, fn=upgrade, as_sql=True, destination_rev=head
    ) as environment:
        environment.configure(
            dialect_name="postgresql",
            # "named" keeps '%' as is; the default pyformat style would double
            # it, and this SQL is executed without parameters.
            dialect_opts={"paramstyle": "named"},
            output_buffer=buffer,
            version_table_schema=_SCHEMA_PLACEHOLDER,
            transactional_ddl=False,
            literal_binds=True,
        )
        environment.run_migrations()
    return buffer.getvalue()


def head_ddl(script_location: Path | None = None) -> str:
    return _head_ddl(str(script_location or MIGRATIONS_DIR / "tenant"))


def _renderable_head_ddl(script_location: Path | None) -> str | None:
    """None when a revision cannot be rendered offline (say it reads data
    through ``op.get_bind()``): such schemas take the online path."""
    try:
        return head_ddl(script_location)
    except Exception:  # noqa: BLE001 - any rendering failure means "go online"
        return None


def _is_fresh(connection: Connection, schema: str) -> bool:
    return not connection.execute(
        text("SELECT 1 FROM pg_tables WHERE schemaname = :s LIMIT 1"), {"s": schema}
    ).first()


def _migrate_locked(
    connection: Connection,
    schema_name: str,
    tenant_id: int,
    lock_timeout_ms: int,
    script_location: Path | None,
    *,
    allow_fast_path: bool = True,
) -> str:
    schema = check_schema_name(schema_name)
    script = tenant_script(script_location)
    head = tenant_head(script_location)
    connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    connection.exec_driver_sql(f"SET LOCAL search_path TO {schema}")
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
    fresh = allow_fast_path and _is_fresh(connection, schema)
    ddl = _renderable_head_ddl(script_location) if fresh else None
    if ddl is not None:
        ddl = ddl.replace(_SCHEMA_PLACEHOLDER, schema)
        # The raw driver connection: no parameter parsing of '%' in the DDL,
        # and several statements in one simple-protocol round trip.
        connection.connection.driver_connection.execute(ddl)  # type: ignore[union-attr]
        _stamp(connection, head, tenant_id)
        return head

    def upgrade(revision: object, context: object) -> object:
        return script._upgrade_revs(head, revision)

    with EnvironmentContext(
        alembic_config("tenant", script_location),
        script,
        fn=upgrade,
        destination_rev=head,
    ) as environment:
        environment.configure(
            connection=connection,
            version_table_schema=schema,
            transactional_ddl=True,
        )
        environment.run_migrations()
    _stamp(connection, head, tenant_id)
    return head


def _stamp(connection: Connection, head: str, tenant_id: int) -> None:
    connection.execute(
        text("UPDATE core.tenants SET schema_version = :v WHERE id = :id"),
        {"v": head, "id": tenant_id},
    )


@dataclass(frozen=True)
class TenantVersion:
    tenant_id: int
    slug: str
    schema_name: str
    schema_version: str | None


@dataclass
class UpgradeReport:
    head: str
    total: int = 0
    up_to_date: int = 0
    upgraded: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def tenant_census(engine: Engine) -> list[TenantVersion]:
    """Every tenant's schema version, in one query."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, slug, schema_name, schema_version FROM core.tenants "
                "WHERE status <> 'provisioning' ORDER BY id"
            )
        ).all()
    return [TenantVersion(*row) for row in rows]


def upgrade_tenants(
    engine: Engine,
    *,
    workers: int = 4,
    lock_timeout_ms: int = 5000,
    script_location: Path | None = None,
    on_progress: Callable[[TenantVersion, str | None], None] | None = None,
    tenants: Iterable[TenantVersion] | None = None,
) -> UpgradeReport:
    """Upgrade every tenant schema behind head; carry on past failures."""
    started = time.perf_counter()
    head = tenant_head(script_location)
    census = list(tenants) if tenants is not None else tenant_census(engine)
    behind = [t for t in census if t.schema_version != head]
    report = UpgradeReport(head=head, total=len(census), up_to_date=len(census) - len(behind))

    def record(tenant: TenantVersion, error: str | None) -> None:
        if error is None:
            report.upgraded.append(tenant.slug)
        else:
            report.failed.append((tenant.slug, error))
        if on_progress is not None:
            on_progress(tenant, error)

    url = engine.url.render_as_string(hide_password=False)
    if len(behind) == 1 or workers <= 1:
        for tenant in behind:
            record(tenant, _upgrade_one(engine, tenant, lock_timeout_ms, script_location))
    elif behind:
        # spawn, not fork: a forked child would share the parent's pooled sockets.
        with ProcessPoolExecutor(
            max_workers=min(workers, len(behind)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(url,),
        ) as pool:
            futures = {
                pool.submit(_upgrade_in_worker, t, lock_timeout_ms, script_location): t
                for t in behind
            }
            for future in as_completed(futures):
                tenant = futures[future]
                try:
                    error = future.result()
                except Exception as exc:  # the worker process itself died
                    error = _one_line(exc)
                record(tenant, error)
    report.upgraded.sort()
    report.failed.sort()
    report.seconds = time.perf_counter() - started
    return report


def _upgrade_one(
    engine: Engine, tenant: TenantVersion, lock_timeout_ms: int, script_location: Path | None
) -> str | None:
    """Upgrade one tenant in its own transaction; the error text, or None."""
    try:
        with engine.begin() as connection:
            migrate_tenant_schema(
                connection,
                tenant.schema_name,
                tenant_id=tenant.tenant_id,
                lock_timeout_ms=lock_timeout_ms,
                script_location=script_location,
            )
    except Exception as exc:  # reported per tenant; the run carries on
        return _one_line(exc)
    return None


_worker_engine: Engine | None = None


def _init_worker(url: str) -> None:
    global _worker_engine
    from leadermail.platform.db import NEUTRAL_SEARCH_PATH

    _worker_engine = create_engine(
        url,
        pool_size=1,
        connect_args={
            "prepare_threshold": None,
            "options": f"-c search_path={NEUTRAL_SEARCH_PATH}",
        },
    )


def _upgrade_in_worker(
    tenant: TenantVersion, lock_timeout_ms: int, script_location: Path | None
) -> str | None:
    assert _worker_engine is not None
    return _upgrade_one(_worker_engine, tenant, lock_timeout_ms, script_location)


def _one_line(error: BaseException) -> str:
    message = str(error).strip().splitlines()
    return f"{type(error).__name__}: {message[0] if message else ''}"
