"""Build leadermail/platform/common_words.txt from jieba's dictionary.

    pip install jieba && .venv/bin/python scripts/common_words.py

The file lists the common words (2-4 characters) that begin with a Chinese
surname, so that name detection (leadermail.platform.written_names) does not
take "业主利益" or "职工高兴" for a person called 利益 or 高兴. A word is kept
when jieba's dictionary (MIT licence) counts it at least MIN_COUNT times and
does not tag it as a person's name (nr*), or counts it at least
MIN_COUNT_OF_NAMES times whatever its tag: jieba tags 陈述, 明白 and 文明 as
names, and 毛泽东 is a public figure, not a writer to hide. 陈云 (293) and 杨柳
(411) stay possible names.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jieba

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leadermail.platform.written_names import COMPOUND_SURNAMES, SINGLE_SURNAMES  # noqa: E402

MIN_COUNT = 10
MIN_COUNT_OF_NAMES = 500
OUTPUT = Path(__file__).resolve().parent.parent / "leadermail/platform/common_words.txt"


def main() -> None:
    source = Path(jieba.__file__).parent / "dict.txt"
    words = set()
    for line in source.read_text(encoding="utf-8").splitlines():
        word, count, tag = line.split()
        if not 2 <= len(word) <= 4:
            continue
        if int(count) < (MIN_COUNT_OF_NAMES if tag.startswith("nr") else MIN_COUNT):
            continue
        if word[:2] in COMPOUND_SURNAMES or word[0] in SINGLE_SURNAMES:
            words.add(word)
    header = (
        "# Common words that begin with a surname character: not names.\n"
        f"# Built by scripts/common_words.py from jieba {jieba.__version__}'s dict.txt (MIT),\n"
        f"# words of 2-4 characters counted >= {MIN_COUNT} times, those tagged as person names\n"
        f"# (nr*) only when counted >= {MIN_COUNT_OF_NAMES} times.\n"
    )
    OUTPUT.write_text(header + "\n".join(sorted(words)) + "\n", encoding="utf-8")
    print(f"{len(words)} words -> {OUTPUT}")


if __name__ == "__main__":
    main()
