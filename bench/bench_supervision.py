"""Province dashboard with 1,000 tenants and 5 million letters: request p99.

    .venv/bin/python bench/bench_supervision.py            # ~2-4 minutes
    .venv/bin/python bench/bench_supervision.py --letters 500000 --requests 200

What it does, in a database of its own (dropped at the end unless --keep):

1. migrates ``core``; inserts 1,000 tenant registry rows (kind province for the
   first, the rest cities and counties) and a province admin. The tenants'
   schemas are NOT created: the dashboard reads only the shared-schema
   aggregates, so the benchmark loads ``core.letter_facts`` directly
   (5M rows generated in SQL, ~5% open, part overdue, 24 months, 10 units
   per tenant) and builds the rollups (``core.unit_monthly_stats``,
   ``core.tenant_monthly_stats``) from them;
2. requests ``/console/supervision/province`` (the default 12-month period)
   through the ASGI app as a signed-in province admin, sequentially, after a
   warm-up, and prints p50/p95/p99 and the mean.

Uses TEST_DATABASE_URL / TEST_REDIS_URL when set, else the embedded servers
under /tmp/leadermail-bench-supervision.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

import httpx
import psycopg
from itsdangerous import TimestampSigner
from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leadermail.platform.config import Settings  # noqa: E402
from leadermail.platform.embedded import ensure_postgres, ensure_redis  # noqa: E402

DB_NAME = "leadermail_bench_supervision"
SECRET = "bench-secret-" + "x" * 40
HOST = "szxx.bench.gov.cn"

FACTS_SQL = """
INSERT INTO core.letter_facts (
    tenant_id, letter_id, unit_id, unit_name, letter_type, category_id, category_name,
    channel, state, month, started_at, accepted_at, replied_at, closed_at, reply_due_at,
    effective_due_at, is_open, is_accepted, is_not_accepted, is_replied, on_time, is_closed,
    was_forwarded, was_assigned, urge_count, is_away, away_seconds, handling_working_days,
    satisfaction, problem_solved, rehandled, source_updated_at, refreshed_at)
SELECT tenant_id, g, unit_id, '承办单位' || unit_id,
    (ARRAY['consultation','complaint','report','suggestion','help'])[1 + r % 5],
    1 + r % 16, '分类' || (1 + r % 16), 'web',
    CASE WHEN r < 50 THEN 'assigned' WHEN r < 80 THEN 'not_accepted' ELSE 'closed' END,
    date_trunc('month', started AT TIME ZONE 'Asia/Shanghai')::date, started,
    CASE WHEN r >= 80 OR r < 50 THEN started + interval '1 hour' END,
    CASE WHEN r >= 80 THEN started + (r % 20) * interval '1 day' END,
    CASE WHEN r >= 80 THEN started + (r % 20 + 1) * interval '1 day' END,
    started + interval '14 days', started + interval '14 days',
    r < 50, r >= 80 OR r < 50, r BETWEEN 50 AND 79, r >= 80,
    CASE WHEN r >= 80 THEN r % 20 <= 14 END, r >= 80,
    r % 37 = 0, r >= 50, r % 7, false, 0,
    CASE WHEN r >= 80 THEN (r % 20) * 5 / 7 END,
    CASE WHEN r >= 300 THEN (ARRAY['satisfied','basically_satisfied','unsatisfied'])[1 + r % 3] END,
    CASE WHEN r >= 300 THEN r % 4 <> 0 END,
    r % 53 = 0, started, now()
