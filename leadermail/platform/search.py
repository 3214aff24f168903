"""Chinese full-text search on plain PostgreSQL (no pg_trgm, no zhparser).

Chinese has no spaces between words, so we index every CJK character and
every pair of neighbouring characters (unigrams + bigrams), and Latin/digit
words lower-cased. A query is cut the same way and ANDs its bigrams, so 噪音
finds 夜间施工噪音扰民 and 施工噪音 finds it too (施工 & 工噪 & 噪音)::

    letter.search_vector = search_vector(title, body)
    # index_lexemes("夜间施工噪音") -> ["夜", "间", "施", "工", "噪", "音", "夜间", ...]

    q = query_terms(user_input)          # None: nothing searchable, show all
    if q is not None:
        stmt = stmt.where(matches(Letter.search_vector, q))
    # query_terms("施工噪音 iPhone") -> "'施工' & '工噪' & '噪音' & 'iphone':*"

This module is the only tokenizer. PostgreSQL's text-search parser never sees
the text: the vector is built from our lexemes with ``array_to_tsvector`` and
the query is a ``tsquery`` literal. Handing PostgreSQL a space-separated term
string for ``to_tsvector('simple', …)`` made it re-parse ~1,400 terms per
800-character letter, about 0.9 ms of database CPU per letter written
(measured), to arrive at the same lexemes. The vector carries no positions,
which nothing here uses (no phrase search, no ranking). Letters indexed the
old way hold the same lexemes (tests compare both on real letters), so both
kinds match the same queries.

Every lexeme in a query is quoted, and only letters and digits ever get
inside the quotes, so nothing a user types can change the tsquery's
structure.

Words staff may search by but the public may not (what staff took out of a
letter's published text) go in the same vector, marked with weight A::

    letter.search_vector = search_vector(public_title, public_body,
                                         staff_only=(title, body))
    stmt.where(matches(Letter.search_vector, query_terms(q, public=True)))

A public query asks for weights B, C or D on every term: lexemes without a
position (all of ours) match any weight, those of the old ``to_tsvector``
vectors carry D, and only the staff-only ones (position 1, weight A) fail.
Staff queries carry no weight and match everything.
"""

from __future__ import annotations

import itertools
import operator
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Text, cast, func
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.sql.elements import ColumnElement

