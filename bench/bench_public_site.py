"""Citizen site under load: one tenant with 100,000 letters (20,000 published).

    .venv/bin/python bench/bench_public_site.py            # about 4 minutes
    .venv/bin/python bench/bench_public_site.py --seconds 5 --workers 2

Measures with ``wrk`` (Debian package, installed by scripts/setup), 32
connections, loopback only, against the app served by uvicorn and a bare
Starlette "hello" (``bench/bare_app.py``) with the same worker count, in the
same run. Prints req/s, p99 and the ratio to the bare figure for: home,
published list page 1 and 200, one published letter, a search (噪音), the
track POST, and writing a letter (POST, ~800 Chinese characters).

Honesty notes:

* every POST carries a real session cookie and CSRF token (taken from a GET of
  the form) and passes the full server-side checks;
* the letter POSTs pass the proof-of-work check for real: each request has its
  own challenge, made with the server's secret exactly as ``GET /write`` makes
  them, solved here, verified by the server and refused if replayed. Only the
  difficulty is lowered (``CHALLENGE_MAX_NUMBER=10``; a browser solves the
  production difficulty in well under a second on the citizen's own CPU);
* rate limits stay on but are multiplied (``RATE_LIMIT_MULTIPLIER``) so one
  load generator on one IP is not refused; the limiter still runs per request;
* every letter POST has its own submission key, so each creates a letter
  (with deadlines, locator, timeline event and receipt job);
* GETs send no cookie, like first-time visitors (a session is created for each);
  such visitors get the shared rendering of a page (public_site/page_cache.py),
  so run once more with ``PAGE_CACHE_SECONDS=0`` for the cost of rendering;
* the letter form is posted as browsers send it, multipart (it has a file
  field; none chosen here), and once more urlencoded, as earlier runs did.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from altcha import ChallengeV1, solve_challenge_v1

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BENCH_SECRET, fresh_settings, uvicorn_process  # noqa: E402
from leadermail.platform.config import Settings  # noqa: E402
from leadermail.platform.context import AppContext  # noqa: E402
from leadermail.platform.letters.tracking import hash_query_password, new_tracking_code  # noqa: E402
from leadermail.platform.search import index_terms  # noqa: E402
from leadermail.public_site.challenge import Challenges  # noqa: E402
from leadermail.tenants.provisioning import TenantSpec, create_tenant  # noqa: E402

LETTERS = 100_000
PUBLISHED = 20_000
SLUG = "bench"
TYPES = ["consultation", "complaint", "report", "suggestion", "help"]
PHRASES = [
    "夜间施工噪音扰民", "小区停车位不足", "道路积水严重", "公交线路调整", "学校周边交通拥堵",
    "老旧小区加装电梯", "农村饮水安全", "医保报销流程", "企业拖欠工资", "菜市场环境卫生",
    "路灯长期不亮", "垃圾分类设施不足", "物业服务质量差", "违章建筑占道", "河道污染问题",
    "养老服务补贴", "社区医院排队", "房屋产权证办理", "共享单车乱停放", "餐饮油烟扰民",
]  # fmt: skip


#: Sentences about no topic in particular, so that a search for one topic's
#: words (噪音) matches about one letter in twenty, as in a real mailbox.
FILLER = [
    "这个情况已经持续了很长时间", "周边居民反映强烈", "希望有关部门尽快调查处理",
    "我们多次向社区反映但没有结果", "恳请领导重视", "给群众生活带来很大不便",
    "附上相关情况说明", "盼复为感", "感谢领导在百忙之中阅读此信", "具体地址见下文",
]  # fmt: skip


def chinese_text(rng: random.Random, length: int, topic: str | None = None) -> str:
    topic = topic or rng.choice(PHRASES)
    parts: list[str] = [f"关于{topic}的问题。"]
    while sum(map(len, parts)) < length:
        parts.append(rng.choice(FILLER) + rng.choice("，。；"))
    return "".join(parts)[:length]


def seed(settings: Settings) -> tuple[str, int, str, str]:
    """The tenant and its letters, by COPY; returns (schema, a published id, code, password)."""
    from sqlalchemy import create_engine

    from leadermail.platform.db import async_url

    engine = create_engine(async_url(settings.database_url or ""))
    tenant_id = create_tenant(
        engine, TenantSpec(slug=SLUG, name="基准测试市市长信箱", kind="city", leader_name="李明")
    )
    engine.dispose()
    schema = f"t_{tenant_id}"
    conninfo = (settings.database_url or "").replace("postgresql+psycopg", "postgresql")
    rng = random.Random(7)
    now = datetime.now(UTC)
    password = "Bench2Pw"  # noqa: S105 - the bench letter's own
    tracked_code = new_tracking_code()
    with psycopg.connect(conninfo) as conn:
        # Bulk load: no per-row triggers (the console's per-state counter is
        # rebuilt below in one statement) and the GIN index built once at the end.
        conn.execute(f"SET search_path = {schema}")
        conn.execute("SET session_replication_role = replica")
        conn.execute("DROP INDEX ix_letters_search")
        categories = [r[0] for r in conn.execute(f"SELECT id FROM {schema}.categories")]
        units = [r[0] for r in conn.execute(f"SELECT id FROM {schema}.units")]
        columns = (
            "tenant_id, tracking_code, query_password_hash, letter_type, category_id, title, body, "
            "region, writer_name, writer_phone, publish_consent, channel, state, unit_id, "
            "submitted_at, received_at, reply_due_at, replied_at, is_published, published_at, "
            "search_vector, extra, created_at, updated_at, deadline_provisional, rehandle_count, "
            "priority"
        )
        start = time.monotonic()
        with conn.cursor().copy(f"COPY {schema}.letters ({columns}) FROM STDIN") as copy:
            for i in range(LETTERS):
                submitted = now - timedelta(minutes=5 * (LETTERS - i))
                published = i % 5 == 0  # 20,000 of 100,000
                replied = submitted + timedelta(days=3) if published or i % 3 == 0 else None
                topic = PHRASES[(i // 5) % len(PHRASES)]
                title = topic + "的问题"
                body = chinese_text(rng, rng.randint(150, 600), topic)
                code = tracked_code if i == LETTERS - 1 else new_tracking_code()
                copy.write_row((
                    tenant_id, code, hash_query_password(password, BENCH_SECRET),
                    TYPES[i % 5], rng.choice(categories), title, body, "岳麓区", "张三",
                    "13812345678", True, "web", "replied" if replied else "assigned",
                    rng.choice(units), submitted, submitted, submitted + timedelta(days=10),
                    replied, published, replied if published else None,
                    index_terms(title, body), "{}", submitted, submitted, False, 0, "normal",
                ))  # fmt: skip
        conn.execute("SET session_replication_role = origin")
        conn.execute("CREATE INDEX ix_letters_search ON letters USING gin (search_vector)")
        conn.execute(
            "INSERT INTO letter_counts (unit_id, state, stripe, letters) "
            "SELECT coalesce(unit_id, 0), state, 0, count(*) FROM letters GROUP BY 1, 2"
        )
        conn.execute(f"ANALYZE {schema}.letters")
        letter_id = conn.execute(
            f"SELECT id FROM {schema}.letters WHERE is_published ORDER BY id DESC LIMIT 1"
        ).fetchone()[0]
        conn.commit()
        print(f"seeded {LETTERS:,} letters in {time.monotonic() - start:.1f} s")
    return schema, letter_id, tracked_code, password


def session_and_token(base: str) -> tuple[str, str]:
    """A session cookie and its CSRF token, as a browser gets them from the form."""
    with urllib.request.urlopen(f"{base}/t/{SLUG}/write") as response:  # noqa: S310 - loopback
        cookie = response.headers["set-cookie"].split(";")[0]
        page = response.read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return cookie, token


def solved_payload(challenges: Challenges) -> str:
    data = json.loads(challenges.new_pow())
    challenge = ChallengeV1(
        data["algorithm"], data["challenge"], data["maxNumber"], data["salt"], data["signature"]
    )
    solution = solve_challenge_v1(challenge)
    assert solution is not None
    payload = {k: data[k] for k in ("algorithm", "challenge", "salt", "signature")}
    payload["number"] = solution.number
    return base64.b64encode(json.dumps(payload).encode()).decode()


#: Multipart bodies go one per line of the scratch file, their CRLFs written
#: as this byte (absent from the forms) and restored by the Lua script.
CRLF_MARK = "\x01"
BOUNDARY = "----leadermailBench7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
URLENCODED = "application/x-www-form-urlencoded"


def multipart_body(form: dict[str, str]) -> str:
    """The form as a browser sends it (the letter form has a file field, so
    browsers always send it as multipart, here with no file chosen)."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in form.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachments"; filename=""\r\n'
        "Content-Type: application/octet-stream\r\n\r\n\r\n"
    )
    return "".join(parts) + f"--{BOUNDARY}--\r\n"


