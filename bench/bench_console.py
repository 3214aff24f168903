"""Console benchmark (issue 4): one tenant with 1,000,000 letters.

    .venv/bin/python bench/bench_console.py                 # 1,000,000 letters
    .venv/bin/python bench/bench_console.py --letters 100000

1. bulk-load the letters with COPY into the tenant schema (indexes dropped
   during the load and rebuilt after, counts per state recomputed once),
   then what hangs off them: a 分办 of every letter with a unit (a fifth of
   the assigned ones with a 办理时限 before the letter's), a sent reply of
   every answered letter and drafts on a third of the open ones (1 in 8 of
   those waiting for approval, 1 in 40 returned for revision);
2. single user, in-process HTTP through the whole ASGI app (tenant
   resolution, session, CSRF, console auth, the tenant session, rendering):
   p50/p99 of the inbox's first page under several filters (as a registrar;
   the approval queue as a leader), and of the letter page of random
   letters. Target: p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from itsdangerous import TimestampSigner  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.common import BENCH_SECRET, BENCH_VAR, fresh_settings  # noqa: E402
from leadermail.app import create_app  # noqa: E402
from leadermail.platform.accounts.models import Role  # noqa: E402
from leadermail.platform.accounts.services import create_user, grant_role  # noqa: E402
from leadermail.platform.config import Settings  # noqa: E402
from leadermail.platform.context import AppContext  # noqa: E402
from leadermail.platform.embedded import ensure_postgres, ensure_redis  # noqa: E402
from leadermail.platform.letters.tracking import (  # noqa: E402
    TRACKING_CODE_ALPHABET,
    TRACKING_CODE_LENGTH,
    format_tracking_code,
)
from leadermail.platform.search import index_terms  # noqa: E402
from leadermail.tenants.provisioning import TenantSpec, create_tenant  # noqa: E402

LEADER_EMAIL = "bench-leader@example.cn"
TYPES = ["consultation", "complaint", "report", "suggestion", "help"]
#: Most letters are done with; about a quarter still wait for an answer.
STATES = (
    ["closed"] * 50
    + ["archived"] * 15
    + ["replied"] * 5
    + ["evaluated"] * 5
    + ["submitted"] * 3
    + ["registered"] * 3
    + ["accepted"] * 4
    + ["assigned"] * 13
    + ["awaiting_material"] * 2
)
TOPICS = [
    "夜间施工噪音扰民",
    "小区路灯不亮",
    "道路积水严重",
    "学校周边交通拥堵",
    "医保报销进度",
    "农村饮水安全",
    "物业乱收费",
    "餐馆油烟污染",
    "公交线路调整建议",
    "拖欠农民工工资",
]
#: 100 writers' names, 10,000 letters each at 1,000,000.
NAMES = [surname + given for surname in "王李张刘陈杨赵黄周吴" for given in "伟芳娜敏静丽强磊军涛"]
PLACES = ["人民路", "解放西路", "五一大道", "芙蓉中路", "湘江北路", "雨花区", "岳麓区", "开福区"]
COLUMNS = (
    "tenant_id",
    "tracking_code",
    "query_password_hash",
    "letter_type",
    "category_id",
    "title",
    "body",
    "region",
    "writer_name",
    "writer_phone",
    "publish_consent",
    "channel",
    "state",
    "priority",
    "unit_id",
    "submitted_at",
    "reply_due_at",
    "deadline_provisional",
    "is_published",
    "rehandle_count",
    "search_vector",
    "extra",
    "created_at",
    "updated_at",
)


def bench_tracking_code(number: int) -> str:
    """A well-formed 查询码, unique per letter number (base 31 in the code alphabet)."""
    symbols = []
    for _ in range(TRACKING_CODE_LENGTH):
        number, digit = divmod(number, len(TRACKING_CODE_ALPHABET))
        symbols.append(TRACKING_CODE_ALPHABET[digit])
    return "".join(reversed(symbols))


def tsvector_literal(*texts: str) -> str:
    lexemes = sorted(set(index_terms(*texts).split()))
    return " ".join("'" + lexeme.replace("'", "''") + "'" for lexeme in lexemes)


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def load_letters(
    url: str, schema: str, tenant_id: int, count: int, units: list[int], categories: list[int]
) -> float:
    began = time.perf_counter()
    rng = random.Random(4)
    variants = []
    for topic in TOPICS:
        for place in PLACES:
            title = f"{place}{topic}"
            body = f"我家住在{place}附近，{topic}的问题已经持续很久，希望有关部门尽快处理。"
            variants.append((title, body, tsvector_literal(title, body)))
    now = datetime.now(UTC)
    with psycopg.connect(conninfo(url), autocommit=False) as conn:
        conn.execute(f"SET search_path = {schema}")
        conn.execute("SET maintenance_work_mem = '1GB'")
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = %s AND tablename = 'letters' "
            "AND indexname NOT LIKE 'pk_%%' AND indexname NOT LIKE 'uq_%%'",
            (schema,),
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute("ALTER TABLE letters DISABLE TRIGGER USER")
        with conn.cursor().copy(f"COPY letters ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i in range(count):
                title, body, vector = variants[rng.randrange(len(variants))]
                state = rng.choice(STATES)
                submitted = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 730))
                due = submitted + timedelta(days=rng.randrange(3, 30))
                unit = (
                    None if state in {"submitted", "registered", "accepted"} else rng.choice(units)
                )
                copy.write_row(
                    (
                        tenant_id,
                        bench_tracking_code(i),
                        "x",
                        rng.choice(TYPES),
                        rng.choice(categories),
                        title,
                        body,
                        "长沙市",
                        NAMES[rng.randrange(len(NAMES))],
                        f"138{rng.randrange(10**8):08d}",
                        True,
                        "web",
                        state,
                        "normal",
                        unit,
                        submitted,
                        due,
                        False,
                        False,
                        0,
                        vector,
                        "{}",
                        submitted,
                        submitted,
                    )
                )
        conn.execute("ALTER TABLE letters ENABLE TRIGGER USER")
        loaded = time.perf_counter()
        print(f"  COPY {count:,} rows: {loaded - began:.1f} s")
        for _, definition in indexes:
            conn.execute(definition)
        conn.execute("DELETE FROM letter_counts")
        conn.execute(
            "INSERT INTO letter_counts (unit_id, state, stripe, letters) "
            "SELECT coalesce(unit_id, 0), state, 0, count(*) FROM letters GROUP BY 1, 2"
        )
        conn.commit()
        print(f"  {len(indexes)} indexes rebuilt: {time.perf_counter() - loaded:.1f} s")
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute(f"VACUUM ANALYZE {schema}.letters")
    load_work(url, schema, tenant_id)
    return time.perf_counter() - began


ANSWERED = {"replied", "evaluated", "closed", "archived"}
DRAFTABLE = {"accepted", "assigned", "awaiting_material"}


def load_work(url: str, schema: str, tenant_id: int) -> None:
    """Assignments and replies of the loaded letters (see the module docstring)."""
    began = time.perf_counter()
    with psycopg.connect(conninfo(url), autocommit=False) as conn:
        conn.execute(f"SET search_path = {schema}")
        letters = conn.execute(
            "SELECT id, state, unit_id, reply_due_at, submitted_at FROM letters ORDER BY id"
        ).fetchall()
        columns = "tenant_id, letter_id, unit_id, note, due_at, status, created_at"
        with conn.cursor().copy(f"COPY assignments ({columns}) FROM STDIN") as copy:
            for letter_id, state, unit_id, due, submitted in letters:
                if unit_id is None:
                    continue
                if state == "assigned" and letter_id % 5 == 0:
                    due = due - timedelta(days=2)  # a 办理时限 before the letter's
                status = "completed" if state in {"closed", "archived"} else "active"
                copy.write_row((tenant_id, letter_id, unit_id, None, due, status, submitted))
        columns = (
            "tenant_id, letter_id, unit_id, body_html, status, review_state,"
            " created_at, updated_at"
        )
        drafts = 0
        with conn.cursor().copy(f"COPY replies ({columns}) FROM STDIN") as copy:
            for letter_id, state, unit_id, _, submitted in letters:
                if state in ANSWERED:
                    status, review = "sent", None
                elif state in DRAFTABLE and letter_id % 3 == 0:
                    drafts += 1
                    status, review = "draft", None  # autosaved, not put forward
                    if drafts % 8 == 0:
                        review = "pending"
                    elif drafts % 40 == 1:
                        review = "returned"
                    elif drafts % 8 == 3:
                        status = "approved"
                else:
                    continue
                body = "<p>您好，您反映的问题已转交有关部门核实处理，感谢您的监督。</p>"
                copy.write_row(
                    (tenant_id, letter_id, unit_id, body, status, review,
                     submitted, submitted)
                )
        conn.commit()
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute(f"VACUUM ANALYZE {schema}.assignments")
        conn.execute(f"VACUUM ANALYZE {schema}.replies")
    print(f"  assignments and replies: {time.perf_counter() - began:.1f} s")


async def letter_count(context: AppContext, schema: str) -> int:
    with psycopg.connect(conninfo(context.settings.database_url or "")) as conn:
        row = conn.execute(f"SELECT max(id) FROM {schema}.letters").fetchone()
    return int(row[0]) if row and row[0] else 0


def session_cookie(user_id: int) -> tuple[str, str]:
    csrf = secrets.token_urlsafe(16)
    data = {"staff_user_id": user_id, "staff_signed_in_at": int(time.time()), "csrf_secret": csrf}
    cookie = (
        TimestampSigner(BENCH_SECRET).sign(base64.b64encode(json.dumps(data).encode())).decode()
    )
    return cookie, csrf


async def first_request(client: httpx.AsyncClient, path: str) -> float:
    """The very first request of the process (no pool, no compiled template)."""
    began = time.perf_counter()
    response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return (time.perf_counter() - began) * 1000


async def measure(client: httpx.AsyncClient, paths: list[str], rounds: int) -> tuple[float, float]:
    for path in paths[:10]:  # warm-up: pools, caches, compiled SQL
        response = await client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    timings = []
    for i in range(rounds):
        path = paths[i % len(paths)]
        began = time.perf_counter()
        response = await client.get(path)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1]


async def load(count: int) -> tuple[AppContext, int, list[int], list[int]]:
    settings = fresh_settings("leadermail_bench_console")
    context = AppContext.create(settings)
    tenant_id = create_tenant(
        context.database.sync_engine, TenantSpec(slug="bench", name="基准市市长信箱", kind="city")
    )
    schema = f"t_{tenant_id}"
    async with context.database.core_session() as session:
        user = await create_user(session, email="bench@example.cn", display_name="基准登记员")
        await grant_role(session, user_id=user.id, tenant_id=tenant_id, role=Role.REGISTRAR)
        leader = await create_user(session, email=LEADER_EMAIL, display_name="基准领导")
        await grant_role(session, user_id=leader.id, tenant_id=tenant_id, role=Role.LEADER)
        await session.commit()
    units, categories = lookups(settings.database_url or "", schema)
    print(f"loading {count:,} letters into {schema} ...")
    seconds = load_letters(settings.database_url or "", schema, tenant_id, count, units, categories)
    print(f"  load total (COPY + indexes + VACUUM ANALYZE): {seconds:.1f} s")
    return context, user.id, units, categories


def identifiers(url: str, schema: str, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """Tracking codes (as a citizen reads them out) and mobile numbers of random letters."""
    ids = [rng.randrange(1, count + 1) for _ in range(50)]
    with psycopg.connect(conninfo(url)) as conn:
        rows = conn.execute(
            f"SELECT tracking_code, writer_phone FROM {schema}.letters WHERE id = ANY(%s)", (ids,)
        ).fetchall()
    return [(format_tracking_code(code).lower(), phone) for code, phone in rows]


def leader_id(url: str) -> int:
    with psycopg.connect(conninfo(url)) as conn:
        row = conn.execute("SELECT id FROM core.users WHERE email = %s", (LEADER_EMAIL,)).fetchone()
    assert row is not None, "no leader in the loaded database: run without --reuse first"
    return int(row[0])


def lookups(url: str, schema: str) -> tuple[list[int], list[int]]:
    with psycopg.connect(conninfo(url)) as conn:
        units = [r[0] for r in conn.execute(f"SELECT id FROM {schema}.units")]
        categories = [r[0] for r in conn.execute(f"SELECT id FROM {schema}.categories")]
    return units, categories


async def reuse() -> tuple[AppContext, int, list[int], list[int]]:
    """The database a previous run loaded (``--reuse``: measure again, no reload)."""
    server_url = ensure_postgres(BENCH_VAR / "pg", "postgres")
    url = make_url(server_url).set(database="leadermail_bench_console")
    settings = Settings.from_env(
        {
            "DATABASE_URL": url.render_as_string(hide_password=False),
            "REDIS_URL": ensure_redis(BENCH_VAR / "redis"),
            "SECRET_KEY": BENCH_SECRET,
            "LEADERMAIL_VAR_DIR": str(BENCH_VAR / "app"),
        }
    )
    context = AppContext.create(settings)
    tenant = await context.tenants.by_slug("bench")
    assert tenant is not None, "no loaded benchmark database: run without --reuse first"
    return context, 1, *lookups(settings.database_url or "", tenant.schema_name)


async def run(count: int, rounds: int, reuse_loaded: bool) -> None:
    context, user_id, units, categories = await (reuse() if reuse_loaded else load(count))
    tenant = await context.tenants.by_slug("bench")
    assert tenant is not None
    count = await letter_count(context, tenant.schema_name)
    app = create_app(context=context)
    cookie, _ = session_cookie(user_id)
    leader_cookie, _ = session_cookie(leader_id(context.settings.database_url or ""))
    base = f"/t/{tenant.slug}/console"
    rng = random.Random(7)
    found = identifiers(context.settings.database_url or "", tenant.schema_name, count, rng)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies={"leadermail_session": cookie},
    ) as client:
        scenarios = {
            "inbox, default (open letters by deadline)": [f"{base}/inbox"],
            "inbox, type=complaint": [f"{base}/inbox?type=complaint"],
            "inbox, state=assigned + unit": [
                f"{base}/inbox?state=assigned&unit={u}" for u in units
            ],
            "inbox, category": [f"{base}/inbox?category={c}" for c in categories],
            "inbox, level=overdue": [f"{base}/inbox?level=overdue"],
            "inbox, level=due_soon": [f"{base}/inbox?level=due_soon"],
            "inbox, free text 噪音": [f"{base}/inbox?q=噪音"],
            "inbox, free text 人民路 + type=help": [f"{base}/inbox?q=人民路&type=help"],
            "inbox, rare term (no match)": [f"{base}/inbox?q=龙舟竞渡"],
            "inbox, state=all (every state)": [f"{base}/inbox?state=all"],
            "inbox, 查询码 (any case, hyphen), state=all": [
                f"{base}/inbox?state=all&q={code}" for code, _ in found
            ],
            "inbox, full mobile number, state=all": [
                f"{base}/inbox?state=all&q={phone}" for _, phone in found
            ],
            "inbox, writer's name (1% of letters)": [f"{base}/inbox?q={n}" for n in NAMES],
            "letter page (random letters)": [
                f"{base}/letters/{rng.randrange(1, count + 1)}" for _ in range(rounds)
            ],
        }
        leader_scenarios = {
            "inbox as a leader (with the 待审批 count)": [f"{base}/inbox"],
            "inbox, 待审批 (leader)": [f"{base}/inbox?state=awaiting_approval"],
            "inbox, 待审批 + type=complaint (leader)": [
                f"{base}/inbox?state=awaiting_approval&type=complaint"
            ],
            "inbox, 待审批, free text 噪音 (leader)": [
                f"{base}/inbox?state=awaiting_approval&q=噪音"
            ],
        }
        first = await first_request(client, f"{base}/inbox?q=人民路&type=help")
        print(f"\nfirst request of the fresh process (common term + type): {first:.1f} ms")
        print(f"\nsingle user, {rounds} requests each, in-process ASGI (ms):")
        print(f"  {'scenario':45} {'p50':>7} {'p99':>7}")
        for name, paths in scenarios.items():
            p50, p99 = await measure(client, paths, rounds)
            flag = "" if p99 < 50 else "  <-- over 50 ms"
            print(f"  {name:45} {p50:7.1f} {p99:7.1f}{flag}")
        client.cookies.clear()
        client.cookies.set("leadermail_session", leader_cookie)
        for name, paths in leader_scenarios.items():
            p50, p99 = await measure(client, paths, rounds)
            flag = "" if p99 < 50 else "  <-- over 50 ms"
            print(f"  {name:45} {p50:7.1f} {p99:7.1f}{flag}")
    await context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the last loaded database again"
    )
    args = parser.parse_args()
    asyncio.run(run(args.letters, args.rounds, args.reuse))


if __name__ == "__main__":
    main()
