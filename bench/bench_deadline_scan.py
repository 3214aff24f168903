"""Deadline scan benchmark (issue 4): 1,000 tenants x 1,000 open letters.

    .venv/bin/python bench/bench_deadline_scan.py               # 1,000 x 1,000
    .venv/bin/python bench/bench_deadline_scan.py --tenants 100 --letters 1000   # quick
    .venv/bin/python bench/bench_deadline_scan.py --scan-only   # re-time on the last run's data

Provisions the tenants with ``create_tenant`` (2 processes), fills every tenant
with open letters in one INSERT ... SELECT generate_series each (deadlines
spread from 20 hours overdue to 16 days ahead, so ~5 % are overdue and a few
% due soon), then times :func:`scan_all_tenants`:

1. the first scan, which finds every due-soon/overdue letter and writes the
   alerts, timeline entries, notifications and e-mail jobs (the worst case:
   the first run after deployment);
2. a second scan at the same moment (steady state: nothing new to say).

Target: a scan under 60 s. Runs on the private bench cluster (bench/common.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from bench.bench_platform import provision_many  # noqa: E402
from bench.common import BENCH_SECRET, BENCH_VAR, fresh_settings  # noqa: E402
from leadermail.platform.accounts.models import Membership, Role, User  # noqa: E402
from leadermail.platform.clock import utcnow  # noqa: E402
from leadermail.platform.config import Settings  # noqa: E402
from leadermail.platform.db import Database  # noqa: E402
from leadermail.platform.deadlines.scan import scan_all_tenants  # noqa: E402
from leadermail.platform.embedded import ensure_postgres, ensure_redis  # noqa: E402
from leadermail.tenants.registry import load_tenants  # noqa: E402

FILL = """
INSERT INTO {schema}.letters (
    tenant_id, tracking_code, query_password_hash, letter_type, title, body, writer_name,
    publish_consent, channel, state, priority, unit_id, submitted_at, received_at,
    acceptance_due_at, reply_due_at, deadline_provisional, is_published, rehandle_count,
    extra, created_at, updated_at)
SELECT {tenant_id}, 'B' || {tenant_id} || 'X' || g, 'x',
    (ARRAY['complaint','consultation','help','suggestion','report'])[1 + g % 5],
    '基准来信' || g, '小区路灯不亮，夜间出行不便。', '某某', true, 'web',
    (ARRAY['submitted','registered','accepted','assigned'])[1 + g % 4], 'normal',
    (SELECT min(id) FROM {schema}.units), :now - interval '3 days', :now - interval '3 days',
    :now + ((g % 400) - 20) * interval '1 hour', :now + ((g % 400) - 20) * interval '1 hour',
    false, false, 0, '{{}}'::jsonb, :now, :now
FROM generate_series(1, {letters}) AS g
"""


def existing_settings(database: str) -> Settings:
    from sqlalchemy.engine import make_url

    url = make_url(ensure_postgres(BENCH_VAR / "pg", "postgres")).set(database=database)
    return Settings.from_env(
        {
            "DATABASE_URL": url.render_as_string(hide_password=False),
            "REDIS_URL": ensure_redis(BENCH_VAR / "redis"),
            "SECRET_KEY": BENCH_SECRET,
            "LEADERMAIL_VAR_DIR": str(BENCH_VAR / "app"),
        }
    )


def reset_alerts(database: Database) -> float:
    """Forget every warning sent, so the next scan is a first scan again."""
    began = time.perf_counter()
    with database.sync_engine.begin() as connection:
        schemas = connection.execute(text("SELECT schema_name FROM core.tenants")).scalars().all()
        connection.execute(text("DELETE FROM core.outbox WHERE job_name = 'send_deadline_emails'"))
    for schema in schemas:
        with database.sync_engine.begin() as connection:
            tables = f"{schema}.deadline_alerts, {schema}.staff_notifications"
            connection.execute(text(f"TRUNCATE {tables}"))
            connection.execute(
                text(f"DELETE FROM {schema}.letter_events WHERE kind IN ('urge', 'escalation')")
            )
    return time.perf_counter() - began


def fill(database: Database, letters: int) -> float:
    began = time.perf_counter()
    now = utcnow()
    with database.sync_engine.begin() as connection:
        tenants = connection.execute(text("SELECT id, schema_name FROM core.tenants")).all()
    with database.sync_engine.begin() as connection:
        # Staff, so notifications have recipients: one supervisor and one
        # registrar per tenant, handlers left out (urges then go to registrars).
        user_id = connection.execute(
            text("INSERT INTO core.users (email, display_name, is_active, totp_enabled, created_at,"
                 " updated_at) VALUES ('bench@example.cn', '基准', true, false, now(), now())"
                 " RETURNING id")
        ).scalar_one()
        connection.execute(
            text("INSERT INTO core.memberships (user_id, tenant_id, role, is_active, created_at)"
                 " SELECT :user, id, r, true, now() FROM core.tenants,"
                 " unnest(ARRAY[:supervisor, :registrar]) AS r"),
            {"user": user_id, "supervisor": Role.SUPERVISOR.value,
             "registrar": Role.REGISTRAR.value},
        )
    for tenant_id, schema in tenants:
        with database.sync_engine.begin() as connection:
            # 4a's letter_counts trigger names its table unqualified.
            connection.execute(text(f"SET LOCAL search_path = {schema}"))
            connection.execute(
                text(FILL.format(schema=schema, tenant_id=tenant_id, letters=letters)),
                {"now": now},
            )
            # Per table: one ANALYZE over 1,000 schemas runs out of lock slots.
            connection.execute(text(f"ANALYZE {schema}.letters"))
    assert User and Membership  # imported for their tables
    return time.perf_counter() - began


async def scan_twice(database: Database) -> list[tuple[str, str]]:
    tenants = await load_tenants(database)
    now = utcnow()
    figures = []
    for label in ("first scan (writes every alert)", "second scan (steady state)"):
        report = await scan_all_tenants(database, tenants, now=now)
        assert not report.failed, report.failed[:3]
        figures.append(
            (
                f"{label}: {report.tenants} tenants",
                f"{report.seconds:.1f} s; {report.candidates} candidates, "
                f"{report.due_soon} urged, {report.overdue} escalated (target < 60 s)",
            )
        )
    await database.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument(
        "--scan-only", action="store_true",
        help="re-time the scans on the database a previous run left (no provisioning)",
    )
    args = parser.parse_args()
    if args.scan_only:
        settings = existing_settings("bench_deadline_scan")
        database = Database(settings)
        seconds = reset_alerts(database)
        print(f"{'reset the alerts of the previous run':<55} {seconds:.1f} s")
        for name, value in asyncio.run(scan_twice(database)):
            print(f"{name:<55} {value}")
        return

    settings = fresh_settings("bench_deadline_scan")
    database = Database(settings)
    url = database.sync_engine.url.render_as_string(hide_password=False)
    results = []
    print(f"provisioning {args.tenants} tenants ...", flush=True)
    seconds = provision_many(url, 0, args.tenants, processes=args.processes)
    label = f"provision {args.tenants} tenants ({args.processes} processes)"
    results.append((label, f"{seconds:.1f} s"))
    seconds = fill(database, args.letters)
    results.append((f"insert {args.tenants} x {args.letters} open letters", f"{seconds:.1f} s"))
    results += asyncio.run(scan_twice(database))
    for name, value in results:
        print(f"{name:<55} {value}")


if __name__ == "__main__":
    main()