def write_bodies(
    settings: Settings, token: str, category: int, count: int, path: Path, *, multipart: bool
) -> None:
    """One distinct, fully valid letter form per line."""
    # The server runs with CHALLENGE_MAX_NUMBER=10; make the same challenges.
    settings = replace(settings, challenge_max_number=10)
    context = AppContext.create(settings)
    challenges = Challenges(settings, context.redis)
    rng = random.Random(11)
    with path.open("w", encoding="utf-8", newline="") as out:
        for _ in range(count):
            form = {
                "csrf_token": token, "submission_key": secrets.token_urlsafe(24),
                "letter_type": "complaint", "category": str(category),
                "title": "夜间施工噪音扰民问题", "body": chinese_text(rng, 800, "夜间施工噪音扰民"),
                "region": "岳麓区", "name": "张三", "phone": "13812345678",
                "agree_terms": "1", "altcha": solved_payload(challenges),
            }  # fmt: skip
            if multipart:
                out.write(multipart_body(form).replace("\r\n", CRLF_MARK) + "\n")
            else:
                out.write(urllib.parse.urlencode(form) + "\n")


# One request built once by wrk, as for the GETs and the bare run. A Lua
# request() function builds every request anew, which cost wrk ~7 µs of CPU
# per request (measured) on the two cores the server also runs on.
LUA_STATIC_POST = """
wrk.method = "POST"
wrk.body = "%(body)s"
wrk.headers["Content-Type"] = "%(content_type)s"
wrk.headers["Cookie"] = "%(cookie)s"
"""

