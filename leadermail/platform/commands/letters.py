"""``leadermail letters redact-again``: apply the current redaction to stored letters.

    leadermail letters redact-again                   every tenant
    leadermail letters redact-again --tenant changsha one tenant (slug)

Run it after the redaction rules change (leadermail.platform.privacy): the
public pages follow at once, but search vectors and the signed public text
of published replies were made with the old rules
(leadermail.platform.replies.redact_again). What staff corrected in 公示文本
stays as they wrote it. Prints one line per tenant; a tenant that fails is
named on stderr and the others carry on (exit status 1). Safe to run while
the site runs, and again.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from leadermail.platform.config import Settings
from leadermail.platform.context import AppContext
from leadermail.platform.replies.redact_again import redact_again


def register(subparsers: argparse._SubParsersAction) -> None:
    letters = subparsers.add_parser("letters", help="maintenance of stored letters")
    sub = letters.add_subparsers(dest="letters_command", required=True)
    again = sub.add_parser(
        "redact-again",
        help="rebuild search vectors and re-sign published replies under the current redaction",
    )
    again.add_argument("--tenant", help="only this tenant (slug)")
    again.set_defaults(func=run_redact_again)


async def redact_all(context: AppContext, only: str | None = None) -> list[tuple[str, str]]:
    """Tenant by tenant; returns (slug, problem) for each that failed."""
    tenants = await context.tenants.all()
    if only is not None:
        tenants = [t for t in tenants if t.slug == only]
        if not tenants:
            return [(only, "no such tenant")]
    failures: list[tuple[str, str]] = []
    for tenant in sorted(tenants, key=lambda t: t.id):
        try:
            result = await redact_again(context, tenant)
        except Exception as exc:  # noqa: BLE001 - one broken schema must not stop the rest
            failures.append((tenant.slug, f"{type(exc).__name__}: {exc}".splitlines()[0]))
            continue
        print(
            f"{tenant.slug}: {result.letters} letters re-indexed, {result.published} published, "
            f"{result.resigned} replies signed again",
            flush=True,
        )
    return failures


def run_redact_again(args: argparse.Namespace, settings: Settings) -> int:
    async def main() -> list[tuple[str, str]]:
        context = AppContext.create(settings)
        try:
            return await redact_all(context, args.tenant)
        finally:
            await context.close()

    failures = asyncio.run(main())
    for slug, problem in failures:
        print(f"FAILED {slug}: {problem}", file=sys.stderr)
    return 1 if failures else 0
