"""Server-side SVG charts: no JavaScript, print in black and white, and each
one is labelled for screen readers (the page puts the data table beside it).

::

    svg = column_chart("每月来信量", [("1月", 120), ("2月", 98)])
    svg = bar_chart("按时答复率", [("市教育局", 0.93)], percent=True)
    # Markup: drop into a template with {{ svg }}

Hand-written rather than pygal: pygal's SVG expects its JavaScript for
tooltips and styles text with fonts a print of a Chinese page does not have.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from markupsafe import Markup, escape

from leadermail.platform.supervision.figures import Figures, letters_received

_ids = itertools.count(1)
FONT = "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC',sans-serif"


def _format(value: float | None, percent: bool) -> str:
    if value is None:
        return "—"
    if percent:
        return f"{value * 100:.1f}%"
    return f"{value:g}" if isinstance(value, float) else str(value)


def column_chart(
    title: str,
    items: Sequence[tuple[str, float | None]],
    *,
    percent: bool = False,
    width: int = 640,
    height: int = 240,
) -> Markup:
    """Vertical bars, one per item (months along the bottom)."""
    chart_id = f"chart-{next(_ids)}"
    top, bottom, left, right = 24, 36, 8, 8
    plot_h = height - top - bottom
    values = [v or 0 for _, v in items]
    peak = 1.0 if percent else max([*values, 1])
    slot = (width - left - right) / max(len(items), 1)
    bar = max(slot * 0.6, 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-labelledby="{chart_id}-t" '
        f'font-family="{FONT}" font-size="11">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        'stroke="#333" stroke-width="1"/>',
    ]
    for index, (label, value) in enumerate(items):
        h = (value or 0) / peak * plot_h
        x = left + index * slot + (slot - bar) / 2
        y = top + plot_h - h
        text = escape(_format(value, percent))
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="#4a6fa5" stroke="#1f3b63"><title>{escape(label)}：{text}</title></rect>'
        )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">{text}</text>'
        )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def _text_width(text: str, font_size: int) -> float:
    """About how wide ``text`` sets: a CJK character is an em, others about
    0.6 em (no font metrics on the server; errs on the wide side)."""
    return sum(font_size if ord(ch) > 0x2E7F else font_size * 0.6 for ch in text)


def _label_lines(label: str, room: float, font_size: int) -> list[str]:
    """``label`` in at most two lines that fit ``room``: broken at the last
    space that fits (mailbox | unit), else by characters; a second line that
    still does not fit ends in "…" (the full label stays in the bar's tooltip)."""
    if _text_width(label, font_size) <= room:
        return [label]
    words = label.split(" ")
    first = rest = ""
    for count in range(len(words) - 1, 0, -1):
        candidate = " ".join(words[:count])
        if _text_width(candidate, font_size) <= room:
            first = candidate
            rest = " ".join(words[count:])
            break
    if not first:
        cut = len(label)
        while cut > 1 and _text_width(label[:cut], font_size) > room:
            cut -= 1
        first, rest = label[:cut], label[cut:]
    if _text_width(rest, font_size) > room:
        while rest and _text_width(rest + "…", font_size) > room:
            rest = rest[:-1]
        rest += "…"
    return [first, rest]


def bar_chart(
    title: str,
    items: Sequence[tuple[str, float | None]],
    *,
    percent: bool = False,
    width: int = 640,
    font_size: int = 12,
    max_label_width: int = 300,
) -> Markup:
    """Horizontal bars, one row per item (a ranking).

    The label column is as wide as the longest label needs, up to
    ``max_label_width``; a longer label takes two lines instead of running
    off the left edge.
    """
    chart_id = f"chart-{next(_ids)}"
    value_width = 64
    room = min(
        max((_text_width(label, font_size) for label, _ in items), default=0.0),
        max_label_width,
    )
    label_width = room + 12
    lines = [_label_lines(label, room, font_size) for label, _ in items]
    line_height = font_size + 3
    row_height = max(len(label) for label in lines) * line_height + 8 if lines else 22
    height = row_height * max(len(items), 1) + 16
    plot_w = width - label_width - value_width
    values = [v or 0 for _, v in items]
    peak = 1.0 if percent else max([*values, 1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-labelledby="{chart_id}-t" '
        f'font-family="{FONT}" font-size="{font_size}">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
    ]
    for index, ((label, value), label_lines) in enumerate(zip(items, lines, strict=True)):
        y = 8 + index * row_height
        w = (value or 0) / peak * plot_w
        text = escape(_format(value, percent))
        middle = y + row_height / 2
        first_baseline = middle - (len(label_lines) - 1) * line_height / 2 + font_size * 0.35
        spans = "".join(
            f'<tspan x="{label_width - 6:.1f}" y="{first_baseline + n * line_height:.1f}">'
            f"{escape(line)}</tspan>"
            for n, line in enumerate(label_lines)
        )
        parts.append(f'<text text-anchor="end">{spans}</text>')
        parts.append(
            f'<rect x="{label_width:.1f}" y="{y + 3}" width="{w:.1f}" '
            f'height="{row_height - 6}" fill="#4a6fa5" stroke="#1f3b63">'
            f"<title>{escape(label)}：{text}</title></rect>"
        )
        parts.append(
            f'<text x="{label_width + w + 6:.1f}" y="{middle + font_size * 0.35:.1f}">{text}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def percent(value: float | None) -> str:
    """Jinja filter: 0.934 → "93.4%", None → "—"."""
    return _format(value, True)


def days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def figure_cells(
    figures: Figures, *, overdue_href: str | None = None, once: bool = False
) -> Markup:
    """The nine ``<td>`` of a table row of figures, in the order of the
    ``figure_headers`` macro. A function, not a macro: the province page
    has ~150 such rows and a Jinja macro call costs ~10 times as much.

    ``overdue_href``: the overdue count links there (when not 0).
    ``once``: letters counted once across mailboxes (province totals).
    """
    values = (
        str(letters_received(figures, once=once)),
        percent(figures.acceptance_rate),
        percent(figures.on_time_rate),
        str(figures.overdue),
        days(figures.average_handling_days),
        percent(figures.satisfaction_rate),
        percent(figures.solved_rate),
        percent(figures.closed_rate),
        percent(figures.rehandle_rate),
    )
    cells = [f"<td>{escape(value)}</td>" for value in values]
    if overdue_href and figures.overdue:
        cells[3] = f'<td><a href="{escape(overdue_href)}">{figures.overdue}</a></td>'
    return Markup("".join(cells))  # noqa: S704 - every text above is escaped