# A different body per request (each letter needs its own submission key).
LUA_POST = """
local bodies = {}
for line in io.lines("%(file)s") do bodies[#bodies + 1] = line:gsub("\\1", "\\r\\n") end
local counter = 0
local thread_id = 0
local threads = 0
function setup(thread) thread:set("id", threads); threads = threads + 1 end
function init(args) thread_id = id end
request = function()
  counter = counter + 1
  local index = ((counter * %(threads)d + thread_id) %% #bodies) + 1
  return wrk.format("POST", "%(path)s", {
    ["Content-Type"] = "%(content_type)s",
    ["Cookie"] = "%(cookie)s",
  }, bodies[index])
end
"""


def run_wrk(url: str, seconds: int, script: Path | None = None) -> dict[str, float]:
    command = ["wrk", "-t", "2", "-c", "32", "-d", f"{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True
    ).stdout  # noqa: S603
    result = {"rps": 0.0, "p99_ms": 0.0, "non_2xx_3xx": 0, "requests": 0}
    for line in output.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(parts[1])
        elif parts[:1] == ["99%"]:
            value = parts[1]
            for suffix, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
                if value.endswith(suffix):
                    result["p99_ms"] = float(value[: -len(suffix)]) * factor
                    break
        elif "Non-2xx or 3xx" in line:
            result["non_2xx_3xx"] = int(parts[-1])
        elif "requests in" in line:
            result["requests"] = int(parts[0])
    return result


