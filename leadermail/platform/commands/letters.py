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

from leadermail.platform.commands.each_tenant import each_tenant, run_each_tenant
from leadermail.platform.config import Settings
from leadermail.platform.context import AppContext
from leadermail.platform.replies.redact_again import RedactedAgain, redact_again


def register(subparsers: argparse._SubParsersAction) -> None:
    letters = subparsers.add_parser("letters", help="maintenance of stored letters")
    sub = letters.add_subparsers(dest="letters_command", required=True)
    again = sub.add_parser(
        "redact-again",
        help="rebuild search vectors and re-sign published replies under the current redaction",
    )
    again.add_argument("--tenant", help="only this tenant (slug)")
    again.set_defaults(func=run_redact_again)


def _said(result: RedactedAgain) -> str:
    return (
        f"{result.letters} letters re-indexed, {result.published} published, "
        f"{result.resigned} replies signed again"
    )


async def redact_all(context: AppContext, only: str | None = None) -> list[tuple[str, str]]:
    """Tenant by tenant; returns (slug, problem) for each that failed."""
    return await each_tenant(context, only, redact_again, _said)


def run_redact_again(args: argparse.Namespace, settings: Settings) -> int:
    return run_each_tenant(settings, args.tenant, redact_again, _said)
