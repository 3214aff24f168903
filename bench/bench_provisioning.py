"""Provisioning benchmark (issue 5): tenants through the job queue.

    .venv/bin/python bench/bench_provisioning.py              # 100 tenants, median of 20
    .venv/bin/python bench/bench_provisioning.py --tenants 20 --single 5

1. median seconds to provision one tenant directly (``create_tenant``: schema,
   migrations to head, defaults), over ``--single`` runs (issue 2's figure);
2. total seconds to provision ``--tenants`` tenants the way the console does:
   provisioning-run rows + outbox jobs committed at once, then the outbox
   relay → Redis (arq) → one worker (max_jobs=10) → ``provision_tenant``,
   until every run has succeeded. No admin e-mail (SMTP is not measured).

Runs on a fresh database on the private bench cluster; bounded by ``--timeout``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from bench.common import fresh_settings, median  # noqa: E402
from leadermail.platform.audit.writer import Actor  # noqa: E402
from leadermail.platform.context import AppContext  # noqa: E402
from leadermail.platform.jobs.worker import build_worker  # noqa: E402
from leadermail.tenants.provisioning import TenantSpec, create_tenant  # noqa: E402
from leadermail.tenants.provisioning_runs import (  # noqa: E402
    ProvisioningRun,
    RunStatus,
    request_provisioning,
)


def single_median(context: AppContext, runs: int) -> float:
    seconds = []
    for i in range(runs):
        spec = TenantSpec(slug=f"single-{i}", name=f"单独开通{i}", kind="county")
        started = time.perf_counter()
        create_tenant(context.database.sync_engine, spec)
        seconds.append(time.perf_counter() - started)
    return median(seconds)


async def queued_total(
    context: AppContext, tenants: int, limit_seconds: float
) -> tuple[float, int]:
    actor = Actor(user_id=None, label="bench")
    # Outbox ids restart with the fresh database: forget arq results of
    # earlier bench runs that would make arq skip "outbox:<id>" as done.
    keys = [k async for k in context.redis.scan_iter("arq:*outbox:*")]
    if keys:
        await context.redis.delete(*keys)
    worker = build_worker(context.settings)
    started = time.perf_counter()
    async with context.database.core_session() as session:
        for i in range(tenants):
            spec = TenantSpec(slug=f"queued-{i}", name=f"队列开通{i}", kind="county")
            await request_provisioning(session, request_key=f"bench:{i}", spec=spec, actor=actor)
        await session.commit()
    task = asyncio.create_task(worker.async_run())
    done = 0
    try:
        while time.perf_counter() - started < limit_seconds:
            async with context.database.core_session() as session:
                done = await session.scalar(
                    select(func.count()).where(
                        ProvisioningRun.status.in_((RunStatus.SUCCEEDED, RunStatus.FAILED))
                    )
                )
            if done >= tenants:
                break
            await asyncio.sleep(0.1)
        total = time.perf_counter() - started
    finally:
        await worker.close()
        task.cancel()
    async with context.database.core_session() as session:
        failed = await session.scalar(
            select(func.count()).where(ProvisioningRun.status == RunStatus.FAILED)
        )
    if done < tenants:
        raise SystemExit(
            f"timed out after {limit_seconds:.0f} s with {done}/{tenants} runs finished"
        )
    return total, failed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--single", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    settings = fresh_settings("leadermail_bench_provisioning")
    context = AppContext.create(settings)
    try:
        one = single_median(context, args.single)
        print(f"provision one tenant directly: median {one:.3f} s over {args.single}")
        total, failed = await queued_total(context, args.tenants, args.timeout)
        print(
            f"provision {args.tenants} tenants through outbox → arq worker: "
            f"{total:.1f} s total ({total / args.tenants:.3f} s per tenant), {failed} failed"
        )
    finally:
        await context.close()


if __name__ == "__main__":
    asyncio.run(main())