# Han (incl. extension A, compatibility ideographs and the supplementary
# planes), 〇, kana and Hangul: scripts written without spaces between words.
_CJK_RANGES = (
    "\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
# Only word characters count: the ranges also hold punctuation (・) and code
# points this Python's Unicode tables do not know yet.
_TOKEN = re.compile(rf"(?P<cjk>(?:(?![\W_])[{_CJK_RANGES}])+)|(?P<word>[^\W_{_CJK_RANGES}]+)")
#: Longer Latin "words" are cut: PostgreSQL refuses lexemes over 2 KB, and no
#: one searches for a 60-character token anyway.
MAX_WORD_CHARS = 60
#: Queries are cut to this many characters before splitting, to bound the
#: size of the tsquery a single request can make the database evaluate.
MAX_QUERY_CHARS = 100


def _separator_pattern() -> re.Pattern[str]:
    """Punctuation and spaces (CJK, full-width, general) that NFKC changes into
    something without a letter or digit: ，→ , and …… → ......, say. Not
    those that NFKC turns into a combining mark (half-width ﾞ joins ｶ into ガ)."""
    separators = []
    for code in itertools.chain(
        range(0x2000, 0x2070), range(0x3000, 0x3040), range(0xFE10, 0xFE20),
        range(0xFE30, 0xFE70), range(0xFF00, 0xFFF0),
    ):  # fmt: skip
        char = chr(code)
        folded = unicodedata.normalize("NFKC", char)
        if (
            folded != char
            and _TOKEN.search(folded.lower()) is None
            and not any(unicodedata.combining(part) for part in folded)
        ):
            separators.append(re.escape(char))
    return re.compile("[" + "".join(separators) + "]")


_SEPARATORS = _separator_pattern()


def _normalized(text: str) -> str:
    """``unicodedata.normalize("NFKC", text).lower()``, as far as tokens go.

    NFKC turns full-width Ａ１ into A1 and compatibility ideographs into their
    unified form, so what the citizen typed matches what staff typed. Almost
    every Chinese text fails NFKC's quick check only because of its
    full-width punctuation, and then normalising costs ~100 µs per 800
    characters (measured). That punctuation only ever separates tokens, so it
    becomes a space first (~8 µs), and the text is normalised only if
    something else still needs it. Tokens come out the same (tested).
    """
    text = _SEPARATORS.sub(" ", text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def _tokens(text: str) -> list[tuple[str, str]]:
    normalized = _normalized(text)
    # findall's (cjk, word) tuples rather than match objects: this runs over
    # every letter written, and group look-ups were most of its cost.
    return [
        ("cjk", cjk) if cjk else ("word", word[:MAX_WORD_CHARS])
        for cjk, word in _TOKEN.findall(normalized)
    ]


def _bigrams(run: str) -> list[str]:
    return list(map(operator.add, run, run[1:]))


def _terms(texts: tuple[str | None, ...]) -> list[str]:
    terms: list[str] = []
    for text in texts:
        if not text:
            continue
        for kind, token in _tokens(text):
            if kind == "cjk":
                terms.extend(token)
                terms.extend(_bigrams(token))
            else:
                terms.append(token)
    return terms


def index_terms(*texts: str | None) -> str:
    """Every term, space-separated (what a tsvector literal of them reads);
    None texts are skipped."""
    return " ".join(_terms(texts))


def index_lexemes(*texts: str | None) -> list[str]:
    """The distinct terms, in first-seen order."""
    return list(dict.fromkeys(_terms(texts)))


#: Weight of the lexemes that only staff searches may match; a public query
#: asks for the others.
STAFF_ONLY_WEIGHT = "A"
_PUBLIC_WEIGHTS = "BCD"


def search_vector(*texts: str | None, staff_only: Iterable[str | None] = ()) -> ColumnElement[Any]:
    """The ``tsvector`` of ``texts``, built from our lexemes (see above), plus
    the lexemes of ``staff_only`` that ``texts`` lack, which public queries
    do not match.

    The lexemes travel as one space-separated string that PostgreSQL splits
    (lexemes never contain spaces): dumping a Python list of ~200 strings as
    an array parameter cost the driver more than building the list.
    """
    lexemes = index_lexemes(*texts)
    vector = lexeme_vector(" ".join(lexemes))
    public = set(lexemes)
    hidden = [lexeme for lexeme in index_lexemes(*staff_only) if lexeme not in public]
    if not hidden:
        return vector
    # A position is needed to carry a weight, so these are a tsvector literal.
    literal = " ".join(f"{_quote(lexeme)}:1{STAFF_ONLY_WEIGHT}" for lexeme in hidden)
    return vector.op("||")(cast(literal, TSVECTOR))


def lexeme_vector(lexemes: str | ColumnElement[str]) -> ColumnElement[Any]:
    """The ``tsvector`` of space-separated lexemes (a string or a parameter)."""
    return func.array_to_tsvector(func.string_to_array(cast(lexemes, Text), " "))


def matches(vector: ColumnElement[Any], terms: str) -> ColumnElement[bool]:
    """``vector @@ terms``, ``terms`` being a :func:`query_terms` string."""
    return vector.op("@@")(cast(terms, TSQUERY))


def _quote(lexeme: str) -> str:
    # Tokens are letters and digits only, but quote and escape anyway: the
    # safety of the query must not depend on the tokenizer staying that way.
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def query_terms(q: str | None, *, public: bool = False) -> str | None:
    """A ``tsquery`` literal for the user's query, or None if empty.

    Each CJK run must appear as a whole (all its bigrams; a single character
    as a unigram); each Latin/digit word as a prefix ("wif" finds "wifi").
    A ``public`` query does not match the staff-only lexemes (see above).
    """
    if not q:
        return None
    # 'x':BCD and 'x':*BCD; a plain 'x' and 'x':* for staff.
    weights = _PUBLIC_WEIGHTS if public else ""
    exact = ":" + weights if weights else ""
    parts: list[str] = []
    for kind, token in _tokens(q[:MAX_QUERY_CHARS]):
        if kind == "cjk":
            lexemes = _bigrams(token) or [token]
            parts.extend(_quote(lexeme) + exact for lexeme in lexemes)
        else:
            parts.append(_quote(token) + ":*" + weights)
    # The same bigram twice (噪音噪音) adds nothing but work.
    unique = list(dict.fromkeys(parts))
    return " & ".join(unique) if unique else None
