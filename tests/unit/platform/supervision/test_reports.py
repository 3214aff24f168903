"""The report's HTML (what WeasyPrint prints), built from plain figures."""

from __future__ import annotations

import re
from datetime import date

from leadermail.platform.supervision.figures import Dashboard, Figures, Period
from leadermail.platform.supervision.reports import CHART_ROWS, ReportData, render_html


def _province_report(mailboxes: int) -> str:
    period = Period.month(date(2026, 3, 1))
    by_tenant = {t: Figures(received=t, forwarded_in=1) for t in range(1, mailboxes + 1)}
    totals = Figures(received=sum(range(1, mailboxes + 1)), forwarded_in=mailboxes)
    board = Dashboard(period, totals, [(period.first, totals)], by_tenant, [])
    return render_html(
        ReportData(
            title="全省来信办理月度报告（2026年3月）", subject="全省", period=period,
            annual=False, board=board, province=True,
            tenant_names={t: f"第{t}号信箱" for t in by_tenant},
        )
    )


def test_a_long_province_chart_shows_the_busiest_mailboxes_and_the_table_all():
    html = _province_report(CHART_ROWS + 10)
    chart = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert chart.count("<rect") == CHART_ROWS
    assert f"来信最多的 {CHART_ROWS} 个信箱" in html
    assert "第40号信箱" in chart and "第10号信箱" not in chart  # most letters first
    rows = re.findall(r'<tr><td class="name">第\d+号信箱</td>', html)
    assert len(rows) == CHART_ROWS + 10


def test_the_province_total_counts_a_forwarded_letter_once():
    html = _province_report(3)  # 1 + 2 + 3 letters, one copy each
    total = re.search(r"<th scope=\"row\">全省来信总量</th><td>(\d+)</td>", html)
    assert total is not None and int(total.group(1)) == 3
    # Each mailbox's own row counts every letter it received.
    assert re.search(r'<td class="name">第3号信箱</td><td>3</td>', html)
