"""``leadermail demo``: provision the demo province (idempotent) and print where to look."""

from __future__ import annotations

import argparse
import asyncio

from leadermail.platform.config import Settings
from leadermail.platform.context import AppContext
from leadermail.platform.demo import build_demo
from leadermail.platform.demo_sources import letters_dir
from leadermail.platform.demo_staff import DEMO_PASSWORD, DEMO_STAFF
from leadermail.platform.demo_tenants import DEMO_TENANTS


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser("demo", help="create the demo province with letters")
    demo.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    async def main() -> None:
        context = AppContext.create(settings)
        try:
            await build_demo(context)
        finally:
            await context.close()

    asyncio.run(main())
    base = settings.base_url
    print("\n演示省份已就绪 / the demo province is ready:\n")
    print(f"  平台首页 platform home:        {base}/")
    for demo in DEMO_TENANTS:
        site = f"{base}/t/{demo.slug}/"
        print(f"  {demo.name:<22} {site}   (工作台 console: {site}console/)")
    print("\n  工作人员账号 staff accounts (password for all: " + DEMO_PASSWORD + "):")
    roles = ", ".join(f"{local}@<slug>.demo ({role})" for role, local, _ in DEMO_STAFF)
    print(f"    {roles}")
    print("    province@hunan.demo (province_admin, in the hunan console)")
    if settings.smtp_host is None:
        mail = settings.mail_dir
        print(f"\n  邮件 mail (no SMTP_HOST): kept in {mail}/ (read it: mutt -f {mail})")
    if letters_dir() is None:
        print("\n  (shared/data/letters not found: tenants and staff created without letters)")
    print()
    return 0
