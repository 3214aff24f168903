"""``leadermail audit verify``: walk every audit chain."""

from __future__ import annotations

import argparse
import asyncio
import sys

from leadermail.platform.audit.models import PlatformAuditRecord
from leadermail.platform.audit.writer import verify_chain
from leadermail.platform.config import Settings
from leadermail.platform.context import AppContext
from leadermail.tenants.session import tenant_session


def register(subparsers: argparse._SubParsersAction) -> None:
    audit = subparsers.add_parser("audit", help="audit trail")
    sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = sub.add_parser("verify", help="check that no audit record was edited or deleted")
    verify.add_argument("--tenant", help="only this tenant (slug)")
    verify.set_defaults(func=run_verify)


async def verify_all(context: AppContext, only: str | None = None) -> list[tuple[str, str]]:
    """Returns (chain, problem) for every broken chain; prints each chain's head."""
    problems: list[tuple[str, str]] = []
    if only is None:
        async with context.database.core_session() as session:
            check = await verify_chain(session, PlatformAuditRecord)
        print(f"platform: {check.records} records, head {check.head_hash or '-'}")
        if not check.ok:
            problems.append(("platform", f"record {check.broken_at}: {check.reason}"))
    for tenant in await context.tenants.all():
        if only is not None and tenant.slug != only:
            continue
        async with tenant_session(context.database, tenant) as session:
            check = await verify_chain(session)
        print(f"{tenant.slug}: {check.records} records, head {check.head_hash or '-'}")
        if not check.ok:
            problems.append((tenant.slug, f"record {check.broken_at}: {check.reason}"))
    return problems


def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    async def main() -> list[tuple[str, str]]:
        context = AppContext.create(settings)
        try:
            return await verify_all(context, args.tenant)
        finally:
            await context.close()

    problems = asyncio.run(main())
    for chain, problem in problems:
        print(f"BROKEN {chain}: {problem}", file=sys.stderr)
    return 1 if problems else 0