FROM (
    SELECT g, :first_tenant + (g % :tenants) AS tenant_id, 1 + (g / :tenants) % 10 AS unit_id,
        (g * 2654435761) % 1000 AS r,
        now() - ((g * 7919) % 730) * interval '1 day' - (g % 86400) * interval '1 second'
            AS started
    FROM generate_series(1::bigint, :letters) AS g
) AS s
"""


def server_urls() -> tuple[str, str]:
    # A cluster of its own: other benchmarks writing heavily to a shared one
    # stall this one behind their checkpoints.
    var = Path("/tmp/leadermail-bench-supervision")
    server = os.environ.get("TEST_DATABASE_URL") or ensure_postgres(var / "pg", "postgres")
    redis = os.environ.get("TEST_REDIS_URL") or ensure_redis(var / "redis")
    return server, redis


def _conninfo(url: str, database: str) -> str:
    return (
        make_url(url).set(database=database).render_as_string(hide_password=False)
        .replace("postgresql+psycopg", "postgresql")
    )


def recreate_database(server_url: str, drop_only: bool = False) -> str:
    with psycopg.connect(_conninfo(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f"CREATE DATABASE \"{DB_NAME}\" ENCODING 'UTF8' TEMPLATE template0")
    return make_url(server_url).set(database=DB_NAME).render_as_string(hide_password=False)


def load(settings: Settings, tenants: int, letters: int) -> int:
    """Registry rows, a province admin, facts and rollups. Returns the admin's id."""
    from leadermail.platform.db import Database
    from leadermail.platform.supervision.aggregates import BUILD_ALL_ROLLUPS
    from leadermail.tenants.migrations import upgrade_core

    database = Database(settings)
    engine = database.sync_engine
    upgrade_core(engine)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO core.tenants (slug, name, kind, parent_id, status, theme, "
                "schema_name, cluster, profile, settings, created_at, updated_at) "
                "SELECT 'bench-' || g, '测试信箱' || g, "
                "CASE WHEN g = 1 THEN 'province' WHEN g <= 15 THEN 'city' ELSE 'county' END, "
                "NULL, 'active', 'base', 't_' || (900000 + g), 'main', '{}', '{}', now(), now() "
                "FROM generate_series(1, :n) AS g"
            ),
            {"n": tenants},
        )
        first = conn.execute(text("SELECT min(id) FROM core.tenants")).scalar_one()
        # Every other mailbox below the province, as in a real deployment (the
        # province's page counts its own tree only).
        conn.execute(
            text("UPDATE core.tenants SET parent_id = :first WHERE id <> :first"),
            {"first": first},
        )
        conn.execute(
            text("INSERT INTO core.tenant_domains (host, tenant_id, is_primary, created_at) "
                 "VALUES (:host, :t, true, now())"),
            {"host": HOST, "t": first},
        )
        user_id = conn.execute(
            text("INSERT INTO core.users (email, display_name, is_active, totp_enabled, "
                 "created_at, updated_at) VALUES ('admin@bench.gov.cn', '省管理员', true, false, "
                 "now(), now()) RETURNING id")
        ).scalar_one()
        conn.execute(
            text("INSERT INTO core.memberships (user_id, tenant_id, role, is_active, created_at) "
                 "VALUES (:u, :t, 'province_admin', true, now())"),
            {"u": user_id, "t": first},
        )
        # Indexes are built once after the load, as a bulk import would
        # (whatever indexes the migrations declare, rebuilt as declared).
        indexes = conn.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'core' "
                "AND tablename = 'letter_facts' AND indexname NOT LIKE 'pk_%'"
            )
        ).all()
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX core."{name}"'))
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.execute(
            text(FACTS_SQL), {"first_tenant": first, "tenants": tenants, "letters": letters}
        )
    print(f"  {letters:,} letter facts in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    with engine.begin() as conn:
        for _, definition in indexes:
            conn.execute(text(definition))
        for statement in BUILD_ALL_ROLLUPS:
            conn.execute(statement)
        rollups = conn.execute(text("SELECT count(*) FROM core.unit_monthly_stats")).scalar_one()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("letter_facts", "unit_monthly_stats", "tenant_monthly_stats"):
            conn.execute(text(f"VACUUM ANALYZE core.{table}"))
    print(f"  indexes + {rollups:,} rollup rows in {time.perf_counter() - started:.1f} s",
          flush=True)
    engine.dispose()
    return int(user_id)


def session_cookie(user_id: int) -> tuple[str, str]:
    csrf = secrets.token_urlsafe(16)
    data = {"staff_user_id": user_id, "staff_signed_in_at": int(time.time()), "csrf_secret": csrf}
    payload = base64.b64encode(json.dumps(data).encode())
    return TimestampSigner(SECRET).sign(payload).decode(), csrf


async def measure(
    settings: Settings, user_id: int, requests: int, warmup: int, path: str
) -> list[float]:
    from leadermail.app import create_app
    from leadermail.platform.context import AppContext

    context = AppContext.create(settings)
    app = create_app(context=context)
    cookie, _ = session_cookie(user_id)
    timings: list[float] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        client.cookies.set("leadermail_session", cookie)
        for index in range(warmup + requests):
            started = time.perf_counter()
            response = await client.get(path)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                body = response.text[:500]
                raise SystemExit(f"dashboard answered {response.status_code}: {body}")
            if index == 0:
                # Honest about restarts: no pool, no compiled template, no
                # tenant directory, no cached figures yet.
                first = elapsed * 1000
            if index >= warmup:
                timings.append(elapsed * 1000)
        size = len(response.content)
    await context.close()
    print(f"  first request of the fresh process: {first:.1f} ms", flush=True)
    print(f"  last page: {size:,} bytes", flush=True)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--letters", type=int, default=5_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--cold", action="store_true", help="bypass the 60 s figure cache")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database kept by an earlier --keep run"
    )
    args = parser.parse_args()

    server_url, redis_url = server_urls()
    if args.reuse:
        database_url = make_url(server_url).set(database=DB_NAME).render_as_string(
            hide_password=False
        )
    else:
        database_url = recreate_database(server_url)
    settings = Settings.from_env({
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": SECRET,
        "LEADERMAIL_VAR_DIR": "/tmp/leadermail-bench-supervision/var",
        "PLATFORM_HOST": "platform.bench", "BASE_URL": f"http://{HOST}",
    })
    try:
        print(f"loading {args.tenants:,} tenants, {args.letters:,} letters "
              "(aggregates only; tenant schemas are not created)", flush=True)
        if args.reuse:
            with psycopg.connect(_conninfo(server_url, DB_NAME)) as conn:
                row = conn.execute("SELECT id FROM core.users WHERE email = 'admin@bench.gov.cn'")
                user_id = int(row.fetchone()[0])
        else:
            user_id = load(settings, args.tenants, args.letters)
        print(f"measuring {args.requests} requests after {args.warmup} warm-up "
              "(sequential, through the ASGI app, signed-in province admin)", flush=True)
        # Default: as served (figures cached in Redis for a minute, so one
        # request in many computes). --cold: every request computes.
        path = "/console/supervision/province" + ("?fresh=1" if args.cold else "")
        timings = asyncio.run(measure(settings, user_id, args.requests, args.warmup, path))
    finally:
        if not args.keep:
            recreate_database(server_url, drop_only=True)
    p99 = percentile(timings, 0.99)
    mode = "cold, every request computes" if args.cold else "as served, 60 s figure cache"
    print(
        f"province dashboard ({mode}): p50 {percentile(timings, 0.5):.1f} ms, "
        f"p95 {percentile(timings, 0.95):.1f} ms, p99 {p99:.1f} ms, "
        f"mean {statistics.mean(timings):.1f} ms, max {max(timings):.1f} ms "
        f"(target p99 < 200 ms: {'met' if p99 < 200 else 'NOT met'})"
    )
    return 0 if p99 < 200 else 1


if __name__ == "__main__":
    sys.exit(main())
