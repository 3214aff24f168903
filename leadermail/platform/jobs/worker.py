"""The arq worker: every job and cron job, listed explicitly.

    leadermail worker            # runs WorkerSettings (queue "default")

arq is in maintenance-only mode, so the rest of leadermail talks to it only
through the outbox (``enqueue``) and this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Callable
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Worker

from leadermail.platform.config import Settings
from leadermail.platform.context import AppContext
from leadermail.platform.jobs.outbox import relay_outbox

log = logging.getLogger(__name__)

#: Modules that define jobs. Each exposes ``JOBS`` (a list of async
#: functions) and may expose ``CRON_JOBS`` (a list of ``arq.cron`` objects).
JOB_MODULES: tuple[str, ...] = (
    "leadermail.platform.jobs.builtin",
    "leadermail.platform.forwarding.jobs",
    "leadermail.tenants.jobs",
    "leadermail.platform.routing.jobs",
    "leadermail.platform.deadlines.jobs",
    "leadermail.platform.notifications.staff_jobs",
    "leadermail.platform.exports.jobs",
    "leadermail.platform.duty.alerts",
    "leadermail.platform.channels.jobs",
    "leadermail.platform.letters.alerts",
    "leadermail.platform.supervision.jobs",
    "leadermail.platform.notifications.jobs",
    "leadermail.platform.notifications.account_jobs",
    "leadermail.platform.notifications.recovery_jobs",
    "leadermail.platform.notifications.confirmations",
    "leadermail.platform.letters.staging",
)

RELAY_INTERVAL_SECONDS = 0.5


def collect_jobs() -> tuple[list[Callable[..., Any]], list[Any]]:
    functions: list[Callable[..., Any]] = []
    cron_jobs: list[Any] = []
    for name in JOB_MODULES:
        module = importlib.import_module(name)
        functions.extend(getattr(module, "JOBS", []))
        cron_jobs.extend(getattr(module, "CRON_JOBS", []))
    return functions, cron_jobs


async def _relay_forever(ctx: dict[str, Any]) -> None:
    app: AppContext = ctx["app"]
    while True:
        try:
            await relay_outbox(app.database, ctx["redis"])
        except Exception:  # Redis or PostgreSQL away: keep the rows, retry.
            log.exception("outbox relay failed; retrying")
        await asyncio.sleep(RELAY_INTERVAL_SECONDS)


async def on_shutdown(ctx: dict[str, Any]) -> None:
    task = ctx.get("relay_task")
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    app = ctx.get("app")
    if app is not None:
        await app.close()


def build_worker(
    settings: Settings, *, burst: bool = False, relay: bool = True, **kwargs: Any
) -> Worker:
    """An arq Worker bound to ``settings`` (used by the CLI and the tests)."""
    assert settings.redis_url is not None
    functions, cron_jobs = collect_jobs()

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["app"] = AppContext.create(settings)
        if relay:
            ctx["relay_task"] = asyncio.create_task(_relay_forever(ctx))

    return Worker(
        functions=functions,
        cron_jobs=cron_jobs,
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        on_startup=startup,
        on_shutdown=on_shutdown,
        burst=burst,
        handle_signals=not burst,
        max_jobs=10,
        job_timeout=600,
        keep_result=3600,
        health_check_interval=30,
        **kwargs,
    )



__all__ = ["JOB_MODULES", "build_worker", "collect_jobs", "cron"]
