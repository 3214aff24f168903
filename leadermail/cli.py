"""The ``leadermail`` command.

    leadermail serve --host 0.0.0.0 --port 8000 --workers 4
    leadermail worker
    leadermail db upgrade
    leadermail tenants create --slug changsha --name 长沙市市长信箱 --kind city --parent hunan
    leadermail tenants list | disable SLUG --reason ... | enable SLUG
    leadermail demo
    leadermail audit verify
    leadermail matters reindex [--tenant SLUG]

Other packages add sub-commands by listing a module in ``COMMAND_MODULES``
that defines ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Callable, Sequence

from leadermail.platform.bootstrap import resolve_services
from leadermail.platform.config import Settings, SettingsError

#: Modules contributing sub-commands: each has ``register(subparsers) -> None``
#: adding parsers whose ``func`` takes ``(args, settings) -> int``.
COMMAND_MODULES: tuple[str, ...] = (
    "leadermail.platform.commands.serve",
    "leadermail.platform.commands.database",
    "leadermail.platform.commands.tenants",
    "leadermail.platform.commands.audit",
    "leadermail.platform.commands.matters",
    "leadermail.platform.commands.letters",
    "leadermail.platform.commands.holidays",
    "leadermail.platform.commands.demo",
)

Handler = Callable[[argparse.Namespace, Settings], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadermail", description="领导信箱平台 leadermail")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"leadermail: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "needs_services", True):
        settings = resolve_services(settings)
    handler: Handler = args.func
    return int(handler(args, settings) or 0)


def run_async(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())
