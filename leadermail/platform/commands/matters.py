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

from leadermail.platform.commands.each_tenant import run_each_tenant
from leadermail.platform.config import Settings
from leadermail.platform.forwarding.matter_index import ReindexResult, reindex_tenant


def register(subparsers: argparse._SubParsersAction) -> None:
    matters = subparsers.add_parser("matters", help="art. 19 index of open matters")
    sub = matters.add_subparsers(dest="matters_command", required=True)
    reindex = sub.add_parser(
        "reindex", help="rebuild the index of open matters from the tenants' letters"
    )
    reindex.add_argument("--tenant", help="only this tenant (slug)")
    reindex.set_defaults(func=run_reindex)


def _said(result: ReindexResult) -> str:
    return (
        f"{result.letters} letters, {result.indexed} indexed, "
        f"{result.removed} removed, {result.skipped} skipped"
    )


def run_reindex(args: argparse.Namespace, settings: Settings) -> int:
    return run_each_tenant(settings, args.tenant, reindex_tenant, _said)
