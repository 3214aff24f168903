"""``leadermail db upgrade``: the shared schema, then every tenant schema."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from leadermail.platform.config import Settings
from leadermail.platform.db import Database
from leadermail.tenants.migrations import TenantVersion, upgrade_core, upgrade_tenants


def register(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="migrate core and all tenant schemas to head")
    upgrade.add_argument("--workers", type=int, default=None, help="concurrent tenant upgrades")
    upgrade.add_argument("--quiet", action="store_true", help="no progress bar")
    upgrade.set_defaults(func=run_upgrade)


def run_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    return upgrade_everything(settings, workers=args.workers, progress=not args.quiet)


def upgrade_everything(
    settings: Settings, *, workers: int | None = None, progress: bool = True
) -> int:
    console = Console(stderr=False)
    database = Database(settings)
    engine = database.sync_engine
    try:
        upgrade_core(engine, secret_key=settings.secret_key)
        with Progress(
            TextColumn("[bold]tenant schemas"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            disable=not progress,
            transient=False,
        ) as bar:
            task = bar.add_task("", total=None)

            def on_progress(tenant: TenantVersion, error: str | None) -> None:
                bar.update(
                    task, advance=1, description=f"{tenant.slug}: {'FAILED' if error else 'ok'}"
                )

            report = upgrade_tenants(
                engine,
                workers=workers or settings.migration_workers,
                lock_timeout_ms=settings.lock_timeout_ms,
                on_progress=on_progress,
            )
            bar.update(task, total=len(report.upgraded) + len(report.failed))
    finally:
        engine.dispose()
    console.print(
        f"core: at head; tenants: {report.total} in all, {report.up_to_date} already at "
        f"{report.head}, {len(report.upgraded)} upgraded, {len(report.failed)} failed "
        f"({report.seconds:.2f} s)"
    )
    for slug in report.upgraded:
        console.print(f"  upgraded  {slug}")
    for slug, error in report.failed:
        print(f"  FAILED    {slug}: {error}", file=sys.stderr)
    if report.failed:
        print(
            "leadermail: some tenant schemas were not upgraded: "
            + ", ".join(slug for slug, _ in report.failed),
            file=sys.stderr,
        )
        return 1
    return 0
