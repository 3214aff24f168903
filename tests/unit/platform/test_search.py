from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadermail.platform.search import (
    _SEPARATORS,
    _TOKEN,
    MAX_WORD_CHARS,
    _tokens,
    index_terms,
    query_terms,
)

# --- indexing ------------------------------------------------------------------------


def test_cjk_unigrams_and_bigrams() -> None:
    assert index_terms("夜间施工噪音") == "夜 间 施 工 噪 音 夜间 间施 施工 工噪 噪音"


def test_latin_and_digits_are_lower_cased_words() -> None:
    assert index_terms("iPhone12 WiFi 2019年") == "iphone12 wifi 2019 年"


def test_punctuation_separates_runs() -> None:
    # No bigram across "，": 噪音，扰民 does not contain 音扰.
    assert index_terms("噪音，扰民") == "噪 音 噪音 扰 民 扰民"


def test_full_width_is_folded() -> None:
    assert index_terms("ＡＢＣ１２３") == "abc123"


# --- normalising: the separator shortcut gives the tokens full NFKC gives ---------------

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
LETTERS_CSV = SHARED / "data/letters/teddycup2020_replies.csv"
TRICKY = (
    "，。、；：？！…—·“”‘’（）【】《》〈〉「」『』〔〕～－＿／＼＠＃％＆＊＋＝｜"
    "　    ​․‥…︐︰︱﹐﹙｡､"
    "ＡＢＣａｂｃ０１２３①②⑩⒈㈠㊀²½ⅷﬁ㎡℃№™㍿豈侮゙゚́̈ｶﾞﾊﾟ"
    "각가각 abcXYZ019_-.@噪音施工夜间扰民〇々ー"
)


def _tokens_after_full_nfkc(text: str) -> list[tuple[str, str]]:
    folded = unicodedata.normalize("NFKC", text).lower()
    return [
        ("cjk", cjk) if cjk else ("word", word[:MAX_WORD_CHARS])
        for cjk, word in _TOKEN.findall(folded)
    ]


def test_the_separators_are_punctuation_that_nfkc_would_change() -> None:
    assert _SEPARATORS.match("，") and _SEPARATORS.match("…") and _SEPARATORS.match("　")
    for kept in "Ａ０①㎡豈ｶﾞﾟ。":  # 。 is already NFKC: nothing to save
        assert not _SEPARATORS.match(kept), kept
    assert not _SEPARATORS.match("噪")


@settings(max_examples=5000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(TRICKY), max_size=40))
def test_tokens_equal_those_of_full_nfkc(text: str) -> None:
    assert _tokens(text) == _tokens_after_full_nfkc(text)


def test_tokens_equal_those_of_full_nfkc_on_real_letters() -> None:
    if not LETTERS_CSV.exists():
        pytest.skip("the shared letters are not on this machine")
    with LETTERS_CSV.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            for text in (row["留言主题"], row["留言详情"], row["答复意见"]):
                assert _tokens(text) == _tokens_after_full_nfkc(text), text[:60]


def test_several_texts_and_none() -> None:
    assert index_terms("标题", None, "", "正文") == "标 题 标题 正 文 正文"
    assert index_terms() == ""


def test_long_words_are_cut() -> None:
    assert index_terms("x" * 500) == "x" * MAX_WORD_CHARS


# --- queries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("噪音", "'噪音'"),
        ("噪", "'噪'"),
        ("施工噪音", "'施工' & '工噪' & '噪音'"),
        ("噪音 扰民", "'噪音' & '扰民'"),
        ("iPhone", "'iphone':*"),
        ("路灯 wifi", "'路灯' & 'wifi':*"),
        ("噪音噪音", "'噪音' & '音噪'"),  # repeated bigrams once
        ("", None),
        ("   ", None),
        ("!!! & | ( ) :*", None),
        (None, None),
    ],
)
def test_query_terms(q: str | None, expected: str | None) -> None:
    assert query_terms(q) == expected


def test_public_queries_ask_for_the_public_weights_only() -> None:
    assert query_terms("施工噪音 wifi", public=True) == (
        "'施工':BCD & '工噪':BCD & '噪音':BCD & 'wifi':*BCD"
    )
    assert query_terms("噪", public=True) == "'噪':BCD"
    assert query_terms("  ", public=True) is None


def test_query_syntax_characters_are_dropped() -> None:
    assert query_terms("a'b\\c & d|e !f (g) h:* <-> 噪'音") == (
        "'a':* & 'b':* & 'c':* & 'd':* & 'e':* & 'f':* & 'g':* & 'h':* & '噪' & '音'"
    )


def test_a_query_is_a_subset_of_the_index_of_matching_text() -> None:
    indexed = set(index_terms("关于夜间施工噪音扰民的投诉").split())
    lexemes = re.findall(r"'([^']*)'", query_terms("噪音") or "")
    assert set(lexemes) <= indexed


# The shape every query must have: quoted lexemes of letters and digits, each
# optionally a prefix, joined by " & ". Nothing else.
_LEXEME = r"'[^\W_]+'(?::\*)?"
_QUERY = re.compile(rf"{_LEXEME}(?: & {_LEXEME})*")


@given(st.text(max_size=200))
def test_query_terms_never_produce_invalid_syntax(q: str) -> None:
    result = query_terms(q)
    if result is not None:
        assert _QUERY.fullmatch(result), result
        assert "\\" not in result and "''" not in result


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_index_terms_are_plain_words(text: str) -> None:
    for term in index_terms(text).split(" "):
        assert term == "" or re.fullmatch(r"[^\W_]+", term)


# --- in PostgreSQL -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg(services: dict[str, str]) -> Iterator[psycopg.Connection]:
    conninfo = services["database_url"].replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        yield connection


def _matches(pg: psycopg.Connection, text: str, q: str) -> bool:
    row = pg.execute(
        "SELECT to_tsvector('simple', %s) @@ to_tsquery('simple', %s)",
        (index_terms(text), query_terms(q)),
    ).fetchone()
    assert row is not None
    return bool(row[0])


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("噪音", True),
        ("施工噪音", True),
        ("噪", True),
        ("夜间 扰民", True),
        ("IPHONE", True),
        ("wif", True),
        ("噪声", False),
        ("音扰民x", False),
    ],
)
def test_search_in_postgres(pg: psycopg.Connection, q: str, found: bool) -> None:
    assert _matches(pg, "夜间施工噪音扰民 iPhone12 WiFi", q) is found


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=100))
def test_postgres_accepts_every_query(pg: psycopg.Connection, q: str) -> None:
    result = query_terms(q)
    if result is not None:
        pg.execute("SELECT to_tsquery('simple', %s)", (result,)).fetchone()
