"""The staff manual: Markdown chapters in ``docs/manual/``, rendered to HTML.

    chapter = manual_chapter("duty")         # None for an unknown name
    chapter.title, chapter.html
    chapters = manual_index()                 # [(name, title), ...] in reading order

The Markdown is ours (committed, reviewed), so it is rendered with raw HTML
switched *off* (``markdown-it-py``'s "commonmark" preset with ``html=False``)
anyway: a slip in a chapter can never inject markup into the console.

Screenshots: ``![...](img/duty.png)`` refers to a file the browser tests
write to ``test-artifacts/screenshots/``; the help route serves it from there
when present and the chapter renders without it otherwise (generated files
are not committed — they would go stale with every UI change).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt

from leadermail.platform.config import PROJECT_ROOT

MANUAL_DIR = PROJECT_ROOT / "docs" / "manual"
SCREENSHOT_DIR = PROJECT_ROOT / "test-artifacts" / "screenshots"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,40}$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(img/([a-z0-9_-]+)\.png\)")

#: Reading order of the chapters (file stem → shown first).
ORDER = (
    "index",
    "register",
    "assign",
    "reply",
    "forward",
    "duty",
    "documents",
    "certificate",
    "account",
    "directory",
    "channels",
)

#: Contextual-help topics that live inside a bigger chapter.
TOPIC_CHAPTERS = {
    "inbox": "register",
    "letter": "assign",
    "rota": "duty",
    "duty_log": "duty",
}

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


@dataclass(frozen=True)
class Chapter:
    name: str
    title: str
    html: str


def _title(text: str, name: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return name


def _with_screenshots(text: str, image_url: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(2)
        if (SCREENSHOT_DIR / f"{name}.png").is_file():
            return f"![{match.group(1)}]({image_url}/{name}.png)"
        return ""  # not generated on this machine: text only

    return _IMAGE.sub(replace, text)


def manual_chapter(name: str, *, image_url: str = "img") -> Chapter | None:
    name = TOPIC_CHAPTERS.get(name, name)
    if not _NAME.match(name):
        return None
    path = MANUAL_DIR / f"{name}.md"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    return Chapter(name, _title(text, name), _markdown.render(_with_screenshots(text, image_url)))


@cache
def manual_index() -> list[tuple[str, str]]:
    names = [n for n in ORDER if (MANUAL_DIR / f"{n}.md").is_file()]
    names += sorted(p.stem for p in MANUAL_DIR.glob("*.md") if p.stem not in names)
    return [(n, _title((MANUAL_DIR / f"{n}.md").read_text(encoding="utf-8"), n)) for n in names]


def screenshot_path(name: str) -> Path | None:
    """A generated screenshot, if this machine has one (``name`` without .png)."""
    if not re.fullmatch(r"[a-z0-9_-]{1,60}", name):
        return None
    path = SCREENSHOT_DIR / f"{name}.png"
    return path if path.is_file() else None
