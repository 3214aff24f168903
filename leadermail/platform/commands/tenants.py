"""``leadermail tenants create | list | disable | enable``."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import select

from leadermail.platform.config import Settings
from leadermail.platform.db import Database
from leadermail.tenants.models import Tenant
from leadermail.tenants.provisioning import (
    TenantError,
    TenantSpec,
    create_tenant,
    set_tenant_status,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    tenants = subparsers.add_parser("tenants", help="manage tenants (mailboxes)")
    sub = tenants.add_subparsers(dest="tenants_command", required=True)

    create = sub.add_parser("create", help="create a tenant at the current schema version")
    create.add_argument("--slug", required=True)
    create.add_argument("--name", required=True)
    create.add_argument(
        "--kind", required=True, choices=["province", "city", "county", "department"]
    )
    create.add_argument("--parent", help="slug of the parent tenant")
    create.add_argument("--theme", default="base")
    create.add_argument("--domain", action="append", default=[], help="custom host (repeatable)")
    create.add_argument("--leader-name")
    create.add_argument("--leader-title")
    create.set_defaults(func=run_create)

    listing = sub.add_parser("list", help="list tenants")
    listing.set_defaults(func=run_list)

    disable = sub.add_parser("disable", help="close a mailbox")
    disable.add_argument("slug")
    disable.add_argument("--reason", default=None)
    disable.set_defaults(func=run_disable)

    enable = sub.add_parser("enable", help="re-open a mailbox")
    enable.add_argument("slug")
    enable.set_defaults(func=run_enable)


def run_create(args: argparse.Namespace, settings: Settings) -> int:
    database = Database(settings)
    engine = database.sync_engine
    try:
        parent_id = None
        if args.parent:
            with engine.connect() as connection:
                parent_id = connection.execute(
                    select(Tenant.id).where(Tenant.slug == args.parent)
                ).scalar_one_or_none()
            if parent_id is None:
                print(f"leadermail: 上级信箱“{args.parent}”不存在", file=sys.stderr)
                return 1
        tenant_id = create_tenant(
            engine,
            TenantSpec(
                slug=args.slug,
                name=args.name,
                kind=args.kind,
                parent_id=parent_id,
                theme=args.theme,
                domains=args.domain,
                leader_name=args.leader_name,
                leader_title=args.leader_title,
            ),
            lock_timeout_ms=settings.lock_timeout_ms,
        )
    except TenantError as exc:
        print(f"leadermail: {exc.field}: {exc.message}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"created tenant {args.slug} (id {tenant_id}, schema t_{tenant_id})")
    return 0


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    database = Database(settings)
    with database.sync_engine.connect() as connection:
        rows = connection.execute(
            select(
                Tenant.id,
                Tenant.slug,
                Tenant.kind,
                Tenant.status,
                Tenant.schema_version,
                Tenant.name,
            ).order_by(Tenant.id)
        ).all()
    database.sync_engine.dispose()
    print(f"{'id':>5}  {'slug':<20} {'kind':<11} {'status':<13} {'version':<8} name")
    for row in rows:
        version = row.schema_version or "-"
        print(
            f"{row.id:>5}  {row.slug:<20} {row.kind:<11} {row.status:<13} {version:<8} {row.name}"
        )
    return 0


def _set_status(settings: Settings, slug: str, status: str, reason: str | None) -> int:
    database = Database(settings)
    try:
        set_tenant_status(database.sync_engine, slug, status, reason)
    except TenantError as exc:
        print(f"leadermail: {exc.message}", file=sys.stderr)
        return 1
    finally:
        database.sync_engine.dispose()
    print(f"{slug}: {status}")
    return 0


def run_disable(args: argparse.Namespace, settings: Settings) -> int:
    return _set_status(settings, args.slug, "disabled", args.reason)


def run_enable(args: argparse.Namespace, settings: Settings) -> int:
    return _set_status(settings, args.slug, "active", None)
