from __future__ import annotations

import re
from pathlib import Path

import pytest

from leadermail.platform.demo_sources import clean_source_text, read_source_letters

LETTERS_DIR = Path("/work/shared/data/letters")


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        ("投诉书_x000D_\n\u3000\u3000投诉人：廖飞荣_x000D_\n",
         "投诉书\n\u3000\u3000投诉人：廖飞荣\n"),
        ("网友：_x000D_", "网友：\n"),
        ("第一行\r\n第二行\r第三行", "第一行\n第二行\n第三行"),
        ("制表_x0009_符，响铃_x0007_", "制表\t符，响铃"),
        ("\u200b关于A市\ufeff公交的建议", "关于A市公交的建议"),
        ("下划线_x_不是转义，段落\n\n之间的空行留着", "下划线_x_不是转义，段落\n\n之间的空行留着"),
    ],
)  # fmt: skip
def test_spreadsheet_artefacts_are_cleaned(cell: str, text: str) -> None:
    assert clean_source_text(cell) == text


def test_the_demo_letters_carry_no_artefacts() -> None:
    letters = list(read_source_letters(LETTERS_DIR))
    assert len(letters) == 2649
    artefact = re.compile(r"_x[0-9A-Fa-f]{4}_|[\r\u200b\ufeff]")
    for letter in letters:
        for text in (letter.title, letter.body, letter.reply or ""):
            assert not artefact.search(text), text[:80]
    # The 443 escaped carriage returns were line breaks (in 84 letters): still are.
    assert sum("\n" in letter.body for letter in letters) == 84
