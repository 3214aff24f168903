from __future__ import annotations

import math
import re

import pytest

from leadermail.platform.letters.tracking import (
    QUERY_PASSWORD_ALPHABET,
    QUERY_PASSWORD_LENGTH,
    TRACKING_CODE_ALPHABET,
    TRACKING_CODE_LENGTH,
    format_tracking_code,
    hash_query_password,
    new_query_password,
    new_tracking_code,
    normalize_tracking_code,
    verify_query_password,
)

SECRET = "s" * 40
AMBIGUOUS = set("0O1IL")


def test_alphabets_leave_out_lookalikes() -> None:
    assert not AMBIGUOUS & set(TRACKING_CODE_ALPHABET)
    assert not (AMBIGUOUS | set("oil")) & set(QUERY_PASSWORD_ALPHABET)
    assert len(set(TRACKING_CODE_ALPHABET)) == len(TRACKING_CODE_ALPHABET) == 31
    assert len(set(QUERY_PASSWORD_ALPHABET)) == len(QUERY_PASSWORD_ALPHABET) == 54


def test_entropy_figures_in_the_docstring_hold() -> None:
    code_bits = TRACKING_CODE_LENGTH * math.log2(len(TRACKING_CODE_ALPHABET))
    password_bits = QUERY_PASSWORD_LENGTH * math.log2(len(QUERY_PASSWORD_ALPHABET))
    assert round(code_bits, 1) == 49.5
    assert round(password_bits, 1) == 46.0
    assert password_bits >= 40


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


def test_new_passwords() -> None:
    passwords = {new_query_password() for _ in range(1000)}
    assert len(passwords) == 1000
    for password in passwords:
        assert len(password) == 8 and set(password) <= set(QUERY_PASSWORD_ALPHABET)


def test_hash_is_hmac_sha256_hex() -> None:
    stored = hash_query_password("pY4tKm8w", SECRET)
    assert re.fullmatch(r"[0-9a-f]{64}", stored)
    assert stored == hash_query_password("pY4tKm8w", SECRET.encode())
    assert stored != hash_query_password("pY4tKm8w", "another secret")
    assert stored != hash_query_password("pY4tKm8x", SECRET)


def test_verify() -> None:
    password = "pY4tKm8w"
    stored = hash_query_password(password, SECRET)
    assert verify_query_password(password, stored, SECRET)
    assert verify_query_password(f"  {password}\n", stored, SECRET)  # pasted
    assert not verify_query_password(password.swapcase(), stored, SECRET)
    assert not verify_query_password(password, stored, "another secret")
    assert not verify_query_password("", stored, SECRET)
    assert not verify_query_password(password, "", SECRET)
    assert not verify_query_password(password, "不是哈希", SECRET)


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        hash_query_password("pY4tKm8w", "")
