"""``leadermail holidays load --year 2027 FILE [--source 文号] [--now]``.

Loads the State Council's holiday schedule for a year (format: see
:mod:`leadermail.platform.deadlines.schedule`) and queues the recompute of
provisional deadlines in every tenant; ``--now`` runs the recompute in this
process instead, printing its progress.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from leadermail.platform.audit.writer import Actor
from leadermail.platform.config import Settings
from leadermail.platform.context import AppContext
from leadermail.platform.deadlines.recompute import load_holiday_schedule, recompute_run
from leadermail.platform.deadlines.runs import RecomputeRun
from leadermail.platform.deadlines.schedule import ScheduleError


def register(subparsers: argparse._SubParsersAction) -> None:
    holidays = subparsers.add_parser("holidays", help="State Council holiday schedules")
    sub = holidays.add_subparsers(dest="holidays_command", required=True)
    load = sub.add_parser("load", help="load a year's schedule, recompute provisional deadlines")
    load.add_argument("--year", type=int, required=True)
    load.add_argument("file", type=Path)
    load.add_argument("--source", default=None, help="e.g. 国办发明电〔2026〕7号 (default: file)")
    load.add_argument("--now", action="store_true", help="recompute here instead of in the worker")
    load.set_defaults(func=run_load)


def run_load(args: argparse.Namespace, settings: Settings) -> int:
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"leadermail: 无法读取 {args.file}：{exc}", file=sys.stderr)
        return 2
    return asyncio.run(_load(settings, args.year, text, args.source or args.file.name, args.now))


async def _load(settings: Settings, year: int, text: str, source: str, now: bool) -> int:
    app = AppContext.create(settings)
    try:
        try:
            run = await load_holiday_schedule(
                app.database, year, text, source=source, actor=Actor.system("命令行")
            )
        except ScheduleError as exc:
            print("\n".join(exc.errors), file=sys.stderr)
            return 1
        print(f"{year}年节假日安排已载入；重新计算任务 #{run.id}")
        if not now:
            print("期限将由后台任务（leadermail worker）重新计算。")
            return 0

        def progress(current: RecomputeRun) -> None:
            print(f"  信箱 {current.tenants_done}/{current.tenants_total}，"
                  f"更新期限 {current.letters_changed} 封", flush=True)

        finished = await recompute_run(app, run.id, progress=progress)
        assert finished is not None
        print(f"重新计算{'完成' if finished.status == 'done' else '失败：' + str(finished.error)}")
        return 0 if finished.status == "done" else 1
    finally:
        await app.close()
