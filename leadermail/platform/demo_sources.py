"""The demo letters' source: the real citizen messages and official replies of
the 2020 泰迪杯 data set in ``shared/data/letters``, read and cleaned::

    folder = letters_dir()  # None when the data set is not there
    for source in read_source_letters(folder):
        source.title, source.body, reply_text(source.reply), source.category

Its publishers anonymised places and user ids, not the people's names written
in the texts: the public pages show them redacted like any letter's. The cells
are cleaned of spreadsheet artefacts by :func:`clean_source_text`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from leadermail.platform.config import PROJECT_ROOT

LETTERS_DIR_CANDIDATES = (
    PROJECT_ROOT.parent / "shared" / "data" / "letters",
    PROJECT_ROOT / "shared" / "data" / "letters",
)


@dataclass(frozen=True)
class SourceLetter:
    title: str
    body: str
    reply: str | None
    category: str | None


def letters_dir() -> Path | None:
    for candidate in LETTERS_DIR_CANDIDATES:
        if (candidate / "teddycup2020_replies.csv").is_file():
            return candidate
    return None


# Excel writes a control character inside a cell as _xHHHH_: a carriage
# return became "_x000D_" before the line feed (443 times in the letters).
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
# Zero-width characters pasted from web pages (in 3 titles).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def _unescape(match: re.Match[str]) -> str:
    char = chr(int(match[1], 16))
    if char in "\r\n":
        return "\n"
    return char if char.isprintable() or char == "\t" else ""


def clean_source_text(text: str) -> str:
    r"""A cell of the source spreadsheets as the citizen wrote it::

        clean_source_text("投诉人：廖飞荣_x000D_\n被投诉人：…")  # "投诉人：廖飞荣\n被投诉人：…"
    """
    # "_x000D_" + the line feed after it is one line break, not two.
    text = text.replace("_x000D_\n", "\n").replace("\r\n", "\n")
    return _EXCEL_ESCAPE.sub(_unescape, text).replace("\r", "\n").translate(_INVISIBLE)


def _source(title: str, body: str, reply: str | None, category: str | None) -> SourceLetter:
    return SourceLetter(
        clean_source_text(title).strip(),
        clean_source_text(body).strip(),
        clean_source_text(reply).strip() or None if reply else None,
        category,
    )


def read_source_letters(folder: Path) -> Iterator[SourceLetter]:
    with (folder / "teddycup2020_replies.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield _source(row["留言主题"], row["留言详情"], row["答复意见"] or None, None)
    with (folder / "teddycup2020_labeled_messages.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield _source(row["留言主题"], row["留言详情"], None, row["一级分类"])


# The published replies end with the day they were signed, in 2017-2019;
# the demo's replies are sent on their own (recent) days.
_SIGNED_ON = re.compile(r"[\s\u3000]*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日[\s\u3000]*$")


def reply_text(reply: str | None) -> str | None:
    """A source reply without its own date at the end."""
    return None if reply is None else _SIGNED_ON.sub("", reply.strip())
