"""``leadermail matters reindex``: rebuild the art. 19 index of open matters.

    leadermail matters reindex                   every tenant
    leadermail matters reindex --tenant hunan    one tenant (slug)

Prints one line per tenant (letters looked at, indexed, removed, skipped for
want of a phone or ID number). A tenant that fails is named on stderr and the
others carry on; the exit status is then 1. Safe to run while the worker runs,
and as often as needed: each letter goes through the index job itself.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from leadermail.platform.config import Settings
from leadermail.platform.context import AppContext
from leadermail.platform.forwarding.matter_index import reindex_tenant


def register(subparsers: argparse._SubParsersAction) -> None:
    matters = subparsers.add_parser("matters", help="art. 19 index of open matters")
    sub = matters.add_subparsers(dest="matters_command", required=True)
    reindex = sub.add_parser(
        "reindex", help="rebuild the index of open matters from the tenants' letters"
    )
    reindex.add_argument("--tenant", help="only this tenant (slug)")
    reindex.set_defaults(func=run_reindex)


async def reindex_all(context: AppContext, only: str | None = None) -> list[tuple[str, str]]:
    """Rebuild tenant by tenant; returns (slug, problem) for each that failed."""
    tenants = await context.tenants.all()
    if only is not None:
        tenants = [t for t in tenants if t.slug == only]
        if not tenants:
            return [(only, "no such tenant")]
    failures: list[tuple[str, str]] = []
    for tenant in sorted(tenants, key=lambda t: t.id):
        try:
            result = await reindex_tenant(context, tenant)
        except Exception as exc:  # noqa: BLE001 - one broken schema must not stop the rest
            failures.append((tenant.slug, f"{type(exc).__name__}: {exc}".splitlines()[0]))
            continue
        print(
            f"{tenant.slug}: {result.letters} letters, {result.indexed} indexed, "
            f"{result.removed} removed, {result.skipped} skipped",
            flush=True,
        )
    return failures


def run_reindex(args: argparse.Namespace, settings: Settings) -> int:
    async def main() -> list[tuple[str, str]]:
        context = AppContext.create(settings)
        try:
            return await reindex_all(context, args.tenant)
        finally:
            await context.close()

    failures = asyncio.run(main())
    for slug, problem in failures:
        print(f"FAILED {slug}: {problem}", file=sys.stderr)
    return 1 if failures else 0
