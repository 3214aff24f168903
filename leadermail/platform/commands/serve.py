"""``leadermail serve`` and ``leadermail worker``."""

from __future__ import annotations

import argparse
import os

from leadermail.platform.config import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser("serve", help="run the web application (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--forwarded-allow-ips",
        default=None,
        help="proxies whose X-Forwarded-* headers are trusted (default: TRUSTED_PROXY_IPS)",
    )
    serve.add_argument("--no-upgrade", action="store_true", help="do not migrate at start-up")
    serve.set_defaults(func=run_serve)

    worker = subparsers.add_parser("worker", help="run the arq job worker")
    worker.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    worker.set_defaults(func=run_worker)


def _export(settings: Settings) -> None:
    # uvicorn workers are fresh processes that read settings again: hand them
    # the resolved URLs so they do not start another embedded server.
    assert settings.database_url and settings.redis_url
    os.environ["DATABASE_URL"] = settings.database_url
    os.environ["REDIS_URL"] = settings.redis_url


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if not args.no_upgrade:
        from leadermail.platform.commands.database import upgrade_everything

        if upgrade_everything(settings, progress=False) != 0:
            return 1
    _export(settings)
    uvicorn.run(
        "leadermail.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips or ",".join(settings.trusted_proxy_ips),
        log_level="info",
        access_log=False,
        server_header=False,
    )
    return 0


def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    from leadermail.platform.jobs.worker import build_worker
    from leadermail.platform.logs import configure_logging

    # Without it the worker's INFO lines (jobs run, the SMS the development
    # gateway logs instead of sending) went nowhere.
    configure_logging()
    _export(settings)
    worker = build_worker(settings, burst=args.burst)
    # run() in both modes: the Worker is bound to the loop it was made on, and
    # asyncio.run(worker.async_run()) started another one ("attached to a
    # different loop"); run() also closes the worker's connections.
    worker.run()
    return 0
