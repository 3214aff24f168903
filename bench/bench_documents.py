"""How long 1,000 assignment slips (交办单) take to generate as PDF.

    .venv/bin/python -m bench.bench_documents            # 1,000 slips, both ways
    .venv/bin/python -m bench.bench_documents --count 200

Two ways, because both happen: one PDF per slip (a unit downloads its slip)
and one PDF holding a whole batch, one slip per page (the registry office
prints the day's slips). Pure rendering (WeasyPrint + embedded Noto CJK
subsets); loading the letters from PostgreSQL is not included.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from leadermail.platform.documents.documents import AssignmentSlip, assignment_slips_pdf
from leadermail.tenants.registry import TenantRef

TENANT = TenantRef(
    id=1,
    slug="changsha",
    name="长沙市市长信箱",
    kind="city",
    parent_id=None,
    status="active",
    theme="base",
    schema_name="t_1",
    profile={"document_header": "长沙市人民政府办公厅"},
)


def slips(count: int) -> list[AssignmentSlip]:
    now = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    base = AssignmentSlip(
        tracking_code="",
        unit_name="市住房和城乡建设局",
        title="",
        letter_type="投诉",
        writer_name="王女士",
        writer_phone="13800000000",
        received_at=now - timedelta(days=1),
        channel="网站",
        body="我们小区的路灯已经坏了一个月，晚上出行很不方便，希望有关部门尽快修复。" * 4,
        instruction="张市长：请尽快核实处理，按期答复群众。",
        note=None,
        due_at=now + timedelta(days=10),
        assigned_at=now,
    )
    return [
        replace(base, tracking_code=f"A{i:011d}", title=f"第{i}号来信：小区路灯不亮")
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    batch = slips(args.count)
    assignment_slips_pdf(TENANT, batch[:1])  # warm up fontconfig and the template cache

    started = time.perf_counter()
    sizes = [len(assignment_slips_pdf(TENANT, [slip])) for slip in batch]
    one_each = time.perf_counter() - started

    started = time.perf_counter()
    combined = assignment_slips_pdf(TENANT, batch)
    together = time.perf_counter() - started

    print(
        f"{args.count} assignment slips, one PDF each: {one_each:.1f} s "
        f"({one_each / args.count * 1000:.0f} ms per slip, "
        f"{sum(sizes) / len(sizes) / 1024:.0f} KB each)"
    )
    print(
        f"{args.count} assignment slips in one PDF:   {together:.1f} s "
        f"({len(combined) / 1024 / 1024:.1f} MB, {args.count} pages)"
    )


if __name__ == "__main__":
    main()
