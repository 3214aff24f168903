from __future__ import annotations

import math
import re

import pytest

from leadermail.platform.letters.tracking import (
    QUERY_PASSWORD_ALPHABET,
    QUERY_PASSWORD_LENGTH,
    TRACKING_CODE_ALPHABET,
    TRACKING_CODE_LENGTH,
    _legacy_hash,
    canonical_query_password,
    format_tracking_code,
    hash_query_password,
    is_usable_password_hash,
    new_query_password,
    new_tracking_code,
    normalize_tracking_code,
    verify_query_password,
)

SECRET = "s" * 40
AMBIGUOUS = set("0O1IL")


def test_alphabets_leave_out_lookalikes() -> None:
    assert not AMBIGUOUS & set(TRACKING_CODE_ALPHABET)
    # Lower case and digits only, without what passes for 0, 1 or 9.
    assert not set("0oO1iIlLjgq") & set(QUERY_PASSWORD_ALPHABET)
    assert QUERY_PASSWORD_ALPHABET == QUERY_PASSWORD_ALPHABET.lower()
    assert len(set(TRACKING_CODE_ALPHABET)) == len(TRACKING_CODE_ALPHABET) == 31
    assert len(set(QUERY_PASSWORD_ALPHABET)) == len(QUERY_PASSWORD_ALPHABET) == 28


def test_entropy_figures_in_the_docstring_hold() -> None:
    code_bits = TRACKING_CODE_LENGTH * math.log2(len(TRACKING_CODE_ALPHABET))
    password_bits = QUERY_PASSWORD_LENGTH * math.log2(len(QUERY_PASSWORD_ALPHABET))
    assert round(code_bits, 1) == 49.5
    assert round(password_bits, 1) == 48.1
    # No weaker than the case-sensitive 8-of-54 passwords it replaced.
    assert password_bits >= 8 * math.log2(54)


def test_new_codes_are_canonical_and_differ() -> None:
    codes = {new_tracking_code() for _ in range(1000)}
    assert len(codes) == 1000
    for code in codes:
        assert re.fullmatch(f"[{TRACKING_CODE_ALPHABET}]{{10}}", code)
        assert normalize_tracking_code(code) == code


def test_codes_use_the_whole_alphabet() -> None:
    seen = set("".join(new_tracking_code() for _ in range(300)))
    assert seen == set(TRACKING_CODE_ALPHABET)


def test_format_groups_of_five() -> None:
    assert format_tracking_code("K7QMX3XPD9") == "K7QMX-3XPD9"


@pytest.mark.parametrize(
    "typed",
    [
        "K7QMX3XPD9",
        "K7QMX-3XPD9",
        "k7qmx-3xpd9",
        " k7qmx 3xpd9 ",
        "K7QM-X3XP-D9",
        "Ｋ７ＱＭＸ－３ＸＰＤ９",
    ],
)
def test_typed_codes_are_normalised(typed: str) -> None:
    assert normalize_tracking_code(typed) == "K7QMX3XPD9"


@pytest.mark.parametrize(
    "typed",
    ["", "K7QMX3XPD", "K7QMX3XPD99", "K7QMX3XPD0", "K7QMX3XPDO", "K7QMX3XPDI", "K7QMX3XPD#",
     "K7QMX/3XPD9", "K7QMX3XPD9'--"],
)  # fmt: skip
def test_malformed_codes_are_refused(typed: str) -> None:
    assert normalize_tracking_code(typed) is None


def test_new_passwords_are_two_groups_of_five() -> None:
    passwords = {new_query_password() for _ in range(1000)}
    assert len(passwords) == 1000
    for password in passwords:
        first, second = password.split("-")
        assert len(first) == len(second) == 5
        assert set(first + second) <= set(QUERY_PASSWORD_ALPHABET)
        assert len(first + second) == QUERY_PASSWORD_LENGTH


def test_passwords_use_the_whole_alphabet() -> None:
    seen = set("".join(new_query_password() for _ in range(300)).replace("-", ""))
    assert seen == set(QUERY_PASSWORD_ALPHABET)


def test_hash_is_versioned_hmac_sha256_hex() -> None:
    stored = hash_query_password("k7m4p-9x2ab", SECRET)
    assert re.fullmatch(r"v2:[0-9a-f]{64}", stored)
    assert stored == hash_query_password("k7m4p-9x2ab", SECRET.encode())
    assert stored != hash_query_password("k7m4p-9x2ab", "another secret")
    assert stored != hash_query_password("k7m4p-9x2ac", SECRET)


@pytest.mark.parametrize(
    "typed",
    ["k7m4p-9x2ab", "k7m4p9x2ab", "K7M4P-9X2AB", " k7m4p 9x2ab\n", "k7m4p—9x2ab",
     "ｋ７ｍ４ｐ－９ｘ２ａｂ", "k7m-4p9-x2ab"],
)  # fmt: skip
def test_new_passwords_forgive_case_spaces_and_dashes(typed: str) -> None:
    stored = hash_query_password(new := "k7m4p-9x2ab", SECRET)
    assert canonical_query_password(new) == "k7m4p9x2ab"
    assert verify_query_password(typed, stored, SECRET)


def test_new_passwords_still_need_every_character() -> None:
    stored = hash_query_password("k7m4p-9x2ab", SECRET)
    for typed in ("k7m4p-9x2a", "k7m4p-9x2abb", "k7m4p-9x2ac", "", "k7m4p/9x2ab"):
        assert not verify_query_password(typed, stored, SECRET)
    assert not verify_query_password("k7m4p-9x2ab", stored, "another secret")


def test_passwords_given_out_before_keep_working_exactly_as_typed() -> None:
    password = "pY4tKm8w"
    stored = _legacy_hash(password, SECRET)  # what the letters written before hold
    assert re.fullmatch(r"[0-9a-f]{64}", stored)
    assert verify_query_password(password, stored, SECRET)
    assert verify_query_password(f"  {password}\n", stored, SECRET)  # pasted
    assert not verify_query_password(password.swapcase(), stored, SECRET)
    assert not verify_query_password(password.lower(), stored, SECRET)
    assert not verify_query_password("pY4t-Km8w", stored, SECRET)
    assert not verify_query_password(password, stored, "another secret")
    assert not verify_query_password("", stored, SECRET)


def test_placeholders_never_verify() -> None:
    assert not verify_query_password("", "", SECRET)
    assert not verify_query_password("k7m4p-9x2ab", "不是哈希", SECRET)
    assert not verify_query_password("!forwarded", "!forwarded", SECRET)
    assert not is_usable_password_hash("!forwarded") and not is_usable_password_hash("")
    assert is_usable_password_hash(hash_query_password("k7m4p-9x2ab", SECRET))


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        hash_query_password("k7m4p-9x2ab", "")
