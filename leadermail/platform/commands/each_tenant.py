"""Running one maintenance step over every tenant (or one), from the command line.

    def run_reindex(args, settings):
        return run_each_tenant(settings, args.tenant, reindex_tenant, describe)

Commands such as ``leadermail matters reindex`` and ``leadermail letters
redact-again`` go tenant by tenant, print one line per tenant, and must not
let one broken schema stop the rest: a tenant that fails is named on stderr,
the others carry on, and the exit status is then 1.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from leadermail.platform.config import Settings
from leadermail.platform.context import AppContext
from leadermail.tenants.registry import TenantRef

Result = TypeVar("Result")


async def each_tenant(
    context: AppContext,
    only: str | None,
    step: Callable[[AppContext, TenantRef], Awaitable[Result]],
    describe: Callable[[Result], str],
) -> list[tuple[str, str]]:
    """``step`` for each tenant by id (or the one with slug ``only``), printing
    ``slug: describe(result)``; returns (slug, problem) for each that failed."""
    tenants = await context.tenants.all()
    if only is not None:
        tenants = [t for t in tenants if t.slug == only]
        if not tenants:
            return [(only, "no such tenant")]
    failures: list[tuple[str, str]] = []
    for tenant in sorted(tenants, key=lambda t: t.id):
        try:
            result = await step(context, tenant)
        except Exception as exc:  # noqa: BLE001 - one broken schema must not stop the rest
            failures.append((tenant.slug, f"{type(exc).__name__}: {exc}".splitlines()[0]))
            continue
        print(f"{tenant.slug}: {describe(result)}", flush=True)
    return failures


def run_each_tenant(
    settings: Settings,
    only: str | None,
    step: Callable[[AppContext, TenantRef], Awaitable[Result]],
    describe: Callable[[Result], str],
) -> int:
    """:func:`each_tenant` as a command: failures on stderr, exit status 1 if any."""

    async def main() -> list[tuple[str, str]]:
        context = AppContext.create(settings)
        try:
            return await each_tenant(context, only, step, describe)
        finally:
            await context.close()

    failures = asyncio.run(main())
    for slug, problem in failures:
        print(f"FAILED {slug}: {problem}", file=sys.stderr)
    return 1 if failures else 0
