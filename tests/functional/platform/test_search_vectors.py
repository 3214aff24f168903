"""Search vectors built from our lexemes equal the ones PostgreSQL's parser made.

Letters written before the change were indexed with
``to_tsvector('simple', index_terms(...))``; new ones with
``array_to_tsvector(index_lexemes(...))``. Both must hold the same lexemes, or
a search would find old and new letters differently.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import func, select

from leadermail.platform.search import (
    index_lexemes,
    index_terms,
    matches,
    query_terms,
    search_vector,
)

# Real letters (泰迪杯 2020, anonymised by the organisers) when the shared data
# is present; the built-in texts below run everywhere.
SHARED = Path(__file__).resolve().parents[3].parent / "shared"
LETTERS_CSV = SHARED / "data/letters/teddycup2020_replies.csv"

TEXTS = [
    "关于夜间施工噪音扰民的投诉：工地每晚22点后仍在施工，严重影响休息。",
    "iPhone12 WiFi 2019年 ＡＢＣ１２３ covid-19 e-mail: someone@example.com",
    "路灯不亮（第3号楼）；电话：13812345678，身份证号430105199003071234。",
    "Ünïcödé Straße café naïve ĲSSELMEER ǅemal İstanbul",
    "中文English混合text123数字４５６",
    "日本語のテキスト、한국어 텍스트 and 〇〇七",
    "emoji 😀 and symbols ©®™ ½ ² ①②③ ⅷ",
    "𠀀𠀁 extension B characters 㐀㐁 and 豈 compatibility",
    "x" * 500,
    "",
]


def _texts() -> list[str]:
    texts = list(TEXTS)
    if LETTERS_CSV.exists():
        with LETTERS_CSV.open(encoding="utf-8", newline="") as file:
            texts += [row["留言详情"] for row in csv.DictReader(file)][:400]
    return texts


async def test_our_vectors_equal_the_parsers_on_varied_and_real_text(context):
    texts = _texts()
    async with context.database.core_session() as session:
        for number, body in enumerate(texts):
            parsed = func.strip(func.to_tsvector("simple", index_terms(body)))
            same = await session.scalar(select(parsed == search_vector(body)))
            assert same, f"text {number} indexes differently: {body[:60]!r}"
            assert len(index_lexemes(body)) == len(set(index_terms(body).split()))


async def test_a_query_finds_a_vector_built_either_way(context):
    body = "关于夜间施工噪音扰民的投诉 WiFi信号差"
    async with context.database.core_session() as session:
        for q, expected in (("噪音", True), ("施工噪音", True), ("wifi", True), ("噪声", False)):
            terms = query_terms(q)
            assert terms is not None
            old = func.to_tsvector("simple", index_terms(body))
            for vector in (old, search_vector(body)):
                found = await session.scalar(select(matches(vector, terms)))
                assert found is expected, (q, str(vector))


async def test_staff_only_words_are_found_by_staff_and_never_by_the_public(context):
    # What staff took out of the published text (a neighbour's name) stays
    # searchable for staff and is invisible to the public search.
    public = "邻居家门口的路灯坏了 WiFi"
    original = "邻居王五家门口的路灯坏了 WiFi Zhangsan"
    vector = search_vector(public, staff_only=(original,))
    old = func.to_tsvector("simple", index_terms(public))
    async with context.database.core_session() as session:
        for q, staff, anyone in (
            ("路灯", True, True),
            ("wif", True, True),
            ("王五", True, False),
            ("王五 路灯", True, False),
            ("zhang", True, False),
            ("噪音", False, False),
        ):
            for public_query, expected in ((False, staff), (True, anyone)):
                terms = query_terms(q, public=public_query)
                assert terms is not None
                found = await session.scalar(select(matches(vector, terms)))
                assert found is expected, (q, public_query)
            # Letters indexed the old way (positions, weight D) stay findable.
            if anyone:
                terms = query_terms(q, public=True)
                assert await session.scalar(select(matches(old, terms))) is True, q
        # Nothing staff-only: the very vector as before.
        same = await session.scalar(
            select(search_vector(public, staff_only=(public,)) == search_vector(public))
        )
        assert same