TARGETS = {  # name: (min ratio, max p99 ms)
    "home": (0.25, 100), "list page 1": (0.25, 100), "list page 200": (0.25, 100),
    "published letter": (0.25, 100), "search 噪音": (0.05, 200), "track POST": (0.10, 100),
    "write POST": (0.03, 250), "write POST urlencoded": (0.03, 250),
}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    settings = fresh_settings("leadermail_bench_public_site")
    schema, letter_id, code, password = seed(settings)
    env = {
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "SECRET_KEY": BENCH_SECRET,
        "LEADERMAIL_VAR_DIR": str(settings.var_dir),
        "CHALLENGE_MAX_NUMBER": "10",
        "RATE_LIMIT_MULTIPLIER": "1000000",
        "LEADERMAIL_ENV": "bench",
    }
    results: dict[str, dict[str, float]] = {}
    with uvicorn_process("bench.bare_app:app", env, workers=args.workers) as bare:
        run_wrk(bare + "/", 2)  # warm-up
        results["bare hello"] = run_wrk(bare + "/", args.seconds)
    with uvicorn_process(
        "leadermail.app:create_app", env, workers=args.workers, factory=True
    ) as base, tempfile.TemporaryDirectory() as scratch:
        site = f"{base}/t/{SLUG}"
        time.sleep(1)
        cookie, token = session_and_token(base)
        gets = {
            "home": f"{site}/",
            "list page 1": f"{site}/letters",
            "list page 200": f"{site}/letters?page=200",
            "published letter": f"{site}/letters/{letter_id}",
            "search 噪音": f"{site}/letters?q=" + urllib.parse.quote("噪音"),
        }
        for name, url in gets.items():
            run_wrk(url, 2)  # warm caches and pools
            results[name] = run_wrk(url, args.seconds)
        track_body = urllib.parse.urlencode(
            {"csrf_token": token, "code": code, "password": password}
        )
        track_script = Path(scratch) / "track.lua"
        track_script.write_text(
            LUA_STATIC_POST % {"body": track_body, "cookie": cookie, "content_type": URLENCODED}
        )
        run_wrk(f"{site}/track", 2, track_script)  # warm, as the GETs
        results["track POST"] = run_wrk(f"{site}/track", args.seconds, track_script)
        category = int(
            re.search(
                r'<option value="(\d+)"',
                urllib.request.urlopen(f"{site}/write").read().decode(),  # noqa: S310
            ).group(1)  # type: ignore[union-attr]
        )
        # As browsers send the form (multipart), then urlencoded as before.
        for name, multipart in (("write POST", True), ("write POST urlencoded", False)):
            bodies = Path(scratch) / f"letters-{multipart}.txt"
            count = 700 * args.seconds
            started = time.monotonic()
            write_bodies(settings, token, category, count, bodies, multipart=multipart)
            print(f"prepared {count:,} letter forms in {time.monotonic() - started:.1f} s")
            write_script = Path(scratch) / f"write-{multipart}.lua"
            write_script.write_text(
                LUA_POST % {"file": bodies, "threads": 2, "path": f"/t/{SLUG}/write",
                            "cookie": cookie,
                            "content_type": MULTIPART if multipart else URLENCODED}  # fmt: skip
            )
            results[name] = run_wrk(f"{site}/write", args.seconds, write_script)
        with psycopg.connect(
            (settings.database_url or "").replace("postgresql+psycopg", "postgresql")
        ) as conn:
            created = conn.execute(
                f"SELECT count(*) FROM {schema}.letters WHERE submission_key IS NOT NULL"
            ).fetchone()[0]
    bare_rps = results["bare hello"]["rps"]
    print(f"\nworkers={args.workers} connections=32 duration={args.seconds}s (wrk, loopback)")
    print(f"{'endpoint':<18} {'req/s':>9} {'p99 ms':>8} {'ratio':>7} {'target':>14}  errors")
    for name, result in results.items():
        ratio = result["rps"] / bare_rps if bare_rps else 0.0
        target = TARGETS.get(name)
        verdict = ""
        if target:
            ok = ratio >= target[0] and result["p99_ms"] <= target[1]
            verdict = f"≥{target[0]:.2f},<{target[1]}ms {'ok' if ok else 'MISS'}"
        print(
            f"{name:<18} {result['rps']:>9.0f} {result['p99_ms']:>8.1f} {ratio:>7.3f} "
            f"{verdict:>14}  {result['non_2xx_3xx']}"
        )
    print(f"letters created by the write POSTs: {created:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
