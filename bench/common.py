"""Shared set-up for the benchmarks: a private PostgreSQL/Redis and a fresh database.

Benchmarks run on the embedded servers under ``$LEADERMAIL_BENCH_VAR``
(default ``/tmp/leadermail-bench``), never on ``var/`` or a production URL,
and only ever talk to loopback.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from leadermail.platform.config import PROJECT_ROOT, Settings
from leadermail.platform.db import Database
from leadermail.platform.embedded import ensure_postgres, ensure_redis
from leadermail.tenants.migrations import upgrade_core

BENCH_VAR = Path(os.environ.get("LEADERMAIL_BENCH_VAR", "/tmp/leadermail-bench"))
BENCH_SECRET = "bench-secret-" + "b" * 40


def fresh_settings(database: str) -> Settings:
    """Settings pointing at a brand-new database ``database`` on the bench cluster."""
    server_url = ensure_postgres(BENCH_VAR / "pg", "postgres")
    redis_url = ensure_redis(BENCH_VAR / "redis")
    url = make_url(server_url)
    conninfo = (
        url.set(database="postgres")
        .render_as_string(hide_password=False)
        .replace("postgresql+psycopg", "postgresql")
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f"CREATE DATABASE \"{database}\" ENCODING 'UTF8' TEMPLATE template0")
    settings = Settings.from_env(
        {
            "DATABASE_URL": url.set(database=database).render_as_string(hide_password=False),
            "REDIS_URL": redis_url,
            "SECRET_KEY": BENCH_SECRET,
            "LEADERMAIL_VAR_DIR": str(BENCH_VAR / "app"),
        }
    )
    db = Database(settings)
    upgrade_core(db.sync_engine)
    db.sync_engine.dispose()
    return settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int, timeout: float = 30.0, process: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@contextmanager
def uvicorn_process(target: str, env: dict[str, str], *, workers: int = 1, factory: bool = False):
    """Run ``uvicorn target`` on a free loopback port; yields the base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    if factory:
        command.append("--factory")
    process = subprocess.Popen(  # noqa: S603
        command, cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL
    )
    try:
        wait_for_port(port, process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def wrk(
    url: str, *, connections: int = 32, seconds: int = 10, threads: int = 2
) -> dict[str, float]:
    """Requests/s and p99 latency (ms) from wrk (Debian package ``wrk``)."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (scripts/setup installs it)")
    result = subprocess.run(  # noqa: S603
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    )
    rps = p99 = 0.0
    errors = 0
    for line in result.stdout.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            rps = float(parts[1])
        elif parts[:1] == ["99%"]:
            p99 = _ms(parts[1])
        elif "Non-2xx" in line:
            errors = int(parts[-1])
    return {"rps": rps, "p99_ms": p99, "non_2xx": errors}


def _ms(value: str) -> float:
    for suffix, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * factor
    return float(value)


def median(values: list[float]) -> float:
    return statistics.median(values)
