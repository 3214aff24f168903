"""Server-side charts: labels stay inside the picture."""

from __future__ import annotations

import re

from leadermail.platform.supervision.charts import bar_chart


def _width(text: str, font_size: int = 12) -> float:
    """At least how wide the text sets: CJK characters are an em wide."""
    return sum(font_size if ord(ch) > 0x2E7F else font_size * 0.5 for ch in text)


def _labels(svg: str) -> list[tuple[float, str]]:
    """(x, text) of every right-aligned label line (they end at x)."""
    found = []
    for element in re.findall(r'<text[^>]*text-anchor="end"[^>]*>.*?</text>', svg):
        for x, text in re.findall(r'x="([\d.]+)"[^>]*>([^<]+)<', element):
            found.append((float(x), text))
    return found


def test_a_long_label_is_not_cut_at_the_left_edge():
    labels = ["湖南省省长信箱 省人力资源和社会保障厅", "长沙市市长信箱 市公安局"]
    svg = bar_chart("排名", [(labels[0], 0.9), (labels[1], 1.0)], percent=True)
    lines = _labels(svg)
    assert {text for _, text in lines} == set(labels)
    for x, text in lines:
        assert x - _width(text) >= 0, text


def test_a_label_too_long_for_one_line_takes_two():
    label = "湖南省人力资源和社会保障厅厅长信箱 省人力资源和社会保障厅办公室综合处"
    svg = bar_chart("排名", [(label, 0.5)], percent=True)
    lines = _labels(svg)
    assert [text for _, text in lines] == label.split(" ")
    for x, text in lines:
        assert x - _width(text) >= 0, text
    # The full label stays in the bar's tooltip.
    assert f"<title>{label}：50.0%</title>" in svg
